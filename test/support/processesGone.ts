import { readdirSync, readFileSync } from 'node:fs';

/** Alive = exists and is not a zombie (an orphan may linger as a zombie if nothing reaps it). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Waits up to `withinMs` for every pid to exit; resolves to those still alive (a test expects []). */
export async function processesStillAlive(pids: readonly number[], withinMs = 3000): Promise<number[]> {
  const deadline = Date.now() + withinMs;
  while (pids.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  return pids.filter(isAlive);
}

/**
 * Processes, anywhere on the machine, whose environment holds `AQE_SANDBOX_RUN=<marker>`: every
 * process of one sandboxed run carries its marker, and pids seen inside a PID namespace mean
 * nothing outside it. Only processes this user may read are seen, which is all a run can start.
 */
export function processesOfRun(marker: string): number[] {
  const entry = `AQE_SANDBOX_RUN=${marker}`;
  const found: number[] = [];
  let names: string[] = [];
  try {
    names = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name) || !isAlive(Number(name))) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(entry)) found.push(Number(name));
    } catch {
      // gone meanwhile, or not ours
    }
  }
  return found;
}

/** Waits up to `withinMs` for every process of the run to exit; resolves to those still alive (a test expects []). */
export async function processesOfRunStillAlive(marker: string, withinMs = 3000): Promise<number[]> {
  const deadline = Date.now() + withinMs;
  while (processesOfRun(marker).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  return processesOfRun(marker);
}
