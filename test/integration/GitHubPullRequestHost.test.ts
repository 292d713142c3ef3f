/**
 * The action's source of changed files and lines: Octokit against the fake GitHub API on
 * 127.0.0.1, with a real git repository for the files GitHub sends no patch for.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { getOctokit } from '@actions/github';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { GitHubPullRequestHost } from '../../src/action/GitHubPullRequestHost.js';
import type { PullRequestInfo } from '../../src/events/PullRequestEvent.js';
import { type FakeGitHubApi, startFakeGitHubApi } from '../support/fakeGitHubApi.js';
import { expectValidExchanges } from '../support/expectValidExchanges.js';

const lines = (n: number, prefix = 'l'): string => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}\n`).join('');

let repo: string;
let baseSha: string;
let headSha: string;
let api: FakeGitHubApi;

function git(...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], { cwd: repo, encoding: 'utf8' });
}

beforeAll(() => {
  repo = realpathSync(mkdtempSync(path.join(tmpdir(), 'aqe-ghhost-')));
  git('init', '-q', '-b', 'main');
  writeFileSync(path.join(repo, 'big.ts'), lines(50));
  writeFileSync(path.join(repo, 'small.ts'), lines(5));
  git('add', '-A');
  git('commit', '-q', '-m', 'base');
  baseSha = git('rev-parse', 'HEAD').trim();
  writeFileSync(path.join(repo, 'big.ts'), lines(10) + 'changed 11\n' + lines(50).split('\n').slice(11).join('\n') + 'appended\n');
  writeFileSync(path.join(repo, 'small.ts'), lines(4) + 'five\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'head');
  headSha = git('rev-parse', 'HEAD').trim();
});

afterAll(() => {
  rmSync(repo, { recursive: true, force: true });
});

beforeEach(async () => {
  api = await startFakeGitHubApi({ token: 'gh-token' });
});
afterEach(async () => {
  await api.close();
  expectValidExchanges(api);
});

function host(pr: Partial<PullRequestInfo>, warnings: string[]): GitHubPullRequestHost {
  const info: PullRequestInfo = { owner: 'acme', repo: 'shop', number: 5, title: 't', baseSha, headSha, baseRef: 'main', headRef: 'f', fromFork: false, ...pr };
  return new GitHubPullRequestHost(getOctokit('gh-token', { baseUrl: api.url }), info, repo, (m) => warnings.push(m));
}

describe('GitHubPullRequestHost changed lines', () => {
  it('takes lines from each patch, and from git for files GitHub sent none for', async () => {
    api.setPullFiles('acme', 'shop', 5, [
      { filename: 'small.ts', additions: 1, deletions: 1, patch: '@@ -2,4 +2,4 @@\n l2\n l3\n l4\n-l5\n+five' },
      { filename: 'src/moved.ts', previous_filename: 'src/was.ts', patch: '@@ -1,2 +1,2 @@\n-a\n+A\n b' },
      { filename: 'src/gone.ts', status: 'removed', deletions: 3, patch: '@@ -1,3 +0,0 @@\n-a\n-b\n-c' },
      // GitHub leaves the patch out of large diffs; this file's lines come from git.
      { filename: 'big.ts', additions: 2, deletions: 1 }
    ]);
    const warnings: string[] = [];
    const files = await host({}, warnings).listChangedFiles();
    expect(files).toEqual([
      { filename: 'small.ts', status: 'modified', changedLines: [5] },
      { filename: 'src/moved.ts', status: 'renamed', previousFilename: 'src/was.ts', changedLines: [1] },
      { filename: 'src/gone.ts', status: 'removed', changedLines: [] },
      { filename: 'big.ts', status: 'modified', changedLines: [11, 51] }
    ]);
    expect(warnings).toEqual([]);
  });

  it('leaves lines unknown, and says so for withheld text diffs, when the commits are not in the checkout', async () => {
    api.setPullFiles('acme', 'shop', 5, [
      { filename: 'big.ts', additions: 2, deletions: 1 },
      { filename: 'logo.png', additions: 0, deletions: 0 },
      { filename: 'small.ts', additions: 1, deletions: 1, patch: '@@ -5 +5 @@\n-l5\n+five' }
    ]);
    const warnings: string[] = [];
    const files = await host({ baseSha: 'f'.repeat(40) }, warnings).listChangedFiles();
    expect(files).toEqual([
      { filename: 'big.ts', status: 'modified' },
      { filename: 'logo.png', status: 'modified' },
      { filename: 'small.ts', status: 'modified', changedLines: [5] }
    ]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/no diff for 1 large file\(s\) \(big\.ts\).*fetch-depth: 0/);
  });

  it('stays quiet when only binary files (no patch, no line counts) lack lines', async () => {
    api.setPullFiles('acme', 'shop', 5, [{ filename: 'logo.png', additions: 0, deletions: 0 }]);
    const warnings: string[] = [];
    const files = await host({ baseSha: 'f'.repeat(40) }, warnings).listChangedFiles();
    expect(files).toEqual([{ filename: 'logo.png', status: 'modified' }]);
    expect(warnings).toEqual([]);
  });

  it('falls back to git diff, lines included, when the API fails', async () => {
    api.failWith({ path: '/repos/acme/shop/pulls/5/files' }, 403, 'Resource not accessible by integration');
    const warnings: string[] = [];
    const files = await host({}, warnings).listChangedFiles();
    expect(files).toEqual([
      { filename: 'big.ts', status: 'modified', changedLines: [11, 51] },
      { filename: 'small.ts', status: 'modified', changedLines: [5] }
    ]);
    expect(warnings[0]).toMatch(/API failed.*using git diff/);
  });
});
