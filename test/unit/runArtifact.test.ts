import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { artifactEntryPath, type RunArtifactContents, stageRunArtifact, UnsafeArtifactPathError } from '../../src/pipeline/runArtifact.js';
import { reportSchemaPath } from '../support/reportSchema.js';
import { filesUnder } from '../support/filesUnder.js';

describe('artifactEntryPath', () => {
  it.each([
    ['test/a.test.ts', 'accepted/test/a.test.ts'],
    ['./test//deep/./b.test.ts', 'accepted/test/deep/b.test.ts'],
    // Characters the artifact service refuses in a path would fail the whole upload: they become _.
    ['test/a:b|c*d?.test.ts', 'accepted/test/a_b_c_d_.test.ts'],
    ['test/"q"<x>\r\n.test.ts', 'accepted/test/_q__x___.test.ts'],
    ['test\\win\\c.test.ts', 'accepted/test/win/c.test.ts']
  ])('puts %j at %j', (testFile, entry) => {
    expect(artifactEntryPath('accepted', testFile)).toBe(entry);
  });

  it.each([
    ['../../etc/passwd', 'climbs out of the repository'],
    ['test/../../x.test.ts', 'climbs out of the repository'],
    ['test\\..\\..\\x.test.ts', 'climbs out of the repository'],
    ['/etc/passwd', 'is absolute'],
    ['\\\\server\\share\\x.ts', 'is absolute'],
    ['C:\\Windows\\x.ts', 'is absolute'],
    ['c:x.ts', 'is absolute'],
    ['./', 'names no file'],
    ['', 'names no file']
  ])('refuses %j: it %s', (testFile, problem) => {
    let thrown: unknown;
    try {
      artifactEntryPath('rejected', testFile);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UnsafeArtifactPathError);
    expect((thrown as Error).message).toBe(
      `The test file path ${JSON.stringify(testFile)} ${problem}${problem === 'climbs out of the repository' ? ' (..)' : ''}, so it was left out of the run artifact; the report still lists it.`
    );
  });
});

describe('stageRunArtifact', () => {
  let root: string;
  let reportFile: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'aqe-run-artifact-'));
    reportFile = path.join(root, 'report.json');
    await writeFile(reportFile, '{"schemaVersion":1}\n');
  });

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function stage(name: string, contents: Partial<RunArtifactContents>): Promise<{ dir: string; files: string[]; warnings: string[] }> {
    const dir = path.join(root, name);
    await mkdir(dir);
    const warnings: string[] = [];
    const written = await stageRunArtifact({ reportFile, schemaVersion: 1, audit: [], accepted: [], rejected: [], ...contents }, dir, (m) => warnings.push(m));
    for (const file of written) expect(path.relative(dir, file).startsWith('..')).toBe(false);
    expect(written.map((f) => path.relative(dir, f).split(path.sep).join('/')).sort()).toEqual(await filesUnder(dir));
    return { dir, files: await filesUnder(dir), warnings };
  }

  it('holds the report and its schema, and no audit.jsonl when the run has no audit entries', async () => {
    const { dir, files, warnings } = await stage('bare', {});
    expect(files).toEqual(['aqe-report.json', 'run-report.schema.json']);
    expect(await readFile(path.join(dir, 'aqe-report.json'), 'utf8')).toBe('{"schemaVersion":1}\n');
    expect(await readFile(path.join(dir, 'run-report.schema.json'), 'utf8')).toBe(await readFile(reportSchemaPath(1), 'utf8'));
    expect(warnings).toEqual([]);
  });

  it('writes a rejected file without runner output with a failure file that says so', async () => {
    const { dir } = await stage('no-output', {
      rejected: [{ testFile: 'test/t.test.ts', content: 'while (true) {}\n', stage: 'timeout', reason: 'did not finish within 5 s' }]
    });
    expect(await readFile(path.join(dir, 'rejected/test/t.test.ts.failure.txt'), 'utf8')).toBe(
      'test file: test/t.test.ts\nstage: timeout\nreason: did not finish within 5 s\n\nNo runner output was kept for this verdict.\n'
    );
  });

  it('leaves out, with a warning each, the files whose paths would escape or collide; the rest stay inside the folder', async () => {
    const outside = path.join(root, 'outside');
    await mkdir(outside);
    const hostile = ['../outside/escaped.test.ts', '../../etc/x', path.join(outside, 'absolute.test.ts'), 'test\\..\\..\\outside\\w.test.ts'];
    const { dir, files, warnings } = await stage('hostile', {
      accepted: [
        { testFile: 'test/ok.test.ts', content: 'ok\n' },
        ...hostile.map((testFile) => ({ testFile, content: 'pwned\n' })),
        // The first cleans to the second's path: the first keeps it.
        { testFile: 'test/a:b.test.ts', content: 'first\n' },
        { testFile: 'test/a_b.test.ts', content: 'second\n' }
      ],
      rejected: hostile.map((testFile) => ({ testFile, content: 'pwned\n', stage: 'fails' as const, reason: 'x', failureOutput: 'y' }))
    });
    expect(files).toEqual(['accepted/test/a_b.test.ts', 'accepted/test/ok.test.ts', 'aqe-report.json', 'run-report.schema.json']);
    expect(await readdir(outside)).toEqual([]);
    expect(warnings).toHaveLength(hostile.length * 2 + 1);
    expect(await readFile(path.join(dir, 'accepted/test/a_b.test.ts'), 'utf8')).toBe('first\n');
    expect(warnings[hostile.length]).toBe(
      'The test file path "test/a_b.test.ts" takes the place of another file (accepted/test/a_b.test.ts), so it was left out of the run artifact; the report still lists it.'
    );
  });

  it('leaves out a file whose path clashes with another as file and folder, and keeps the rest of the artifact', async () => {
    const { files, warnings } = await stage('clash', {
      accepted: [{ testFile: 'test/ok.test.ts', content: 'ok\n' }],
      rejected: [
        { testFile: 'test/a.test.ts', content: 'file\n', stage: 'fails', reason: 'x' },
        { testFile: 'test/a.test.ts/x.test.ts', content: 'under the file\n', stage: 'fails', reason: 'y' }
      ]
    });
    expect(files).toEqual(
      ['accepted/test/ok.test.ts', 'aqe-report.json', 'rejected/test/a.test.ts', 'rejected/test/a.test.ts.failure.txt', 'run-report.schema.json'].sort()
    );
    expect(warnings).toEqual([
      expect.stringMatching(/^The test file path "test\/a\.test\.ts\/x\.test\.ts" clashes with another one in the run artifact \((ENOTDIR|EEXIST)\)/)
    ]);
  });
});
