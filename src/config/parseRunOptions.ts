import path from 'node:path';
import { InputError } from '../core/InputError.js';
import {
  DELIVERY_MODES,
  GPU_OPTIONS,
  MODEL_CACHE_OPTIONS,
  SANDBOX_OPTIONS,
  type SandboxOption,
  type DeliveryMode,
  type GpuOption,
  type ModelCacheOption,
  type RunOptions
} from '../core/RunOptions.js';
import { parseModelSource } from '../inference/model/ModelSource.js';
import { parseBoolean, parseInteger, parsePercentage } from './inputValues.js';
import { parseShard } from './parseShard.js';
import { OTLP_INPUT_DEFAULTS, parseOtlpOptions } from './parseOtlpOptions.js';
import { parsePrivacyOptions, PRIVACY_INPUT_DEFAULTS } from './parsePrivacyOptions.js';
import { parseRoutingOptions, ROUTING_INPUT_DEFAULTS } from './parseRoutingOptions.js';

/** Raw string values as a user wrote them (action inputs or CLI flags), keyed by input name. */
export type RawInputs = Partial<Record<keyof typeof INPUT_DEFAULTS, string>>;

export const INPUT_DEFAULTS = {
  'working-directory': '.',
  model: '',
  'model-sha256': '',
  'model-cache': 'auto',
  gpu: 'auto',
  'max-parallel': 'auto',
  'context-size': '8192',
  'max-tokens': '2048',
  threads: '0',
  'test-timeout': '120',
  'repeat-runs': '5',
  'test-workers': 'auto',
  'max-repairs': '1',
  'report-path': '',
  'llama-runtime': '',
  comment: 'true',
  'report-artifact': 'true',
  'base-ref': '',
  'replay-file': '',
  'replay-mode': 'replay',
  'on-accepted': 'write',
  'allow-pull-request-target': 'false',
  sandbox: 'auto',
  'test-env': '',
  shard: '',
  'fail-below-coverage': '',
  'fail-on-coverage-drop': 'false',
  mode: 'generate',
  ...PRIVACY_INPUT_DEFAULTS,
  ...OTLP_INPUT_DEFAULTS,
  // Blank, so that an input the user did not set falls through to .aqe/config.yml before the default applies.
  ...(Object.fromEntries(Object.keys(ROUTING_INPUT_DEFAULTS).map((name) => [name, ''])) as Record<keyof typeof ROUTING_INPUT_DEFAULTS, ''>)
} as const;

export interface ParseContext {
  /** Directory relative paths are resolved against (the workspace or the shell's cwd). */
  cwd: string;
  /** Directory for the default report path (RUNNER_TEMP or a temp dir). */
  tempDir: string;
}

