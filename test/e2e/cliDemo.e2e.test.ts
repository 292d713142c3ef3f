import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runProcess } from '../../src/process/runProcess.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { PACKAGE_ROOT } from '../support/actionHarness.js';

/** The README's demo command (`npm run demo` = `node bin/aqe.js demo`), as a user runs it. */
describe('aqe demo', () => {
  let dir: string;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs the example pull request offline with the demo model and says so plainly', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aqe-cli-demo-'));
    const run = await runProcess({
      command: process.execPath,
      args: [path.join(PACKAGE_ROOT, 'bin', 'aqe.js'), 'demo', '--dir', dir],
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      timeoutMs: 300_000
    });
    expect({ exitCode: run.exitCode, stderr: run.stderr.slice(-3000) }).toEqual({ exitCode: 0, stderr: expect.stringContaining('using the demo model') });
    expect(run.stdout).toMatch(/1 of 2 generated tests accepted/);
    expect(run.stdout).toMatch(/Demo model/);
    const report = JSON.parse(await readFile(path.join(dir, 'aqe-report.json'), 'utf8')) as RunReport;
    expect(report.testsAccepted).toBe(1);
    expect(report.coverageAfter.linesPct!).toBeGreaterThan(report.coverageBefore.linesPct!);
    expect(existsSync(path.join(dir, 'ts-lib', 'test', 'strings.test.ts'))).toBe(true);
  }, 320_000);

  it('rejects an unknown command with the usage and exit code 2', async () => {
    const run = await runProcess({
      command: process.execPath,
      args: [path.join(PACKAGE_ROOT, 'bin', 'aqe.js'), 'generate'],
      cwd: PACKAGE_ROOT,
      timeoutMs: 30_000
    });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('aqe demo');
  });
});
