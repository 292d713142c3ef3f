import { afterEach, beforeAll, afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { runProcess, setProcessWrapper, type ProcessSpec } from '../../src/process/runProcess.js';
import { processesStillAlive } from '../support/processesGone.js';

let cwd: string;
beforeAll(() => {
  cwd = realpathSync(mkdtempSync(path.join(tmpdir(), 'aqe-proc-')));
});
afterAll(() => {
  rmSync(cwd, { recursive: true, force: true });
});
afterEach(() => {
  setProcessWrapper((spec) => spec);
});

function sh(script: string, extra: Partial<ProcessSpec> = {}): Promise<Awaited<ReturnType<typeof runProcess>>> {
  return runProcess({ command: 'sh', args: ['-c', script], cwd, timeoutMs: 10_000, ...extra });
}

describe('runProcess', () => {
  it('returns exit code 0 and the output of both streams', async () => {
    const r = await sh('echo out; echo err >&2');
    expect(r).toMatchObject({ exitCode: 0, signal: null, timedOut: false, stdout: 'out\n', stderr: 'err\n', truncated: false });
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
    expect(r.durationMs).toBeLessThan(10_000);
  });

  it('returns a non-zero exit code without rejecting', async () => {
    const r = await sh('echo failing >&2; exit 3');
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toBe('failing\n');
    expect(r.timedOut).toBe(false);
  });

  it('runs in the given working directory with the given environment', async () => {
    const r = await runProcess({
      command: 'sh',
      args: ['-c', 'pwd; echo "$AQE_TEST_VAR"'],
      cwd,
      env: { PATH: process.env.PATH, AQE_TEST_VAR: 'hello env' },
      timeoutMs: 10_000
    });
    expect(r.stdout).toBe(`${cwd}\nhello env\n`);
  });

  it('passes arguments verbatim, without a shell', async () => {
    const r = await runProcess({ command: 'printf', args: ['%s|', 'a b', '$HOME', '*'], cwd, timeoutMs: 10_000 });
    expect(r.stdout).toBe('a b|$HOME|*|');
  });

  it('feeds input to stdin', async () => {
    const r = await runProcess({ command: 'cat', args: [], cwd, timeoutMs: 10_000, input: 'line 1\nline 2\n' });
    expect(r.stdout).toBe('line 1\nline 2\n');
  });

  it('closes stdin when there is no input, so readers do not hang', async () => {
    const r = await runProcess({ command: 'cat', args: [], cwd, timeoutMs: 5_000 });
    expect(r).toMatchObject({ exitCode: 0, stdout: '', timedOut: false });
  });

  it('kills the whole process group at the time limit', async () => {
    const started = Date.now();
    const r = await sh('sleep 30 & echo $!; sleep 30', { timeoutMs: 300 });
    const elapsed = Date.now() - started;
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBeNull();
    expect(r.signal).toBe('SIGTERM');
    expect(elapsed).toBeLessThan(5_000);
    const backgroundPid = Number(r.stdout.trim());
    expect(Number.isInteger(backgroundPid) && backgroundPid > 0).toBe(true);
    expect(await processesStillAlive([backgroundPid], 2_000)).toEqual([]);
  });

  it('stops the process group when its stall check says so, marked stalled and timed out, and only then', async () => {
    let checks = 0;
    const started = Date.now();
    const r = await sh('sleep 30 & echo $!; sleep 30', { timeoutMs: 20_000, stalled: { everyMs: 50, check: () => ++checks >= 3 } });
    expect(r).toMatchObject({ timedOut: true, stalled: true, signal: 'SIGTERM' });
    expect(checks).toBe(3);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await processesStillAlive([Number(r.stdout.trim())], 2_000)).toEqual([]);
    // A check that never fires leaves the process to end on its own, and nothing says it stalled.
    const calm = await sh('sleep 0.3; echo done', { stalled: { everyMs: 50, check: () => false } });
    expect(calm).toMatchObject({ exitCode: 0, timedOut: false, stdout: 'done\n' });
    expect(calm.stalled).toBeUndefined();
  });

  it('ends what a process left running in its group when it exits on its own', async () => {
    // The background sleep lets go of the output pipes, so the run ends at once and the sleep would live on.
    const r = await sh('sleep 30 >/dev/null 2>&1 </dev/null & echo $!');
    expect(r).toMatchObject({ exitCode: 0, timedOut: false });
    const backgroundPid = Number(r.stdout.trim());
    expect(Number.isInteger(backgroundPid) && backgroundPid > 0).toBe(true);
    expect(await processesStillAlive([backgroundPid], 2_000)).toEqual([]);
  });

  it('escalates to SIGKILL when the process ignores SIGTERM', async () => {
    const started = Date.now();
    const r = await sh("trap '' TERM; echo ready; while :; do sleep 0.05; done", { timeoutMs: 500 });
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe('SIGKILL');
    expect(r.stdout).toBe('ready\n');
    expect(Date.now() - started).toBeLessThan(6_000);
  });

  it('caps each stream and sets truncated', async () => {
    const r = await sh("head -c 5000 /dev/zero | tr '\\0' a; head -c 10 /dev/zero | tr '\\0' b >&2", { maxOutputBytes: 1000 });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('a'.repeat(1000));
    expect(r.stderr).toBe('b'.repeat(10));
    expect(r.truncated).toBe(true);
  });

  it('does not set truncated when output fits exactly', async () => {
    const r = await sh("head -c 1000 /dev/zero | tr '\\0' a", { maxOutputBytes: 1000 });
    expect(r.stdout).toHaveLength(1000);
    expect(r.truncated).toBe(false);
  });

  it('rejects with a message naming a missing command and the directory', async () => {
    const missing = 'aqe-no-such-command-xyz';
    await expect(runProcess({ command: missing, args: [], cwd, timeoutMs: 5_000 })).rejects.toThrow(
      new RegExp(`^Could not start "${missing}" in ${cwd.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*ENOENT`)
    );
  });

  it('rejects when the working directory does not exist', async () => {
    const gone = path.join(cwd, 'does-not-exist');
    await expect(runProcess({ command: 'sh', args: ['-c', 'true'], cwd: gone, timeoutMs: 5_000 })).rejects.toThrow(`Could not start "sh" in ${gone}`);
  });

  it('lets a wrapper rewrite every spec', async () => {
    const seen: ProcessSpec[] = [];
    setProcessWrapper((spec) => {
      seen.push(spec);
      return { ...spec, command: 'sh', args: ['-c', `echo wrapped: ${spec.command} ${spec.args.join(' ')}`] };
    });
    const r = await runProcess({ command: 'git', args: ['status'], cwd, timeoutMs: 5_000 });
    expect(r.stdout).toBe('wrapped: git status\n');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ command: 'git', args: ['status'], cwd });
  });

  it('names the wrapped command when the rewritten one cannot start', async () => {
    setProcessWrapper((spec) => ({ ...spec, command: 'aqe-missing-wrapper-xyz' }));
    await expect(runProcess({ command: 'sh', args: ['-c', 'true'], cwd, timeoutMs: 5_000 })).rejects.toThrow('Could not start "aqe-missing-wrapper-xyz"');
  });

  it('uses specs unchanged again once the wrapper is restored', async () => {
    setProcessWrapper(() => ({ command: 'sh', args: ['-c', 'echo never'], cwd, timeoutMs: 5_000 }));
    setProcessWrapper((spec) => spec);
    const r = await sh('echo direct');
    expect(r.stdout).toBe('direct\n');
  });
});
