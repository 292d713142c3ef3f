import { mkdtemp, readdir, rm, rmdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkTempDir, preflight } from '../config/checkRunEnvironment.js';
import { ConfigFileError } from '../config/ConfigFileError.js';
import { INPUT_DEFAULTS, parseRunOptions, type RawInputs } from '../config/parseRunOptions.js';
import { InputError } from '../core/InputError.js';
import { consoleLogger } from '../core/Logger.js';
import { packageRoot } from '../core/packageRoot.js';
import type { RunOptions } from '../core/RunOptions.js';
import { TOOL_VERSION } from '../core/version.js';
import type { DeliverySettings } from '../delivery/deliverAcceptedTests.js';
import { DirectoryArtifactUploader } from '../delivery/DirectoryArtifactUploader.js';
import { loadProvider } from '../inference/loadProvider.js';
import { runPipeline } from '../pipeline/runPipeline.js';
import { RunCancelledError } from '../process/cancellation.js';
import { cancelOnTerminationSignals, exitCodeFor } from '../process/terminationSignals.js';
import type { PullRequestHost } from '../repo/ChangedFile.js';
import { GitPullRequestHost } from '../repo/GitPullRequestHost.js';
import { gateFailureMessage, gateLines } from '../reporting/coverageGates.js';
import { renderSummary } from '../reporting/renderMarkdown.js';
import type { RunReport } from '../reporting/RunReport.js';
import { UnknownModelPriceError } from '../routing/priceTable.js';
import { PrivacyViolationError } from '../privacy/PrivacyViolationError.js';
import { renderComparison } from './abComparison.js';
import { runDiffCoverage } from './diffCoverageCommand.js';
import { runServeCli } from './serveCommand.js';
import { runGpuCli } from './gpuCommand.js';
import { runModelCli } from './modelCommand.js';
import { runReportCli } from './reportCommand.js';
import { evaluateAb, parseEvalSide } from './evalCommand.js';
import { prepareExamplePullRequest } from './exampleRepo.js';
import { userModelCache } from './userModelCache.js';

