import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { CoverageData } from '../../coverage/CoverageData.js';
import { repoRelativePath } from '../../coverage/repoRelativePath.js';
import type { ProcessResult, StallCheck } from '../../process/runProcess.js';
import { condenseFailureText } from '../condenseFailureText.js';
import { isIstanbulCoverageData } from '../istanbulCoverageData.js';
import type { SuiteOutcome, TestRunner, TestRunRequest } from './TestRunner.js';

/** What the jest and vitest drivers share: how the runner process is started and how what it leaves is read. */

/** Longest failure or error text kept per case, suite or run: enough for a repair prompt and a report line. */
export const MESSAGE_CAP = 4000;

/** Our reporters print nothing, so output is only what a crash or a config error says; more than this is noise. */
const MAX_OUTPUT_BYTES = 256 * 1024;

/**
 * Starts the runner's entry script with the Node running aqe, inside the request's sandbox, capped
 * in time and output. The sandbox builds the environment from an allow-list; the runner adds only
 * the NODE_OPTIONS it needs (jest's ESM flag) and its reporters' settings. `progressDir` is where the runner's
 * reporter writes a record as each test file ends, which the request's stallMs watches.
 */
export function runRunnerProcess(
  request: TestRunRequest,
  spec: { bin: string; args: readonly string[]; cwd: string; nodeOptions?: string; set?: Readonly<Record<string, string>>; progressDir?: string }
): Promise<ProcessResult> {
  const stalled = request.stallMs !== undefined && spec.progressDir !== undefined ? stallCheck(spec.progressDir, request.stallMs) : undefined;
  return request.sandbox.run({
    label: request.label,
    code: request.code,
    script: spec.bin,
    args: spec.args,
    cwd: spec.cwd,
    writable: [path.resolve(request.outputDir)],
    ...(spec.nodeOptions ? { nodeOptions: spec.nodeOptions } : {}),
    ...(spec.set ? { set: spec.set } : {}),
    timeoutMs: request.timeoutMs,
    maxOutputBytes: MAX_OUTPUT_BYTES,
    ...(stalled ? { stalled } : {})
  });
}

/**
 * True once `dir` has gained no entry for `stallMs`. The run's code can write there too: a record it fakes only keeps
 * the run going up to its time limit, and one it holds back only sends its files to be run again alone.
 */
function stallCheck(dir: string, stallMs: number): StallCheck {
  let entries = 0;
  let changed = Date.now();
  return {
    everyMs: Math.max(100, Math.min(1000, Math.floor(stallMs / 10))),
    check: () => {
      let now: number;
      try {
        now = readdirSync(dir).length;
      } catch {
        now = entries;
      }
      if (now !== entries) {
        entries = now;
        changed = Date.now();
      }
      return Date.now() - changed >= stallMs;
    }
  };
}

/** TestRunResult.runnerError for a run that left no complete results: stopped at its time limit, or failed before reporting (bad config, crash). */
export function noResultsError(runner: TestRunner['name'], result: ProcessResult, request: Pick<TestRunRequest, 'timeoutMs' | 'stallMs'>): string {
  const seconds = (ms: number): number => Math.round(ms / 1000);
  if (result.stalled && request.stallMs !== undefined)
    return `${runner} was stopped when no test file had finished for ${seconds(request.stallMs)} s (test-timeout)`;
  if (result.timedOut) return `${runner} was stopped after ${seconds(request.timeoutMs)} s (test-timeout)`;
  const output = `${result.stderr}\n${result.stdout}`.trim();
  return `${runner} produced no results (exit ${result.exitCode ?? result.signal}): ${condenseFailureText(output, MESSAGE_CAP)}`;
}

/** The `version` of the package.json in `packageDir`, or "0.0.0" when there is none to read (which no capability check accepts). */
export function packageVersion(packageDir: string): string {
  try {
    const { version } = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof version === 'string' ? version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/**
 * Major and minor of a package version. A prerelease counts as the release it leads to
 * (5.0.0-beta.1 is 5.0): the options and hand-overs checked against versions land in the
 * prereleases first. Anything that does not start with a number reads as 0.0.
 */
function majorMinor(version: string): [number, number] {
  const match = /^\s*v?(\d+)(?:\.(\d+))?/.exec(version);
  return match ? [Number(match[1]), Number(match[2] ?? 0)] : [0, 0];
}

export function majorVersion(version: string): number {
  return majorMinor(version)[0];
}

export function versionAtLeast(version: string, major: number, minor: number): boolean {
  const [a, b] = majorMinor(version);
  return a > major || (a === major && b >= minor);
}

/** A repo-relative path as a glob that matches only that file (jest's collectCoverageFrom, vitest's coverage.include). */
export function escapeGlob(file: string): string {
  return file.replace(/[*?[\]{}()!+@]/g, (c) => `\\${c}`);
}

/**
 * The directory without symbolic links, as the runners see it: both report test files and
 * coverage under the real path, so repo-relative paths must be taken from it too.
 */
export function realDir(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return path.resolve(dir);
  }
}

/**
 * The JSON files our reporters wrote into `dir`, in the order they were written (names end in a
 * counter). A file that does not parse was cut short by a kill at the time limit: what it would
 * have said did not finish, so it is left out.
 */
export async function readJsonRecords(dir: string): Promise<Array<{ name: string; data: unknown }>> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const records: Array<{ name: string; data: unknown }> = [];
  for (const name of names) {
    try {
      records.push({ name, data: JSON.parse(await readFile(path.join(dir, name), 'utf8')) as unknown });
    } catch {
      // cut short: see above
    }
  }
  return records;
}

/** The istanbul counters one test run handed over, for the test files it ran. */
export interface CoverageHandOver {
  testFiles: readonly string[];
  /** Counters on the transformed code; anything else (a runner that changed shape, a read that failed) is not trusted. */
  coverage?: unknown;
}

/**
 * Each test file's own coverage, keyed by its repo-relative path, or undefined when any hand-over
 * is not istanbul data: then no file's coverage can be trusted, and a missing entry must not read
 * as "covers nothing". A hand-over for several files at once cannot be split between them and is
 * left out.
 */
export async function coverageByTestFile(handOvers: readonly CoverageHandOver[], rootDir: string): Promise<Map<string, CoverageData> | undefined> {
  if (handOvers.some((h) => !isIstanbulCoverageData(h.coverage))) return undefined;
  const byFile = new Map<string, CoverageData>();
  for (const { testFiles, coverage } of handOvers) {
    if (testFiles.length !== 1) continue;
    byFile.set(
      repoRelativePath(path.resolve(rootDir, testFiles[0]!), rootDir),
      await CoverageData.fromTransformedIstanbulData(coverage as Record<string, unknown>, rootDir)
    );
  }
  return byFile;
}

/** Passed and failed cases over all suites (skipped ones count as neither). */
export function countCases(suites: readonly SuiteOutcome[]): { passed: number; failed: number } {
  const count = (status: 'passed' | 'failed'): number => suites.reduce((n, s) => n + s.tests.filter((t) => t.status === status).length, 0);
  return { passed: count('passed'), failed: count('failed') };
}
