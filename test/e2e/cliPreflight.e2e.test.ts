import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { prepareExamplePullRequest, type ExamplePullRequest } from '../../src/cli/exampleRepo.js';
import { examplesDir } from '../../src/core/packageRoot.js';
import { DEMO_ANSWER_FILE } from '../../src/inference/model/demoModel.js';
import { runProcess, type ProcessResult } from '../../src/process/runProcess.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { PACKAGE_ROOT, SUITE_CLI_FLAGS } from '../support/actionHarness.js';
import { TmpfsMounts } from '../support/tmpfsMounts.js';

const mounts = await TmpfsMounts.create('aqe-cli-preflight-mounts-');
const onMounts = mounts.available ? it : it.skip;
if (!mounts.available) console.warn(`The read-only TMPDIR test is skipped: ${mounts.reason}`);

/** `aqe run` as a user types it (bin/aqe.js): bad inputs end before any test runs, and a run leaves its temp dir clean. */
describe('aqe run preflight', () => {
  let root: string;
  let pr: ExamplePullRequest;
  let answers: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'aqe-cli-preflight-'));
    pr = await prepareExamplePullRequest(path.join(root, 'checkout'));
    answers = path.join(root, 'answers.jsonl');
    await writeFile(
      answers,
      `${JSON.stringify({ target: 'src/strings.ts', response: { text: await readFile(path.join(examplesDir(), DEMO_ANSWER_FILE), 'utf8') } })}\n`
    );
  }, 60_000);

  afterAll(async () => {
    await mounts.cleanUp();
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function aqe(args: string[], tmpdir: string, extra: { env?: NodeJS.ProcessEnv; wrapper?: string[] } = {}): Promise<ProcessResult> {
    const [command, ...prefix] = [...(extra.wrapper ?? []), process.execPath];
    return runProcess({
      command: command!,
      args: [...prefix, path.join(PACKAGE_ROOT, 'bin', 'aqe.js'), 'run', '--base', pr.baseSha, '--head', pr.headSha, ...SUITE_CLI_FLAGS, ...args],
      cwd: path.join(root, 'checkout'),
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: tmpdir, XDG_CACHE_HOME: path.join(root, 'cache'), ...extra.env },
      timeoutMs: 300_000
    });
  }

  it('refuses privacy strict with a cloud key in the environment, exit 2, before anything is read', async () => {
    const run = await aqe(['--repo', 'ts-lib', '--replay-file', answers, '--privacy', 'strict'], await freshTmpdir(), {
      env: { ANTHROPIC_API_KEY: 'sk-ant-test-not-a-real-key' }
    });
    expect({ exitCode: run.exitCode, stderr: run.stderr }).toEqual({
      exitCode: 2,
      stderr: expect.stringMatching(
        /^aqe: Input "privacy": privacy is strict, and anthropic-api-key configures the Anthropic API at https:\/\/api\.anthropic\.com/
      )
    });
    expect(run.stdout + run.stderr).not.toContain('sk-ant-test-not-a-real-key');
    expect(run.stdout).not.toContain('Baseline');
  });

  it('refuses an allowed endpoint without a port, exit 2', async () => {
    const run = await aqe(['--repo', 'ts-lib', '--replay-file', answers, '--allowed-endpoints', 'gpu-box'], await freshTmpdir());
    expect({ exitCode: run.exitCode, stderr: run.stderr }).toEqual({
      exitCode: 2,
      stderr: expect.stringMatching(/^aqe: Input "allowed-endpoints": "gpu-box" is not host:port \(the port is required\)/)
    });
  });

  // `unshare --net` gives the run what `docker run --network none` gives a container: nothing but loopback.
  const itAsRoot = process.getuid?.() === 0 ? it : it.skip;
  itAsRoot('under strict, reports a machine without network as the OS layer in effect, and audits the run', async () => {
    const tmpdir = await freshTmpdir();
    const report = path.join(root, 'strict-report.json');
    const audit = path.join(root, 'strict-audit.jsonl');
    const run = await aqe(['--repo', 'ts-lib', '--replay-file', answers, '--privacy', 'strict', '--report', report, '--audit-log', audit], tmpdir, {
      wrapper: ['unshare', '--net']
    });
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toContain('privacy strict: egress dropped by in-process, container-network-none, sandbox-network; only loopback can be reached.');
    const compliance = (JSON.parse(await readFile(report, 'utf8')) as RunReport).compliance!;
    // The replay file answers strings.ts only: math.ts's request fails, and is audited all the same.
    expect(compliance).toMatchObject({ privacy: 'strict', gaps: [], auditLog: audit, requests: { local: 2, cloud: 0 } });
    expect(compliance.enforcement).toEqual(['in-process', 'container-network-none', 'sandbox-network']);
    const lines = (await readFile(audit, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; event?: string; tier?: string });
    expect(lines.map((l) => l.event ?? l.tier)).toEqual(['start', 'local', 'local', 'end']);
  });

  const freshTmpdir = async (): Promise<string> => mkdtemp(path.join(root, 'tmpdir-'));

  it('refuses a --repo that is a file, with exit code 2, before any test runs', async () => {
    const run = await aqe(['--repo', 'ts-lib/package.json', '--replay-file', answers], await freshTmpdir());
    expect({ exitCode: run.exitCode, stderr: run.stderr }).toEqual({
      exitCode: 2,
      stderr: expect.stringMatching(/^aqe: Input "working-directory": .*package\.json is a file, not a directory\./)
    });
    expect(run.stderr).not.toContain('Baseline');
  });

  it('refuses a missing replay file with exit code 2, before any test runs', async () => {
    const run = await aqe(['--repo', 'ts-lib', '--replay-file', path.join(root, 'none.jsonl')], await freshTmpdir());
    expect({ exitCode: run.exitCode, stderr: run.stderr }).toEqual({
      exitCode: 2,
      stderr: expect.stringMatching(/^aqe: Input "replay-file": .*none\.jsonl does not exist\./)
    });
  });

  onMounts('refuses a read-only TMPDIR, naming it', async () => {
    const tmpdir = await mounts.readOnly('ro-tmpdir');
    const run = await aqe(['--repo', 'ts-lib', '--replay-file', answers], tmpdir);
    expect({ exitCode: run.exitCode, stderr: run.stderr }).toEqual({
      exitCode: 2,
      stderr: `aqe: Input "TMPDIR": the temp directory ${tmpdir} cannot be written: it is on a read-only file system. Point TMPDIR at a writable directory with free space, or free disk space on ${tmpdir}.\n`
    });
  });

  it('removes its temp dir when the report goes elsewhere, and keeps only the report when it is the default', async () => {
    const tmpdir = await freshTmpdir();
    const report = path.join(root, 'reports', 'run.json');
    await mkdir(path.dirname(report));
    const elsewhere = await aqe(['--repo', 'ts-lib', '--replay-file', answers, '--report', report, '--repeat-runs', '0'], tmpdir);
    expect({ exitCode: elsewhere.exitCode, stderr: elsewhere.stderr.slice(-2000) }).toEqual({ exitCode: 0, stderr: expect.stringContaining('Baseline') });
    expect((JSON.parse(await readFile(report, 'utf8')) as RunReport).testsGenerated).toBe(1);
    expect((await readdir(tmpdir)).filter((name) => name.startsWith('aqe-'))).toEqual([]);

    await rm(path.join(pr.repoDir, 'test', 'strings.test.ts'), { force: true });
    const byDefault = await aqe(['--repo', 'ts-lib', '--replay-file', answers, '--repeat-runs', '0'], tmpdir);
    expect(byDefault.exitCode).toBe(0);
    const left = (await readdir(tmpdir)).filter((name) => name.startsWith('aqe-'));
    expect(left).toHaveLength(1);
    expect(await readdir(path.join(tmpdir, left[0]!))).toEqual(['aqe-report.json']);
  });
});
