import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import {
  cancellationSignal,
  cancelRun,
  forceStop,
  processesSettled,
  removeOnForcedStop,
  resetCancellation,
  RunCancelledError,
  runCancelledBy,
  throwIfCancelled
} from '../../src/process/cancellation.js';
import { runProcess } from '../../src/process/runProcess.js';
import { exitCodeFor } from '../../src/process/terminationSignals.js';
import { isAlive, processesStillAlive } from '../support/processesGone.js';

let cwd: string;
beforeAll(() => {
  cwd = realpathSync(mkdtempSync(path.join(tmpdir(), 'aqe-cancel-')));
});
afterAll(() => {
  rmSync(cwd, { recursive: true, force: true });
});
afterEach(() => {
  resetCancellation();
});

/** A shell that starts a background sleep in its own group, prints its pid, and then waits; resolves once the pid is known. */
async function startHanging(script = 'sleep 60 & echo $! > "$1"; wait'): Promise<{ run: Promise<unknown>; backgroundPid: number }> {
  const pidFile = path.join(cwd, `pid-${Math.random().toString(36).slice(2)}`);
  const run = runProcess({ command: 'sh', args: ['-c', script, 'sh', pidFile], cwd, timeoutMs: 60_000 });
  run.catch(() => undefined);
  const deadline = Date.now() + 5_000;
  while (!existsSync(pidFile) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 20)); // the write may not be complete the moment the file exists
  const backgroundPid = Number(readFileSync(pidFile, 'utf8').trim());
  expect(Number.isInteger(backgroundPid) && backgroundPid > 0).toBe(true);
  return { run, backgroundPid };
}

describe('cancelRun', () => {
  it('stops the whole group of a running process, which rejects with RunCancelledError instead of resolving', async () => {
    const { run, backgroundPid } = await startHanging();
    const started = Date.now();
    await cancelRun('SIGTERM');
    await expect(run).rejects.toBeInstanceOf(RunCancelledError);
    await expect(run).rejects.toThrow(/^The run was cancelled by SIGTERM: every process it started was stopped/);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await processesStillAlive([backgroundPid], 2_000)).toEqual([]);
  });

  it('kills with SIGKILL what ignores SIGTERM, after the grace', async () => {
    const { run, backgroundPid } = await startHanging('trap \'\' TERM; sleep 60 & echo $! > "$1"; while :; do sleep 0.05; done');
    const started = Date.now();
    await cancelRun('SIGINT', 300);
    const elapsed = Date.now() - started;
    await expect(run).rejects.toThrow(/cancelled by SIGINT/);
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(3_000);
    expect(await processesStillAlive([backgroundPid], 2_000)).toEqual([]);
  });

  it('makes every later runProcess call reject at once, without starting anything', async () => {
    await cancelRun('SIGTERM');
    const witness = path.join(cwd, 'started-after-cancel');
    await expect(runProcess({ command: 'sh', args: ['-c', 'touch "$1"', 'sh', witness], cwd, timeoutMs: 5_000 })).rejects.toBeInstanceOf(RunCancelledError);
    await new Promise((r) => setTimeout(r, 200));
    expect(existsSync(witness)).toBe(false);
  });

  it('aborts the run signal with a RunCancelledError and makes throwIfCancelled throw', async () => {
    const signal = cancellationSignal();
    expect(signal.aborted).toBe(false);
    expect(() => throwIfCancelled()).not.toThrow();
    expect(runCancelledBy()).toBeUndefined();
    await cancelRun('SIGINT');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(RunCancelledError);
    expect((signal.reason as RunCancelledError).signal).toBe('SIGINT');
    expect(() => throwIfCancelled()).toThrow(RunCancelledError);
    expect(runCancelledBy()).toBe('SIGINT');
  });

  it('keeps the first signal when a second one arrives', async () => {
    await cancelRun('SIGINT');
    await cancelRun('SIGTERM');
    expect(runCancelledBy()).toBe('SIGINT');
  });

  it('leaves processes that finished before it alone, and runs resume after a reset', async () => {
    const before = await runProcess({ command: 'sh', args: ['-c', 'echo done'], cwd, timeoutMs: 5_000 });
    expect(before.stdout).toBe('done\n');
    await cancelRun('SIGTERM');
    resetCancellation();
    expect(cancellationSignal().aborted).toBe(false);
    const after = await runProcess({ command: 'sh', args: ['-c', 'echo again'], cwd, timeoutMs: 5_000 });
    expect(after).toMatchObject({ exitCode: 0, stdout: 'again\n' });
  });
});

describe('processesSettled', () => {
  it('resolves only when the processes runProcess has running have closed', async () => {
    const run = runProcess({ command: 'sh', args: ['-c', 'sleep 0.4'], cwd, timeoutMs: 5_000 });
    const started = Date.now();
    await processesSettled();
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    await expect(run).resolves.toMatchObject({ exitCode: 0 });
  });
});

describe('forceStop', () => {
  it('kills every running group at once and removes the directories registered for it', async () => {
    const scratch = path.join(cwd, 'aqe-run-forced');
    mkdirSync(path.join(scratch, 'deep'), { recursive: true });
    writeFileSync(path.join(scratch, 'deep', 'file'), 'x');
    const kept = path.join(cwd, 'aqe-run-released');
    mkdirSync(kept);
    removeOnForcedStop(scratch);
    removeOnForcedStop(kept)();
    const { run, backgroundPid } = await startHanging('trap \'\' TERM; sleep 60 & echo $! > "$1"; while :; do sleep 0.05; done');
    forceStop();
    expect(existsSync(scratch)).toBe(false);
    expect(existsSync(kept)).toBe(true);
    // Not a cancellation: the process ends by SIGKILL and resolves as killed.
    await expect(run).resolves.toMatchObject({ signal: 'SIGKILL' });
    expect(await processesStillAlive([backgroundPid], 2_000)).toEqual([]);
    expect(isAlive(backgroundPid)).toBe(false);
  });
});

describe('exitCodeFor', () => {
  it('is 128 plus the signal number, as a shell reports a process ended by it', () => {
    expect(exitCodeFor('SIGINT')).toBe(130);
    expect(exitCodeFor('SIGTERM')).toBe(143);
  });
});
