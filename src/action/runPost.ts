import { existsSync } from 'node:fs';
import type { ActionRunner } from './ActionRunner.js';
import { State } from './constants.js';

/**
 * The post phase runs after the job's other steps, even when they failed. For now it only
 * confirms where the report is; model and runtime cache saving belong here (they must run
 * once, after use, and only on a cache miss).
 */
export async function runPost(runner: ActionRunner): Promise<void> {
  try {
    const reportPath = runner.getState(State.ReportPath);
    if (reportPath && existsSync(reportPath)) runner.info(`aqe report: ${reportPath}`);
  } catch (error) {
    runner.warning(`Post step: ${(error as Error).message}`);
  }
}
