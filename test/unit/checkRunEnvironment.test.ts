import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { checkModelSha256, checkReplayFile, checkReportPath, checkTempDir, checkWorkingDirectory, preflight } from '../../src/config/checkRunEnvironment.js';
import { InputError } from '../../src/core/InputError.js';
import { parseRunOptions, type RawInputs } from '../../src/config/parseRunOptions.js';
import { writeTextChainModel } from '../../src/gguf/textChainModel.js';
import { TmpfsMounts } from '../support/tmpfsMounts.js';

let root: string;
let workspace: string;
// Created at load time: whether the tests that need a real read-only or full disk can run here.
const mounts = await TmpfsMounts.create('aqe-preflight-mounts-');
const onMounts = mounts.available ? it : it.skip;
// Root writes through any mode bits, so a directory it may not write cannot be made.
const itAsNonRoot = process.getuid?.() === 0 ? it.skip : it;
if (!mounts.available) console.warn(`Read-only and full-disk preflight tests skipped: ${mounts.reason}`);

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'aqe-preflight-'));
  workspace = path.join(root, 'workspace');
  await mkdir(path.join(workspace, 'pkg'), { recursive: true });
  await writeFile(path.join(workspace, 'notes.txt'), 'a file');
});

afterAll(async () => {
  await mounts.cleanUp();
  await rm(root, { recursive: true, force: true });
});

