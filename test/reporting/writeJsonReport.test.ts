import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { RunReport } from '../../src/reporting/RunReport.js';
import { writeJsonReport } from '../../src/reporting/writeJsonReport.js';
import { makeReport } from './reportFixture.js';

describe('writeJsonReport', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aqe-report-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes pretty JSON, creating missing parent directories', async () => {
    const report = makeReport();
    const target = join(dir, 'nested', 'deeper', 'report.json');
    const written = await writeJsonReport(report, target);

    expect(written).toBe(target);
    const text = await readFile(target, 'utf8');
    expect(JSON.parse(text)).toEqual(report);
    expect(text).toContain('\n  "schemaVersion": 1,');
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('replaces an existing report and leaves no temporary files behind', async () => {
    const target = join(dir, 'report.json');
    await writeFile(target, 'stale');
    await writeJsonReport(makeReport({ durationMs: 1 }), target);
    await writeJsonReport(makeReport({ durationMs: 2 }), target);

    expect((JSON.parse(await readFile(target, 'utf8')) as RunReport).durationMs).toBe(2);
    expect(await readdir(dir)).toEqual(['report.json']);
  });

  it('fails without leaving a temporary file when the target cannot be replaced', async () => {
    const target = join(dir, 'occupied');
    await writeFile(join(dir, 'keep'), '');
    // A non-empty directory at the target path makes the final rename fail.
    await writeJsonReport(makeReport(), join(target, 'inner.json'));
    await expect(writeJsonReport(makeReport(), target)).rejects.toThrow();
    expect((await readdir(dir)).sort()).toEqual(['keep', 'occupied']);
  });
});