export function parseRunOptions(raw: RawInputs, ctx: ParseContext): RunOptions {
  const value = (name: keyof typeof INPUT_DEFAULTS): string => {
    const v = raw[name]?.trim();
    return v === undefined || v === '' ? INPUT_DEFAULTS[name] : v;
  };
  const repoDir = path.resolve(ctx.cwd, value('working-directory'));
  const model = value('model');
  const replayMode = value('replay-mode').toLowerCase();
  if (replayMode !== 'record' && replayMode !== 'replay') {
    throw new InputError(
      'replay-mode',
      `"${replayMode}" is not a replay mode`,
      "Use record (save the model's answers to replay-file) or replay (answer from replay-file instead of a model)"
    );
  }
  const replayFile = value('replay-file');
  const replaying = replayFile !== '' && replayMode === 'replay';
  // '' = chosen by hardware when the run loads a model; remote forms are checked for shape here, fetched later.
  const source = model === '' || model === 'demo' ? undefined : parseModelSource(model, ctx.cwd);
  const modelSha256 = value('model-sha256').toLowerCase();
  if (modelSha256 !== '' && !/^[0-9a-f]{64}$/.test(modelSha256)) {
    throw new InputError(
      'model-sha256',
      `"${modelSha256}" is not a sha256`,
      "Give the 64 hex digits of the model file's sha256 (sha256sum model.gguf; Hugging Face shows it on the file's page), or leave it empty"
    );
  }
  if (modelSha256 !== '' && source === undefined && !replaying) {
    throw new InputError(
      'model-sha256',
      model === 'demo'
        ? 'it cannot pin the demo model, which is generated on the spot'
        : 'it is set but model is empty, and the model chosen by hardware differs between machines',
      'Set model to the file the checksum belongs to, or leave model-sha256 empty'
    );
  }
  const modelCache = value('model-cache').toLowerCase();
  if (!(MODEL_CACHE_OPTIONS as readonly string[]).includes(modelCache)) {
    throw new InputError('model-cache', `"${modelCache}" is not a model cache option`, `Use one of: ${MODEL_CACHE_OPTIONS.join(', ')}`);
  }
  const gpu = value('gpu').toLowerCase();
  if (!(GPU_OPTIONS as readonly string[]).includes(gpu)) {
    throw new InputError('gpu', `"${gpu}" is not a known GPU option`, `Use one of: ${GPU_OPTIONS.join(', ')}`);
  }
  const onAccepted = value('on-accepted').toLowerCase();
  if (!(DELIVERY_MODES as readonly string[]).includes(onAccepted)) {
    throw new InputError(
      'on-accepted',
      `"${onAccepted}" is not a delivery mode`,
      "Use write (create the tests in the working tree), commit (commit and push them to the pull request's branch; needs `contents: write` and a branch of this repository) or artifact (upload them as a workflow artifact)"
    );
  }
  const sandbox = value('sandbox').toLowerCase();
  if (!(SANDBOX_OPTIONS as readonly string[]).includes(sandbox)) {
    throw new InputError(
      'sandbox',
      `"${sandbox}" is not a sandbox option`,
      'Use auto (Linux namespaces where the runner allows them, else a weaker fallback with a warning), require (fail unless namespaces can be set up) or off (the fallback only)'
    );
  }
  const reportPath = value('report-path');
  const privacy = parsePrivacyOptions(raw, ctx);
  const routing = parseRoutingOptions(raw, repoDir, privacy.allowedEndpoints);
  return {
    repoDir,
    model: source?.kind === 'local' ? source.path : model,
    modelSha256,
    modelCache: modelCache as ModelCacheOption,
    gpu: gpu as GpuOption,
    maxParallel: value('max-parallel').toLowerCase() === 'auto' ? 0 : parseInteger('max-parallel', value('max-parallel'), 1, 64),
    contextSize: parseInteger('context-size', value('context-size'), 512, 1_048_576),
    maxTokens: parseInteger('max-tokens', value('max-tokens'), 16, 131_072),
    threads: parseInteger('threads', value('threads'), 0, 1024),
    testTimeoutMs: parseInteger('test-timeout', value('test-timeout'), 1, 86_400) * 1000,
    repeatRuns: parseInteger('repeat-runs', value('repeat-runs'), 0, 50),
    maxRepairs: parseInteger('max-repairs', value('max-repairs'), 0, 10),
    testWorkers: value('test-workers').toLowerCase() === 'auto' ? 0 : parseInteger('test-workers', value('test-workers'), 1, 256),
    reportPath: reportPath === '' ? path.join(ctx.tempDir, 'aqe-report.json') : path.resolve(ctx.cwd, reportPath),
    llamaRuntime: value('llama-runtime') === '' ? '' : path.resolve(ctx.cwd, value('llama-runtime')),
    comment: parseBoolean('comment', value('comment')),
    reportArtifact: parseBoolean('report-artifact', value('report-artifact')),
    baseRef: value('base-ref'),
    replay: replayFile === '' ? null : { mode: replayMode, file: path.resolve(ctx.cwd, replayFile) },
    onAccepted: onAccepted as DeliveryMode,
    allowPullRequestTarget: parseBoolean('allow-pull-request-target', value('allow-pull-request-target')),
    sandbox: sandbox as SandboxOption,
    testEnv: parseVariableNames('test-env', value('test-env')),
    routing,
    otlp: parseOtlpOptions(raw, routing.privacy, privacy.allowedEndpoints),
    privacy,
    shard: parseShard('shard', value('shard')),
    coverageGates: {
      failBelow: value('fail-below-coverage') === '' ? null : parsePercentage('fail-below-coverage', value('fail-below-coverage')),
      failOnDrop: parseBoolean('fail-on-coverage-drop', value('fail-on-coverage-drop'))
    }
  };
}

/** Variable names, separated by commas, spaces or new lines; each checked so a typo or a value pasted by mistake is caught. */
export function parseVariableNames(input: string, text: string): string[] {
  const names = text.split(/[\s,]+/).filter((n) => n !== '');
  for (const name of names) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new InputError(
        input,
        `"${name.length > 40 ? `${name.slice(0, 40)}…` : name}" is not a variable name`,
        'List the names of variables (letters, digits and underscores), separated by commas or new lines, never their values'
      );
    }
  }
  return [...new Set(names)];
}
