import { realpathSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CoverageData } from '../../coverage/CoverageData.js';
import { repoRelativePath } from '../../coverage/repoRelativePath.js';
import { findInNodeModules } from '../../repo/installedPackage.js';
import { condenseFailureText, stripAnsi } from '../condenseFailureText.js';
import {
  countCases,
  coverageByTestFile,
  escapeGlob,
  majorVersion,
  MESSAGE_CAP,
  noResultsError,
  packageVersion,
  readJsonRecords,
  realDir,
  runRunnerProcess,
  versionAtLeast
} from './runnerSupport.js';
import type { SuiteOutcome, TestCaseOutcome, TestRunnerCapabilities, TestRunRequest, TestRunResult, TestRunner } from './TestRunner.js';
import { TestRunnerNotFoundError } from './TestRunnerNotFoundError.js';

const VITEST_BIN = path.join('vitest', 'vitest.mjs');
/** vitest majors whose istanbul hand-over (RECORDING_REPORTER) was verified: 4 passes the counters, 5 a file holding them. */
const PER_FILE_COVERAGE_MAJORS: ReadonlySet<number> = new Set([4, 5]);

/** States of a test file that ran to its end ('run' and 'queued' are not), in vitest 1 to 5. */
const FINISHED_STATES: ReadonlySet<string> = new Set(['pass', 'fail', 'skip', 'todo']);

export type VitestCoverageProvider = 'istanbul' | 'v8';

/**
 * Runs the repository's own vitest (its version, its config) with a reporter of ours that records
 * each test file's results, and istanbul coverage limited to the files under test. Paths in requests and results are relative to
 * `request.rootDir`, the directory vitest runs in (the package that owns the tests), as with jest.
 */
export class VitestRunner implements TestRunner {
  readonly name = 'vitest';
  readonly capabilities: TestRunnerCapabilities;

  private constructor(
    private readonly vitestBin: string,
    readonly version: string,
    readonly coverageProvider: VitestCoverageProvider
  ) {
    // Per-file coverage taps the istanbul provider's per-file hand-over, whose shape changes between
    // majors: only those it was verified on claim it, any other takes one coverage run per candidate.
    // v8's raw data is not istanbul's. Shuffling (--sequence.shuffle --sequence.seed) is in every version.
    this.capabilities = { perFileCoverage: PER_FILE_COVERAGE_MAJORS.has(majorVersion(version)) && coverageProvider === 'istanbul', shuffle: true };
  }

  /**
   * Finds vitest installed for the package in `packageDir`: in its own node_modules or hoisted to
   * a parent up to `repoDir` (workspaces). The coverage provider must be installed too; istanbul
   * is preferred because it measures the same way jest does, v8 is the fallback.
   */
  static locate(packageDir: string, repoDir: string = packageDir): VitestRunner {
    const bin = findInNodeModules(packageDir, VITEST_BIN, repoDir);
    if (!bin) {
      throw new TestRunnerNotFoundError(
        `vitest is not installed for ${packageDir} (no node_modules/vitest there or in a parent up to ${repoDir}). Install the repository's dependencies before this step (for example \`npm ci\`), or set working-directory to the package that owns the tests.`
      );
    }
    const realBin = realpathSync(bin);
    const version = packageVersion(path.dirname(realBin));
    if (!(majorVersion(version) >= 1)) {
      throw new TestRunnerNotFoundError(
        `vitest ${version} in ${packageDir} is too old: aqe drives vitest 1.0 or later. Upgrade vitest (and its coverage provider) in the repository.`
      );
    }
    // vitest checks for its coverage provider from the project root and from its own location.
    const installed = (name: string): boolean =>
      findInNodeModules(packageDir, path.join(name, 'package.json'), repoDir) !== undefined ||
      findInNodeModules(path.dirname(realBin), path.join(name, 'package.json')) !== undefined;
    const provider: VitestCoverageProvider | undefined = installed('@vitest/coverage-istanbul')
      ? 'istanbul'
      : installed('@vitest/coverage-v8')
        ? 'v8'
        : undefined;
    if (!provider) {
      throw new TestRunnerNotFoundError(
        `vitest in ${packageDir} has no coverage provider installed, and aqe needs coverage to judge tests. Add @vitest/coverage-istanbul@${version} (or @vitest/coverage-v8@${version}) to the package's devDependencies and install them before this step.`
      );
    }
    return new VitestRunner(realBin, version, provider);
  }

