import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CoverageData } from '../coverage/CoverageData.js';
import { runProcess } from '../process/runProcess.js';
import type { SuiteOutcome, TestRunRequest, TestRunResult, TestRunner } from './TestRunner.js';

export class TestRunnerNotFoundError extends Error {
  override readonly name = 'TestRunnerNotFoundError';
}

const MESSAGE_CAP = 4000;

/**
 * Runs the repository's own jest (its version, its config) with machine-readable results and
 * istanbul coverage limited to the files under test.
 */
export class JestRunner implements TestRunner {
  readonly name = 'jest';

  private constructor(
    private readonly jestBin: string,
    private readonly nodeOptions: string
  ) {}

  /** Finds jest installed in the repository; the user's workflow must have installed dependencies. */
  static locate(repoDir: string): JestRunner {
    const bin = path.join(repoDir, 'node_modules', 'jest', 'bin', 'jest.js');
    if (!existsSync(bin)) {
      throw new TestRunnerNotFoundError(
        `jest is not installed in ${repoDir} (no node_modules/jest). Install the repository's dependencies before this step (for example \`npm ci\`), or set working-directory to the package that owns the tests.`
      );
    }
    return new JestRunner(realpathSync(bin), nodeOptionsFromTestScript(repoDir));
  }

  async run(request: TestRunRequest): Promise<TestRunResult> {
    const resultFile = path.join(request.outputDir, 'jest-result.json');
    const coverageDir = path.join(request.outputDir, 'coverage');
    const args = [
      this.jestBin,
      '--ci',
      '--json',
      `--outputFile=${resultFile}`,
      '--coverage',
      '--coverageReporters=json',
      `--coverageDirectory=${coverageDir}`,
      // The repository's thresholds judge its whole suite; one candidate file would always miss them.
      '--coverageThreshold={}',
      '--passWithNoTests',
      '--forceExit',
      '--no-watchman',
      ...request.coverageFiles.map((f) => `--collectCoverageFrom=${escapeGlob(f)}`)
    ];
    if (request.testFiles) {
      args.push('--runInBand', '--runTestsByPath', ...request.testFiles);
    }
    const result = await runProcess({
      command: process.execPath,
      args,
      cwd: request.rootDir,
      env: testEnvironment(this.nodeOptions),
      timeoutMs: request.timeoutMs,
      maxOutputBytes: 256 * 1024
    });
    const coverage = await CoverageData.readIstanbulJson(path.join(coverageDir, 'coverage-final.json'), request.rootDir);
    const parsed = await readJestJson(resultFile, request.rootDir);
    if (!parsed) {
      const output = `${result.stderr}\n${result.stdout}`.trim();
      return {
        timedOut: result.timedOut,
        runnerError: result.timedOut
          ? `jest was stopped after ${Math.round(request.timeoutMs / 1000)} s (test-timeout)`
          : `jest produced no results (exit ${result.exitCode ?? result.signal}): ${tail(output, MESSAGE_CAP)}`,
        suites: [],
        passed: 0,
        failed: 0,
        coverage,
        durationMs: result.durationMs
      };
    }
    return { ...parsed, timedOut: result.timedOut, coverage, durationMs: result.durationMs };
  }
}

interface JestJson {
  testResults?: Array<{
    name: string;
    status?: string;
    message?: string;
    testExecError?: { message?: string };
    assertionResults?: Array<{ fullName?: string; title?: string; status?: string; failureMessages?: string[] }>;
  }>;
}

async function readJestJson(file: string, rootDir: string): Promise<Pick<TestRunResult, 'suites' | 'passed' | 'failed'> | undefined> {
  let json: JestJson;
  try {
    json = JSON.parse(await readFile(file, 'utf8')) as JestJson;
  } catch {
    return undefined;
  }
  const suites: SuiteOutcome[] = (json.testResults ?? []).map((suite) => {
    const tests = (suite.assertionResults ?? []).map((t) => ({
      name: t.fullName ?? t.title ?? '(unnamed)',
      status: t.status === 'passed' ? ('passed' as const) : t.status === 'failed' ? ('failed' as const) : ('skipped' as const),
      failureMessage: tail(stripAnsi((t.failureMessages ?? []).join('\n')), MESSAGE_CAP)
    }));
    const failedToRun = suite.status === 'failed' && tests.length === 0;
    return {
      file: path.relative(rootDir, suite.name).split(path.sep).join('/'),
      status: failedToRun ? 'error' : suite.status === 'passed' ? 'passed' : 'failed',
      message: tail(stripAnsi(suite.testExecError?.message ?? suite.message ?? ''), MESSAGE_CAP),
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

function escapeGlob(file: string): string {
  return file.replace(/[*?[\]{}()!+@]/g, (c) => `\\${c}`);
}

function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

export function tail(text: string, max: number): string {
  return text.length <= max ? text : `…${text.slice(text.length - max)}`;
}
