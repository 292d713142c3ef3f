import { assertNoMachineFault } from '../process/InfrastructureError.js';
import type { TestRunResult } from './runners/TestRunner.js';

/**
 * A run in which anything went wrong is checked for a machine fault before its results are
 * judged, so that a full disk or a read-only directory ends the run instead of rejecting the
 * candidates that happened to run at the time. A clean run costs nothing.
 */
export async function throwOnMachineFault(result: TestRunResult, directories: readonly string[]): Promise<void> {
  const broken = result.suites.filter((s) => s.status === 'error');
  const failed = result.runnerError !== undefined || broken.length > 0 || result.failed > 0 || result.suites.some((s) => s.status === 'failed');
  if (!failed) return;
  await assertNoMachineFault(directories, [result.runnerError ?? '', ...broken.map((s) => s.message)].join('\n'));
}
