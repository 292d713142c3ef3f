import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { git } from '../../src/repo/git.js';
import { scopeToWorkingDirectory } from '../../src/targets/scopeToWorkingDirectory.js';

const roots: string[] = [];
afterAll(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

describe('scopeToWorkingDirectory', () => {
  it('renames files inside a subfolder working-directory and sets the rest apart', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'aqe-scope-'));
    roots.push(root);
    await git(root, ['init', '-q']);
    await mkdir(path.join(root, 'packages/app/src'), { recursive: true });
    const changed = [
      { filename: 'packages/app/src/a.ts', status: 'modified' as const, changedLines: [3] },
      { filename: 'packages/app/src/b.ts', status: 'renamed' as const, previousFilename: 'packages/app/src/old.ts' },
      { filename: 'packages/other/src/c.ts', status: 'added' as const },
      { filename: 'README.md', status: 'modified' as const }
    ];
    const scoped = await scopeToWorkingDirectory(path.join(root, 'packages/app'), changed);
    expect(scoped.inside).toEqual([
      { filename: 'src/a.ts', status: 'modified', changedLines: [3] },
      { filename: 'src/b.ts', status: 'renamed', previousFilename: 'src/old.ts' }
    ]);
    expect(scoped.outside).toEqual(['packages/other/src/c.ts', 'README.md']);
    // At the root nothing moves.
    expect(await scopeToWorkingDirectory(root, changed)).toEqual({ inside: changed, outside: [] });
  });
});