const USAGE = `aqe ${TOOL_VERSION}: generate unit tests for changed code with a local LLM, keep only those that pass and raise coverage.

Usage:
  aqe demo [--model FILE] [--dir DIR]        run the whole pipeline on the bundled example pull request
  aqe run --base REF [--head REF] [options]  generate tests for the changes REF...HEAD of the repository at --repo
  aqe diff-coverage --base REF --coverage FILE [--head REF] [--repo DIR] [--fail-under PCT]
                                             coverage of the lines REF...HEAD changed, from an istanbul JSON,
                                             lcov or Cobertura file any test run wrote; exit 1 below --fail-under
  aqe eval --ab (--base REF [--head REF] | --demo [--dir DIR]) [--a SIDE] [--b SIDE] [options]
                                             the same targets through two providers, one after the other:
                                             acceptance rate, changed-line coverage gain, cost and latency
                                             of each, from real verdicts. SIDE: local (default for --a),
                                             cloud (default for --b), replay:FILE. Nothing is written into
                                             the repository; the comparison is saved as JSON.
  aqe serve [--model MODEL] [--host HOST] [--port N] [--queue N]
                                             an OpenAI-compatible server over the local model, shared by
                                             many jobs (aqe serve --help)
  aqe model pull|list|verify ...             download, list and re-verify the models in the cache (aqe model --help)
  aqe gpu [--json]                           the GPU, back end, free VRAM, and the model and max-parallel auto
                                             would choose here (aqe gpu --help)
  aqe report <report.json> [--summary FILE] [--comment FILE]
                                             the job summary and PR comment Markdown of a JSON report (aqe report --help)
  aqe --version | --help

Options (same meaning and defaults as the action inputs):
  --repo DIR            repository root (working-directory)         default .
  --model MODEL         GGUF file, https:// URL, hf:owner/repo:QUANT, hf:owner/repo/file.gguf, or "demo";
                        empty: chosen by hardware. Downloads are cached in $XDG_CACHE_HOME/aqe (~/.cache/aqe)
  --model-sha256 HEX    sha256 the model file must have
  --gpu MODE            auto | cuda | vulkan | metal | cpu          default auto
  --max-parallel N|auto sequences generating at once               default auto
  --context-size N      tokens per sequence                         default 8192
  --max-tokens N        tokens per generated test file              default 2048
  --threads N           CPU threads for llama.cpp; 0 = measured on the loaded model (the fastest count wins)
  --test-timeout S      seconds one test run may take               default 120
  --repeat-runs N       further shuffled runs a kept test must pass default 5
  --max-repairs N       times a failing test goes back to the model default 1
  --test-workers N|auto worker processes of each test run; auto: one per CPU for the generated
                        tests, the suite as its config says; N bounds every run   default auto
  --report FILE         JSON report path                            default <tmp>/aqe-report.json
  --llama-runtime DIR   directory holding node-llama-cpp
  --replay-file FILE    JSONL of model answers (see README: Record and replay)
  --replay-mode MODE    replay (answer from the file, no model) | record (save the model's answers)
  --on-accepted MODE    write | commit | artifact                   default write
                        commit: commit the accepted tests and push them to the checked-out branch's upstream
                        artifact: copy them into --artifact-dir/aqe-accepted-tests, leaving the repository alone
  --artifact-dir DIR    where on-accepted artifact puts them        default <tmp>/artifacts
  --report-artifact BOOL  with --artifact-dir: also copy the run artifact (report, schema, audit log, accepted and
                        rejected tests with their failure output) into --artifact-dir/aqe-report   default true
  --sandbox MODE        auto | require | off                        default auto
                        how tests are confined: Linux namespaces through bubblewrap (require: or fail),
                        off: only an allow-listed environment, a private HOME and reaped processes
  --test-env NAMES      variables of your environment the tests also get, comma-separated (never secrets)
  --shard I/N           this job's part of a run split across N jobs (e.g. 2/4); merge the reports with
                        aqe report --merge
  --fail-below-coverage PCT  exit 1 when the changed lines' coverage after the accepted tests is below PCT
  --fail-on-coverage-drop BOOL  exit 1 when it is below the changed lines' coverage with the suite alone   default false

Routing (see README: Routing and cost; also .aqe/config.yml in the repository):
  --router-mode MODE    hybrid-auto | hybrid-prefer-local | local-only | cloud-only   default hybrid-auto
  --privacy MODE        strict (never the cloud) | balanced | off   default balanced
  --sensitive-paths GLOBS  files that never leave the machine, comma-separated
  --complexity-threshold N  hybrid-auto: complexity above N goes to the cloud   default 10
  --size-threshold N    hybrid-auto: changed units over N lines go to the cloud (0 = off)
  --escalate BOOL       files the local model failed on go once more to the cloud   default true
  --max-cloud-usd USD   spend cap for the run; requests that could pass it run locally
  --local-cost-per-hour USD  what an hour of this machine costs, for the cost section
  --cloud-provider P    auto | anthropic | openai-compatible        default auto
  --cloud-model NAME    Anthropic model                             default claude-sonnet-5-5
  --anthropic-base-url URL, --shared-server-url URL, --shared-server-model NAME,
  --cloud-timeout S, --cloud-max-retries N
  Keys come from the environment, never from flags: ANTHROPIC_API_KEY, AQE_SHARED_SERVER_API_KEY.

Privacy (see README: Privacy mode):
  --allowed-endpoints LIST  under strict, host:port endpoints that may still be reached (an internal server)
  --privacy-require-isolation BOOL  under strict, fail unless an OS-level drop (firewall, no network) holds
  --audit-log FILE      JSONL audit of model requests and refused connections (appended)   default $TMPDIR/aqe-audit.jsonl

Metrics (see deploy/grafana/README.md):
  --otlp-endpoint URL   send the run's metrics to this OTLP/HTTP collector at the end (/v1/metrics appended
                        unless given); under strict its host:port must be in --allowed-endpoints
  Headers for it (credentials) come from the environment, never from flags: AQE_OTLP_HEADERS=key=value,key2=value2
`;

