import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ProcessResult } from '../../src/process/runProcess.js';
import {
  coverageByTestFile,
  escapeGlob,
  majorVersion,
  noResultsError,
  packageVersion,
  readJsonRecords,
  versionAtLeast
} from '../../src/validation/runners/runnerSupport.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'aqe-runner-support-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('versions', () => {
  it('reads major and minor, counting a prerelease as the release it leads to', () => {
    expect(majorVersion('5.1.2')).toBe(5);
    expect(majorVersion('5.0.0-beta.1')).toBe(5);
    expect(versionAtLeast('5.0.0-beta.1', 5, 0)).toBe(true);
    expect(versionAtLeast('29.2.0-alpha.3', 29, 2)).toBe(true);
    expect(versionAtLeast('1.4', 1, 4)).toBe(true);
    expect(versionAtLeast('1.3.9', 1, 4)).toBe(false);
    expect(versionAtLeast('2.0.0', 1, 4)).toBe(true);
    expect(versionAtLeast('29.1.10', 29, 2)).toBe(false);
  });

  it('reads what is not a version as 0.0, which no check accepts', () => {
    expect(majorVersion('')).toBe(0);
    expect(majorVersion('latest')).toBe(0);
    expect(versionAtLeast('workspace:*', 1, 0)).toBe(false);
  });

  it('reads a package’s version, or 0.0.0 when its package.json is missing or has none', async () => {
    await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'x', version: '4.1.12' }));
    expect(packageVersion(dir)).toBe('4.1.12');
    expect(packageVersion(path.join(dir, 'missing'))).toBe('0.0.0');
    await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'x' }));
    expect(packageVersion(dir)).toBe('0.0.0');
  });
});

describe('escapeGlob', () => {
  it('escapes every glob character, so a path matches only itself', () => {
    expect(escapeGlob('src/[id]/(group)/page+{a,b}!@*?.ts')).toBe('src/\\[id\\]/\\(group\\)/page\\+\\{a,b\\}\\!\\@\\*\\?.ts');
    expect(escapeGlob('src/plain/file.ts')).toBe('src/plain/file.ts');
  });
});

describe('readJsonRecords', () => {
  it('reads the records in the order their counters say, leaving out one cut short', async () => {
    const records = path.join(dir, 'records');
    await rm(records, { recursive: true, force: true });
    await mkdir(records);
    for (const n of [10, 2, 1]) await writeFile(path.join(records, `file-${n}.json`), JSON.stringify({ n }));
    await writeFile(path.join(records, 'file-3.json'), '{"n": 3, "cut');
    await writeFile(path.join(records, 'notes.txt'), 'not a record');
    expect(await readJsonRecords(records)).toEqual([
      { name: 'file-1.json', data: { n: 1 } },
      { name: 'file-2.json', data: { n: 2 } },
      { name: 'file-10.json', data: { n: 10 } }
    ]);
    expect(await readJsonRecords(path.join(dir, 'none'))).toEqual([]);
  });
});

describe('coverageByTestFile', () => {
  const counters = (file: string): Record<string, unknown> => ({
    [file]: {
      path: file,
      statementMap: { '0': { start: { line: 1, column: 0 }, end: { line: 1, column: 10 } } },
      s: { '0': 1 },
      fnMap: {},
      f: {},
      branchMap: {},
      b: {}
    }
  });

  it('keys each file’s coverage by its repo-relative path and leaves out hand-overs for several files', async () => {
    const byFile = (await coverageByTestFile(
      [
        { testFiles: [path.join(dir, 'test', 'a.test.ts')], coverage: counters(path.join(dir, 'src', 'a.ts')) },
        { testFiles: ['test/b.test.ts'], coverage: counters(path.join(dir, 'src', 'b.ts')) },
        { testFiles: ['test/c.test.ts', 'test/d.test.ts'], coverage: counters(path.join(dir, 'src', 'c.ts')) }
      ],
      dir
    ))!;
    expect([...byFile.keys()]).toEqual(['test/a.test.ts', 'test/b.test.ts']);
    expect(byFile.get('test/a.test.ts')!.files()).toEqual(['src/a.ts']);
    expect(byFile.get('test/a.test.ts')!.counts('src/a.ts')).toMatchObject({ coveredLines: 1, totalLines: 1 });
  });

  it('trusts none when any hand-over is not istanbul data', async () => {
    const good = { testFiles: ['test/a.test.ts'], coverage: counters(path.join(dir, 'src', 'a.ts')) };
    expect(await coverageByTestFile([good, { testFiles: ['test/b.test.ts'], coverage: '/tmp/coverage-1.json' }], dir)).toBeUndefined();
    expect(await coverageByTestFile([good, { testFiles: ['test/b.test.ts'] }], dir)).toBeUndefined();
    expect(await coverageByTestFile([], dir)).toEqual(new Map());
  });
});

describe('noResultsError', () => {
  const result = (over: Partial<ProcessResult>): ProcessResult => ({
    exitCode: 1,
    signal: null,
    timedOut: false,
    stdout: '',
    stderr: '',
    truncated: false,
    durationMs: 5,
    ...over
  });

  it('says a run stopped at its limit, in whole seconds', () => {
    expect(noResultsError('vitest', result({ timedOut: true, exitCode: null, signal: 'SIGTERM' }), { timeoutMs: 8400 })).toBe(
      'vitest was stopped after 8 s (test-timeout)'
    );
  });

  it('gives the exit and what the runner printed, without colour', () => {
    expect(noResultsError('jest', result({ stderr: '\u001b[31mSyntaxError: bad config\u001b[39m', stdout: 'more' }), { timeoutMs: 1000 })).toBe(
      'jest produced no results (exit 1): SyntaxError: bad config\nmore'
    );
    expect(noResultsError('jest', result({ exitCode: null, signal: 'SIGSEGV' }), { timeoutMs: 1000 })).toBe('jest produced no results (exit SIGSEGV): ');
  });
});
