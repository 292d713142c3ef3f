import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';

import { readCpuFacts, threadCandidates, usableCpus } from '../../src/inference/cpuThreads.js';

describe('usableCpus', () => {
  it.each([
    [{ availableParallelism: 8 }, 8],
    [{ availableParallelism: 16, cgroupQuotaCpus: 2 }, 2],
    [{ availableParallelism: 16, cgroupQuotaCpus: 2.9 }, 2],
    [{ availableParallelism: 2, cgroupQuotaCpus: 8 }, 2],
    [{ availableParallelism: 16, physicalCores: 8 }, 8],
    [{ availableParallelism: 4, physicalCores: 8 }, 4],
    [{ availableParallelism: 16, cgroupQuotaCpus: 4, physicalCores: 2 }, 2],
    [{ availableParallelism: 16, cgroupQuotaCpus: 3, physicalCores: 8 }, 3],
    [{ availableParallelism: 16, cgroupQuotaCpus: 0.5 }, 1],
    [{ availableParallelism: 16, cgroupQuotaCpus: 0.5, physicalCores: 8 }, 1],
    [{ availableParallelism: 1 }, 1],
    [{ availableParallelism: 0 }, 1]
  ])('%j → %i', (facts, expected) => {
    expect(usableCpus(facts)).toBe(expected);
  });
});

describe('threadCandidates', () => {
  it.each([
    [1, [1]],
    [2, [1, 2]],
    [3, [1, 2, 3]],
    [4, [1, 2, 3, 4]],
    [6, [1, 2, 3, 4, 6]],
    [8, [1, 2, 3, 4, 8]],
    [16, [1, 2, 3, 4, 8, 16]],
    [24, [1, 2, 3, 4, 8, 16, 24]],
    [0, [1]],
    [2.9, [1, 2]]
  ])('%d usable CPUs → %j', (usable, expected) => {
    expect(threadCandidates(usable)).toEqual(expected);
  });

  it('never offers more threads than usable CPUs, and always offers one and all of them', () => {
    for (let usable = 1; usable <= 128; usable++) {
      const candidates = threadCandidates(usable);
      expect(candidates[0]).toBe(1);
      expect(candidates[candidates.length - 1]).toBe(usable);
      expect(candidates.length).toBeLessThanOrEqual(4 + Math.ceil(Math.log2(usable)));
    }
  });
});