  async run(request: TestRunRequest): Promise<TestRunResult> {
    const rootDir = realDir(request.rootDir);
    const outputDir = path.resolve(request.outputDir);
    const recordsDir = path.join(outputDir, 'vitest-records');
    const coverageDir = path.join(outputDir, 'coverage');
    const reporter = path.join(outputDir, 'aqe-vitest-reporter.mjs');
    await mkdir(recordsDir, { recursive: true });
    await writeFile(reporter, RECORDING_REPORTER);
    const perFileCoverage = request.perFileCoverage === true && request.coverageFiles.length > 0 && this.capabilities.perFileCoverage;
    const result = await runRunnerProcess(request, {
      bin: this.vitestBin,
      args: this.arguments(request, reporter, coverageDir, perFileCoverage),
      cwd: rootDir,
      set: { AQE_VITEST_RECORDS_DIR: recordsDir, ...(perFileCoverage ? { AQE_VITEST_PER_FILE_COVERAGE: '1' } : {}) },
      // vitest 1 and 2 tell reporters of files only when the whole run ends (onFinished): nothing to watch before.
      ...(majorVersion(this.version) >= 3 ? { progressDir: recordsDir } : {})
    });
    const coverage = await CoverageData.readIstanbulJson(path.join(coverageDir, 'coverage-final.json'), rootDir);
    const records = await readRecords(recordsDir);
    // A hand-over that did not happen or held something else leaves the run without per-file
    // coverage, so the caller measures each file alone, rather than with empty coverage.
    const byTestFile = perFileCoverage && records.coverageHook?.installed === true ? await coverageByTestFile(records.coverage, rootDir) : undefined;
    // Files that finished before a time limit or crash still count: the reporter wrote each as it ended. One that
    // was still running is no result: vitest, seeing its worker killed, may end the run and report it as it stood.
    // Unhandled errors are placed among all the files the run had, so one that cannot be placed does not fall to the
    // one file left when the others did not finish.
    const files = records.files.map((f) => repoRelativePath(f.file, rootDir));
    const unhandled = placeUnhandledErrors(records.unhandled ?? [], files, rootDir);
    const suites = records.files.flatMap((f, i) =>
      f.state !== undefined && FINISHED_STATES.has(f.state) ? [toSuiteOutcome(f, files[i]!, unhandled.get(files[i]!) ?? [])] : []
    );
    const outcome = { suites, ...countCases(suites), coverage, ...(byTestFile ? { coverageByTestFile: byTestFile } : {}), durationMs: result.durationMs };
    if (result.timedOut || records.unhandled === undefined) {
      return { ...outcome, timedOut: result.timedOut, runnerError: noResultsError(this.name, result, request) };
    }
    return { ...outcome, timedOut: false };
  }

  private arguments(request: TestRunRequest, reporter: string, coverageDir: string, perFileCoverage: boolean): string[] {
    const args = [
      'run', // `run` never watches, whatever the config says
      // Only our reporter: it writes each file's results as the file ends, with what the json
      // reporter drops (error messages beside stacks, unhandled errors); nothing prints progress.
      `--reporter=${reporter}`,
      // No --passWithNoTests: in vitest it also passes a file that declares no test. A run that
      // finds no test file still ends normally for our reporter, with no files.
      '--silent', // the tests' console output has no reader
      '--no-cache' // the results cache lives in node_modules, which may be linked to the user's
    ];
    if (versionAtLeast(this.version, 1, 4)) args.push('--includeTaskLocation');
    if (request.coverageFiles.length > 0) {
      args.push(
        '--coverage.enabled',
        `--coverage.provider=${this.coverageProvider}`,
        '--coverage.reporter=json',
        `--coverage.reportsDirectory=${coverageDir}`,
        // The baseline suite may have failing tests of its own; its coverage still counts.
        '--coverage.reportOnFailure',
        // The repository's thresholds judge its whole suite; one candidate file would always miss them.
        '--coverage.thresholds.100=false',
        '--coverage.thresholds.autoUpdate=false',
        ...['lines', 'functions', 'branches', 'statements'].map((k) => `--coverage.thresholds.${k}=0`),
        ...request.coverageFiles.map((f) => `--coverage.include=${escapeGlob(f)}`)
      );
      // Coverage is handed over per worker run; isolation makes each run one test file.
      if (perFileCoverage) args.push('--isolate');
    } else {
      args.push('--coverage.enabled=false');
    }
    if (request.shuffleSeed !== undefined) args.push('--sequence.shuffle', `--sequence.seed=${request.shuffleSeed}`);
    if (request.testCaseTimeoutMs !== undefined) {
      args.push(`--testTimeout=${request.testCaseTimeoutMs}`, `--hookTimeout=${request.testCaseTimeoutMs}`);
    }
    if (request.workers !== undefined) {
      args.push(`--maxWorkers=${request.workers}`);
      // vitest 1-3 also have minWorkers, and refuse a maximum below a configured minimum; 4 dropped it.
      if (majorVersion(this.version) < 4) args.push('--minWorkers=1');
    }
    // Filters match file paths by substring, so a repo-relative path selects that file (and any
    // other test file whose path contains it whole).
    if (request.testFiles) args.push(...request.testFiles);
    return args;
  }
}

