import path from 'node:path';
import type { SandboxOption } from '../../src/core/RunOptions.js';
import { TestSandbox } from '../../src/sandbox/TestSandbox.js';
import { modulesTargets, type ScratchCopy } from '../../src/validation/ScratchCopy.js';

/**
 * The sandbox a run would give a scratch copy of `repoDir`: runner tests start their processes
 * through it exactly as the pipeline does, with its work directory beside the copy. A plain
 * directory standing in for a copy shows what its node_modules reads from.
 */
export function sandboxFor(scratch: Pick<ScratchCopy, 'dir' | 'linkedDirs'>, repoDir: string, option: SandboxOption = 'auto'): Promise<TestSandbox> {
  const linkedDirs = scratch.linkedDirs.length > 0 ? scratch.linkedDirs : modulesTargets(path.join(scratch.dir, 'node_modules'));
  return TestSandbox.prepare({
    option,
    workRoot: path.dirname(scratch.dir),
    scratchDir: scratch.dir,
    repoDir,
    linkedDirs
  });
}
