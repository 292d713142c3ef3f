import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { prepareExamplePullRequest, type ExamplePullRequest } from '../../src/cli/exampleRepo.js';
import { examplesDir } from '../../src/core/packageRoot.js';
import { PULL_REQUEST_TARGET_REFUSAL } from '../../src/events/PullRequestEvent.js';
import { writeTextChainModel } from '../../src/gguf/textChainModel.js';
import { DEMO_ANSWER_FILE } from '../../src/inference/model/demoModel.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { makeRunnerDirs, pullRequestPayload, runAction, type ActionRun, type RunnerDirs } from '../support/actionHarness.js';
import { startFakeGitHubApi, type FakeGitHubApi } from '../support/fakeGitHubApi.js';
import { expectValidExchanges } from '../support/expectValidExchanges.js';
import { startFakeOpenAiServer } from '../support/fakeOpenAiServer.js';
import { TmpfsMounts } from '../support/tmpfsMounts.js';

const mounts = await TmpfsMounts.create('aqe-preflight-e2e-mounts-');
const onMounts = mounts.available ? it : it.skip;
if (!mounts.available) console.warn(`Read-only and full RUNNER_TEMP tests skipped: ${mounts.reason}`);
// The openai SDK, which the shared server is reached with, declares engines node >= 22 (CI runs this suite on Node 24).
const nodeMajor = Number(process.versions.node.split('.')[0]);
const describeOnSharedServerNode = nodeMajor >= 22 ? describe : describe.skip;
const SHARED_SERVER_SKIP = nodeMajor >= 22 ? '' : ` (skipped: the openai SDK needs Node >= 22, this is Node ${process.versions.node}; run with .ci/.node24)`;

/**
 * What the bundled action checks before any test runs: each bad input or runner fault ends in
 * exactly one error naming it, with no suite run and nothing sent to the pull request.
 */
