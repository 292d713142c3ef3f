import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DeliveryMode } from '../../src/core/RunOptions.js';
import type { AcceptedTest } from '../../src/delivery/AcceptedTest.js';
import { GITHUB_ACTIONS_BOT } from '../../src/delivery/commitAcceptedTests.js';
import { deliverAcceptedTests, type DeliveryContext, type DeliveryResult } from '../../src/delivery/deliverAcceptedTests.js';
import { DirectoryArtifactUploader } from '../../src/delivery/DirectoryArtifactUploader.js';
import type { PullRequestInfo } from '../../src/events/PullRequestEvent.js';
import { runProcess } from '../../src/process/runProcess.js';
import { startGitHttpServer, type GitHttpServer } from '../support/gitHttpServer.js';

/**
 * Delivery against real git: a bare "GitHub" repository served over smart HTTP on 127.0.0.1
 * (pushes need the token, as on GitHub), and clones of it checked out on pull request branches,
 * with the user's own uncommitted work in them.
 */
const TOKEN = 'ghs_deliveryTestToken0123456789';
const CHECKOUT_TOKEN = 'ghs_persistedByActionsCheckout';

const TESTS: AcceptedTest[] = [
  { testFile: 'test/a.test.ts', targetFile: 'src/a.ts', content: "import { a } from '../src/a';\n\ntest('a', () => expect(a()).toBe(1));\n" },
  { testFile: 'test/deep/b.test.ts', targetFile: 'src/b.ts', content: "import { b } from '../../src/b';\n\ntest('b', () => expect(b()).toBe(2));\n" }
];
const TEST_FILES = TESTS.map((t) => t.testFile);

