import type { Logger } from '../core/Logger.js';
import type { PackageBaseline } from '../core/verdicts.js';
import { baselineHealth, type BaselineHealth } from './baselineHealth.js';
import { firstLine } from './condenseFailureText.js';
import type { TestRunResult } from './runners/TestRunner.js';

export interface Baseline {
  /** The suite's run, coverage of the targets included. */
  result: TestRunResult;
  health: BaselineHealth;
  figures: PackageBaseline;
}

export interface BaselineRequest {
  /** Runs the package's whole suite with coverage of its targets, within `timeoutMs`. */
  runSuite: (timeoutMs: number) => Promise<TestRunResult>;
  runnerName: string;
  /** Repo-relative package directory ('' = root). */
  packageDir: string;
  timeoutMs: number;
  logger: Logger;
  warn: (message: string) => void;
}

/**
 * The repository's own suite, measured before any generated test is added: what it covers, and
 * whether it is healthy enough for that to mean something. Each broken test file and a suite that
 * did not start or finish is named in a warning, with the runner's own words.
 */
export async function runBaseline(request: BaselineRequest): Promise<Baseline> {
  const { runnerName: runner, packageDir, logger, warn } = request;
  const label = packageDir === '' ? '' : ` (${packageDir}, ${runner})`;
  const result = await logger.group(`Baseline: the ${runner} suite with coverage${label}`, () => request.runSuite(request.timeoutMs));
  const health = baselineHealth(result, packageDir, (file) => (packageDir === '' ? file : `${packageDir}/${file}`));
  const broken = health.brokenTestFiles;
  if (broken.length > 0) {
    const shown = broken.slice(0, 5).map((b) => `${b.file}: ${firstLine(b.error)}`);
    warn(
      `${broken.length} existing test file(s)${label} could not be compiled or loaded, so their tests did not run and coverage before is measured without them: ${shown.join('; ')}${broken.length > 5 ? '; …' : ''}. Fix them (run ${runner} locally) for true figures.`
    );
  }
  if (health.runFailure?.kind === 'did-not-start') {
    warn(
      `The existing ${runner} suite${label} did not start: ${health.runFailure.error}\nFix the test setup (run ${runner} locally in that directory) and run again; no test was generated for it.`
    );
  } else if (health.runFailure?.kind === 'timed-out') {
    warn(
      `The existing ${runner} suite${label} did not finish within ${Math.round(request.timeoutMs / 1000)} s (5 × test-timeout); coverage before is measured from the files that finished. Raise test-timeout, or fix the test that hangs.`
    );
  } else if (result.runnerError) {
    warn(`The baseline run of the existing suite${label} ended with an error: ${firstLine(result.runnerError)}. Coverage before is measured from what ran.`);
  }
  if (result.failed > 0) warn(`${result.failed} existing test(s)${label} fail before any generated test is added; they are left as they are.`);
  logger.info(`Baseline${label}: ${result.passed} passed, ${result.failed} failed${broken.length > 0 ? `, ${broken.length} test file(s) did not load` : ''}.`);
  const figures: PackageBaseline = {
    passed: result.passed,
    failed: result.failed,
    ...(result.runnerError ? { runnerError: result.runnerError } : {}),
    durationMs: result.durationMs,
    brokenTestFiles: health.brokenTestFiles,
    ...(health.runFailure ? { runFailure: health.runFailure } : {})
  };
  return { result, health, figures };
}