describe('readCpuFacts with a fake root', () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
  });

  function fakeRoot(files: Record<string, string>): string {
    const root = mkdtempSync(path.join(tmpdir(), 'aqe-cpu-'));
    roots.push(root);
    for (const [rel, content] of Object.entries(files)) {
      const full = path.join(root, rel);
      mkdirSync(path.dirname(full), { recursive: true });
      writeFileSync(full, content);
    }
    return root;
  }

  /** /proc/cpuinfo for `sockets` × `cores` physical cores with `threads` hyperthreads each. */
  function cpuinfo(sockets: number, cores: number, threads: number): string {
    const blocks: string[] = [];
    let processor = 0;
    for (let t = 0; t < threads; t++) {
      for (let s = 0; s < sockets; s++) {
        for (let c = 0; c < cores; c++) {
          blocks.push(
            [
              `processor\t: ${processor++}`,
              'vendor_id\t: GenuineIntel',
              'model name\t: Fake CPU @ 3.00GHz',
              `physical id\t: ${s}`,
              `siblings\t: ${cores * threads}`,
              `core id\t\t: ${c}`,
              `cpu cores\t: ${cores}`,
              'flags\t\t: fpu vme'
            ].join('\n')
          );
        }
      }
    }
    return `${blocks.join('\n\n')}\n\n`;
  }

  it('honours a cgroup v2 quota of the process group: 16 CPUs, 8 cores, quota 2 → 2 threads', () => {
    const root = fakeRoot({
      nproc: '16\n',
      'proc/self/cgroup': '0::/my.slice/job\n',
      'sys/fs/cgroup/my.slice/job/cpu.max': '200000 100000\n',
      'proc/cpuinfo': cpuinfo(1, 8, 1)
    });
    const facts = readCpuFacts(root);
    expect(facts).toEqual({ availableParallelism: 16, cgroupQuotaCpus: 2, physicalCores: 8 });
    expect(usableCpus(facts)).toBe(2);
  });

  it('takes the tightest quota among the group and its ancestors', () => {
    const root = fakeRoot({
      nproc: '32',
      'proc/self/cgroup': '0::/outer.slice/inner/job\n',
      'sys/fs/cgroup/outer.slice/inner/job/cpu.max': 'max 100000\n',
      'sys/fs/cgroup/outer.slice/inner/cpu.max': '400000 100000\n',
      'sys/fs/cgroup/outer.slice/cpu.max': '150000 100000\n',
      'sys/fs/cgroup/cpu.max': 'max 100000\n'
    });
    const facts = readCpuFacts(root);
    expect(facts.cgroupQuotaCpus).toBe(1.5);
    expect(usableCpus(facts)).toBe(1);
  });

  it('treats "max" as no quota', () => {
    const root = fakeRoot({
      nproc: '6',
      'proc/self/cgroup': '0::/job\n',
      'sys/fs/cgroup/job/cpu.max': 'max 100000\n',
      'sys/fs/cgroup/cpu.max': 'max 100000\n'
    });
    const facts = readCpuFacts(root);
    expect(facts.cgroupQuotaCpus).toBeUndefined();
    expect(usableCpus(facts)).toBe(6);
  });

  it('reads a root-level cgroup v2 group ("0::/")', () => {
    const root = fakeRoot({ nproc: '8', 'proc/self/cgroup': '0::/\n', 'sys/fs/cgroup/cpu.max': '300000 100000\n' });
    expect(readCpuFacts(root).cgroupQuotaCpus).toBe(3);
  });

  it('ignores a malformed cpu.max', () => {
    const root = fakeRoot({ nproc: '4', 'proc/self/cgroup': '0::/job\n', 'sys/fs/cgroup/job/cpu.max': '200000 0\n' });
    expect(readCpuFacts(root).cgroupQuotaCpus).toBeUndefined();
  });

  it('honours a cgroup v1 CFS quota under sys/fs/cgroup/cpu', () => {
    const root = fakeRoot({
      nproc: '16',
      'proc/self/cgroup': '12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n',
      'sys/fs/cgroup/cpu/docker/abc/cpu.cfs_quota_us': '300000\n',
      'sys/fs/cgroup/cpu/docker/abc/cpu.cfs_period_us': '100000\n'
    });
    const facts = readCpuFacts(root);
    expect(facts.cgroupQuotaCpus).toBe(3);
    expect(usableCpus(facts)).toBe(3);
  });

  it('falls back to the v1 cpu hierarchy root when the group directory is not mounted', () => {
    const root = fakeRoot({
      nproc: '16',
      'proc/self/cgroup': '4:cpu,cpuacct:/docker/abc\n',
      'sys/fs/cgroup/cpu/cpu.cfs_quota_us': '50000\n',
      'sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n'
    });
    const facts = readCpuFacts(root);
    expect(facts.cgroupQuotaCpus).toBe(0.5);
    expect(usableCpus(facts)).toBe(1);
  });

  it('treats a v1 quota of -1 as unlimited', () => {
    const root = fakeRoot({
      nproc: '4',
      'sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1\n',
      'sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n'
    });
    expect(readCpuFacts(root).cgroupQuotaCpus).toBeUndefined();
  });

  it('counts hyperthreaded siblings of a physical core once', () => {
    const root = fakeRoot({ nproc: '16', 'proc/cpuinfo': cpuinfo(1, 8, 2) });
    const facts = readCpuFacts(root);
    expect(facts.physicalCores).toBe(8);
    expect(facts.cgroupQuotaCpus).toBeUndefined();
    expect(usableCpus(facts)).toBe(8);
  });

  it('counts the same core id on different sockets as different cores', () => {
    const root = fakeRoot({ nproc: '32', 'proc/cpuinfo': cpuinfo(2, 4, 2) });
    expect(readCpuFacts(root).physicalCores).toBe(8);
  });

  it('leaves physical cores unknown when cpuinfo has no topology (e.g. some ARM machines)', () => {
    const root = fakeRoot({ nproc: '4', 'proc/cpuinfo': 'processor\t: 0\nBogoMIPS\t: 50.00\n\nprocessor\t: 1\nBogoMIPS\t: 50.00\n' });
    const facts = readCpuFacts(root);
    expect(facts.physicalCores).toBeUndefined();
    expect(usableCpus(facts)).toBe(4);
  });

  it('reads nothing from an empty root except the real parallelism', () => {
    const root = fakeRoot({});
    expect(readCpuFacts(root)).toEqual({ availableParallelism: os.availableParallelism(), cgroupQuotaCpus: undefined, physicalCores: undefined });
  });

  it.each(['abc', '0', '-3', '2.5', ''])('ignores an invalid fake nproc %j', (nproc) => {
    const root = fakeRoot({ nproc });
    expect(readCpuFacts(root).availableParallelism).toBe(os.availableParallelism());
  });
});

describe('readCpuFacts on the real system', () => {
  it('returns a usable thread count that never exceeds the available parallelism', () => {
    const facts = readCpuFacts();
    expect(facts.availableParallelism).toBe(os.availableParallelism());
    const n = usableCpus(facts);
    expect(Number.isInteger(n)).toBe(true);
    expect(n).toBeGreaterThanOrEqual(1);
    expect(n).toBeLessThanOrEqual(os.availableParallelism());
  });
});
