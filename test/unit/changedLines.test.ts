import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { ChangedFile } from '../../src/repo/ChangedFile.js';
import { DiffParseError, parseGitDiff, parsePatchLines, toLineRanges } from '../../src/repo/changedLines.js';
import { changedFilesFromGit, changedLinesFromGit } from '../../src/repo/git.js';
import { GitPullRequestHost } from '../../src/repo/GitPullRequestHost.js';

const numbered = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
const text = (lines: readonly string[]): string => lines.map((l) => `${l}\n`).join('');

const SPACE_NAME = 'dir with space/file name.ts';
const QUOTE_TAB_NAME = 'quo"te\tname.ts';
const UNICODE_NAME = 'naïve.ts';

let repo: string;
let base: string;
let head: string;

function git(...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], { cwd: repo, encoding: 'utf8' });
}
function write(rel: string, content: string | Buffer): void {
  mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
  writeFileSync(path.join(repo, rel), content);
}

/**
 * A repository whose feature branch exercises every kind of change: edits, insertions and
 * deletions in one file, a rename with an edit, new (also empty), removed, binary and mode-only
 * files, a file without a final newline, CRLF content, names with spaces, quotes, tabs and
 * non-ASCII letters, and lines whose text looks like diff headers.
 */
beforeAll(() => {
  repo = realpathSync(mkdtempSync(path.join(tmpdir(), 'aqe-diff-')));
  git('init', '-q', '-b', 'main');
  // Settings that change `git diff` output; the product must not depend on any of them.
  for (const [key, value] of [
    ['diff.noprefix', 'true'],
    ['diff.mnemonicPrefix', 'true'],
    ['diff.renames', 'false'],
    ['diff.relative', 'true'],
    ['diff.external', 'false'],
    ['color.ui', 'always'],
    ['core.quotePath', 'true']
  ]) {
    git('config', key!, value!);
  }
  write('src/a.ts', text(numbered('line', 10)));
  write('src/old.ts', text(numbered('const v', 20)));
  write('src/gone.ts', text(numbered('gone', 3)));
  write('img.bin', Buffer.from([0, 1, 2, 3, 0, 255, 10, 0]));
  write('eof.ts', 'a\nb');
  write('crlf.ts', 'one\r\ntwo\r\nthree\r\n');
  write('script.sh', 'echo hi\n');
  write(SPACE_NAME, text(numbered('s', 3)));
  write(QUOTE_TAB_NAME, text(numbered('q', 2)));
  write(UNICODE_NAME, text(numbered('u', 3)));
  write('tricky.ts', text(['keep', '--- a/old', '+++ b/old', 'keep2']));
  git('add', '-A');
  git('commit', '-q', '-m', 'base');
  base = git('rev-parse', 'HEAD').trim();

  git('checkout', '-q', '-b', 'feature');
  write('src/a.ts', text(['line1', 'LINE2', 'line3', 'line4', 'line5', 'newA', 'newB', 'line6', 'line7', 'line8', 'line10']));
  const renamed = numbered('const v', 20);
  renamed[4] = 'const v5 = changed';
  git('mv', 'src/old.ts', 'src/renamed.ts');
  write('src/renamed.ts', text(renamed));
  unlinkSync(path.join(repo, 'src/gone.ts'));
  write('src/new.ts', text(['export const x = 1;', 'export const y = 2;', 'export const z = 3;']));
  write('src/empty.ts', '');
  write('img.bin', Buffer.from([0, 9, 9, 9, 0, 255, 10, 0]));
  write('eof.ts', 'a\nb\nc\n');
  write('crlf.ts', 'one\r\nTWO\r\nthree\r\n');
  chmodSync(path.join(repo, 'script.sh'), 0o755);
  write(SPACE_NAME, text(['s1', 's2', 'S3']));
  write(QUOTE_TAB_NAME, text(['Q1', 'q2']));
  write(UNICODE_NAME, text(['u1', 'U2', 'u3']));
  write('tricky.ts', text(['keep', 'diff --git a/x b/x', '@@ -1 +1 @@', '--- a/new', 'keep2', '+++ b/new']));
  git('add', '-A');
  git('commit', '-q', '-m', 'feature');
  head = git('rev-parse', 'HEAD').trim();

  // Work on main after the fork is not part of the pull request (base...head is from the merge base).
  git('checkout', '-q', 'main');
  write('main-only.ts', 'x\n');
  write('src/a.ts', text(['changed on main', ...numbered('line', 10).slice(1)]));
  git('add', '-A');
  git('commit', '-q', '-m', 'main moves on');
  base = git('rev-parse', 'HEAD').trim();
});

