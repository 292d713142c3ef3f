import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CoverageData } from '../../coverage/CoverageData.js';
import { runProcess } from '../../process/runProcess.js';
import { findInNodeModules } from '../../repo/installedPackage.js';
import { condenseFailureText } from '../condenseFailureText.js';
import type { SuiteOutcome, TestRunnerCapabilities, TestRunRequest, TestRunResult, TestRunner } from './TestRunner.js';
import { TestRunnerNotFoundError } from './TestRunnerNotFoundError.js';

const MESSAGE_CAP = 4000;

/**
 * Runs the repository's own jest (its version, its config) with machine-readable results and
 * istanbul coverage limited to the files under test.
 */
export class JestRunner implements TestRunner {
  readonly name = 'jest';
  readonly capabilities: TestRunnerCapabilities;

  private constructor(
    private readonly jestBin: string,
    private readonly nodeOptions: string,
    version: string
  ) {
    // Per-file coverage needs TestResult.coverage (all jest versions in use); --randomize came in 29.2.
    this.capabilities = { perFileCoverage: true, shuffle: versionAtLeast(version, 29, 2) };
  }

  /**
   * Finds jest installed for a package: in its node_modules or hoisted to a parent, up to the
   * repository root. The user's workflow must have installed dependencies.
   */
  static locate(packageDir: string, repoDir: string = packageDir): JestRunner {
    const bin = findInNodeModules(packageDir, path.join('jest', 'bin', 'jest.js'), repoDir);
    if (!bin) {
      throw new TestRunnerNotFoundError(
        `jest is not installed in ${packageDir} (no node_modules/jest there${packageDir === repoDir ? '' : ` or in a parent up to ${repoDir}`}). Install the repository's dependencies before this step (for example \`npm ci\`), or set working-directory to the package that owns the tests.`
      );
    }
    return new JestRunner(realpathSync(bin), nodeOptionsFromTestScript(packageDir), jestVersion(bin));
  }

  async run(request: TestRunRequest): Promise<TestRunResult> {
    const resultFile = path.join(request.outputDir, 'jest-result.json');
    const coverageDir = path.join(request.outputDir, 'coverage');
    const perFileDir = path.join(request.outputDir, 'coverage-by-test-file');
    const measure = request.coverageFiles.length > 0;
    const args = [this.jestBin, '--ci', '--json', `--outputFile=${resultFile}`, '--passWithNoTests', '--forceExit', '--no-watchman', '--testLocationInResults'];
    if (measure) {
      args.push(
        '--coverage',
        // Per-file coverage comes from istanbul counters in each test file's TestResult; v8 coverage has none.
        '--coverageProvider=babel',
        '--coverageReporters=json',
        `--coverageDirectory=${coverageDir}`,
        // The repository's thresholds judge its whole suite; one candidate file would always miss them.
        '--coverageThreshold={}',
        ...request.coverageFiles.map((f) => `--collectCoverageFrom=${escapeGlob(f)}`)
      );
    }
    const env = testEnvironment(this.nodeOptions);
    if (request.testFiles) {
      await mkdir(perFileDir, { recursive: true });
      const reporter = path.join(request.outputDir, 'aqe-per-test-file-reporter.cjs');
      await writeFile(reporter, PER_TEST_FILE_REPORTER);
      // Only our reporter: the default one prints per-test progress nobody reads, into a capped buffer.
      args.push(`--reporters=${reporter}`);
      env.AQE_PER_TEST_FILE_DIR = perFileDir;
      if (request.perFileCoverage) env.AQE_PER_TEST_FILE_COVERAGE = '1';
    }
    if (request.shuffleSeed !== undefined && this.capabilities.shuffle) args.push('--randomize', `--seed=${request.shuffleSeed}`);
    if (request.testCaseTimeoutMs !== undefined) args.push(`--testTimeout=${request.testCaseTimeoutMs}`);
    if (request.testFiles) {
      const workers = request.workers ?? 1;
      args.push(...(workers <= 1 || request.testFiles.length <= 1 ? ['--runInBand'] : [`--maxWorkers=${workers}`]), '--runTestsByPath', ...request.testFiles);
    } else if (request.workers !== undefined) {
      args.push(`--maxWorkers=${request.workers}`);
    }
    const result = await runProcess({
      command: process.execPath,
      args,
      cwd: request.rootDir,
      env,
      timeoutMs: request.timeoutMs,
      maxOutputBytes: 256 * 1024
    });
    const coverage = await CoverageData.readIstanbulJson(path.join(coverageDir, 'coverage-final.json'), request.rootDir);
    const perFile = request.testFiles ? await readPerTestFileRecords(perFileDir) : [];
    const coverageByTestFile = measure && request.perFileCoverage ? await coverageByFile(perFile, request.rootDir) : undefined;
    const parsed = await readJestJson(resultFile, request.rootDir);
    if (!parsed) {
      const output = `${result.stderr}\n${result.stdout}`.trim();
      // Files that finished before a time limit or crash still count: the reporter wrote them as they ended.
      const finished = toOutcomes({ testResults: perFile.map((r) => r.result) }, request.rootDir);
      return {
        timedOut: result.timedOut,
        runnerError: result.timedOut
          ? `jest was stopped after ${Math.round(request.timeoutMs / 1000)} s (test-timeout)`
          : `jest produced no results (exit ${result.exitCode ?? result.signal}): ${condenseFailureText(output, MESSAGE_CAP)}`,
        ...finished,
        coverage,
        ...(coverageByTestFile ? { coverageByTestFile } : {}),
        durationMs: result.durationMs
      };
    }
    return { ...parsed, timedOut: result.timedOut, coverage, ...(coverageByTestFile ? { coverageByTestFile } : {}), durationMs: result.durationMs };
  }
}