const AUTHOR = { GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com' };

async function gitRaw(cwd: string, ...args: string[]): Promise<string> {
  const result = await runProcess({ command: 'git', args, cwd, env: { ...process.env, ...AUTHOR, GIT_TERMINAL_PROMPT: '0' }, timeoutMs: 30_000 });
  if (result.exitCode !== 0) throw new Error(`git ${args.join(' ')} in ${cwd}: ${result.stderr}`);
  return result.stdout;
}
const git = async (cwd: string, ...args: string[]): Promise<string> => (await gitRaw(cwd, ...args)).trim();
const status = async (cwd: string): Promise<string[]> => (await gitRaw(cwd, 'status', '--porcelain', '--untracked-files=all')).split('\n').filter(Boolean).sort();
const basic = (token: string): string => `basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;

describe('delivering accepted tests', () => {
  let root: string;
  let bare: string;
  let seed: string;
  let server: GitHttpServer;
  let remoteUrl: string;
  let baseHead: string;
  let featureHead: string;
  let clones = 0;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'aqe-delivery-'));
    bare = path.join(root, 'remote', 'example.git');
    await mkdir(bare, { recursive: true });
    await git(bare, 'init', '--quiet', '--bare', '--initial-branch=main');
    seed = path.join(root, 'seed');
    await mkdir(seed);
    await git(seed, 'init', '--quiet', '--initial-branch=main');
    await writeFile(path.join(seed, 'README.md'), '# example\n');
    await writeFile(path.join(seed, '.gitignore'), 'ignored/\n');
    await mkdir(path.join(seed, 'src'));
    await writeFile(path.join(seed, 'src', 'a.ts'), 'export const a = () => 1;\n');
    await mkdir(path.join(seed, 'lib', 'src'), { recursive: true });
    await writeFile(path.join(seed, 'lib', 'src', 'c.ts'), 'export const c = () => 3;\n');
    await git(seed, 'add', '.');
    await git(seed, 'commit', '--quiet', '-m', 'base');
    baseHead = await git(seed, 'rev-parse', 'HEAD');
    await writeFile(path.join(seed, 'src', 'b.ts'), 'export const b = () => 2;\n');
    await git(seed, 'add', '.');
    await git(seed, 'commit', '--quiet', '-m', 'the pull request');
    featureHead = await git(seed, 'rev-parse', 'HEAD');
    await git(seed, 'push', '--quiet', bare, `${baseHead}:refs/heads/main`);
    server = await startGitHttpServer(path.dirname(bare), TOKEN);
    remoteUrl = `${server.url}/example.git`;
  });

  afterAll(async () => {
    await server?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** A pull request branch of its own (so tests cannot see each other's pushes), cloned over HTTP. */
  async function checkoutPullRequest(options: { url?: string } = {}): Promise<{ dir: string; branch: string }> {
    const n = ++clones;
    const branch = `feature-${n}`;
    await git(seed, 'push', '--quiet', bare, `${featureHead}:refs/heads/${branch}`);
    const dir = path.join(root, `clone-${n}`);
    await git(root, 'clone', '--quiet', '--branch', branch, options.url ?? remoteUrl, dir);
    return { dir, branch };
  }

  function pullRequest(branch: string, overrides: Partial<PullRequestInfo> = {}): PullRequestInfo {
    return {
      owner: 'aqe',
      repo: 'example',
      number: 7,
      title: 'A change',
      baseSha: baseHead,
      headSha: featureHead,
      baseRef: 'main',
      headRef: branch,
      fromFork: false,
      headRepoFullName: 'aqe/example',
      ...overrides
    };
  }

  async function deliver(mode: DeliveryMode, ctx: Partial<DeliveryContext> & { repoDir: string }): Promise<{ result: DeliveryResult; warned: string[] }> {
    const warned: string[] = [];
    const result = await deliverAcceptedTests(mode, { tempDir: path.join(root, 'tmp'), tests: TESTS, warn: (m) => warned.push(m), token: TOKEN, ...ctx });
    return { result, warned };
  }

  const remoteBranch = (branch: string): Promise<string> => git(bare, 'rev-parse', `refs/heads/${branch}`);
  const pushesSince = (index: number) => server.requests.slice(index).filter((r) => r.service === 'receive-pack');

  async function expectWrittenNotCommitted(dir: string, branch: string, userStatus: string[] = []): Promise<void> {
    for (const t of TESTS) expect(await readFile(path.join(dir, t.testFile), 'utf8')).toBe(t.content);
    expect(await remoteBranch(branch)).toBe(featureHead);
    expect(await git(dir, 'rev-parse', 'HEAD')).toBe(await git(dir, 'rev-parse', `origin/${branch}`));
    expect(await status(dir)).toEqual([...userStatus, ...TEST_FILES.map((f) => `?? ${f}`)].sort());
  }

  describe('commit', () => {
    it('pushes a commit of exactly the accepted files to the pull request branch, with the token in the request only', async () => {
      const { dir, branch } = await checkoutPullRequest();
      // What actions/checkout persists: a header for the whole host, which must not be sent alongside ours.
      await git(dir, 'config', `http.${server.url}/.extraheader`, `AUTHORIZATION: ${basic(CHECKOUT_TOKEN)}`);
      // The user's own uncommitted work: a modified file, a staged change, an untracked file.
      await writeFile(path.join(dir, 'src', 'a.ts'), 'export const a = () => 100;\n');
      await writeFile(path.join(dir, 'README.md'), '# staged by the user\n');
      await git(dir, 'add', 'README.md');
      await writeFile(path.join(dir, 'notes.txt'), 'mine\n');
      const requestsBefore = server.requests.length;

      const { result, warned } = await deliver('commit', { repoDir: dir, pullRequest: pullRequest(branch) });

      expect(warned).toEqual([]);
      expect(result).toEqual({ requested: 'commit', mode: 'commit', written: TEST_FILES, committed: { sha: expect.stringMatching(/^[0-9a-f]{40}$/), branch }, warnings: [] });
      const sha = result.committed!.sha;
      // The remote: one commit on the PR head, holding the two test files and nothing else.
      expect(await remoteBranch(branch)).toBe(sha);
      expect(await git(bare, 'rev-parse', `${sha}^`)).toBe(featureHead);
      expect((await git(bare, 'diff-tree', '--no-commit-id', '--name-only', '-r', sha)).split('\n').sort()).toEqual(TEST_FILES);
      for (const t of TESTS) expect(await gitRaw(bare, 'show', `${sha}:${t.testFile}`)).toBe(t.content);
      expect(await git(bare, 'show', '-s', '--format=%an <%ae>|%cn <%ce>|%s', sha)).toBe(
        `${GITHUB_ACTIONS_BOT.name} <${GITHUB_ACTIONS_BOT.email}>|${GITHUB_ACTIONS_BOT.name} <${GITHUB_ACTIONS_BOT.email}>|test: add 2 generated test files`
      );
      expect(await git(bare, 'show', '-s', '--format=%b', sha)).toContain('- test/deep/b.test.ts (for src/b.ts)');
      // The checkout: on the new commit, the user's work exactly as it was, still uncommitted.
      expect(await git(dir, 'symbolic-ref', '--short', 'HEAD')).toBe(branch);
      expect(await git(dir, 'rev-parse', 'HEAD')).toBe(sha);
      expect(await status(dir)).toEqual([' M src/a.ts', '?? notes.txt', 'M  README.md']);
      expect(await readFile(path.join(dir, 'src', 'a.ts'), 'utf8')).toBe('export const a = () => 100;\n');
      expect(await git(dir, 'diff', '--cached', '--name-only')).toBe('README.md');
      // The token reached the server in the push requests, once each, and was never stored.
      const pushes = pushesSince(requestsBefore);
      expect(pushes.length).toBeGreaterThan(0);
      for (const p of pushes) expect(p.authorization).toEqual([basic(TOKEN)]);
      const config = await readFile(path.join(dir, '.git', 'config'), 'utf8');
      expect(config).not.toContain(TOKEN);
      expect(config).not.toContain(basic(TOKEN).slice('basic '.length));
    });

    it('commits from a package in a subdirectory with the paths inside the repository', async () => {
      const { dir, branch } = await checkoutPullRequest();
      const { result, warned } = await deliver('commit', { repoDir: path.join(dir, 'lib'), pullRequest: pullRequest(branch), tests: [TESTS[0]!] });
      expect(warned).toEqual([]);
      expect(result.mode).toBe('commit');
      expect(await git(bare, 'diff-tree', '--no-commit-id', '--name-only', '-r', result.committed!.sha)).toBe('lib/test/a.test.ts');
      expect(await status(dir)).toEqual([]);
    });

    it.each([
      ['a fork', { headRepoFullName: 'someone/example', fromFork: true }, /comes from the fork someone\/example.*on-accepted: artifact/],
      ['a deleted fork', { headRepoFullName: undefined }, /does not name the pull request's head repository.*on-accepted: artifact/]
    ])('falls back to write for %s, saying why', async (_name, overrides, why) => {
      const { dir, branch } = await checkoutPullRequest();
      const requestsBefore = server.requests.length;
      const { result, warned } = await deliver('commit', { repoDir: dir, pullRequest: pullRequest(branch, overrides) });
      expect(result).toEqual({ requested: 'commit', mode: 'write', written: TEST_FILES, warnings: warned });
      expect(warned).toEqual([expect.stringMatching(why)]);
      expect(warned[0]).toContain('written into the working tree, uncommitted: test/a.test.ts, test/deep/b.test.ts');
      expect(pushesSince(requestsBefore)).toEqual([]);
      await expectWrittenNotCommitted(dir, branch);
    });

    it('does not commit on the merge commit actions/checkout makes by default', async () => {
      const { dir, branch } = await checkoutPullRequest();
      // main moves on after the pull request branched, so the merge commit has two real parents.
      const other = path.join(root, `main-${clones}`);
      await git(root, 'clone', '--quiet', '--branch', 'main', bare, other);
      await writeFile(path.join(other, 'CHANGELOG.md'), 'on main\n');
      await git(other, 'add', 'CHANGELOG.md');
      await git(other, 'commit', '--quiet', '-m', 'main moves on');
      await git(other, 'push', '--quiet', 'origin', 'main');
      await git(dir, 'fetch', '--quiet', 'origin', 'main');
      await git(dir, 'checkout', '--quiet', '--detach');
      await git(dir, 'merge', '--quiet', '--no-ff', '-m', 'Merge into main', 'origin/main');
      const merge = await git(dir, 'rev-parse', 'HEAD');
      const { result, warned } = await deliver('commit', { repoDir: dir, pullRequest: pullRequest(branch) });
      expect(result.mode).toBe('write');
      expect(warned).toEqual([expect.stringMatching(/not at the pull request's head commit .*ref: \$\{\{ github\.head_ref \}\}/)]);
      expect(await git(dir, 'rev-parse', 'HEAD')).toBe(merge);
      expect(await remoteBranch(branch)).toBe(featureHead);
    });

    it('falls back to write when the branch moved on (non-fast-forward), leaving no local commit', async () => {
      const { dir, branch } = await checkoutPullRequest();
      // Someone pushes to the pull request while the run is busy.
      const other = path.join(root, `other-${clones}`);
      await git(root, 'clone', '--quiet', '--branch', branch, bare, other);
      await writeFile(path.join(other, 'src', 'b.ts'), 'export const b = () => 22;\n');
      await git(other, 'commit', '--quiet', '-am', 'a newer push');
      await git(other, 'push', '--quiet', 'origin', branch);
      const newer = await git(other, 'rev-parse', 'HEAD');

      const { result, warned } = await deliver('commit', { repoDir: dir, pullRequest: pullRequest(branch) });
      expect(result).toMatchObject({ requested: 'commit', mode: 'write', written: TEST_FILES });
      expect(result.committed).toBeUndefined();
      expect(warned).toEqual([expect.stringMatching(new RegExp(`pushing to ${branch} on origin failed: ${branch} moved on since this run checked it out.*Run the workflow again`))]);
      expect(await remoteBranch(branch)).toBe(newer);
      expect(await git(dir, 'rev-parse', 'HEAD')).toBe(featureHead);
      expect(await status(dir)).toEqual(TEST_FILES.map((f) => `?? ${f}`));
    });

    it.each([
      ['a read-only token (403)', TOKEN, 403],
      ['a token the server does not accept (401)', 'ghs_wrong', null]
    ])('falls back to write with %s and says which permission to grant', async (_name, token, refusal) => {
      const { dir, branch } = await checkoutPullRequest();
      server.refusePushes(refusal);
      let outcome;
      try {
        outcome = await deliver('commit', { repoDir: dir, pullRequest: pullRequest(branch), token });
      } finally {
        server.refusePushes(null);
      }
      expect(outcome.result.mode).toBe('write');
      expect(outcome.warned).toEqual([expect.stringMatching(/the token may not push to this repository\. Give the job `permissions: contents: write`/)]);
      expect(outcome.warned[0]).not.toContain(token);
      await expectWrittenNotCommitted(dir, branch);
    });

    it('does not commit tests in a path the repository ignores', async () => {
      const { dir, branch } = await checkoutPullRequest();
      const ignored: AcceptedTest = { testFile: 'ignored/a.test.ts', targetFile: 'src/a.ts', content: 'test("x", () => {});\n' };
      const { result, warned } = await deliver('commit', { repoDir: dir, pullRequest: pullRequest(branch), tests: [ignored] });
      expect(result).toMatchObject({ mode: 'write', written: ['ignored/a.test.ts'] });
      expect(warned).toEqual([expect.stringMatching(/\.gitignore excludes/)]);
      expect(await remoteBranch(branch)).toBe(featureHead);
      expect(await git(dir, 'rev-parse', 'HEAD')).toBe(featureHead);
    });

    it('without a pull request (the CLI) pushes to the checked-out branch\'s upstream, with git\'s own credentials', async () => {
      const { dir, branch } = await checkoutPullRequest({ url: bare });
      const { result, warned } = await deliver('commit', { repoDir: dir, pullRequest: null, token: undefined });
      expect(warned).toEqual([]);
      expect(result.committed).toEqual({ sha: expect.any(String), branch });
      expect(await remoteBranch(branch)).toBe(result.committed!.sha);

      await git(dir, 'checkout', '--quiet', '--detach');
      const detached = await deliver('commit', { repoDir: dir, pullRequest: null, tests: [{ ...TESTS[0]!, testFile: 'test/c.test.ts' }] });
      expect(detached.result.mode).toBe('write');
      expect(detached.warned).toEqual([expect.stringMatching(/HEAD is detached/)]);
    });

    it('does nothing when no test was accepted', async () => {
      const { dir, branch } = await checkoutPullRequest();
      const requestsBefore = server.requests.length;
      const { result, warned } = await deliver('commit', { repoDir: dir, pullRequest: pullRequest(branch), tests: [] });
      expect(result).toEqual({ requested: 'commit', mode: 'commit', written: [], warnings: [] });
      expect(warned).toEqual([]);
      expect(pushesSince(requestsBefore)).toEqual([]);
      expect(await status(dir)).toEqual([]);
    });
  });

  describe('write', () => {
    it('creates the files and never replaces one that is already there', async () => {
      const { dir, branch } = await checkoutPullRequest();
      await mkdir(path.join(dir, 'test'));
      await writeFile(path.join(dir, 'test', 'a.test.ts'), '// the user wrote this\n');
      const { result, warned } = await deliver('write', { repoDir: dir, pullRequest: pullRequest(branch) });
      expect(result).toEqual({ requested: 'write', mode: 'write', written: ['test/deep/b.test.ts'], warnings: warned });
      expect(warned).toEqual(['test/a.test.ts appeared in the working tree during the run; the generated test was not written over it.']);
      expect(await readFile(path.join(dir, 'test', 'a.test.ts'), 'utf8')).toBe('// the user wrote this\n');
      expect(await readFile(path.join(dir, 'test', 'deep', 'b.test.ts'), 'utf8')).toBe(TESTS[1]!.content);
      expect(await remoteBranch(branch)).toBe(featureHead);
    });

    it('refuses a test path outside the repository', async () => {
      const { dir } = await checkoutPullRequest();
      await expect(deliver('write', { repoDir: dir, tests: [{ testFile: '../escape.test.ts', targetFile: 'src/a.ts', content: '' }] })).rejects.toThrow(/not a path inside/);
      expect(existsSync(path.join(root, 'escape.test.ts'))).toBe(false);
    });
  });

  describe('artifact', () => {
    it('hands the tests over through the uploader and leaves the working tree alone', async () => {
      const { dir } = await checkoutPullRequest();
      const artifactDir = path.join(root, 'artifacts');
      const uploader = new DirectoryArtifactUploader(artifactDir);
      const { result, warned } = await deliver('artifact', { repoDir: dir, artifact: { name: 'aqe-accepted-tests', uploader } });
      expect(warned).toEqual([]);
      const size = TESTS.reduce((n, t) => n + Buffer.byteLength(t.content), 0);
      expect(result).toEqual({ requested: 'artifact', mode: 'artifact', written: [], artifact: { name: 'aqe-accepted-tests', files: TEST_FILES, size }, warnings: [] });
      for (const t of TESTS) expect(await readFile(path.join(artifactDir, 'aqe-accepted-tests', t.testFile), 'utf8')).toBe(t.content);
      expect(await status(dir)).toEqual([]);
      expect((await readdir(path.join(root, 'tmp'))).filter((f) => f.startsWith('aqe-artifact-'))).toEqual([]);

      // An artifact name is used once; a second upload fails, and the tests are written instead of lost.
      const again = await deliver('artifact', { repoDir: dir, artifact: { name: 'aqe-accepted-tests', uploader } });
      expect(again.result).toMatchObject({ requested: 'artifact', mode: 'write', written: TEST_FILES });
      expect(again.warned).toEqual([expect.stringMatching(/uploading the artifact "aqe-accepted-tests" failed: An artifact named "aqe-accepted-tests" already exists.*written into the working tree instead/)]);
    });

    it('writes the tests when the run has no uploader', async () => {
      const { dir } = await checkoutPullRequest();
      const { result, warned } = await deliver('artifact', { repoDir: dir });
      expect(result).toMatchObject({ mode: 'write', written: TEST_FILES });
      expect(warned).toEqual([expect.stringMatching(/no way to upload artifacts/)]);
    });
  });
});
