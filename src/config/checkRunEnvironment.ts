import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, open, realpath, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../core/InputError.js';
import type { RunOptions, SandboxOption } from '../core/RunOptions.js';
import { checkModelInput } from '../inference/loadProvider.js';
import { sha256OfFile } from '../inference/model/hashFile.js';
import { parseModelSource } from '../inference/model/ModelSource.js';
import { findBubblewrap } from '../sandbox/bubblewrap.js';
import { SANDBOX_FIX } from '../sandbox/SandboxUnavailableError.js';
import { probeIsolation } from '../sandbox/TestSandbox.js';

/**
 * Everything a run can check about its inputs and its machine before the first test runs: the
 * baseline suite can take minutes, and a bad path found after it wastes them and, worse, can end
 * in a raw errno with no hint of which input was wrong.
 */
export interface PreflightContext {
  /**
   * working-directory must lie inside it: GITHUB_WORKSPACE for the action. Absent for the CLI's
   * `run`, where the user names the repository on the command line and it may be anywhere.
   */
  workspace?: string;
  /** Where scratch copies, runner output and the default report go. */
  tempDir: string;
  /** The variable tempDir comes from, named in messages: RUNNER_TEMP, TMPDIR. */
  tempDirInput: string;
}

/** Runs every check, cheapest first; the model's sha256 (a whole-file read) comes last. */
export async function preflight(options: RunOptions, ctx: PreflightContext): Promise<void> {
  await checkWorkingDirectory(options.repoDir, ctx.workspace);
  await checkTempDir(ctx.tempDir, ctx.tempDirInput);
  await checkReportPath(options.reportPath);
  if (options.replay) await checkReplayFile(options.replay);
  await checkSandbox(options.sandbox);
  await checkModelInput(options);
  await checkModelSha256(options);
}

/** sandbox: require is a promise that no test runs unconfined: kept before the suite or the model take any time. */
export async function checkSandbox(option: SandboxOption, bubblewrap: string = findBubblewrap(process.env.PATH) ?? ''): Promise<void> {
  if (option !== 'require') return;
  const probe = await probeIsolation(option, bubblewrap);
  if (!probe.usable) {
    throw new InputError('sandbox', `it is require, but the tests cannot be confined: ${probe.reason}`, SANDBOX_FIX);
  }
}

/** working-directory exists, is a directory, and lies inside the workspace once symlinks are resolved. */
export async function checkWorkingDirectory(repoDir: string, workspace: string | undefined): Promise<void> {
  let real: string;
  try {
    real = await realpath(repoDir);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') {
      throw new InputError(
        'working-directory',
        `${repoDir} does not exist`,
        'Give a directory inside the workspace (relative paths start at it), and check it out or create it in an earlier step'
      );
    }
    throw new InputError('working-directory', `${repoDir} cannot be read (${describeErrno(error)})`, 'Give a directory this job may read');
  }
  if (!(await stat(real)).isDirectory()) {
    throw new InputError(
      'working-directory',
      `${repoDir} is a file, not a directory`,
      'Give the directory of the package whose tests are generated (the one holding its package.json)'
    );
  }
  if (workspace === undefined) return;
  const root = await realpath(workspace).catch(() => path.resolve(workspace));
  const relative = path.relative(root, real);
  if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
    throw new InputError(
      'working-directory',
      `${repoDir}${real !== repoDir ? ` (${real})` : ''} is outside the workspace ${root}`,
      'Give a directory inside the workspace: the run reads, copies and writes into it, and must not reach the rest of the machine'
    );
  }
}

/** The temp dir exists or can be created, and a file can be written into it. */
export async function checkTempDir(dir: string, input: string): Promise<void> {
  const fix = `Point ${input} at a writable directory with free space, or free disk space on ${dir}`;
  const info = await statOrUndefined(dir);
  if (info && !info.isDirectory()) throw new InputError(input, `the temp directory ${dir} is a file, not a directory`, fix);
  if (!info) {
    // Probed first: a recursive mkdir on a read-only disk reports ENOENT, not EROFS.
    await probeWritable(await writableTarget(dir, 'the temp directory', input, fix), input, fix);
    try {
      await mkdir(dir, { recursive: true });
    } catch (error) {
      throw new InputError(input, `the temp directory ${dir} cannot be created: ${writeProblem(error)}`, fix);
    }
  }
  await probeWritable({ dir, subject: `the temp directory ${dir}` }, input, fix);
}

/** report-path names a file (or nothing yet) in a directory that exists or can be created, and is writable. */
export async function checkReportPath(reportPath: string): Promise<void> {
  const info = await statOrUndefined(reportPath);
  if (info?.isDirectory()) {
    throw new InputError('report-path', `${reportPath} is a directory`, `Give the path of a file, for example ${path.join(reportPath, 'aqe-report.json')}`);
  }
  if (info && !info.isFile()) throw new InputError('report-path', `${reportPath} is not a regular file`, 'Give the path of a JSON file to write');
  const fix = 'Give a path in a directory this job may write to (for example under $RUNNER_TEMP), or leave it empty for the default';
  await probeWritable(await writableTarget(path.dirname(reportPath), "the report's directory", 'report-path', fix), 'report-path', fix);
}