describe('action preflight', () => {
  let api: FakeGitHubApi;
  let dirs: RunnerDirs;
  let pr: ExamplePullRequest;
  let event: unknown;

  beforeAll(async () => {
    api = await startFakeGitHubApi();
    dirs = await makeRunnerDirs('aqe-preflight-e2e-');
    pr = await prepareExamplePullRequest(dirs.workspace);
    event = pullRequestPayload({ owner: 'aqe', repo: 'example', number: 5, baseSha: pr.baseSha, headSha: pr.headSha });
    api.setPullFiles('aqe', 'example', 5, [{ filename: 'src/strings.ts', status: 'added' }]);
    await writeFile(path.join(dirs.workspace, 'notes.txt'), 'not a directory');
    await mkdir(path.join(dirs.workspace, 'reports'));
    await writeTextChainModel(path.join(dirs.workspace, 'tiny.gguf'), 'export const x = 1;\n');
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    expectValidExchanges(api);
    await mounts.cleanUp();
    if (dirs) await rm(dirs.root, { recursive: true, force: true });
  });

  const base = (): Record<string, string> => ({ 'github-token': 't', 'working-directory': 'ts-lib', model: 'demo' });

  async function run(
    inputs: Record<string, string>,
    opts: { eventName?: string; extraEnv?: NodeJS.ProcessEnv; runner?: RunnerDirs } = {}
  ): Promise<ActionRun & { apiCalls: number }> {
    const before = api.requests.length;
    const result = await runAction(opts.runner ?? dirs, {
      inputs,
      event,
      eventName: opts.eventName,
      apiUrl: api.url,
      timeoutMs: 300_000,
      ...(opts.extraEnv ? { extraEnv: opts.extraEnv } : {})
    });
    return { ...result, apiCalls: api.requests.length - before };
  }

  const errorsOf = (r: ActionRun): string[] => r.stdout.split('\n').filter((l) => l.startsWith('::error::'));

  /** Exit 1, one error matching `message`, no suite run, no request to GitHub (so no comment). */
  async function expectRefused(inputs: Record<string, string>, message: RegExp, opts: Parameters<typeof run>[1] = {}): Promise<void> {
    const r = await run(inputs, opts);
    expect({ exitCode: r.exitCode, errors: errorsOf(r), baseline: /Baseline/.test(r.stdout), apiCalls: r.apiCalls }).toEqual({
      exitCode: 1,
      errors: [expect.stringMatching(message)],
      baseline: false,
      apiCalls: 0
    });
  }

  it('refuses a working-directory that does not exist', async () => {
    await expectRefused({ ...base(), 'working-directory': 'no-such-dir' }, /^::error::Input "working-directory": .*no-such-dir does not exist\./);
  });

  it('refuses a working-directory that is a file', async () => {
    await expectRefused({ ...base(), 'working-directory': 'notes.txt' }, /^::error::Input "working-directory": .*notes\.txt is a file, not a directory/);
  });

  it('refuses a working-directory outside the workspace', async () => {
    await expectRefused({ ...base(), 'working-directory': '../..' }, /^::error::Input "working-directory": .* is outside the workspace /);
  });

  it('refuses a report-path that is a directory', async () => {
    await expectRefused({ ...base(), 'report-path': 'reports' }, /^::error::Input "report-path": .*reports is a directory\. Give the path of a file/);
  });

  onMounts('refuses a read-only RUNNER_TEMP, naming it and the fix', async () => {
    const temp = await mounts.readOnly('ro-runner-temp');
    await expectRefused(
      base(),
      new RegExp(
        `^::error::Input "RUNNER_TEMP": the temp directory ${temp} cannot be written: it is on a read-only file system\\. Point RUNNER_TEMP at a writable directory`
      ),
      {
        extraEnv: { RUNNER_TEMP: temp }
      }
    );
  });

  onMounts('refuses a full RUNNER_TEMP, naming it and the fix', async () => {
    const temp = await mounts.full('full-runner-temp');
    await expectRefused(base(), new RegExp(`^::error::Input "RUNNER_TEMP": the temp directory ${temp} cannot be written: no space is left on its disk`), {
      extraEnv: { RUNNER_TEMP: temp }
    });
  });

  it('refuses a missing replay file before the suite runs', async () => {
    await expectRefused(
      { ...base(), model: '', 'replay-file': 'answers/missing.jsonl' },
      /^::error::Input "replay-file": .*answers\/missing\.jsonl does not exist\. Record one first/
    );
  });

  it('refuses a local model whose sha256 differs, with both hashes, before the suite runs', async () => {
    await expectRefused(
      { ...base(), model: 'tiny.gguf', 'model-sha256': '0'.repeat(64) },
      /^::error::Input "model-sha256": .*tiny\.gguf has the sha256 [0-9a-f]{64}, not 0{64}\./
    );
  });

  it('refuses sandbox: require where bubblewrap cannot be found, before the suite runs', async () => {
    // A PATH without bwrap; git and the rest are not reached, the refusal comes first.
    await expectRefused(
      { ...base(), sandbox: 'require' },
      /^::error::Input "sandbox": it is require, but the tests cannot be confined: bubblewrap \(bwrap\) is not installed\. Install bubblewrap on the runner/,
      { extraEnv: { PATH: path.join(dirs.root, 'no-programs-here') } }
    );
  });

  it('refuses an unknown sandbox mode and a test-env entry that is not a name', async () => {
    await expectRefused({ ...base(), sandbox: 'strict' }, /^::error::Input "sandbox": "strict" is not a sandbox option\. Use auto/);
    await expectRefused({ ...base(), 'test-env': 'TOKEN=abc' }, /^::error::Input "test-env": "TOKEN=abc" is not a variable name/);
  });

  it('refuses pull_request_target and explains why and what to do', async () => {
    const r = await run(base(), { eventName: 'pull_request_target' });
    expect({ exitCode: r.exitCode, errors: errorsOf(r), apiCalls: r.apiCalls }).toEqual({
      exitCode: 1,
      errors: [`::error::${PULL_REQUEST_TARGET_REFUSAL}`],
      apiCalls: 0
    });
    expect(PULL_REQUEST_TARGET_REFUSAL).toMatch(/write to the repository.*secrets.*`on: pull_request`.*`allow-pull-request-target: true`/);
  });

  it('names the missing test runner when no package has one installed', async () => {
    const bare = await makeRunnerDirs('aqe-preflight-nojest-');
    try {
      await prepareExamplePullRequest(bare.workspace);
      await unlink(path.join(bare.workspace, 'ts-lib', 'node_modules'));
      const r = await run(base(), { runner: bare });
      expect({ exitCode: r.exitCode, errors: errorsOf(r), baseline: /Baseline/.test(r.stdout) }).toEqual({
        exitCode: 1,
        errors: [expect.stringMatching(/^::error::jest is not installed in .*ts-lib .*Install the repository's dependencies before this step/)],
        baseline: false
      });
      expect(api.comments.get(5) ?? []).toHaveLength(0);
    } finally {
      await rm(bare.root, { recursive: true, force: true });
    }
  });

  it('privacy strict with a cloud key refuses before any socket: the configured endpoint sees no connection, nothing is generated', async () => {
    // A listener standing in for the cloud endpoint: it counts every TCP connection, whatever comes over it.
    let connections = 0;
    const listener = net.createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const { port } = listener.address() as net.AddressInfo;
    const key = 'sk-ant-strict-preflight-7f8e9d0c';
    try {
      const r = await run({ ...base(), privacy: 'strict', 'anthropic-api-key': key, 'anthropic-base-url': `http://127.0.0.1:${port}`, comment: 'false' });
      expect({ exitCode: r.exitCode, errors: errorsOf(r), baseline: /Baseline/.test(r.stdout), apiCalls: r.apiCalls }).toEqual({
        exitCode: 1,
        errors: [
          expect.stringMatching(
            new RegExp(
              `^::error::Input "privacy": privacy is strict, and anthropic-api-key configures .* at http://127\\.0\\.0\\.1:${port}, which is not on allowed-endpoints: .*\\. Remove anthropic-api-key from this job .*add 127\\.0\\.0\\.1:${port} to allowed-endpoints`
            )
          )
        ],
        baseline: false,
        apiCalls: 0
      });
      expect(connections).toBe(0);
      expect(r.outputs['tests-generated'] ?? '').toBe('');
      for (const text of [r.stderr, ...r.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::'))]) expect(text).not.toContain(key);
    } finally {
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    }
  });

  describeOnSharedServerNode(`a shared server under privacy strict${SHARED_SERVER_SKIP}`, () => {
    it('privacy strict lets a shared server on allowed-endpoints write the tests', async () => {
      const shared = await startFakeOpenAiServer();
      try {
        const host = new URL(shared.url).host;
        const r = await run({
          ...base(),
          privacy: 'strict',
          'allowed-endpoints': host,
          'router-mode': 'cloud-only',
          'shared-server-url': shared.url,
          'shared-server-model': 'internal-coder',
          comment: 'false',
          'max-repairs': '0',
          'repeat-runs': '0'
        });
        expect({ exitCode: r.exitCode, errors: errorsOf(r), log: r.stdout.slice(-3000) }).toEqual({
          exitCode: 0,
          errors: [],
          log: expect.stringContaining('Baseline')
        });
        expect(r.stdout).not.toContain('PrivacyViolationError');
        expect(shared.requests.filter((q) => q.path === '/v1/chat/completions').length).toBeGreaterThan(0);
        expect(r.outputs['privacy-enforcement']).toMatch(/in-process/);
      } finally {
        await shared.close();
      }
    });
  });

  describe('a run that passes preflight', () => {
    let tmpdir: string;
    let accepted: ActionRun;

    beforeAll(async () => {
      tmpdir = await mkdtemp(path.join(dirs.root, 'tmpdir-'));
      accepted = await run(
        { ...base(), 'allow-pull-request-target': 'true', comment: 'false' },
        { eventName: 'pull_request_target', extraEnv: { TMPDIR: tmpdir } }
      );
    }, 300_000);

    it('runs on pull_request_target when allow-pull-request-target is true', () => {
      expect({ exitCode: accepted.exitCode, errors: errorsOf(accepted), log: accepted.stdout.slice(-3000) }).toEqual({
        exitCode: 0,
        errors: [],
        log: expect.stringContaining('Baseline')
      });
      expect(accepted.outputs['tests-generated']).toBe('1');
    });

    it('leaves no aqe-* directory in RUNNER_TEMP or in the temp dir', async () => {
      const aqeDirs = async (dir: string): Promise<string[]> =>
        (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && e.name.startsWith('aqe-')).map((e) => path.join(dir, e.name));
      expect([...(await aqeDirs(dirs.temp)), ...(await aqeDirs(tmpdir))]).toEqual([]);
      // Not vacuous: the run did use both places.
      expect(await readdir(dirs.temp)).toContain('aqe-report.json');
    });
  });

  it('warns once, in the log and the report, about replay lines for files that are not targets', async () => {
    const replay = path.join(dirs.root, 'answers.jsonl');
    await writeFile(
      replay,
      [
        { target: 'src/strings.ts', response: { text: await readFile(path.join(examplesDir(), DEMO_ANSWER_FILE), 'utf8') } },
        { target: 'src/strng.ts', response: { text: 'typo' } }
      ]
        .map((l) => JSON.stringify(l))
        .join('\n')
    );
    const reportPath = path.join(dirs.root, 'replay-report.json');
    const r = await run({ ...base(), model: '', 'replay-file': replay, 'report-path': reportPath, comment: 'false', 'max-repairs': '0', 'repeat-runs': '0' });
    expect({ exitCode: r.exitCode, errors: errorsOf(r), log: r.stdout.slice(-3000) }).toEqual({
      exitCode: 0,
      errors: [],
      log: expect.stringContaining('Baseline')
    });
    const warnings = r.stdout.split('\n').filter((l) => l.startsWith('::warning::replay-file:'));
    expect(warnings).toEqual([
      expect.stringContaining(`1 line of ${replay} answer for files that are not targets of this run and are ignored: "src/strng.ts" (line 2)`)
    ]);
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as RunReport;
    expect(report.warnings.filter((w) => w.startsWith('replay-file:'))).toHaveLength(1);
  });
});