afterAll(() => {
  rmSync(repo, { recursive: true, force: true });
});

const EXPECTED: ChangedFile[] = [
  { filename: SPACE_NAME, status: 'modified', changedLines: [3] },
  { filename: 'crlf.ts', status: 'modified', changedLines: [2] },
  // The old last line gains its newline, so git shows it rewritten.
  { filename: 'eof.ts', status: 'modified', changedLines: [2, 3] },
  { filename: 'img.bin', status: 'modified', changedLines: undefined },
  { filename: UNICODE_NAME, status: 'modified', changedLines: [2] },
  { filename: QUOTE_TAB_NAME, status: 'modified', changedLines: [1] },
  { filename: 'script.sh', status: 'modified', changedLines: [] },
  // line 2 edited, two lines inserted after line 5, old line 9 deleted (no new line for it)
  { filename: 'src/a.ts', status: 'modified', changedLines: [2, 6, 7] },
  { filename: 'src/empty.ts', status: 'added', changedLines: [] },
  { filename: 'src/gone.ts', status: 'removed', changedLines: [] },
  { filename: 'src/new.ts', status: 'added', changedLines: [1, 2, 3] },
  { filename: 'src/renamed.ts', status: 'renamed', previousFilename: 'src/old.ts', changedLines: [5] },
  { filename: 'tricky.ts', status: 'modified', changedLines: [2, 3, 4, 6] }
];

const byName = (files: ChangedFile[]): ChangedFile[] => [...files].sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0));