/** In replay mode the file must be there to read; in record mode its directory must take new lines. */
export async function checkReplayFile(replay: NonNullable<RunOptions['replay']>): Promise<void> {
  const info = await statOrUndefined(replay.file);
  if (info?.isDirectory()) throw new InputError('replay-file', `${replay.file} is a directory`, 'Give the path of a JSONL file');
  if (replay.mode === 'replay') {
    if (!info) {
      throw new InputError(
        'replay-file',
        `${replay.file} does not exist`,
        'Record one first with replay-mode: record, or fix the path (relative paths start at the workspace)'
      );
    }
    let handle: FileHandle | undefined;
    try {
      handle = await open(replay.file, 'r');
    } catch (error) {
      throw new InputError('replay-file', `${replay.file} cannot be read (${describeErrno(error)})`, 'Give a file this job may read');
    } finally {
      await handle?.close();
    }
    return;
  }
  const fix = 'Give a path in a directory this job may write to';
  if (info) {
    try {
      await access(replay.file, constants.W_OK);
    } catch (error) {
      throw new InputError('replay-file', `${replay.file} cannot be appended to (${describeErrno(error)})`, fix);
    }
  }
  await probeWritable(await writableTarget(path.dirname(replay.file), 'the directory of the recording', 'replay-file', fix), 'replay-file', fix);
}

/** A pinned local model file is hashed now, so a wrong file fails before the suite runs, not after. */
export async function checkModelSha256(options: Pick<RunOptions, 'model' | 'modelSha256' | 'replay'>): Promise<void> {
  if (options.modelSha256 === '' || options.replay?.mode === 'replay' || options.model === '' || options.model === 'demo') return;
  const source = parseModelSource(options.model, process.cwd());
  if (source.kind !== 'local') return; // checked as it downloads
  const actual = await sha256OfFile(source.path);
  if (actual !== options.modelSha256) {
    throw new InputError(
      'model-sha256',
      `${source.path} has the sha256 ${actual}, not ${options.modelSha256}`,
      'Check that the model input names the file the checksum belongs to, or correct model-sha256'
    );
  }
}

/**
 * Where a file in `dir` will be written: `dir` itself, or the ancestor it will be created in
 * (writeJsonReport and the recorder create missing directories). The subject names it for messages.
 */
async function writableTarget(dir: string, what: string, input: string, fix: string): Promise<WriteTarget> {
  const existing = await nearestDirectory(dir, input, fix);
  return { dir: existing, subject: existing === path.resolve(dir) ? `${what} ${dir}` : `${existing}, where ${what} ${dir} would be created,` };
}

interface WriteTarget {
  dir: string;
  /** The directory as messages name it. */
  subject: string;
}

/**
 * Creates and removes a small file: the only test that tells a read-only mount, a full disk and
 * missing permissions apart from a writable directory (access() says yes to root on all of them
 * but the first, and nothing short of writing finds a full disk).
 */
async function probeWritable({ dir, subject }: WriteTarget, input: string, fix: string): Promise<void> {
  const probe = path.join(dir, `.aqe-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(probe, 'wx');
    await handle.write(Buffer.alloc(4096, 0x61));
    await handle.sync();
  } catch (error) {
    throw new InputError(input, `${subject} cannot be written: ${writeProblem(error)}`, fix);
  } finally {
    await handle?.close().catch(() => undefined);
    await rm(probe, { force: true }).catch(() => undefined);
  }
}

/** The closest existing ancestor of `dir` (itself included), which must be a directory. */
async function nearestDirectory(dir: string, input: string, fix: string): Promise<string> {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const info = await statOrUndefined(current);
    if (info) {
      if (!info.isDirectory()) throw new InputError(input, `${current} is a file, so ${dir} cannot be a directory`, fix);
      return current;
    }
    if (path.dirname(current) === current) return current;
  }
}

async function statOrUndefined(file: string): Promise<Awaited<ReturnType<typeof stat>> | undefined> {
  try {
    return await stat(file);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') return undefined;
    throw error;
  }
}

function writeProblem(error: unknown): string {
  switch (errnoOf(error)) {
    case 'ENOSPC':
    case 'EDQUOT':
      return 'no space is left on its disk';
    case 'EROFS':
      return 'it is on a read-only file system';
    case 'EACCES':
    case 'EPERM':
      return 'this user may not write there';
    default:
      return describeErrno(error);
  }
}

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function describeErrno(error: unknown): string {
  const code = errnoOf(error);
  // Not `instanceof Error`: errors from node:fs may come from another realm (jest's VM contexts).
  const message = typeof (error as Error | undefined)?.message === 'string' ? (error as Error).message : String(error);
  return code && !message.startsWith(code) ? `${code}: ${message}` : message;
}
