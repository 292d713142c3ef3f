import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The machine failed, not the code under test: a full disk, a read-only or unwritable
 * directory. Such a failure ends the run with the directory to fix; it is never turned into a
 * verdict on a candidate (a full disk makes every test "fail to compile").
 */
export class InfrastructureError extends Error {
  override readonly name = 'InfrastructureError';
  constructor(
    readonly code: string,
    readonly directory: string,
    detail: string
  ) {
    super(`${describeCode(code)} in ${directory} (${code}): ${detail}. ${fixFor(code)}`);
  }
}

const CODES: Record<string, { what: string; fix: string }> = {
  ENOSPC: { what: 'The disk is full', fix: 'Free space on that disk (or point RUNNER_TEMP at a larger one) and run again.' },
  EDQUOT: { what: 'The disk quota is exhausted', fix: 'Free space within the quota (or point RUNNER_TEMP elsewhere) and run again.' },
  EROFS: { what: 'The file system is read-only', fix: "Point RUNNER_TEMP (or the CLI's TMPDIR) at a writable directory and run again." },
  EACCES: { what: 'Permission was denied', fix: 'Make that directory writable by the user the job runs as, or point RUNNER_TEMP elsewhere, and run again.' },
  EPERM: {
    what: 'The operation was not permitted',
    fix: 'Make that directory writable by the user the job runs as, or point RUNNER_TEMP elsewhere, and run again.'
  },
  EMFILE: { what: 'Too many files are open', fix: 'Raise the open-file limit (ulimit -n) of the runner and run again.' },
  ENFILE: { what: 'The system ran out of file handles', fix: "Raise the system's open-file limit and run again." }
};

/** The same codes as a runner's error text shows them, when the runner itself hit the fault. */
// Node's own wording ("ENOSPC: no space left on device, write"), not the bare code, which a test of disk-full handling may well contain.
const FAULT_TEXT: Array<[RegExp, string]> = [
  [/\bENOSPC: no space left on device/, 'ENOSPC'],
  [/\bEDQUOT: disk quota exceeded/, 'EDQUOT'],
  [/\bEROFS: read-only file system/, 'EROFS']
];

function describeCode(code: string): string {
  return CODES[code]?.what ?? 'A file system operation failed';
}

function fixFor(code: string): string {
  return CODES[code]?.fix ?? 'Check that directory and run again.';
}

/** An fs error of the machine (full disk, read-only or forbidden directory), as an InfrastructureError naming where. */
export function asInfrastructureError(error: unknown, fallbackDir: string): InfrastructureError | undefined {
  if (error instanceof InfrastructureError) return error;
  const e = error as NodeJS.ErrnoException | undefined;
  if (!e || typeof e.code !== 'string' || !(e.code in CODES)) return undefined;
  const where = typeof e.path === 'string' ? path.dirname(e.path) : fallbackDir;
  return new InfrastructureError(e.code, where, e.message);
}

/**
 * Checks a test run that failed for the signs of a machine fault: a directory of the run that no
 * longer takes a write, or the fault in the runner's own words (`runnerText`: its error and the
 * load errors of files, never a test's assertion text). Throws the InfrastructureError; returns
 * when the failure is the code's own.
 */
export async function assertNoMachineFault(directories: readonly string[], runnerText: string): Promise<void> {
  for (const dir of directories) {
    const probe = path.join(dir, `.aqe-write-probe-${process.pid}`);
    try {
      await writeFile(probe, 'probe');
      await rm(probe, { force: true });
    } catch (error) {
      const infra = asInfrastructureError(error, dir);
      if (infra) throw infra;
      // Anything else (the directory is gone) says nothing about the disk; the run's own result stands.
    }
  }
  for (const [pattern, code] of FAULT_TEXT) {
    const match = runnerText.match(pattern);
    if (match) {
      const line =
        runnerText
          .split('\n')
          .find((l) => pattern.test(l))
          ?.trim() ?? match[0];
      throw new InfrastructureError(code, directories[0] ?? '.', `the test runner reported "${line.slice(0, 300)}"`);
    }
  }
}