/** CLI flag → action input of the same meaning. */
const FLAG_INPUTS = {
  repo: 'working-directory',
  model: 'model',
  'model-sha256': 'model-sha256',
  gpu: 'gpu',
  'max-parallel': 'max-parallel',
  'context-size': 'context-size',
  'max-tokens': 'max-tokens',
  threads: 'threads',
  'test-timeout': 'test-timeout',
  'repeat-runs': 'repeat-runs',
  'max-repairs': 'max-repairs',
  'test-workers': 'test-workers',
  report: 'report-path',
  'report-artifact': 'report-artifact',
  'llama-runtime': 'llama-runtime',
  base: 'base-ref',
  'replay-file': 'replay-file',
  'replay-mode': 'replay-mode',
  'on-accepted': 'on-accepted',
  sandbox: 'sandbox',
  'test-env': 'test-env',
  shard: 'shard',
  'fail-below-coverage': 'fail-below-coverage',
  'fail-on-coverage-drop': 'fail-on-coverage-drop',
  'router-mode': 'router-mode',
  privacy: 'privacy',
  'sensitive-paths': 'sensitive-paths',
  'complexity-threshold': 'complexity-threshold',
  'size-threshold': 'size-threshold',
  escalate: 'escalate',
  'max-cloud-usd': 'max-cloud-usd',
  'local-cost-per-hour': 'local-cost-per-hour',
  'cloud-provider': 'cloud-provider',
  'anthropic-base-url': 'anthropic-base-url',
  'cloud-model': 'cloud-model',
  'shared-server-url': 'shared-server-url',
  'shared-server-model': 'shared-server-model',
  'cloud-timeout': 'cloud-timeout',
  'cloud-max-retries': 'cloud-max-retries',
  'allowed-endpoints': 'allowed-endpoints',
  'privacy-require-isolation': 'privacy-require-isolation',
  'audit-log': 'audit-log',
  'otlp-endpoint': 'otlp-endpoint'
} as const satisfies Record<string, keyof typeof INPUT_DEFAULTS>;