/**
 * A vitest reporter (it runs in vitest's main process; vitest 1-5) that writes one record per test
 * file as soon as the file ends, the run's unhandled errors when it ends, and, when asked, the raw
 * istanbul counters each test file's run handed to the coverage provider. vitest 4 hands the
 * counters over as they are; vitest 5's worker writes them to a JSON file and hands over its name
 * (the provider reads and deletes it when the run ends), so a string is read at once. Whatever the
 * hand-over held is recorded as it is: coverageByFile decides whether it is istanbul data.
 */
const RECORDING_REPORTER = `import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.env.AQE_VITEST_RECORDS_DIR;
const perFileCoverage = process.env.AQE_VITEST_PER_FILE_COVERAGE === '1';
const errorsOf = (task) => (task.result?.errors ?? []).map((e) => ({ name: e?.name, message: e?.message, stack: e?.stack, diff: e?.diff }));

function fileRecord(file) {
  const record = { file: file.filepath, state: file.result?.state, errors: errorsOf(file), suiteErrors: [], tests: [] };
  const walk = (task, ancestors) => {
    for (const child of task.tasks ?? []) {
      if (child.type === 'suite') {
        const errors = errorsOf(child);
        if (errors.length > 0) record.suiteErrors.push({ suite: [...ancestors, child.name].join(' '), errors });
        walk(child, [...ancestors, child.name]);
      } else {
        record.tests.push({ title: child.name, ancestors, state: child.result?.state, errors: errorsOf(child), line: child.location?.line });
      }
    }
  };
  walk(file, []);
  return record;
}

// vitest 4's counters carry the source map of the code they count (inputSourceMap); vitest 5's do
// not, its provider keeps the maps per vite environment and applies them when it reports. The
// same maps are attached here, so the counters map back to source lines as they do in vitest 4.
function withSourceMaps(coverage, provider, vitest, meta) {
  if (!coverage || typeof coverage !== 'object' || typeof provider.getInputSourceMaps !== 'function') return;
  const maps = provider.getInputSourceMaps(vitest.getProjectByName(meta.projectName ?? ''), meta.environment);
  if (!maps) return;
  for (const [file, data] of Object.entries(coverage)) {
    const map = maps.get(file);
    if (map && data && typeof data === 'object' && !data.inputSourceMap) data.inputSourceMap = { ...map, sourcesContent: undefined };
  }
}

export default class AqeRecordingReporter {
  written = new Set();
  n = 0;
  ended = false;

  onInit(vitest) {
    if (!perFileCoverage) return;
    const provider = vitest.coverageProvider;
    if (!provider || typeof provider.onAfterSuiteRun !== 'function') {
      writeFileSync(path.join(dir, 'coverage-hook.json'), JSON.stringify({ installed: false, reason: provider ? 'the coverage provider has no onAfterSuiteRun' : 'vitest had no coverage provider when reporters started' }));
      return;
    }
    const handOver = provider.onAfterSuiteRun.bind(provider);
    let k = 0;
    provider.onAfterSuiteRun = (meta) => {
      if (meta?.coverage && Array.isArray(meta.testFiles)) {
        let record;
        try {
          const coverage = typeof meta.coverage === 'string' ? JSON.parse(readFileSync(meta.coverage, 'utf8')) : meta.coverage;
          withSourceMaps(coverage, provider, vitest, meta);
          record = JSON.stringify({ testFiles: meta.testFiles, coverage });
        } catch (error) {
          record = JSON.stringify({ testFiles: meta.testFiles, unreadable: String(error?.message ?? error) });
        }
        writeFileSync(path.join(dir, 'coverage-' + k++ + '.json'), record);
      }
      return handOver(meta);
    };
    writeFileSync(path.join(dir, 'coverage-hook.json'), JSON.stringify({ installed: true }));
  }

  write(file) {
    if (!file || this.written.has(file.filepath)) return;
    this.written.add(file.filepath);
    writeFileSync(path.join(dir, 'file-' + this.n++ + '.json'), JSON.stringify(fileRecord(file)));
  }

  end(files, errors) {
    if (this.ended) return;
    this.ended = true;
    for (const file of files ?? []) this.write(file);
    const unhandled = (errors ?? []).map((e) => ({ name: e?.name, message: e?.message, stack: e?.stack, testPath: e?.VITEST_TEST_PATH, testName: e?.VITEST_TEST_NAME }));
    writeFileSync(path.join(dir, 'unhandled.json'), JSON.stringify(unhandled));
  }

  // vitest 3 to 5
  onTestModuleEnd(testModule) {
    this.write(testModule?.task);
  }
  onTestRunEnd(testModules, unhandledErrors) {
    this.end((testModules ?? []).map((m) => m?.task), unhandledErrors);
  }
  // vitest 1 and 2 (3 calls both; the first wins)
  onFinished(files, errors) {
    this.end(files, errors);
  }
}
`;

