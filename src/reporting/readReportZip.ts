/**
 * The report out of a report artifact's zip. The zip comes from a pull_request run that a fork
 * controls, so it is read as hostile input: only the one root entry `aqe-report.json` is opened,
 * its size is capped before and while it is inflated (a zip bomb stops at the cap), a symlink or
 * an encrypted entry is refused, and no other entry is ever extracted, whatever its name.
 */

import * as yauzl from 'yauzl';
import { InputError } from '../core/InputError.js';
import type { RunReport } from './RunReport.js';
import { parseRunReport } from './readRunReport.js';

export const REPORT_ENTRY = 'aqe-report.json';
/** A report of thousands of candidates stays far below this; anything larger is not a report. */
export const MAX_REPORT_BYTES = 32 * 1024 ** 2;

const FIX =
  'Upload the report with the action itself (report-artifact: true in the pull_request workflow), which puts aqe-report.json at the root of an aqe-report-* artifact';

/** The zip is not an artifact this mode can read; the message names the artifact and says what to do. */
export class ReportArtifactError extends Error {
  override readonly name = 'ReportArtifactError';
  constructor(
    readonly artifact: string,
    problem: string
  ) {
    super(`The artifact ${JSON.stringify(artifact)} ${problem}. ${FIX}.`);
  }
}

export interface ReadReportZipOptions {
  /** Overrides MAX_REPORT_BYTES (tests, and a run's reports sharing one budget). */
  maxReportBytes?: number;
  /** Told how many bytes the report inflated to. */
  read?: (bytes: number) => void;
}

/** Reads and checks `aqe-report.json` from `zip`; `artifact` names the artifact in every error. */
export async function readReportZip(zip: Buffer, artifact: string, options: ReadReportZipOptions = {}): Promise<RunReport> {
  const limit = options.maxReportBytes ?? MAX_REPORT_BYTES;
  let zipfile: yauzl.ZipFile;
  try {
    // decodeStrings off: names stay raw bytes compared with the one name wanted, so a hostile name
    // (../x, /etc/x, a backslash) is simply not that entry instead of an error that hides the report.
    zipfile = await yauzl.fromBufferPromise(zip, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true });
  } catch (error) {
    throw new ReportArtifactError(artifact, `is not a readable zip (${(error as Error).message})`);
  }
  try {
    const entry = await findReportEntry(zipfile, artifact);
    if (entry.isEncrypted()) throw new ReportArtifactError(artifact, `holds an encrypted ${REPORT_ENTRY}`);
    if (isSymlink(entry)) throw new ReportArtifactError(artifact, `holds ${REPORT_ENTRY} as a symbolic link`);
    if (entry.uncompressedSize > limit) throw tooLarge(artifact, limit);
    const text = await readEntry(zipfile, entry, artifact, limit);
    options.read?.(Buffer.byteLength(text, 'utf8'));
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new ReportArtifactError(artifact, `holds an ${REPORT_ENTRY} that is not JSON (${(error as Error).message})`);
    }
    try {
      return parseRunReport(value, `${REPORT_ENTRY} of the artifact ${JSON.stringify(artifact)}`, 'mode');
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      throw new ReportArtifactError(artifact, `holds an ${REPORT_ENTRY} that is not a report this version reads: ${error.problem}`);
    }
  } finally {
    zipfile.close();
  }
}

/** The single root entry named aqe-report.json; two of them would make the report ambiguous. */
async function findReportEntry(zipfile: yauzl.ZipFile, artifact: string): Promise<yauzl.Entry> {
  const wanted = Buffer.from(REPORT_ENTRY, 'utf8');
  let found: yauzl.Entry | undefined;
  await new Promise<void>((resolveAll, rejectAll) => {
    zipfile.on('entry', (entry: yauzl.Entry) => {
      if (Buffer.compare(entry.fileNameRaw, wanted) === 0) {
        if (found) {
          rejectAll(new ReportArtifactError(artifact, `holds ${REPORT_ENTRY} twice`));
          return;
        }
        found = entry;
      }
      zipfile.readEntry();
    });
    zipfile.once('end', () => resolveAll());
    zipfile.once('error', (error: Error) => rejectAll(new ReportArtifactError(artifact, `is not a readable zip (${error.message})`)));
    zipfile.readEntry();
  });
  if (!found) throw new ReportArtifactError(artifact, `has no ${REPORT_ENTRY} at its root`);
  return found;
}

function readEntry(zipfile: yauzl.ZipFile, entry: yauzl.Entry, artifact: string, limit: number): Promise<string> {
  return new Promise((resolveText, rejectText) => {
    zipfile.openReadStream(entry, (error, stream) => {
      if (error) {
        rejectText(new ReportArtifactError(artifact, `holds an ${REPORT_ENTRY} that cannot be read (${error.message})`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        // The declared size can lie; the bytes inflated are what is counted.
        if (size > limit) {
          stream.destroy();
          rejectText(tooLarge(artifact, limit));
          return;
        }
        chunks.push(chunk);
      });
      stream.once('error', (streamError: Error) =>
        rejectText(new ReportArtifactError(artifact, `holds an ${REPORT_ENTRY} that does not inflate (${streamError.message})`))
      );
      stream.once('end', () => resolveText(Buffer.concat(chunks).toString('utf8')));
    });
  });
}

function isSymlink(entry: yauzl.Entry): boolean {
  // Unix mode bits in the high half of the external attributes, when the zip was made on Unix.
  const madeOnUnix = entry.versionMadeBy >> 8 === 3;
  return madeOnUnix && ((entry.externalFileAttributes >>> 16) & 0o170000) === 0o120000;
}

function tooLarge(artifact: string, limit: number): ReportArtifactError {
  return new ReportArtifactError(artifact, `holds an ${REPORT_ENTRY} larger than ${Math.round(limit / 1024 ** 2)} MiB, which no report is`);
}