/** Runs the CLI; resolves to the process exit code (2 = bad usage or input). */
export async function runCli(argv: string[]): Promise<number> {
  // serve has flags of its own (--host, --port, --queue) and runs until a signal: it parses its own argv.
  if (argv[0] === 'serve') return runServeCli(argv.slice(1));
  // So do these: each parses its own flags, and exits 0 ok, 1 failure, 2 usage.
  if (argv[0] === 'model') return runModelCli(argv.slice(1));
  if (argv[0] === 'gpu') return runGpuCli(argv.slice(1));
  if (argv[0] === 'report') return runReportCli(argv.slice(1));
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...Object.fromEntries(Object.keys(FLAG_INPUTS).map((k) => [k, { type: 'string' as const }])),
        head: { type: 'string' },
        ab: { type: 'boolean' },
        demo: { type: 'boolean' },
        a: { type: 'string' },
        b: { type: 'string' },
        dir: { type: 'string' },
        'artifact-dir': { type: 'string' },
        coverage: { type: 'string' },
        'fail-under': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' }
      }
    });
  } catch (error) {
    process.stderr.write(`aqe: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const flag = (name: string): string | undefined => {
    const v = (values as Record<string, unknown>)[name];
    return typeof v === 'string' ? v : undefined;
  };
  if (values.version) {
    process.stdout.write(`${TOOL_VERSION}\n`);
    return 0;
  }
  const command = positionals[0];
  if (command === 'diff-coverage' && !values.help) return diffCoverageCli(flag);
  if (values.help || (command !== 'run' && command !== 'demo' && command !== 'eval')) {
    (values.help ? process.stdout : process.stderr).write(USAGE);
    return values.help ? 0 : 2;
  }
  const raw: RawInputs = {};
  for (const [name, input] of Object.entries(FLAG_INPUTS)) raw[input] = flag(name);
  // Keys stay out of flags, where they would land in shell history and process listings.
  raw['anthropic-api-key'] = process.env.ANTHROPIC_API_KEY;
  raw['shared-server-api-key'] = process.env.AQE_SHARED_SERVER_API_KEY;
  // Only with an endpoint: a variable left in a shell profile is no reason to fail a run that exports nothing.
  if (raw['otlp-endpoint']) raw['otlp-headers'] = process.env.AQE_OTLP_HEADERS;
  // Ctrl-C (or a SIGTERM) stops the run's tests, removes its scratch copy and still writes the report; a second one stops at once.
  const signals = cancelOnTerminationSignals((m) => consoleLogger.warn(m));
  try {
    if (command === 'eval') return await evalCli(raw, flag, values.ab === true, values.demo === true);
    const artifactDir = flag('artifact-dir');
    const report = command === 'demo' ? await demo(raw, flag('dir'), artifactDir) : await run(raw, flag('head') ?? 'HEAD', artifactDir);
    process.stdout.write(`${renderSummary(report, { reportPath: report.reportPath })}\n`);
    const gateFailure = gateFailureMessage(report.gates ?? []);
    if (gateFailure === null) return 0;
    process.stderr.write(`aqe: ${gateFailure}\n`);
    return 1;
  } catch (error) {
    process.stderr.write(`aqe: ${error instanceof Error ? error.message : String(error)}\n`);
    if (error instanceof RunCancelledError) return exitCodeFor(error.signal);
    return isUsageError(error) ? 2 : 1;
  } finally {
    signals.release();
  }
}

type ReportWithPath = RunReport & { reportPath: string };

/** A wrong flag, a wrong value in .aqe/config.yml, a cloud model without a price, a provider the privacy mode forbids: the user's to fix, exit 2. */
function isUsageError(error: unknown): boolean {
  return error instanceof InputError || error instanceof ConfigFileError || error instanceof UnknownModelPriceError || error instanceof PrivacyViolationError;
}

/** `aqe eval --ab`: both sides on the same pull request (the example one with --demo), then the comparison. */
async function evalCli(raw: RawInputs, flag: (name: string) => string | undefined, ab: boolean, useDemo: boolean): Promise<number> {
  if (!ab) throw new InputError('--ab', 'eval needs --ab', 'Run aqe eval --ab to compare two providers on the same targets');
  const sides = [parseEvalSide('--a', flag('a') ?? 'local', process.cwd()), parseEvalSide('--b', flag('b') ?? 'cloud', process.cwd())] as const;
  const dir = flag('dir');
  if (dir) await checkTempDir(path.resolve(dir), '--dir');
  else await checkTempDir(os.tmpdir(), 'TMPDIR');
  const workDir = dir ? path.resolve(dir) : await mkdtemp(path.join(os.tmpdir(), 'aqe-eval-'));
  let target: { repository: string; host: (repoDir: string) => PullRequestHost; workspace?: string };
  if (useDemo) {
    const pr = await prepareExamplePullRequest(path.join(workDir, 'example'));
    if (!raw.model) raw.model = 'demo';
    raw['working-directory'] = pr.repoDir;
    target = {
      repository: 'examples/ts-lib',
      host: () => new GitPullRequestHost(pr.repoDir, pr.baseSha, pr.headSha),
      workspace: path.join(workDir, 'example')
    };
  } else {
    const base = raw['base-ref'];
    if (!base)
      throw new InputError(
        '--base',
        'no base revision was given',
        'Pass the branch or commit the changes are compared with (e.g. --base origin/main), or --demo'
      );
    const head = flag('head') ?? 'HEAD';
    target = { repository: path.basename(path.resolve(raw['working-directory'] ?? '.')), host: (repoDir) => new GitPullRequestHost(repoDir, base, head) };
  }
  const { comparison, reportPath } = await evaluateAb(sides, raw, workDir, async (sideRaw, label) => {
    consoleLogger.info(`A/B evaluation: running every target through ${label}.`);
    const options = parseRunOptions(sideRaw, { cwd: process.cwd(), tempDir: workDir });
    await preflight(options, { ...(target.workspace ? { workspace: target.workspace } : {}), tempDir: workDir, tempDirInput: dir ? '--dir' : 'TMPDIR' });
    return runLocally(options, workDir, target.repository, target.host, path.join(workDir, `artifacts-${label.replace(/[^\w.-]+/g, '_')}`));
  });
  process.stdout.write(renderComparison(comparison));
  consoleLogger.info(`A/B comparison: ${reportPath}`);
  return 0;
}

async function diffCoverageCli(flag: (name: string) => string | undefined): Promise<number> {
  try {
    const base = flag('base');
    if (!base) throw new InputError('--base', 'no base revision was given', 'Pass the branch or commit the changes are compared with, e.g. --base origin/main');
    const coverageFile = flag('coverage');
    if (!coverageFile)
      throw new InputError(
        '--coverage',
        'no coverage file was given',
        'Pass coverage/coverage-final.json, coverage/lcov.info or a Cobertura XML file written by your test run'
      );
    const failUnderText = flag('fail-under');
    const failUnder = failUnderText === undefined ? undefined : Number(failUnderText);
    if (failUnder !== undefined && !(failUnder >= 0 && failUnder <= 100))
      throw new InputError('--fail-under', `"${failUnderText}" is not a percentage`, 'Give a number from 0 to 100');
    const outcome = await runDiffCoverage({
      repoDir: path.resolve(flag('repo') ?? '.'),
      base,
      head: flag('head') ?? 'HEAD',
      coverageFile,
      ...(failUnder !== undefined ? { failUnder } : {})
    });
    process.stdout.write(outcome.markdown);
    return outcome.passed ? 0 : 1;
  } catch (error) {
    process.stderr.write(`aqe: ${error instanceof Error ? error.message : String(error)}\n`);
    return isUsageError(error) ? 2 : 1;
  }
}

async function run(raw: RawInputs, head: string, artifactDir: string | undefined): Promise<ReportWithPath> {
  const base = raw['base-ref'];
  if (!base) throw new InputError('--base', 'no base revision was given', 'Pass the branch or commit the changes are compared with, e.g. --base origin/main');
  await checkTempDir(os.tmpdir(), 'TMPDIR');
  const tempDir = await mkdtemp(path.join(os.tmpdir(), 'aqe-'));
  let options: RunOptions | undefined;
  try {
    options = parseRunOptions(raw, { cwd: process.cwd(), tempDir });
    await preflight(options, { tempDir, tempDirInput: 'TMPDIR' });
    return await runLocally(options, tempDir, path.basename(options.repoDir), (repoDir) => new GitPullRequestHost(repoDir, base, head), artifactDir);
  } finally {
    await removeRunTemp(tempDir, options ? [options.reportPath, cliArtifactDir(artifactDir, tempDir)] : []);
  }
}

/**
 * `aqe run`'s temp dir is its own: when the run ends it goes, except what the user is pointed
 * at when it lies there by default (the JSON report, the artifact folder).
 */
async function removeRunTemp(tempDir: string, keep: string[]): Promise<void> {
  const kept = (entry: string): boolean => keep.some((k) => k === entry || k.startsWith(`${entry}${path.sep}`));
  const entries = await readdir(tempDir).catch(() => []);
  await Promise.all(
    entries
      .map((name) => path.join(tempDir, name))
      .filter((entry) => !kept(entry))
      .map((entry) => rm(entry, { recursive: true, force: true }))
  );
  await rmdir(tempDir).catch(() => undefined); // ENOTEMPTY: it holds the report or the artifacts
}

/**
 * The bundled example as a pull request, run end to end. With no model given it uses the demo
 * model (no network needed) and says so in the log and in the report.
 */
async function demo(raw: RawInputs, dir: string | undefined, artifactDir: string | undefined): Promise<ReportWithPath> {
  if (dir) await checkTempDir(path.resolve(dir), '--dir');
  else await checkTempDir(os.tmpdir(), 'TMPDIR');
  const workDir = dir ? path.resolve(dir) : await mkdtemp(path.join(os.tmpdir(), 'aqe-demo-'));
  const pr = await prepareExamplePullRequest(workDir);
  consoleLogger.info(`Example pull request "${pr.title}" prepared in ${pr.repoDir} (${pr.baseSha.slice(0, 7)}...${pr.headSha.slice(0, 7)}).`);
  if (!raw.model && !raw['replay-file']) {
    raw.model = 'demo';
    consoleLogger.info(
      'No --model given: using the demo model, a tiny GGUF generated here that replays a fixed test file through real llama.cpp (no download needed).'
    );
  }
  raw['working-directory'] = pr.repoDir;
  const options = parseRunOptions(raw, { cwd: process.cwd(), tempDir: workDir });
  // The example lives in the demo's own directory, so that is the workspace it must stay in.
  await preflight(options, { workspace: workDir, tempDir: workDir, tempDirInput: dir ? '--dir' : 'TMPDIR' });
  return runLocally(options, workDir, 'examples/ts-lib', () => new GitPullRequestHost(pr.repoDir, pr.baseSha, pr.headSha), artifactDir);
}

async function runLocally(
  options: RunOptions,
  tempDir: string,
  repository: string,
  host: (repoDir: string) => PullRequestHost,
  artifactDir?: string
): Promise<ReportWithPath> {
  const report = await runPipeline({
    options,
    host: host(options.repoDir),
    pullRequest: null,
    repository,
    logger: consoleLogger,
    tempDir,
    toolVersion: TOOL_VERSION,
    analysisSearchDirs: [packageRoot()],
    delivery: cliDeliverySettings(artifactDir, tempDir),
    // Only where the user named a folder: a run artifact in a temp directory nobody looks in is no record.
    ...(artifactDir ? { runArtifact: { name: CLI_REPORT_ARTIFACT_NAME, uploader: new DirectoryArtifactUploader(path.resolve(artifactDir)) } } : {}),
    loadProvider: () => loadProvider(options, { searchFrom: [packageRoot()], tempDir, ...userModelCache(consoleLogger) }, consoleLogger)
  });
  for (const line of gateLines(report.gates ?? [])) consoleLogger.info(line);
  const delivered = report.delivery;
  if (delivered && delivered.files.length > 0) {
    const where =
      delivered.mode === 'commit'
        ? `committed and pushed (${delivered.commit?.sha.slice(0, 7)} on ${delivered.commit?.branch})`
        : delivered.mode === 'artifact'
          ? `copied to the artifact ${delivered.artifact}`
          : `written into ${options.repoDir}`;
    consoleLogger.info(`Accepted tests ${where}: ${delivered.files.join(', ')}`);
  }
  consoleLogger.info(`JSON report: ${options.reportPath}`);
  if (options.otlp) {
    // The OpenTelemetry SDK is loaded only by the runs that export.
    const { sendRunMetrics } = await import('../reporting/exportRunMetrics.js');
    await sendRunMetrics(report, options.otlp, consoleLogger);
  }
  return { ...report, reportPath: options.reportPath };
}

/** The artifact name the CLI uses: one folder per run under --artifact-dir. */
export const CLI_ARTIFACT_NAME = 'aqe-accepted-tests';
/** The run artifact's folder under --artifact-dir (report-artifact). */
export const CLI_REPORT_ARTIFACT_NAME = 'aqe-report';

/**
 * Delivery outside GitHub: commit pushes to the checked-out branch's upstream with the user's own
 * git credentials (no pull request, no token), artifact copies into `artifactDir`.
 */
export function cliDeliverySettings(artifactDir: string | undefined, tempDir: string): DeliverySettings {
  return { pullRequest: null, artifact: { name: CLI_ARTIFACT_NAME, uploader: new DirectoryArtifactUploader(cliArtifactDir(artifactDir, tempDir)) } };
}

function cliArtifactDir(artifactDir: string | undefined, tempDir: string): string {
  return artifactDir ? path.resolve(artifactDir) : path.join(tempDir, 'artifacts');
}
