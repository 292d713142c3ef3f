import { lstat, readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { runtimeCacheKey, runtimeInstallDir } from '../inference/loadLocalProvider.js';
import { ENTRY_RECORD, readModelRecord } from '../inference/model/ModelCache.js';
import type { BinaryVariant } from '../inference/nodeLlamaCppRuntime.js';
import { modelDownloadDir } from './actionsModelCache.js';
import { runtimeInstallRoot } from './actionsRuntimeCache.js';
import { State } from './constants.js';

/**
 * The post step's state comes from the GITHUB_STATE file, which every process of the job can
 * append to, generated tests included. So a value is used only when it is exactly what the main
 * step would have written on this runner: the post step recomputes the install and download
 * locations from the runner's own variables and accepts nothing else. A refusal names the state
 * value and why; nothing is saved from refused state.
 */
export type StateCheck<T> = { status: 'absent' } | { status: 'accepted'; value: T } | { status: 'refused'; state: string; value: string; reason: string };

export interface RuntimeSave {
  dir: string;
  key: string;
  variant: BinaryVariant;
}

export type SavedModelCacheKind = 'actions' | 'tool-cache';

export interface ModelSave {
  kind: SavedModelCacheKind;
  key: string;
  path: string;
}

/** Every binary variant the main step can install; a Record so a new variant cannot be forgotten here. */
const VARIANTS: Record<BinaryVariant, true> = { cpu: true, cuda: true, vulkan: true };

/** modelCacheKey's form: the source id's sha256, then the pinned sha256 or "unpinned". */
const MODEL_KEY = /^aqe-model-[0-9a-f]{64}-(?:[0-9a-f]{64}|unpinned)$/;

type ReadState = (name: string) => string;

/** Longest stretch of a refused value that is quoted: the value is anyone's, and may be long. */
const QUOTED_CHARS = 300;

export function stateRefusalMessage(refusal: { state: string; value: string; reason: string }): string {
  const value =
    refusal.value.length > QUOTED_CHARS
      ? `${JSON.stringify(refusal.value.slice(0, QUOTED_CHARS))}… (${refusal.value.length} characters)`
      : JSON.stringify(refusal.value);
  return `Post step: refused the state ${refusal.state}=${value}: ${refusal.reason}. The state, or the files it names, changed after the main step; nothing was saved.`;
}

/** The node-llama-cpp install the main step recorded, if it is the install directory this runner's main step uses. */
export async function checkRuntimeState(getState: ReadState, env: NodeJS.ProcessEnv): Promise<StateCheck<RuntimeSave>> {
  const key = getState(State.RuntimeCacheKey);
  const dir = getState(State.RuntimeDir);
  if (!key && !dir) return { status: 'absent' };
  const refuse = (state: string, value: string, reason: string): StateCheck<RuntimeSave> => ({ status: 'refused', state, value, reason });
  if (!key) return refuse(State.RuntimeDir, dir, `the main step records it only together with ${State.RuntimeCacheKey}, which is missing`);
  if (!dir) return refuse(State.RuntimeCacheKey, key, `the main step records it only together with ${State.RuntimeDir}, which is missing`);

  const variant = (Object.keys(VARIANTS) as BinaryVariant[]).find((v) => runtimeCacheKey(v) === key);
  if (!variant) {
    const known = (Object.keys(VARIANTS) as BinaryVariant[]).map((v) => runtimeCacheKey(v)).join(', ');
    return refuse(State.RuntimeCacheKey, key, `it is none of the keys this version of the action uses on this runner (${known})`);
  }
  const root = runtimeInstallRoot(env);
  const expected = runtimeInstallDir(root, variant);
  if (dir !== expected) return refuse(State.RuntimeDir, dir, `the main step installs node-llama-cpp for ${key} into ${expected} and nowhere else`);
  const problem = await notPlainBelow(root, expected, 'directory');
  return problem ? refuse(State.RuntimeDir, dir, problem) : { status: 'accepted', value: { dir, key, variant } };
}

/**
 * The downloaded model the main step recorded, if it is a complete download entry of that key in
 * the download directory: the model file and its record, nothing else, no links. Whether the
 * file still hashes to its record is checked when it is saved (saveModelToCache).
 */
export async function checkModelState(getState: ReadState, env: NodeJS.ProcessEnv): Promise<StateCheck<ModelSave>> {
  const kind = getState(State.ModelCacheKind);
  const key = getState(State.ModelCacheKey);
  const modelPath = getState(State.ModelPath);
  if (!kind && !key && !modelPath) return { status: 'absent' };
  const refuse = (state: string, value: string, reason: string): StateCheck<ModelSave> => ({ status: 'refused', state, value, reason });
  const together = `the main step records ${State.ModelCacheKind}, ${State.ModelCacheKey} and ${State.ModelPath} together`;
  if (!kind || !key || !modelPath) {
    const [state, value] = !kind ? [State.ModelCacheKind, kind] : !key ? [State.ModelCacheKey, key] : [State.ModelPath, modelPath];
    return refuse(state, value, `it is empty, but ${together}`);
  }
  if (kind !== 'actions' && kind !== 'tool-cache')
    return refuse(State.ModelCacheKind, kind, 'it is neither "actions" nor "tool-cache", the caches the main step saves into');
  if (!MODEL_KEY.test(key)) return refuse(State.ModelCacheKey, key, 'it is not of the form aqe-model-<64 hex digits>-<64 hex digits or "unpinned">');

  const downloads = modelDownloadDir(env);
  const entry = path.join(downloads, key);
  const file = path.basename(modelPath);
  if (path.dirname(modelPath) !== entry || file.startsWith('.') || modelPath !== path.join(entry, file)) {
    return refuse(State.ModelPath, modelPath, `the main step downloads the model for ${key} into ${entry}${path.sep}<file> and nowhere else`);
  }
  const problem = (await notPlainBelow(downloads, modelPath, 'file')) ?? (await entryProblem(entry, file, key));
  return problem ? refuse(State.ModelPath, modelPath, problem) : { status: 'accepted', value: { kind, key, path: modelPath } };
}

/**
 * Why `target` (a path below `root`) is not a plain `kind` reached without links, or undefined
 * when it is: every component below the root is resolved, so a symbolic link anywhere on the way
 * (to a directory of someone else's choice) is refused, not followed.
 */
async function notPlainBelow(root: string, target: string, kind: 'file' | 'directory'): Promise<string | undefined> {
  let realRoot: string;
  let realTarget: string;
  try {
    realRoot = await realpath(root);
    realTarget = await realpath(target);
  } catch (error) {
    return `it cannot be resolved (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
  const expected = path.join(realRoot, path.relative(root, target));
  if (realTarget !== expected) return `it leads to ${JSON.stringify(realTarget)} through a symbolic link, not to ${expected}`;
  const stats = await lstat(target);
  if (kind === 'file' ? !stats.isFile() : !stats.isDirectory()) return `it is not a ${kind === 'file' ? 'regular file' : 'directory'}`;
  return undefined;
}

/** A download entry holds the model and its record only; its record must name this file, and a pinned key's sha256. */
async function entryProblem(entry: string, file: string, key: string): Promise<string | undefined> {
  const names = await readdir(entry);
  const extra = names.filter((n) => n !== file && n !== ENTRY_RECORD);
  if (extra.length > 0) return `its directory also holds ${extra.map((n) => JSON.stringify(n)).join(', ')}, which the download did not leave there`;
  if (!(await lstat(path.join(entry, ENTRY_RECORD)).catch(() => undefined))?.isFile()) return `${ENTRY_RECORD} beside it is missing or not a regular file`;
  const record = await readModelRecord(entry);
  if (!record) return `${ENTRY_RECORD} beside it is not a model record`;
  if (record.file !== file) return `${ENTRY_RECORD} describes ${JSON.stringify(record.file)}, not this file`;
  const pinned = key.slice(-64);
  if (!key.endsWith('-unpinned') && record.sha256 !== pinned) return `${ENTRY_RECORD} records the sha256 ${record.sha256}, but the key pins ${pinned}`;
  return undefined;
}