interface RecordedError {
  name?: string;
  message?: string;
  stack?: string;
  diff?: string;
}

interface FileRecord {
  file: string;
  state?: string;
  errors: RecordedError[];
  suiteErrors: Array<{ suite: string; errors: RecordedError[] }>;
  tests: Array<{ title: string; ancestors: string[]; state?: string; errors: RecordedError[]; line?: number }>;
}

interface UnhandledRecord extends RecordedError {
  /** The test file vitest attributes the error to (relative to its root), when it knows. */
  testPath?: string;
  testName?: string;
}

/** One hand-over to the coverage provider: what it held, or why that could not be read. */
interface CoverageRecord {
  testFiles: string[];
  coverage?: unknown;
  unreadable?: string;
}

interface Records {
  files: FileRecord[];
  /** Undefined when the run did not reach its end (killed, crashed, or failed before running tests). */
  unhandled?: UnhandledRecord[];
  /** Whether the reporter could tap the coverage hand-over (per-file coverage runs only). */
  coverageHook?: { installed: boolean; reason?: string };
  coverage: CoverageRecord[];
}

async function readRecords(dir: string): Promise<Records> {
  const records: Records = { files: [], coverage: [] };
  for (const { name: entry, data } of await readJsonRecords(dir)) {
    if (entry === 'unhandled.json') records.unhandled = data as UnhandledRecord[];
    else if (entry === 'coverage-hook.json') records.coverageHook = data as Records['coverageHook'];
    else if (entry.startsWith('file-')) records.files.push(data as FileRecord);
    else if (entry.startsWith('coverage-')) records.coverage.push(data as CoverageRecord);
  }
  return records;
}

function toSuiteOutcome(record: FileRecord, file: string, unhandled: readonly UnhandledRecord[]): SuiteOutcome {
  const tests: TestCaseOutcome[] = record.tests.map((t) => ({
    name: [...t.ancestors, t.title].join(' '),
    title: t.title,
    ancestors: t.ancestors,
    ...(t.line !== undefined ? { line: t.line } : {}),
    status: t.state === 'pass' ? 'passed' : t.state === 'fail' ? 'failed' : 'skipped',
    failureMessage: condenseFailureText(t.errors.map(describeError).join('\n\n'), MESSAGE_CAP)
  }));
  const messages = [
    ...record.errors.map(describeError),
    ...record.suiteErrors.flatMap((s) => s.errors.map((e) => `In "${s.suite}": ${describeError(e)}`)),
    ...unhandled.map((e) => `Unhandled ${describeError(e)}${e.testName ? `\n(thrown while or after "${e.testName}" ran)` : ''}`)
  ];
  const ran = tests.some((t) => t.status !== 'skipped');
  const failed = record.state === 'fail' || messages.length > 0 || tests.some((t) => t.status === 'failed');
  return {
    file,
    // A file that failed to import or transform, or declares no test, has no test that ran.
    status: failed && !ran ? 'error' : failed ? 'failed' : 'passed',
    message: condenseFailureText(messages.join('\n\n'), MESSAGE_CAP),
    tests
  };
}

/**
 * Unhandled errors (a timer that throws after its test ended, a rejection nobody awaited) fail
 * the file vitest attributes them to, as a failing afterAll does: the suite is 'failed' though
 * its tests passed. One vitest cannot place goes to the run's only file; with several files it
 * blames none of them.
 */
function placeUnhandledErrors(errors: readonly UnhandledRecord[], files: readonly string[], rootDir: string): Map<string, UnhandledRecord[]> {
  const placed = new Map<string, UnhandledRecord[]>();
  for (const error of errors) {
    const own = error.testPath === undefined ? undefined : repoRelativePath(path.resolve(rootDir, error.testPath), rootDir);
    const file = own !== undefined && files.includes(own) ? own : files.length === 1 ? files[0] : undefined;
    if (file !== undefined) placed.set(file, [...(placed.get(file) ?? []), error]);
  }
  return placed;
}

/**
 * "Name: message", the diff of an assertion, then the stack's frames. vitest's own stack may
 * start with a placeholder instead of the message (a test timeout's does), so the message is
 * never taken from the stack.
 */
function describeError(error: RecordedError): string {
  const head = `${error.name ?? 'Error'}: ${error.message ?? ''}`.trim();
  const frames = (error.stack ?? '')
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .slice(0, 8)
    .join('\n');
  return stripAnsi([head, error.diff, frames].filter((part) => part !== undefined && part !== '').join('\n'));
}
