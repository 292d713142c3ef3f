import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../core/Logger.js';
import { packageRoot } from '../core/packageRoot.js';
import type { RejectionStage } from '../core/verdicts.js';
import type { ArtifactUploader } from '../delivery/ArtifactUploader.js';
import type { AuditEntry } from '../privacy/AuditLog.js';
import type { CandidateTest } from '../validation/CandidateTest.js';

/**
 * The run artifact: everything a reader needs to check a run after its job is gone. Its layout is
 * fixed, so tooling can fetch files from it by name:
 *   aqe-report.json              the JSON report as written at report-path
 *   run-report.schema.json       the JSON Schema that report follows
 *   audit.jsonl                  this run's audit entries (when there are any)
 *   accepted/<test path>         each accepted test file as delivered
 *   rejected/<test path>         each rejected candidate's code as last judged
 *   rejected/<test path>.failure.txt  its stage, reason and the runner's failure output
 */
export const RUN_ARTIFACT_FILES = { report: 'aqe-report.json', schema: 'run-report.schema.json', audit: 'audit.jsonl' } as const;

export interface ArtifactTestFile {
  /** Repo-relative path (as the report has it); data from the pull request and the model. */
  testFile: string;
  content: string;
}

export interface RejectedTestFile extends ArtifactTestFile {
  stage: RejectionStage;
  reason: string;
  failureOutput?: string;
}

export interface RunArtifactContents {
  /** The JSON report file as written. */
  reportFile: string;
  /** The report's schemaVersion: it picks schema/run-report.v<n>.schema.json. */
  schemaVersion: number;
  /** The audit log's entries of this run; none = no audit.jsonl. */
  audit: readonly AuditEntry[];
  accepted: readonly ArtifactTestFile[];
  rejected: readonly RejectedTestFile[];
}

/** A test path that would land outside its folder of the artifact (or nowhere): the file is left out. */
export class UnsafeArtifactPathError extends Error {
  override readonly name = 'UnsafeArtifactPathError';
  constructor(
    readonly testFile: string,
    problem: string
  ) {
    super(`The test file path ${JSON.stringify(testFile)} ${problem}, so it was left out of the run artifact; the report still lists it.`);
  }
}

/** The schema file shipped with aqe for a report's schemaVersion. */
export function reportSchemaFile(schemaVersion: number): string {
  return path.join(packageRoot(), 'schema', `run-report.v${schemaVersion}.schema.json`);
}

/**
 * Where a test file goes inside `folder` of the artifact, as a relative path with forward slashes.
 * The path is data: one that climbs (`..`), is absolute or names a drive is refused; characters the
 * artifact service refuses in a path (" : < > | * ? and control characters) become `_`, so one odd
 * name cannot fail the whole upload.
 */
