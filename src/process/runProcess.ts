import { spawn } from 'node:child_process';
import { KILL_GRACE_MS, RunCancelledError, runCancelledBy, trackProcess } from './cancellation.js';

/**
 * The one place that starts child processes (git, test runners, npm). Every process gets an
 * explicit working directory, environment, time limit and output cap, so a hanging or chatty
 * generated test cannot stall or flood a run, and later stages (the privacy egress guard)
 * can wrap all of them here. Every process it has running is stopped when the run is cancelled
 * (see cancellation.ts), and then rejects with RunCancelledError instead of resolving.
 */
export interface ProcessSpec {
  command: string;
  args: readonly string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Killed (whole process group) after this long. */
  timeoutMs: number;
  /** Bytes kept of stdout and of stderr each; the rest is dropped and `truncated` set. */
  maxOutputBytes?: number;
  input?: string;
  /** Asked every `everyMs`; true stops the process as its time limit would, with `stalled` set in the result. */
  stalled?: StallCheck;
}

export interface StallCheck {
  everyMs: number;
  check: () => boolean;
}

export interface ProcessResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Stopped early by the spec's stall check (timedOut is set too). */
  stalled?: boolean;
  stdout: string;
  stderr: string;
  truncated: boolean;
  durationMs: number;
}

const DEFAULT_OUTPUT_CAP = 1024 * 1024;

export type ProcessWrapper = (spec: ProcessSpec) => ProcessSpec;
let wrapper: ProcessWrapper = (spec) => spec;

/** Lets a stage (privacy mode) rewrite every process spec in one place. */
export function setProcessWrapper(next: ProcessWrapper): void {
  wrapper = next;
}

export function runProcess(input: ProcessSpec): Promise<ProcessResult> {
  const spec = wrapper(input);
  const cap = spec.maxOutputBytes ?? DEFAULT_OUTPUT_CAP;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const cancelled = runCancelledBy();
    if (cancelled !== undefined) {
      reject(new RunCancelledError(cancelled));
      return;
    }
    // detached: own process group, so a test runner's workers die with it on timeout.
    const child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: process.platform !== 'win32',
      stdio: ['pipe', 'pipe', 'pipe']
    });
    const out = new CappedBuffer(cap);
    const err = new CappedBuffer(cap);
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const killGroup = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, signal);
        else child.kill(signal);
      } catch {
        // already gone
      }
    };
    let closed!: () => void;
    const untrack = trackProcess({ killGroup, closed: new Promise<void>((done) => (closed = done)) });
    const stop = (): void => {
      if (timedOut) return;
      timedOut = true;
      clearInterval(stallTimer);
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
    };
    const timer = setTimeout(stop, spec.timeoutMs);
    let stalled = false;
    const stallTimer = spec.stalled
      ? setInterval(() => {
          if (timedOut || !spec.stalled!.check()) return;
          stalled = true;
          stop();
        }, spec.stalled.everyMs)
      : undefined;
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      clearInterval(stallTimer);
      clearTimeout(killTimer);
      untrack();
      closed();
      reject(new Error(`Could not start "${spec.command}" in ${spec.cwd}: ${error.message}`));
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      clearInterval(stallTimer);
      clearTimeout(killTimer);
      // Reap anything the process left behind in its group (jest workers, servers a test started), whether it
      // ended on its own or at the time limit: nothing a run started may outlive it.
      killGroup('SIGKILL');
      untrack();
      closed();
      // Stopped by the cancellation (or ended while it was under way): its outcome is no verdict on anything.
      const cancelledBy = runCancelledBy();
      if (cancelledBy !== undefined) {
        reject(new RunCancelledError(cancelledBy));
        return;
      }
      resolve({
        exitCode,
        signal,
        timedOut,
        ...(stalled ? { stalled } : {}),
        stdout: out.text(),
        stderr: err.text(),
        truncated: out.truncated || err.truncated,
        durationMs: Date.now() - started
      });
    });
    if (spec.input !== undefined) child.stdin.end(spec.input);
    else child.stdin.end();
  });
}

class CappedBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly cap: number) {}
  push(chunk: Buffer): void {
    const room = this.cap - this.size;
    if (room <= 0) {
      this.truncated = true;
      return;
    }
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (kept !== chunk) this.truncated = true;
    this.chunks.push(kept);
    this.size += kept.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
