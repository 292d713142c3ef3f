/**
 * The JSON report is what other tooling (and the truncated summaries) point to, so a reader must
 * never see a half-written file: it is written next to its destination and renamed into place,
 * which is atomic on the same filesystem.
 */

import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

import type { RunReport } from './RunReport.js';

/** Writes `report` as pretty JSON to `path`, creating parent directories; resolves to the absolute path. */
export async function writeJsonReport(report: RunReport, path: string): Promise<string> {
  const target = resolve(path);
  const dir = dirname(target);
  await mkdir(dir, { recursive: true });
  // Same directory as the target: a rename across filesystems (e.g. from /tmp) is not atomic.
  const temp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, `${JSON.stringify(report, null, 2)}\n`, 'utf8');
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return target;
}