async function inputError(p: Promise<unknown>): Promise<InputError> {
  try {
    await p;
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected an InputError');
}

describe('checkWorkingDirectory', () => {
  it('accepts a directory inside the workspace, and the workspace itself', async () => {
    await expect(checkWorkingDirectory(path.join(workspace, 'pkg'), workspace)).resolves.toBeUndefined();
    await expect(checkWorkingDirectory(workspace, workspace)).resolves.toBeUndefined();
  });

  it('names the input when the directory does not exist', async () => {
    const e = await inputError(checkWorkingDirectory(path.join(workspace, 'missing'), workspace));
    expect(e.input).toBe('working-directory');
    expect(e.message).toBe(
      `Input "working-directory": ${path.join(workspace, 'missing')} does not exist. Give a directory inside the workspace (relative paths start at it), and check it out or create it in an earlier step.`
    );
  });

  it('names the input when it is a file', async () => {
    const e = await inputError(checkWorkingDirectory(path.join(workspace, 'notes.txt'), workspace));
    expect(e.message).toMatch(/^Input "working-directory": .*notes\.txt is a file, not a directory\. Give the directory of the package/);
  });

  it('refuses a directory outside the workspace (../..)', async () => {
    const outside = path.resolve(workspace, '../..');
    const e = await inputError(checkWorkingDirectory(outside, workspace));
    expect(e.message).toContain(`${outside} is outside the workspace ${workspace}`);
  });

  it('refuses a sibling whose name merely starts with the workspace name', async () => {
    const sibling = `${workspace}-other`;
    await mkdir(sibling);
    const e = await inputError(checkWorkingDirectory(sibling, workspace));
    expect(e.message).toContain('is outside the workspace');
  });

  it('resolves symlinks: a link inside the workspace to a directory outside is outside', async () => {
    const link = path.join(workspace, 'escape');
    await symlink(root, link, 'dir');
    const e = await inputError(checkWorkingDirectory(link, workspace));
    expect(e.message).toContain(`${link} (${root}) is outside the workspace`);
  });

  it('resolves symlinks: a workspace reached through a link still contains its directories', async () => {
    const linkedWorkspace = path.join(root, 'linked-workspace');
    await symlink(workspace, linkedWorkspace, 'dir');
    await expect(checkWorkingDirectory(path.join(linkedWorkspace, 'pkg'), linkedWorkspace)).resolves.toBeUndefined();
    await expect(checkWorkingDirectory(path.join(workspace, 'pkg'), linkedWorkspace)).resolves.toBeUndefined();
  });
});

describe('checkTempDir', () => {
  it('creates a missing temp dir and leaves no probe file behind', async () => {
    const temp = path.join(root, 'new-temp', 'nested');
    await checkTempDir(temp, 'RUNNER_TEMP');
    expect(await readdir(temp)).toEqual([]);
  });

  it('names the variable when the temp dir is a file', async () => {
    const e = await inputError(checkTempDir(path.join(workspace, 'notes.txt'), 'RUNNER_TEMP'));
    expect(e.input).toBe('RUNNER_TEMP');
    expect(e.message).toMatch(/^Input "RUNNER_TEMP": the temp directory .*notes\.txt is a file, not a directory\. Point RUNNER_TEMP at a writable directory/);
  });

  onMounts('turns EROFS into a message naming the directory and the fix', async () => {
    const dir = await mounts.readOnly('ro-temp');
    const e = await inputError(checkTempDir(dir, 'RUNNER_TEMP'));
    expect(e.message).toBe(
      `Input "RUNNER_TEMP": the temp directory ${dir} cannot be written: it is on a read-only file system. Point RUNNER_TEMP at a writable directory with free space, or free disk space on ${dir}.`
    );
  });

  onMounts('says so when the temp dir cannot be created on a read-only disk', async () => {
    const dir = await mounts.readOnly('ro-parent');
    const e = await inputError(checkTempDir(path.join(dir, 'temp'), 'TMPDIR'));
    expect(e.message).toContain(
      `${dir}, where the temp directory ${path.join(dir, 'temp')} would be created, cannot be written: it is on a read-only file system`
    );
  });

  onMounts('turns ENOSPC into a message naming the directory and the fix', async () => {
    const dir = await mounts.full('full-temp');
    const e = await inputError(checkTempDir(dir, 'RUNNER_TEMP'));
    expect(e.message).toMatch(
      new RegExp(`^Input "RUNNER_TEMP": the temp directory ${dir} cannot be written: no space is left on its disk\\. Point RUNNER_TEMP`)
    );
    expect((await readdir(dir)).filter((f) => f.startsWith('.aqe-probe'))).toEqual([]);
  });

  itAsNonRoot('turns EACCES into a message when this user may not write (non-root only)', async () => {
    const { chmod } = await import('node:fs/promises');
    const dir = path.join(root, 'locked');
    await mkdir(dir);
    await chmod(dir, 0o555);
    const e = await inputError(checkTempDir(dir, 'TMPDIR'));
    expect(e.message).toContain('cannot be written: this user may not write there');
    await chmod(dir, 0o755);
  });
});

describe('checkReportPath', () => {
  it('accepts a new file in an existing directory, or in one still to be created, and creates nothing', async () => {
    await expect(checkReportPath(path.join(root, 'report.json'))).resolves.toBeUndefined();
    const nested = path.join(root, 'reports', 'deep', 'report.json');
    await expect(checkReportPath(nested)).resolves.toBeUndefined();
    expect(existsSync(path.join(root, 'reports'))).toBe(false);
  });

  it('accepts an existing report file, which is replaced', async () => {
    const file = path.join(root, 'old-report.json');
    await writeFile(file, '{}');
    await expect(checkReportPath(file)).resolves.toBeUndefined();
  });

  it('names the input and suggests a file when it is a directory', async () => {
    const e = await inputError(checkReportPath(workspace));
    expect(e.message).toBe(
      `Input "report-path": ${workspace} is a directory. Give the path of a file, for example ${path.join(workspace, 'aqe-report.json')}.`
    );
  });

  it('names the input when a folder on the way is a file', async () => {
    const e = await inputError(checkReportPath(path.join(workspace, 'notes.txt', 'report.json')));
    expect(e.message).toMatch(/^Input "report-path": .*notes\.txt is a file, so .*notes\.txt cannot be a directory/);
  });

  onMounts('names the input when its directory is read-only, and where it would be created', async () => {
    const dir = await mounts.readOnly('ro-report');
    const e = await inputError(checkReportPath(path.join(dir, 'report.json')));
    expect(e.message).toMatch(
      new RegExp(
        `^Input "report-path": the report's directory ${dir} cannot be written: it is on a read-only file system\\. Give a path in a directory this job may write to`
      )
    );
    const nested = await inputError(checkReportPath(path.join(dir, 'sub', 'report.json')));
    expect(nested.message).toContain(`${dir}, where the report's directory ${path.join(dir, 'sub')} would be created, cannot be written`);
  });
});

describe('checkReplayFile', () => {
  it('accepts a readable file in replay mode', async () => {
    const file = path.join(root, 'answers.jsonl');
    await writeFile(file, '{"target":"src/a.ts","response":{"text":"x"}}\n');
    await expect(checkReplayFile({ mode: 'replay', file })).resolves.toBeUndefined();
  });

  it('names the input when the file is missing in replay mode', async () => {
    const file = path.join(root, 'missing.jsonl');
    const e = await inputError(checkReplayFile({ mode: 'replay', file }));
    expect(e.message).toBe(
      `Input "replay-file": ${file} does not exist. Record one first with replay-mode: record, or fix the path (relative paths start at the workspace).`
    );
  });

  it('names the input when it is a directory, in either mode', async () => {
    for (const mode of ['replay', 'record'] as const) {
      const e = await inputError(checkReplayFile({ mode, file: workspace }));
      expect(e.message).toBe(`Input "replay-file": ${workspace} is a directory. Give the path of a JSONL file.`);
    }
  });

  it('accepts a recording into a directory still to be created', async () => {
    await expect(checkReplayFile({ mode: 'record', file: path.join(root, 'recordings', 'run.jsonl') })).resolves.toBeUndefined();
    expect(existsSync(path.join(root, 'recordings'))).toBe(false);
  });

  onMounts('names the input when the recording cannot be written', async () => {
    const dir = await mounts.readOnly('ro-replay', { 'old.jsonl': '' });
    const fresh = await inputError(checkReplayFile({ mode: 'record', file: path.join(dir, 'new.jsonl') }));
    expect(fresh.message).toContain(`Input "replay-file": the directory of the recording ${dir} cannot be written: it is on a read-only file system`);
    const existing = await inputError(checkReplayFile({ mode: 'record', file: path.join(dir, 'old.jsonl') }));
    expect(existing.message).toMatch(/^Input "replay-file": .*old\.jsonl cannot be appended to \(EROFS/);
    // Reading a file on a read-only disk is fine.
    await expect(checkReplayFile({ mode: 'replay', file: path.join(dir, 'old.jsonl') })).resolves.toBeUndefined();
  });
});

describe('checkModelSha256', () => {
  let model: string;
  let sha: string;

  beforeAll(async () => {
    model = path.join(root, 'model.gguf');
    await writeFile(model, 'pretend model bytes');
    sha = createHash('sha256').update('pretend model bytes').digest('hex');
  });

  it('passes when the local file has the pinned sha256, and skips what it cannot hash', async () => {
    await expect(checkModelSha256({ model, modelSha256: sha, replay: null })).resolves.toBeUndefined();
    await expect(checkModelSha256({ model, modelSha256: '', replay: null })).resolves.toBeUndefined();
    // Remote models are verified as they download; a replay loads no model.
    await expect(checkModelSha256({ model: 'https://example.com/m.gguf', modelSha256: '0'.repeat(64), replay: null })).resolves.toBeUndefined();
    await expect(checkModelSha256({ model, modelSha256: '0'.repeat(64), replay: { mode: 'replay', file: 'a.jsonl' } })).resolves.toBeUndefined();
  });

  it('names model-sha256 with both hashes on a mismatch', async () => {
    const e = await inputError(checkModelSha256({ model, modelSha256: '0'.repeat(64), replay: null }));
    expect(e.input).toBe('model-sha256');
    expect(e.message).toBe(
      `Input "model-sha256": ${model} has the sha256 ${sha}, not ${'0'.repeat(64)}. Check that the model input names the file the checksum belongs to, or correct model-sha256.`
    );
  });
});

describe('preflight', () => {
  let model: string;
  let sha: string;
  const options = (raw: RawInputs) =>
    parseRunOptions(
      { 'working-directory': 'pkg', 'report-path': path.join(root, 'preflight-report.json'), ...raw },
      { cwd: workspace, tempDir: path.join(root, 'preflight-temp') }
    );
  const ctx = () => ({ workspace, tempDir: path.join(root, 'preflight-temp'), tempDirInput: 'RUNNER_TEMP' });

  beforeAll(async () => {
    model = path.join(workspace, 'tiny.gguf');
    await writeTextChainModel(model, 'export const x = 1;\n');
    sha = createHash('sha256')
      .update(await (await import('node:fs/promises')).readFile(model))
      .digest('hex');
  });

  it('passes a run whose inputs and machine are fine', async () => {
    await expect(preflight(options({ model: 'tiny.gguf', 'model-sha256': sha }), ctx())).resolves.toBeUndefined();
    await expect(preflight(options({ model: 'demo' }), ctx())).resolves.toBeUndefined();
  });

  it('reports the first bad input: the working directory before the model', async () => {
    const e = await inputError(preflight(options({ 'working-directory': '../..', model: 'missing.gguf' }), ctx()));
    expect(e.input).toBe('working-directory');
  });

  it('checks the model file itself, then its sha256', async () => {
    expect((await inputError(preflight(options({ model: 'missing.gguf' }), ctx()))).message).toMatch(/^Input "model": the file .*missing\.gguf does not exist/);
    expect((await inputError(preflight(options({ model: 'notes.txt' }), ctx()))).input).toBe('model');
    const e = await inputError(preflight(options({ model: 'tiny.gguf', 'model-sha256': 'f'.repeat(64) }), ctx()));
    expect(e.message).toContain(`has the sha256 ${sha}, not ${'f'.repeat(64)}`);
  });
});
