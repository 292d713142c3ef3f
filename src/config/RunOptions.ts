import path from 'node:path';
import { InputError } from './InputError.js';

export type GpuOption = 'auto' | 'cuda' | 'vulkan' | 'metal' | 'cpu';
export const GPU_OPTIONS: readonly GpuOption[] = ['auto', 'cuda', 'vulkan', 'metal', 'cpu'];

/** Everything a run needs, validated; the action and the CLI both produce one of these. */
export interface RunOptions {
  /** Repository root (absolute). */
  repoDir: string;
  /** A local GGUF path, 'demo' for the project's generated demo model, or '' when replaying. */
  model: string;
  gpu: GpuOption;
  maxParallel: number;
  contextSize: number;
  maxTokens: number;
  /** 0 = chosen from the CPUs this process may use. */
  threads: number;
  testTimeoutMs: number;
  /** Where the JSON report is written (absolute). */
  reportPath: string;
  /** Directory holding (or to receive) the node-llama-cpp runtime; '' = find or install it. */
  llamaRuntime: string;
  comment: boolean;
  /** When set, changed files come from `git diff <baseRef>...HEAD` instead of the host's API. */
  baseRef: string;
  /** A JSONL file of model answers: recorded from the model, or replayed instead of it. */
  replay: { mode: ReplayMode; file: string } | null;
}

export type ReplayMode = 'record' | 'replay';

/** Raw string values as a user wrote them (action inputs or CLI flags), keyed by input name. */
export type RawInputs = Partial<Record<keyof typeof INPUT_DEFAULTS, string>>;

export const INPUT_DEFAULTS = {
  'working-directory': '.',
  model: '',
  gpu: 'auto',
  'max-parallel': '2',
  'context-size': '8192',
  'max-tokens': '2048',
  threads: '0',
  'test-timeout': '120',
  'report-path': '',
  'llama-runtime': '',
  comment: 'true',
  'base-ref': '',
  'replay-file': '',
  'replay-mode': 'replay'
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
    throw new InputError('replay-mode', `"${replayMode}" is not a replay mode`, 'Use record (save the model\'s answers to replay-file) or replay (answer from replay-file instead of a model)');
  }
  const replayFile = value('replay-file');
  const replaying = replayFile !== '' && replayMode === 'replay';
  if (model === '' && !replaying) {
    throw new InputError(
      'model',
      'no model was given',
      'Set it to the path of a GGUF file (for example one downloaded by an earlier step or baked into a self-hosted runner), or to "demo" to try the pipeline with the generated demo model'
    );
  }
  if (/^(hf:|https?:\/\/)/i.test(model)) {
    throw new InputError(
      'model',
      `"${model}" is a remote model and this version loads local files only`,
      'Download the .gguf file in an earlier step (curl or huggingface-cli) and pass its path'
    );
  }
  const gpu = value('gpu').toLowerCase();
  if (!(GPU_OPTIONS as readonly string[]).includes(gpu)) {
    throw new InputError('gpu', `"${gpu}" is not a known GPU option`, `Use one of: ${GPU_OPTIONS.join(', ')}`);
  }
  const reportPath = value('report-path');
  return {
    repoDir,
    model: model === 'demo' || model === '' ? model : path.resolve(ctx.cwd, model),
    gpu: gpu as GpuOption,
    maxParallel: parseInteger('max-parallel', value('max-parallel'), 1, 64),
    contextSize: parseInteger('context-size', value('context-size'), 512, 1_048_576),
    maxTokens: parseInteger('max-tokens', value('max-tokens'), 16, 131_072),
    threads: parseInteger('threads', value('threads'), 0, 1024),
    testTimeoutMs: parseInteger('test-timeout', value('test-timeout'), 1, 86_400) * 1000,
    reportPath: reportPath === '' ? path.join(ctx.tempDir, 'aqe-report.json') : path.resolve(ctx.cwd, reportPath),
    llamaRuntime: value('llama-runtime') === '' ? '' : path.resolve(ctx.cwd, value('llama-runtime')),
    comment: parseBoolean('comment', value('comment')),
    baseRef: value('base-ref'),
    replay: replayFile === '' ? null : { mode: replayMode, file: path.resolve(ctx.cwd, replayFile) }
  };
}

export function parseInteger(input: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) {
    throw new InputError(input, `"${text}" is not a whole number`, `Give a number from ${min} to ${max}`);
  }
  const n = Number(text);
  if (n < min || n > max) {
    throw new InputError(input, `${n} is out of range`, `Give a number from ${min} to ${max}`);
  }
  return n;
}

export function parseBoolean(input: string, text: string): boolean {
  const t = text.toLowerCase();
  if (['true', 'yes', '1', 'on'].includes(t)) return true;
  if (['false', 'no', '0', 'off'].includes(t)) return false;
  throw new InputError(input, `"${text}" is not a boolean`, 'Use true or false');
}
