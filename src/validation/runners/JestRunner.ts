import { readFileSync, realpathSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CoverageData } from '../../coverage/CoverageData.js';
import { repoRelativePath } from '../../coverage/repoRelativePath.js';
import { findInNodeModules } from '../../repo/installedPackage.js';
import { condenseFailureText } from '../condenseFailureText.js';
import {
  countCases,
  coverageByTestFile,
  escapeGlob,
  MESSAGE_CAP,
  noResultsError,
  packageVersion,
  readJsonRecords,
  realDir,
  runRunnerProcess,
  versionAtLeast
} from './runnerSupport.js';
import type { SuiteOutcome, TestRunnerCapabilities, TestRunRequest, TestRunResult, TestRunner } from './TestRunner.js';
import { TestRunnerNotFoundError } from './TestRunnerNotFoundError.js';

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
    const realBin = realpathSync(bin);
    // bin/jest.js sits one level below the package's root.
    return new JestRunner(realBin, nodeOptionsFromTestScript(packageDir), packageVersion(path.dirname(path.dirname(realBin))));
  }

  async run(request: TestRunRequest): Promise<TestRunResult> {
    const rootDir = realDir(request.rootDir);
    const outputDir = path.resolve(request.outputDir);
    const resultFile = path.join(outputDir, 'jest-result.json');
    const coverageDir = path.join(outputDir, 'coverage');
    const perFileDir = path.join(outputDir, 'coverage-by-test-file');
    const measure = request.coverageFiles.length > 0;
    const args = ['--ci', '--json', `--outputFile=${resultFile}`, '--passWithNoTests', '--forceExit', '--no-watchman', '--testLocationInResults'];
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
    const reporterSettings: Record<string, string> = {};
    if (request.testFiles) {
      await mkdir(perFileDir, { recursive: true });
      const reporter = path.join(outputDir, 'aqe-per-test-file-reporter.cjs');
      await writeFile(reporter, PER_TEST_FILE_REPORTER);
      // Only our reporter: the default one prints per-test progress nobody reads, into a capped buffer.
      args.push(`--reporters=${reporter}`);
      reporterSettings.AQE_PER_TEST_FILE_DIR = perFileDir;
      if (request.perFileCoverage) reporterSettings.AQE_PER_TEST_FILE_COVERAGE = '1';
    }
    if (request.shuffleSeed !== undefined && this.capabilities.shuffle) args.push('--randomize', `--seed=${request.shuffleSeed}`);
    if (request.testCaseTimeoutMs !== undefined) args.push(`--testTimeout=${request.testCaseTimeoutMs}`);
    if (request.testFiles) {
      const workers = request.workers ?? 1;
      args.push(...(workers <= 1 || request.testFiles.length <= 1 ? ['--runInBand'] : [`--maxWorkers=${workers}`]), '--runTestsByPath', ...request.testFiles);
    } else if (request.workers !== undefined) {
      args.push(`--maxWorkers=${request.workers}`);
    }
    // Its transform cache would otherwise go to the temp directory, which the sandbox gives each run afresh.
    args.push(`--cacheDirectory=${request.sandbox.cacheDirectory('jest')}`);
    // Our reporter writes each file's record as it ends (onTestResult), in every jest version.
    const result = await runRunnerProcess(request, {
      bin: this.jestBin,
      args,
      cwd: rootDir,
      nodeOptions: this.nodeOptions,
      set: reporterSettings,
      ...(request.testFiles ? { progressDir: perFileDir } : {})
    });
    const coverage = await CoverageData.readIstanbulJson(path.join(coverageDir, 'coverage-final.json'), rootDir);
    const perFile = request.testFiles ? await readPerTestFileRecords(perFileDir) : [];
    const byTestFile =
      measure && request.perFileCoverage
        ? await coverageByTestFile(
            perFile.filter((r) => r.coverage !== undefined).map((r) => ({ testFiles: [r.result.name], coverage: r.coverage })),
            rootDir
          )
        : undefined;
    const measured = { coverage, ...(byTestFile ? { coverageByTestFile: byTestFile } : {}), durationMs: result.durationMs };
    const parsed = await readJestJson(resultFile, rootDir);
    if (!parsed) {
      // Files that finished before a time limit or crash still count: the reporter wrote them as they ended.
      const finished = toOutcomes({ testResults: perFile.map((r) => r.result) }, rootDir);
      return { timedOut: result.timedOut, runnerError: noResultsError(this.name, result, request), ...finished, ...measured };
    }
    return { ...parsed, timedOut: result.timedOut, ...measured };
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
    // jest's other statuses are no failure: 'focused' (some cases skipped or to do), 'skipped' (all of them).
    // A failed file with no case to show never ran (compile error, no test declared).
    const failed = suite.status === 'failed' || tests.some((t) => t.status === 'failed');
    return {
      file: repoRelativePath(suite.name, rootDir),
      status: failed && tests.length === 0 ? 'error' : failed ? 'failed' : 'passed',
      message: condenseFailureText(suite.testExecError?.message ?? suite.message ?? '', MESSAGE_CAP),
      tests
    };
  });
  return { suites, ...countCases(suites) };
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
  return (await readJsonRecords(dir)).map((r) => r.data as PerTestFileRecord);
}
