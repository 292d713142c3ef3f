import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** What limits how many CPUs this process can really use. */
export interface CpuFacts {
  /** CPUs in this process's affinity mask (os.availableParallelism). */
  availableParallelism: number;
  /** CPU quota of the process's cgroup in CPUs (quota / period), when one is set. */
  cgroupQuotaCpus?: number;
  /** Distinct physical cores, when /proc/cpuinfo tells. */
  physicalCores?: number;
}

/** The CPUs this process can really run on at once: the tightest of affinity, cgroup quota and physical cores. */
export function usableCpus(facts: CpuFacts): number {
  let n = facts.availableParallelism;
  if (facts.cgroupQuotaCpus !== undefined) n = Math.min(n, Math.floor(facts.cgroupQuotaCpus));
  if (facts.physicalCores !== undefined) n = Math.min(n, facts.physicalCores);
  return Math.max(1, n);
}

/**
 * The thread counts calibration chooses from (see threadCalibration.ts): never more than the CPUs the process may
 * really run on, since llama.cpp's threads spin-wait on each other and an oversubscribed count (node-llama-cpp's
 * default of 4 on a 2-core CI machine) decoded about 100x slower. Every count up to 4; above that powers of two and
 * the usable count, since each candidate costs a second or so of decoding.
 */
export function threadCandidates(usable: number): number[] {
  const n = Math.max(1, Math.floor(usable));
  const counts = new Set<number>([n]);
  for (let t = 1; t < n; t = t < 4 ? t + 1 : t * 2) counts.add(t);
  return [...counts].sort((a, b) => a - b);
}

/** Reads the limits from the running system; `root` lets tests point at a fake /proc and /sys. */
export function readCpuFacts(root = '/'): CpuFacts {
  return {
    availableParallelism: root === '/' ? os.availableParallelism() : readFakeParallelism(root),
    cgroupQuotaCpus: readCgroupQuota(root),
    physicalCores: readPhysicalCores(root)
  };
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function readFakeParallelism(root: string): number {
  const n = Number(readText(path.join(root, 'nproc'))?.trim());
  return Number.isInteger(n) && n > 0 ? n : os.availableParallelism();
}

/** cgroup v2 (cpu.max of this process's group and its ancestors), then cgroup v1 (cfs quota). */
function readCgroupQuota(root: string): number | undefined {
  const membership = readText(path.join(root, 'proc/self/cgroup')) ?? '';
  const v2Path = membership
    .split('\n')
    .find((l) => l.startsWith('0::'))
    ?.slice(3)
    .trim();
  const quotas: number[] = [];
  if (v2Path !== undefined) {
    let dir = v2Path;
    for (;;) {
      const max = readText(path.join(root, 'sys/fs/cgroup', dir, 'cpu.max'));
      const [quota, period] = (max ?? '').trim().split(/\s+/);
      if (quota && quota !== 'max' && Number(period) > 0) quotas.push(Number(quota) / Number(period));
      if (dir === '/' || dir === '' || dir === '.') break;
      dir = path.posix.dirname(dir);
    }
  }
  const v1Line = membership.split('\n').find((l) => /:(cpu|cpu,cpuacct|cpuacct,cpu):/.test(l));
  const v1Group = v1Line?.split(':')[2] ?? '/';
  for (const base of [
    path.join(root, 'sys/fs/cgroup/cpu', v1Group),
    path.join(root, 'sys/fs/cgroup/cpu,cpuacct', v1Group),
    path.join(root, 'sys/fs/cgroup/cpu')
  ]) {
    const quota = Number(readText(path.join(base, 'cpu.cfs_quota_us'))?.trim());
    const period = Number(readText(path.join(base, 'cpu.cfs_period_us'))?.trim());
    if (quota > 0 && period > 0) {
      quotas.push(quota / period);
      break;
    }
  }
  return quotas.length > 0 ? Math.min(...quotas) : undefined;
}

function readPhysicalCores(root: string): number | undefined {
  const info = readText(path.join(root, 'proc/cpuinfo'));
  if (!info) return undefined;
  const cores = new Set<string>();
  for (const block of info.split(/\n\s*\n/)) {
    const physical = block.match(/^physical id\s*:\s*(\d+)/m)?.[1];
    const core = block.match(/^core id\s*:\s*(\d+)/m)?.[1];
    if (physical !== undefined && core !== undefined) cores.add(`${physical}:${core}`);
  }
  return cores.size > 0 ? cores.size : undefined;
}
