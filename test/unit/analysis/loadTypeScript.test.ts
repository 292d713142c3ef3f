import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { loadTypeScript, locateTypeScript } from '../../../src/analysis/loadTypeScript.js';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const temps: string[] = [];
function tempDir(): string {
  const d = realpathSync(mkdtempSync(path.join(tmpdir(), 'aqe-ts-')));
  temps.push(d);
  return d;
}
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A package named typescript in `dir`/node_modules whose entry is `entrySource`. */
function fakeTypeScript(dir: string, version: string, entrySource: string): string {
  const packageDir = path.join(dir, 'node_modules', 'typescript');
  mkdirSync(path.join(packageDir, 'lib'), { recursive: true });
  writeFileSync(path.join(packageDir, 'package.json'), JSON.stringify({ name: 'typescript', version, main: './lib/typescript.js' }));
  writeFileSync(path.join(packageDir, 'lib', 'typescript.js'), entrySource);
  return packageDir;
}

describe('locateTypeScript', () => {
  it('resolves the copy installed above a directory, with its version', () => {
    const [found] = locateTypeScript(path.join(PROJECT_ROOT, 'test'));
    expect(found?.packageDir).toBe(path.join(PROJECT_ROOT, 'node_modules', 'typescript'));
    expect(found?.version).toMatch(/^5\.9\./);
    expect(found?.entry).toBe(path.join(PROJECT_ROOT, 'node_modules', 'typescript', 'lib', 'typescript.js'));
  });

  it("puts the repository's own copy before the fallback directories and skips versions before 4.0", () => {
    const repo = tempDir();
    const own = fakeTypeScript(repo, '4.9.5', 'module.exports = {};');
    const old = tempDir();
    fakeTypeScript(old, '3.9.10', 'module.exports = {};');
    const found = locateTypeScript(repo, [old, PROJECT_ROOT]);
    expect(found.map((f) => f.packageDir)).toEqual([own, path.join(PROJECT_ROOT, 'node_modules', 'typescript')]);
  });
});

describe('loadTypeScript', () => {
  it('loads the compiler API from the fallback directory when the repository has none', async () => {
    const ts = await loadTypeScript(tempDir(), [PROJECT_ROOT]);
    expect(ts?.version).toMatch(/^5\.9\./);
    const sourceFile = ts!.createSourceFile('a.ts', 'export const a: number = 1;', ts!.ScriptTarget.Latest);
    expect(sourceFile.statements).toHaveLength(1);
  });

  it('returns undefined when no typescript is installed anywhere above the directory', async () => {
    expect(await loadTypeScript(tempDir())).toBeUndefined();
  });

  it('skips a package that is not the compiler API and goes on to the next one', async () => {
    const repo = tempDir();
    fakeTypeScript(repo, '5.0.0', 'module.exports = { hello: 1 };');
    const lines: string[] = [];
    const ts = await loadTypeScript(repo, [PROJECT_ROOT], (line) => lines.push(line));
    expect(ts?.version).toMatch(/^5\.9\./);
    expect(lines.join('\n')).toContain('does not look like the compiler API');
  });
});