export function artifactEntryPath(folder: 'accepted' | 'rejected', testFile: string): string {
  if (path.posix.isAbsolute(testFile) || path.win32.isAbsolute(testFile) || /^[A-Za-z]:/.test(testFile)) {
    throw new UnsafeArtifactPathError(testFile, 'is absolute');
  }
  // A backslash separates on Windows, where the artifact may be unpacked: it counts as one here too.
  const segments = testFile.split(/[\\/]/).filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw new UnsafeArtifactPathError(testFile, 'climbs out of the repository (..)');
  if (segments.length === 0) throw new UnsafeArtifactPathError(testFile, 'names no file');
  // eslint-disable-next-line no-control-regex
  const clean = segments.map((s) => s.replace(/[":<>|*?\u0000-\u001f\u007f]/g, '_'));
  return [folder, ...clean].join('/');
}

/**
 * Writes the artifact's files into `dir` (an empty folder) and returns their absolute paths.
 * A test file whose path is refused, or that would take a place already taken, is left out with a
 * warning: the rest of the artifact is still worth having.
 */
export async function stageRunArtifact(contents: RunArtifactContents, dir: string, warn: (message: string) => void): Promise<string[]> {
  const written: string[] = [];
  const put = async (relative: string, data: string): Promise<void> => {
    const file = path.join(dir, ...relative.split('/'));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, data, { flag: 'wx' });
    written.push(file);
  };
  const reportCopy = path.join(dir, RUN_ARTIFACT_FILES.report);
  await copyFile(contents.reportFile, reportCopy);
  written.push(reportCopy);
  const schemaCopy = path.join(dir, RUN_ARTIFACT_FILES.schema);
  await copyFile(reportSchemaFile(contents.schemaVersion), schemaCopy);
  written.push(schemaCopy);
  if (contents.audit.length > 0) await put(RUN_ARTIFACT_FILES.audit, contents.audit.map((e) => `${JSON.stringify(e)}\n`).join(''));

  const taken = new Set<string>();
  const place = (folder: 'accepted' | 'rejected', testFile: string): string | undefined => {
    try {
      const entry = artifactEntryPath(folder, testFile);
      // Two paths can clean to one entry (a:b and a_b): the first keeps it.
      if (taken.has(entry) || taken.has(`${entry}.failure.txt`)) throw new UnsafeArtifactPathError(testFile, `takes the place of another file (${entry})`);
      taken.add(entry);
      return entry;
    } catch (error) {
      if (!(error instanceof UnsafeArtifactPathError)) throw error;
      warn(error.message);
      return undefined;
    }
  };
  // One test path clashing with another as file and folder (a.test.ts and a.test.ts/x) costs that file, not the artifact.
  const putTest = async (testFile: string, entries: Array<[string, string]>): Promise<void> => {
    try {
      for (const [relative, data] of entries) await put(relative, data);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTDIR' && code !== 'EISDIR') throw error;
      warn(
        `The test file path ${JSON.stringify(testFile)} clashes with another one in the run artifact (${code}), so it was left out; the report still lists it.`
      );
    }
  };
  for (const t of contents.accepted) {
    const entry = place('accepted', t.testFile);
    if (entry) await putTest(t.testFile, [[entry, t.content]]);
  }
  for (const t of contents.rejected) {
    const entry = place('rejected', t.testFile);
    if (!entry) continue;
    taken.add(`${entry}.failure.txt`);
    await putTest(t.testFile, [
      [entry, t.content],
      [`${entry}.failure.txt`, failureFile(t)]
    ]);
  }
  return written;
}

/** What a rejected file's .failure.txt says: the verdict first, then what the runner printed. */
export function failureFile(t: RejectedTestFile): string {
  const head = [`test file: ${t.testFile}`, `stage: ${t.stage}`, `reason: ${t.reason}`];
  const output = t.failureOutput?.trim() ? ['', 'failure output:', t.failureOutput.replace(/\s+$/, '')] : ['', 'No runner output was kept for this verdict.'];
  return `${[...head, ...output].join('\n')}\n`;
}

export interface RunArtifactTarget {
  name: string;
  uploader: ArtifactUploader;
  /** Told the name, and the id the artifact service gave it, once the upload went through (the action's report-artifact output). */
  uploaded?: (artifact: { name: string; id?: number }) => void;
}

/** A rejected candidate as the artifact keeps it: its code as last judged, with the verdict and the runner's output. */
export function rejectedTestFile(c: CandidateTest, inRepo: (file: string) => string): RejectedTestFile | undefined {
  if (c.state !== 'rejected' || !c.rejection) return undefined;
  return {
    testFile: inRepo(c.testFile),
    content: c.code,
    stage: c.rejection.stage,
    reason: c.rejection.reason,
    ...(c.failureOutput !== undefined ? { failureOutput: c.failureOutput } : {})
  };
}

/**
 * Uploads the run artifact once the report is written. The run's work is done by then, so any
 * failure is a warning naming the artifact, never a failed run. Returns whether it was uploaded.
 */
export async function publishRunArtifact(contents: RunArtifactContents, target: RunArtifactTarget, tempDir: string, logger: Logger): Promise<boolean> {
  try {
    const { files, size, id } = await uploadRunArtifact(contents, target, tempDir, (m) => logger.warn(m));
    logger.info(`Run artifact ${target.name} uploaded: ${files} file(s)${size !== undefined ? `, ${size} bytes` : ''}.`);
    target.uploaded?.({ name: target.name, ...(id !== undefined ? { id } : {}) });
    return true;
  } catch (error) {
    logger.warn(
      `The run artifact ${target.name} could not be uploaded: ${error instanceof Error ? error.message : String(error)}. The run itself is unaffected; the JSON report is at ${contents.reportFile}.`
    );
    return false;
  }
}

/**
 * Stages the artifact in a fresh folder under `tempDir`, uploads it, and removes the folder.
 * Returns the upload's size; throws what the staging or the uploader threw (the caller decides
 * that a failed upload is only a warning).
 */
export async function uploadRunArtifact(
  contents: RunArtifactContents,
  target: RunArtifactTarget,
  tempDir: string,
  warn: (message: string) => void
): Promise<{ files: number; size?: number; id?: number }> {
  await mkdir(tempDir, { recursive: true });
  const dir = await mkdtemp(path.join(tempDir, 'aqe-report-artifact-'));
  try {
    const files = await stageRunArtifact(contents, dir, warn);
    const result = await target.uploader.upload(target.name, files, dir);
    return { files: files.length, ...(result.size !== undefined ? { size: result.size } : {}), ...(result.id !== undefined ? { id: result.id } : {}) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
