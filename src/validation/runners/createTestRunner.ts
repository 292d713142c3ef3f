import path from 'node:path';
import type { ProjectInfo } from '../../repo/detectProject.js';
import { JestRunner } from './JestRunner.js';
import type { TestRunner } from './TestRunner.js';
import { VitestRunner } from './VitestRunner.js';

/**
 * The driver for the package detectProject found. Both runners run in `request.rootDir` with
 * paths relative to it, so for a workspace package that is `<scratch copy>/<info.packageDir>`.
 * The runner itself may be installed in the package or hoisted to a parent, up to `repoDir`.
 * Throws TestRunnerNotFoundError when it is not installed.
 */
export function createTestRunner(info: ProjectInfo, repoDir: string): TestRunner {
  const packageDir = path.join(repoDir, info.packageDir);
  if (info.framework === 'vitest') return VitestRunner.locate(packageDir, repoDir);
  return JestRunner.locate(packageDir, repoDir);
}