interface JestJson {
  testResults?: Array<{
    name: string;
    status?: string;
    message?: string;
    testExecError?: { message?: string };
    assertionResults?: Array<{
      fullName?: string;
      title?: string;
      ancestorTitles?: string[];
      status?: string;
      failureMessages?: string[];
      location?: { line: number; column: number } | null;
    }>;
  }>;
}

async function readJestJson(file: string, rootDir: string): Promise<Pick<TestRunResult, 'suites' | 'passed' | 'failed'> | undefined> {
  let json: JestJson;
  try {
    json = JSON.parse(await readFile(file, 'utf8')) as JestJson;
  } catch {
    return undefined;
  }
  return toOutcomes(json, rootDir);
}

function toOutcomes(json: JestJson, rootDir: string): Pick<TestRunResult, 'suites' | 'passed' | 'failed'> {
  const suites: SuiteOutcome[] = (json.testResults ?? []).map((suite) => {
    const tests = (suite.assertionResults ?? []).map((t) => ({
      name: t.fullName ?? t.title ?? '(unnamed)',
      title: t.title ?? t.fullName ?? '(unnamed)',
      ancestors: t.ancestorTitles ?? [],
      ...(t.location ? { line: t.location.line } : {}),
      status: t.status === 'passed' ? ('passed' as const) : t.status === 'failed' ? ('failed' as const) : ('skipped' as const),
      failureMessage: condenseFailureText((t.failureMessages ?? []).join('\n'), MESSAGE_CAP)
    }));
    const failedToRun = suite.status === 'failed' && tests.length === 0;
    return {
      file: path.relative(rootDir, suite.name).split(path.sep).join('/'),
      status: failedToRun ? 'error' : suite.status === 'passed' ? 'passed' : 'failed',
      message: condenseFailureText(suite.testExecError?.message ?? suite.message ?? '', MESSAGE_CAP),
      tests
    };
  });
  const count = (status: string): number => suites.reduce((n, s) => n + s.tests.filter((t) => t.status === status).length, 0);
  return { suites, passed: count('passed'), failed: count('failed') };
}

/** Repositories whose test script enables ESM jest need the same flag when we call jest directly. */
function nodeOptionsFromTestScript(repoDir: string): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(repoDir, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
    const script = pkg.scripts?.test ?? '';
    return script.includes('--experimental-vm-modules') ? '--experimental-vm-modules' : '';
  } catch {
    return '';
  }
}

function testEnvironment(nodeOptions: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true', FORCE_COLOR: '0', NO_COLOR: '1' };
  // Our own runtime's settings (including those of a jest that may be running us) must not leak in.
  for (const key of Object.keys(env)) {
    if (key.startsWith('JEST_') || key.startsWith('INPUT_')) delete env[key];
  }
  delete env.NODE_OPTIONS;
  delete env.NODE_ENV;
  if (nodeOptions) env.NODE_OPTIONS = nodeOptions;
  return env;
}

/**
 * A jest reporter (it runs in jest's main process) that writes each test file's result, in the
 * shape of jest's --json output, and optionally its own istanbul counters, as soon as that file
 * finishes. A batch killed at its time limit still leaves the results of every file that ended,
 * and per-file counters are what lets one process judge many candidates.
 */
const PER_TEST_FILE_REPORTER = `'use strict';
const fs = require('node:fs');
const path = require('node:path');
class AqePerTestFile {
  constructor() { this.dir = process.env.AQE_PER_TEST_FILE_DIR; this.coverage = process.env.AQE_PER_TEST_FILE_COVERAGE === '1'; this.n = 0; }
  onTestResult(test, r) {
    if (!this.dir) return;
    const failed = r.numFailingTests > 0 || !!r.testExecError;
    const result = {
      name: r.testFilePath,
      status: failed ? 'failed' : 'passed',
      message: r.failureMessage || '',
      testExecError: r.testExecError ? { message: r.testExecError.message } : undefined,
      assertionResults: r.testResults
    };
    const record = { result, coverage: this.coverage ? r.coverage : undefined };
    fs.writeFileSync(path.join(this.dir, String(this.n++) + '.json'), JSON.stringify(record));
  }
}
module.exports = AqePerTestFile;
`;

type JestSuiteJson = NonNullable<JestJson['testResults']>[number];

interface PerTestFileRecord {
  result: JestSuiteJson;
  coverage?: Record<string, unknown>;
}

async function readPerTestFileRecords(dir: string): Promise<PerTestFileRecord[]> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  const records: PerTestFileRecord[] = [];
  for (const entry of entries.filter((e) => e.endsWith('.json'))) {
    try {
      records.push(JSON.parse(await readFile(path.join(dir, entry), 'utf8')) as PerTestFileRecord);
    } catch {
      // A record cut short by a kill at the time limit: that file did not finish.
    }
  }
  return records;
}

async function coverageByFile(records: PerTestFileRecord[], rootDir: string): Promise<Map<string, CoverageData>> {
  const byFile = new Map<string, CoverageData>();
  for (const { result, coverage } of records) {
    if (coverage) byFile.set(path.relative(rootDir, result.name).split(path.sep).join('/'), await CoverageData.fromTransformedIstanbulData(coverage, rootDir));
  }
  return byFile;
}

function jestVersion(bin: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(path.dirname(bin), '..', 'package.json'), 'utf8')) as { version?: string }).version ?? '0';
  } catch {
    return '0';
  }
}

function versionAtLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split('.').map((n) => Number.parseInt(n, 10) || 0);
  return a > major || (a === major && b >= minor);
}

function escapeGlob(file: string): string {
  return file.replace(/[*?[\]{}()!+@]/g, (c) => `\\${c}`);
}

