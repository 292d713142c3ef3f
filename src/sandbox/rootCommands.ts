import { spawn } from 'node:child_process';
import { mkdir, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { findProgram } from './bubblewrap.js';

/**
 * The few root operations the egress firewall needs: run a packet-filter tool, make, write and remove
 * cgroup files. As root they run directly; otherwise through passwordless `sudo -n`, which fails
 * instead of prompting. Not through runProcess: the firewall must come off after a cancelled run,
 * when runProcess refuses to start anything, and a process wrapper (the privacy stage's) must never
 * rewrite sudo or nft.
 */
export interface RootAccess {
  sudo: boolean;
  env: NodeJS.ProcessEnv;
}

export interface CommandOutcome {
  ok: boolean;
  stdout: string;
  /** stderr, or why the command could not run. */
  stderr: string;
}

const COMMAND_TIMEOUT_MS = 20_000;
const OUTPUT_CAP = 512 * 1024;
/** A non-root user's PATH often lacks the sbin folders where nft and iptables live. */
const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/local/bin', '/usr/bin', '/bin'];

export function findSystemProgram(name: string, env: NodeJS.ProcessEnv): string | undefined {
  return findProgram(name, [env.PATH ?? '', ...SYSTEM_DIRS].join(path.delimiter));
}

/** `program` is an absolute path; messages come in English (LC_ALL=C) so callers can tell "absent" from "failed". */
export function runAsRoot(access: RootAccess, program: string, args: readonly string[], input?: string): Promise<CommandOutcome> {
  const sudo = access.sudo ? findSystemProgram('sudo', access.env) : undefined;
  if (access.sudo && !sudo) return Promise.resolve({ ok: false, stdout: '', stderr: 'sudo is not on PATH' });
  const [command, argv] = sudo ? [sudo, ['-n', program, ...args]] : [program, [...args]];
  const env = { PATH: [access.env.PATH ?? '', ...SYSTEM_DIRS].join(path.delimiter), LC_ALL: 'C' };
  return new Promise((resolve) => {
    const child = spawn(command, argv, { cwd: '/', env, stdio: ['pipe', 'pipe', 'pipe'], timeout: COMMAND_TIMEOUT_MS, killSignal: 'SIGKILL' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const keep = (into: Buffer[]) => (chunk: Buffer) => {
      if (into.reduce((n, b) => n + b.length, 0) < OUTPUT_CAP) into.push(chunk);
    };
    child.stdout.on('data', keep(out));
    child.stderr.on('data', keep(err));
    child.on('error', (error) => resolve({ ok: false, stdout: '', stderr: `could not start ${command}: ${error.message}` }));
    child.on('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString('utf8').trim();
      resolve({
        ok: code === 0,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: signal ? `${stderr}${stderr ? '; ' : ''}killed by ${signal} (time limit ${COMMAND_TIMEOUT_MS} ms)` : stderr
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

async function direct(operation: () => Promise<unknown>): Promise<CommandOutcome> {
  try {
    await operation();
    return { ok: true, stdout: '', stderr: '' };
  } catch (error) {
    return { ok: false, stdout: '', stderr: error instanceof Error ? error.message : String(error) };
  }
}

async function viaProgram(access: RootAccess, name: string, args: readonly string[], input?: string): Promise<CommandOutcome> {
  const program = findSystemProgram(name, access.env);
  if (!program) return { ok: false, stdout: '', stderr: `${name} is not on PATH` };
  return runAsRoot(access, program, args, input);
}

export function writeFileAsRoot(access: RootAccess, file: string, text: string): Promise<CommandOutcome> {
  if (!access.sudo) return direct(() => writeFile(file, text));
  // tee echoes what it wrote; the output is dropped by the caller.
  return viaProgram(access, 'tee', [file], text);
}

export function makeDirAsRoot(access: RootAccess, dir: string): Promise<CommandOutcome> {
  return access.sudo ? viaProgram(access, 'mkdir', ['--', dir]) : direct(() => mkdir(dir));
}

export function removeDirAsRoot(access: RootAccess, dir: string): Promise<CommandOutcome> {
  return access.sudo ? viaProgram(access, 'rmdir', ['--', dir]) : direct(() => rmdir(dir));
}