describe('changed lines from a real git repository', () => {
  it('lists every changed file with its added or rewritten lines, from one git diff -U0', async () => {
    const files = await changedFilesFromGit(repo, base, head);
    expect(byName(files)).toEqual(byName(EXPECTED));
  });

  it('is what GitPullRequestHost reports', async () => {
    expect(byName(await new GitPullRequestHost(repo, base, head).listChangedFiles())).toEqual(byName(EXPECTED));
  });

  it('reads the same lines from a diff with context as from -U0: context lines are not changed', () => {
    const withContext = execFileSync(
      'git',
      [
        '-c',
        'core.quotePath=false',
        'diff',
        '-U3',
        '--no-color',
        '--no-ext-diff',
        '--src-prefix=a/',
        '--dst-prefix=b/',
        '--no-relative',
        '-M',
        `${base}...${head}`
      ],
      {
        cwd: repo,
        encoding: 'utf8'
      }
    );
    const parsed = parseGitDiff(withContext);
    const lines = Object.fromEntries(parsed.filter((f) => !f.binary).map((f) => [f.path, f.addedLines]));
    const expected = Object.fromEntries(EXPECTED.filter((f) => f.changedLines !== undefined).map((f) => [f.filename, f.changedLines]));
    expect(lines).toEqual(expected);
    expect(parsed.find((f) => f.path === 'img.bin')).toMatchObject({ binary: true, addedLines: [] });
  });

  it("decodes git's octal-escaped names (core.quotePath on) and a whole binary patch", () => {
    const raw = execFileSync(
      'git',
      ['diff', '--binary', '--no-color', '--no-ext-diff', '--src-prefix=a/', '--dst-prefix=b/', '--no-relative', `${base}...${head}`],
      { cwd: repo, encoding: 'utf8' }
    );
    expect(raw).toContain('"a/na\\303\\257ve.ts"');
    expect(raw).toContain('GIT binary patch');
    const parsed = parseGitDiff(raw);
    expect(parsed.find((f) => f.path === UNICODE_NAME)?.addedLines).toEqual([2]);
    expect(parsed.find((f) => f.path === 'img.bin')).toMatchObject({ binary: true });
    // Without rename detection the rename is a removal and an addition of every line.
    expect(parsed.find((f) => f.path === 'src/old.ts')).toMatchObject({ status: 'removed', addedLines: [] });
    expect(parsed.find((f) => f.path === 'src/renamed.ts')).toMatchObject({ status: 'added', addedLines: numbered('', 20).map(Number) });
  });

  it('parses each file of a real diff, as a GitHub patch (hunks only), to the same lines', () => {
    const raw = execFileSync(
      'git',
      ['-c', 'core.quotePath=false', 'diff', '--no-color', '--no-ext-diff', '--src-prefix=a/', '--dst-prefix=b/', '--no-relative', '-M', `${base}...${head}`],
      { cwd: repo, encoding: 'utf8' }
    );
    const sections = raw.split(/^(?=diff --git )/m).filter((s) => s.startsWith('diff --git '));
    const fromPatches: Record<string, number[]> = {};
    for (const section of sections) {
      const [file] = parseGitDiff(section);
      const hunks = section.indexOf('\n@@ ');
      if (!file || file.binary) continue;
      // GitHub's `patch` is the hunks without a final newline.
      fromPatches[file.path] = hunks === -1 ? [] : parsePatchLines(section.slice(hunks + 1).replace(/\n$/, ''));
    }
    const expected = Object.fromEntries(EXPECTED.filter((f) => f.changedLines !== undefined).map((f) => [f.filename, f.changedLines]));
    expect(fromPatches).toEqual(expected);
  });

  it('gives the lines of chosen files only, pairing both names of a rename', async () => {
    const lines = await changedLinesFromGit(repo, base, head, [
      { filename: 'src/renamed.ts', previousFilename: 'src/old.ts' },
      { filename: SPACE_NAME },
      { filename: 'img.bin' },
      { filename: 'src/gone.ts' },
      { filename: 'not-changed.ts' }
    ]);
    expect(Object.fromEntries(lines)).toEqual({
      'src/renamed.ts': [5],
      [SPACE_NAME]: [3],
      'img.bin': undefined,
      'src/gone.ts': [],
      'not-changed.ts': undefined
    });
  });

  it('reads paths from the repository root when run in a subfolder', async () => {
    const lines = await changedLinesFromGit(path.join(repo, 'src'), base, head, [{ filename: 'src/a.ts' }, { filename: 'eof.ts' }]);
    expect(Object.fromEntries(lines)).toEqual({ 'src/a.ts': [2, 6, 7], 'eof.ts': [2, 3] });
    const all = await changedFilesFromGit(path.join(repo, 'src'), base, head);
    expect(all.map((f) => f.filename)).toContain('eof.ts');
  });

  it('lists every file of a diff too large to hold, with lines for those read in full', async () => {
    const files = byName(await changedFilesFromGit(repo, base, head, { maxDiffBytes: 1500 }));
    expect(files.map((f) => [f.filename, f.status])).toEqual(byName(EXPECTED).map((f) => [f.filename, f.status]));
    const known = files.filter((f) => f.changedLines !== undefined);
    const unknown = files.filter((f) => f.changedLines === undefined && f.filename !== 'img.bin');
    expect(known.length).toBeGreaterThan(0);
    expect(unknown.length).toBeGreaterThan(0);
    const expected = new Map(EXPECTED.map((f) => [f.filename, f.changedLines]));
    for (const f of known) expect([f.filename, f.changedLines]).toEqual([f.filename, expected.get(f.filename)]);
  });

  it('fails with the git error when a commit is missing', async () => {
    await expect(changedFilesFromGit(repo, '0'.repeat(40), head)).rejects.toThrow(/git .*diff.* failed/);
  });
});

