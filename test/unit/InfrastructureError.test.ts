import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CoverageData } from '../../src/coverage/CoverageData.js';
import { asInfrastructureError, assertNoMachineFault, InfrastructureError } from '../../src/process/InfrastructureError.js';
import { throwOnMachineFault } from '../../src/validation/machineFaults.js';
import type { TestRunResult } from '../../src/validation/runners/TestRunner.js';

const roots: string[] = [];
afterAll(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

function errno(code: string, file: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: something, open '${file}'`), { code, path: file });
}

function failedRun(over: Partial<TestRunResult>): TestRunResult {
  return { timedOut: false, suites: [], passed: 0, failed: 0, coverage: CoverageData.empty(), durationMs: 1, ...over };
}

describe('InfrastructureError', () => {
  it('names the directory, the code and the fix for a full disk', () => {
    const e = asInfrastructureError(errno('ENOSPC', '/runner/temp/aqe-run-1/root/x.json'), '/fallback');
    expect(e).toBeInstanceOf(InfrastructureError);
    expect(e!.message).toMatch(/^The disk is full in \/runner\/temp\/aqe-run-1\/root \(ENOSPC\): .*Free space on that disk/);
  });

  it.each(['EROFS', 'EACCES', 'EDQUOT', 'EMFILE'])('turns %s into an error naming the directory', (code) => {
    expect(asInfrastructureError(errno(code, '/ro/file'), '/x')?.directory).toBe('/ro');
  });

  it('leaves other errors alone', () => {
    expect(asInfrastructureError(errno('ENOENT', '/a/b'), '/x')).toBeUndefined();
    expect(asInfrastructureError(new Error('plain'), '/x')).toBeUndefined();
  });

  it("takes the runner's own words for the fault, but not the bare code a test may contain", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aqe-infra-'));
    roots.push(dir);
    await expect(assertNoMachineFault([dir], "Error: ENOSPC: no space left on device, write '/x/jest-result.json'")).rejects.toThrow(
      /The disk is full in .*\(ENOSPC\): the test runner reported/
    );
    await expect(assertNoMachineFault([dir], "expect(classify('ENOSPC')).toBe('disk full')")).resolves.toBeUndefined();
  });

  it('finds a directory that no longer takes a write', async () => {
    await expect(assertNoMachineFault(['/sys'], '')).rejects.toBeInstanceOf(InfrastructureError);
  });
});

describe('throwOnMachineFault', () => {
  it('checks only runs where something failed', async () => {
    // A clean run is not probed at all: an unwritable directory goes unnoticed, at no cost.
    await expect(throwOnMachineFault(failedRun({ passed: 3 }), ['/sys'])).resolves.toBeUndefined();
    await expect(throwOnMachineFault(failedRun({ runnerError: 'jest produced no results' }), ['/sys'])).rejects.toBeInstanceOf(InfrastructureError);
    await expect(
      throwOnMachineFault(failedRun({ suites: [{ file: 'a.test.ts', status: 'error', message: 'EROFS: read-only file system, mkdir', tests: [] }] }), [
        os.tmpdir()
      ])
    ).rejects.toThrow(/The file system is read-only in .* \(EROFS\)/);
  });
});
