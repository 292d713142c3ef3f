import { readFile } from 'node:fs/promises';

/**
 * The first process of every sandboxed run: it starts the runner, and when the runner exits it
 * kills every process the run left behind and writes down how many there were. Inside a PID
 * namespace every other process is a survivor (the kernel would end them too, but without
 * telling anyone); without one, survivors are found by the marker in their environment, which
 * also catches those that left the process group (setsid, double fork). A process that cleared
 * its environment escapes the marker; that gap is the fallback's, and the README says so.
 *
 * CommonJS with no dependencies, so any Node the repository's tests run on can load it.
 */
export const PROCESS_REAPER_SCRIPT = String.raw`'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const [statusFile, marker, command, ...args] = process.argv.slice(2);
const ownNamespace = marker === '-';
const child = spawn(command, args, { stdio: 'inherit' });
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('error', (error) => {
  write({ survivors: 0, names: [], error: String(error && error.message) });
  process.exit(127);
});
child.on('exit', (code, signal) => {
  const names = reap();
  write({ survivors: names.length, names: names.slice(0, 20) });
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
  process.exit(code === null ? 1 : code);
});
function write(status) {
  try { fs.writeFileSync(statusFile, JSON.stringify(status)); } catch {}
}
function isSurvivor(pid) {
  if (pid === process.pid || (ownNamespace && pid === 1)) return false;
  try {
    const stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') return false;
    if (ownNamespace) return true;
    return fs.readFileSync('/proc/' + pid + '/environ', 'latin1').split('\0').includes('AQE_SANDBOX_RUN=' + marker);
  } catch {
    return false;
  }
}
function reap() {
  const killed = new Map();
  const pause = new Int32Array(new SharedArrayBuffer(4));
  // Again until no new one turns up: a survivor may fork while the others are being killed.
  for (let round = 0; round < 10; round++) {
    let found = 0;
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry) || killed.has(entry) || !isSurvivor(Number(entry))) continue;
      let name = '?';
      try { name = fs.readFileSync('/proc/' + entry + '/comm', 'utf8').trim(); } catch {}
      try { process.kill(Number(entry), 'SIGKILL'); killed.set(entry, name); found++; } catch {}
    }
    if (found === 0) break;
    Atomics.wait(pause, 0, 0, 20);
  }
  return [...killed.values()];
}
`;

export interface ReaperStatus {
  /** Processes killed after the runner exited. */
  survivors: number;
  /** Their command names (at most 20). */
  names: string[];
}

/** What the reaper wrote, or undefined when it did not get to write (killed at the time limit, or its file was tampered with). */
export async function readReaperStatus(file: string): Promise<ReaperStatus | undefined> {
  try {
    const data = JSON.parse(await readFile(file, 'utf8')) as Partial<ReaperStatus>;
    if (typeof data.survivors !== 'number' || !Array.isArray(data.names)) return undefined;
    return { survivors: data.survivors, names: data.names.filter((n): n is string => typeof n === 'string').slice(0, 20) };
  } catch {
    return undefined;
  }
}