describe('parsePatchLines (GitHub per-file patch)', () => {
  it('counts + lines of the new file and skips context and removed lines', () => {
    const patch = ['@@ -1,4 +1,5 @@', ' a', '-b', '+B', '+B2', ' c', ' d', '@@ -10,3 +11,2 @@ function f() {', ' x', '-y', ' z'].join('\n');
    expect(parsePatchLines(patch)).toEqual([2, 3]);
  });

  it('treats a bare empty line inside a hunk as an empty context line', () => {
    const patch = ['@@ -1,3 +1,4 @@', ' a', '', '+new', ' c'].join('\n');
    expect(parsePatchLines(patch)).toEqual([3]);
  });

  it('ignores "\\ No newline at end of file" wherever it appears', () => {
    const patch = ['@@ -1,2 +1,3 @@', ' a', '-b', '\\ No newline at end of file', '+b', '+c', '\\ No newline at end of file'].join('\n');
    expect(parsePatchLines(patch)).toEqual([2, 3]);
  });

  it('reads CRLF patches', () => {
    const patch = ['@@ -1,2 +1,2 @@', ' one', '-two', '+TWO'].join('\r\n') + '\r\n';
    expect(parsePatchLines(patch)).toEqual([2]);
  });

  it('gives no lines for a deletion-only patch or an empty one', () => {
    expect(parsePatchLines('@@ -3,2 +2,0 @@\n-gone\n-gone too')).toEqual([]);
    expect(parsePatchLines('')).toEqual([]);
  });

  it('reads a new file and single-line hunks without counts', () => {
    expect(parsePatchLines('@@ -0,0 +1,3 @@\n+a\n+b\n+c')).toEqual([1, 2, 3]);
    expect(parsePatchLines('@@ -7 +7 @@\n-old\n+new')).toEqual([7]);
  });

  it('does not mistake added text that looks like a header for one', () => {
    expect(parsePatchLines('@@ -1 +1,3 @@\n-x\n+@@ -1 +1 @@\n+++ b/y\n+diff --git a/z b/z')).toEqual([1, 2, 3]);
  });

  it('rejects a patch cut short or with lines outside any hunk', () => {
    expect(() => parsePatchLines('@@ -1,3 +1,3 @@\n a\n-b')).toThrow(DiffParseError);
    expect(() => parsePatchLines('garbage\n@@ -1 +1 @@\n-a\n+b')).toThrow(DiffParseError);
    expect(() => parsePatchLines('@@ -1 +1 @@\n-a\n+b\n+c')).toThrow(DiffParseError);
  });
});

describe('parseGitDiff', () => {
  it('reads a format-patch file, skipping the mail and the diffstat before the first file', () => {
    const patch = [
      'From 1234 Mon Sep 17 00:00:00 2001',
      'Subject: [PATCH] x',
      '---',
      ' src/a.ts | 1 +',
      '',
      'diff --git a/src/a.ts b/src/a.ts',
      'index 1..2 100644',
      '--- a/src/a.ts',
      '+++ b/src/a.ts',
      '@@ -1 +1,2 @@',
      ' a',
      '+b',
      '-- ',
      '2.39.5',
      ''
    ].join('\n');
    expect(parseGitDiff(patch)).toEqual([{ path: 'src/a.ts', status: 'modified', binary: false, addedLines: [2] }]);
  });

  it('reads names with spaces from a header-only entry (mode change)', () => {
    const diff = 'diff --git a/dir x/b y.sh b/dir x/b y.sh\nold mode 100644\nnew mode 100755\n';
    expect(parseGitDiff(diff)).toEqual([{ path: 'dir x/b y.sh', status: 'modified', binary: false, addedLines: [] }]);
  });

  it('reads a pure rename and a copy', () => {
    const diff = [
      'diff --git a/a.ts b/b.ts',
      'similarity index 100%',
      'rename from a.ts',
      'rename to b.ts',
      'diff --git a/c.ts "b/d\\".ts"',
      'similarity index 90%',
      'copy from c.ts',
      'copy to "d\\".ts"',
      '--- a/c.ts',
      '+++ "b/d\\".ts"',
      '@@ -2 +2 @@',
      '-x',
      '+y',
      ''
    ].join('\n');
    expect(parseGitDiff(diff)).toEqual([
      { path: 'b.ts', previousPath: 'a.ts', status: 'renamed', binary: false, addedLines: [] },
      { path: 'd".ts', previousPath: 'c.ts', status: 'copied', binary: false, addedLines: [2] }
    ]);
  });

  it('reads a whole diff with CRLF line ends', () => {
    const diff = ['diff --git a/x.ts b/x.ts', 'new file mode 100644', '--- /dev/null', '+++ b/x.ts', '@@ -0,0 +1,2 @@', '+a', '+b', ''].join('\r\n');
    expect(parseGitDiff(diff)).toEqual([{ path: 'x.ts', status: 'added', binary: false, addedLines: [1, 2] }]);
  });
});

describe('toLineRanges', () => {
  it('collapses runs of consecutive lines', () => {
    expect(toLineRanges([1, 2, 3, 5, 7, 8])).toEqual([
      [1, 3],
      [5, 5],
      [7, 8]
    ]);
    expect(toLineRanges([])).toEqual([]);
  });
});
