import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ActionRunner } from '../../src/action/ActionRunner.js';
import { State } from '../../src/action/constants.js';
import { runPost } from '../../src/action/runPost.js';
import { checkModelState, checkRuntimeState, stateRefusalMessage, type StateCheck } from '../../src/action/trustedState.js';
import { writeGgufFile } from '../../src/gguf/GgufWriter.js';
import { runtimeCacheKey, runtimeInstallDir } from '../../src/inference/loadLocalProvider.js';
import { DirectoryModelCache, ENTRY_RECORD, modelCacheKey, writeModelRecord } from '../../src/inference/model/ModelCache.js';
import { NODE_LLAMA_CPP_VERSION } from '../../src/inference/nodeLlamaCppRuntime.js';

/**
 * The post step's state is forged here the way a generated test could forge it (by appending to
 * GITHUB_STATE), against real directories, files and links on disk.
 */
let root: string;
let dir: string;
let env: { RUNNER_TEMP: string; RUNNER_TOOL_CACHE: string };
let outside: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'aqe-trusted-state-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

beforeEach(async () => {
  dir = await mkdtemp(path.join(root, 'case-'));
  env = { RUNNER_TEMP: path.join(dir, 'runner-temp'), RUNNER_TOOL_CACHE: path.join(dir, 'tool-cache') };
  outside = path.join(dir, 'attacker');
  await Promise.all([mkdir(env.RUNNER_TEMP), mkdir(env.RUNNER_TOOL_CACHE), mkdir(outside)]);
});

const reader =
  (state: Record<string, string>) =>
  (name: string): string =>
    state[name] ?? '';

function expectRefused<T>(check: StateCheck<T>, state: string, reason: RegExp): void {
  expect(check).toEqual({ status: 'refused', state, value: expect.any(String), reason: expect.stringMatching(reason) });
}

describe('checkRuntimeState', () => {
  const key = runtimeCacheKey('cpu');
  let installed: string;
  beforeEach(async () => {
    installed = runtimeInstallDir(env.RUNNER_TOOL_CACHE, 'cpu');
    await mkdir(path.join(installed, 'node_modules', 'node-llama-cpp'), { recursive: true });
  });
  const check = (state: Record<string, string>, e: NodeJS.ProcessEnv = env): Promise<StateCheck<unknown>> => checkRuntimeState(reader(state), e);

  it('accepts the install directory the main step uses, under the tool cache', async () => {
    expect(installed).toBe(path.join(env.RUNNER_TOOL_CACHE, 'aqe-node-llama-cpp', NODE_LLAMA_CPP_VERSION, `${process.platform}-${process.arch}-cpu`));
    expect(await check({ [State.RuntimeCacheKey]: key, [State.RuntimeDir]: installed })).toEqual({
      status: 'accepted',
      value: { dir: installed, key, variant: 'cpu' }
    });
  });

  it('accepts the temp directory as the root when the runner has no tool cache, and only then', async () => {
    const inTemp = runtimeInstallDir(env.RUNNER_TEMP, 'vulkan');
    await mkdir(inTemp, { recursive: true });
    const state = { [State.RuntimeCacheKey]: runtimeCacheKey('vulkan'), [State.RuntimeDir]: inTemp };
    expect(await check(state, { RUNNER_TEMP: env.RUNNER_TEMP })).toMatchObject({ status: 'accepted', value: { variant: 'vulkan' } });
    expectRefused(await check(state), State.RuntimeDir, /installs node-llama-cpp for .* into .*tool-cache.* and nowhere else/);
  });

  it('has nothing to do without state, and refuses half of it', async () => {
    expect(await check({})).toEqual({ status: 'absent' });
    expectRefused(await check({ [State.RuntimeDir]: installed }), State.RuntimeDir, /only together with runtime-cache-key, which is missing/);
    expectRefused(await check({ [State.RuntimeCacheKey]: key }), State.RuntimeCacheKey, /only together with runtime-dir/);
  });

  it.each([
    ['another version', `aqe-node-llama-cpp-0.0.1-${process.platform}-${process.arch}-cpu`],
    ['another platform', `aqe-node-llama-cpp-${NODE_LLAMA_CPP_VERSION}-plan9-${process.arch}-cpu`],
    ['an unknown variant', `aqe-node-llama-cpp-${NODE_LLAMA_CPP_VERSION}-${process.platform}-${process.arch}-rocm`],
    ['another cache entry', 'aqe-model-0000000000000000000000000000000000000000000000000000000000000000-unpinned'],
    ['a key with a prefix added', `x${key}`]
  ])('refuses a key of %s', async (_name, forged) => {
    expectRefused(
      await check({ [State.RuntimeCacheKey]: forged, [State.RuntimeDir]: installed }),
      State.RuntimeCacheKey,
      /none of the keys this version of the action uses/
    );
  });

  it('refuses a directory of another variant than the key', async () => {
    expectRefused(
      await check({ [State.RuntimeCacheKey]: runtimeCacheKey('cuda'), [State.RuntimeDir]: installed }),
      State.RuntimeDir,
      /for .*-cuda into .*-cuda and nowhere else/
    );
  });

  it.each([
    ['outside the root', () => outside],
    ['the root itself', () => env.RUNNER_TOOL_CACHE],
    ['a parent of the install directory', () => path.dirname(installed)],
    ['a subdirectory of it', () => path.join(installed, 'node_modules')],
    // Joined by hand: path.join would normalise the .. away.
    [
      'reached through ..',
      () => [env.RUNNER_TOOL_CACHE, 'aqe-node-llama-cpp', NODE_LLAMA_CPP_VERSION, '..', NODE_LLAMA_CPP_VERSION, path.basename(installed)].join(path.sep)
    ],
    ['with a trailing separator', () => `${installed}${path.sep}`],
    ['relative', () => path.relative(process.cwd(), installed)]
  ])('refuses a directory %s', async (_name, forged) => {
    expectRefused(await check({ [State.RuntimeCacheKey]: key, [State.RuntimeDir]: forged() }), State.RuntimeDir, /and nowhere else/);
  });

  it("refuses the install directory when it is a link to a directory of someone else's choice", async () => {
    await rm(installed, { recursive: true });
    await symlink(outside, installed);
    expectRefused(
      await check({ [State.RuntimeCacheKey]: key, [State.RuntimeDir]: installed }),
      State.RuntimeDir,
      /leads to ".*attacker" through a symbolic link/
    );
  });

  it('refuses it when a directory above it is such a link', async () => {
    const versions = path.join(env.RUNNER_TOOL_CACHE, 'aqe-node-llama-cpp');
    await rm(versions, { recursive: true });
    await mkdir(path.join(outside, NODE_LLAMA_CPP_VERSION, path.basename(installed)), { recursive: true });
    await symlink(outside, versions);
    expectRefused(await check({ [State.RuntimeCacheKey]: key, [State.RuntimeDir]: installed }), State.RuntimeDir, /through a symbolic link/);
  });

  it('refuses a file in its place, and a directory that is gone', async () => {
    await rm(installed, { recursive: true });
    await writeFile(installed, 'not a directory');
    expectRefused(await check({ [State.RuntimeCacheKey]: key, [State.RuntimeDir]: installed }), State.RuntimeDir, /is not a directory/);
    await rm(installed);
    expectRefused(await check({ [State.RuntimeCacheKey]: key, [State.RuntimeDir]: installed }), State.RuntimeDir, /cannot be resolved \(ENOENT\)/);
  });
});

describe('checkModelState', () => {
  const model = Buffer.from('GGUF and then some bytes');
  const sha256 = createHash('sha256').update(model).digest('hex');
  const unpinned = modelCacheKey('https://models.example/m.gguf');
  const pinned = modelCacheKey('https://models.example/m.gguf', sha256);

  /** A download entry as resolveModel leaves it: `<RUNNER_TEMP>/aqe-models/<key>/<file>` and its record. */
  async function download(key: string, file = 'm.gguf', recorded = sha256): Promise<string> {
    const entry = path.join(env.RUNNER_TEMP, 'aqe-models', key);
    await mkdir(entry, { recursive: true });
    await writeFile(path.join(entry, file), model);
    await writeModelRecord(entry, {
      source: 'https://models.example/m.gguf',
      url: 'https://models.example/m.gguf',
      file,
      bytes: model.length,
      sha256: recorded
    });
    return path.join(entry, file);
  }
  const state = (kind: string, key: string, modelPath: string): Record<string, string> => ({
    [State.ModelCacheKind]: kind,
    [State.ModelCacheKey]: key,
    [State.ModelPath]: modelPath
  });
  const check = (s: Record<string, string>): Promise<StateCheck<unknown>> => checkModelState(reader(s), env);

  it('accepts a complete download of the key for either cache, pinned or not', async () => {
    const file = await download(unpinned);
    expect(await check(state('actions', unpinned, file))).toEqual({ status: 'accepted', value: { kind: 'actions', key: unpinned, path: file } });
    const pinnedFile = await download(pinned);
    expect(await check(state('tool-cache', pinned, pinnedFile))).toEqual({ status: 'accepted', value: { kind: 'tool-cache', key: pinned, path: pinnedFile } });
  });

  it('has nothing to do without state, and refuses part of it', async () => {
    const file = await download(unpinned);
    expect(await check({})).toEqual({ status: 'absent' });
    expectRefused(await check(state('', unpinned, file)), State.ModelCacheKind, /it is empty, but the main step records .* together/);
    expectRefused(await check(state('actions', '', file)), State.ModelCacheKey, /together/);
    expectRefused(await check(state('actions', unpinned, '')), State.ModelPath, /together/);
  });

  it.each(['none', 'directory', 'Actions', 'actions '])('refuses the cache kind %j', async (kind) => {
    expectRefused(await check(state(kind, unpinned, await download(unpinned))), State.ModelCacheKind, /neither "actions" nor "tool-cache"/);
  });

  it.each([
    ['another form', 'aqe-node-llama-cpp-3.22.1-linux-x64-cpu'],
    ['a short hash', 'aqe-model-abc-unpinned'],
    ['upper-case hex', unpinned.toUpperCase().replace('AQE-MODEL', 'aqe-model')],
    ['a path in it', `${unpinned}/../x`],
    ['a new line after it', `${unpinned}\nx`]
  ])('refuses a key of %s', async (_name, key) => {
    expectRefused(await check(state('actions', key, await download(unpinned))), State.ModelCacheKey, /not of the form aqe-model-/);
  });

  it.each([
    ['outside the download directory', async () => path.join(outside, 'm.gguf')],
    ['in the entry of another key', async () => download(pinned)],
    ['reached through ..', async () => [path.dirname(await download(unpinned)), '..', unpinned, 'm.gguf'].join(path.sep)],
    ['the entry directory itself', async () => path.dirname(await download(unpinned))],
    ['in a subdirectory of the entry', async () => path.join(path.dirname(await download(unpinned)), 'sub', 'm.gguf')],
    ['a hidden file', async () => path.join(path.dirname(await download(unpinned)), '.m.gguf.part')]
  ])('refuses a model path %s', async (_name, forged) => {
    expectRefused(await check(state('actions', unpinned, await forged())), State.ModelPath, /downloads the model for .* and nowhere else/);
  });

  it("refuses a model file that is a link to a file of someone else's choice", async () => {
    const file = await download(unpinned);
    await writeFile(path.join(outside, 'secret'), model);
    await rm(file);
    await symlink(path.join(outside, 'secret'), file);
    expectRefused(await check(state('actions', unpinned, file)), State.ModelPath, /leads to ".*secret" through a symbolic link/);
  });

  it('refuses an entry directory that is a link', async () => {
    const file = await download(unpinned);
    const entry = path.dirname(file);
    await rm(entry, { recursive: true });
    await mkdir(path.join(outside, 'entry'));
    await writeFile(path.join(outside, 'entry', 'm.gguf'), model);
    await symlink(path.join(outside, 'entry'), entry);
    expectRefused(await check(state('actions', unpinned, file)), State.ModelPath, /through a symbolic link/);
  });

  it('refuses a directory where the model file should be', async () => {
    const file = await download(unpinned);
    await rm(file);
    await mkdir(file);
    expectRefused(await check(state('actions', unpinned, file)), State.ModelPath, /is not a regular file/);
  });

  it('refuses an entry holding more than the model and its record', async () => {
    const file = await download(unpinned);
    await writeFile(path.join(path.dirname(file), 'payload.so'), 'x');
    expectRefused(await check(state('actions', unpinned, file)), State.ModelPath, /also holds "payload\.so"/);
  });

  it('refuses a record that names another file, is missing, or contradicts a pinned key', async () => {
    const file = await download(unpinned);
    await writeModelRecord(path.dirname(file), { source: 's', url: 'u', file: 'other.gguf', bytes: model.length, sha256 });
    expectRefused(await check(state('actions', unpinned, file)), State.ModelPath, /describes "other\.gguf", not this file/);
    await rm(path.join(path.dirname(file), ENTRY_RECORD));
    expectRefused(await check(state('actions', unpinned, file)), State.ModelPath, /aqe-model\.json beside it is missing/);

    const forged = await download(pinned, 'm.gguf', 'f'.repeat(64));
    expectRefused(await check(state('actions', pinned, forged)), State.ModelPath, /records the sha256 f{64}, but the key pins/);
  });
});

describe('stateRefusalMessage', () => {
  it('quotes the refused value escaped, on one line, and cut short when it is long', () => {
    const injected = stateRefusalMessage({ state: State.RuntimeDir, value: '/x\n::error::forged', reason: 'why' });
    expect(injected).toBe(
      'Post step: refused the state runtime-dir="/x\\n::error::forged": why. The state, or the files it names, changed after the main step; nothing was saved.'
    );
    const long = stateRefusalMessage({ state: State.ModelPath, value: 'a'.repeat(5000), reason: 'why' });
    expect(long).toContain(`"${'a'.repeat(300)}"… (5000 characters): why.`);
    expect(long.length).toBeLessThan(500);
  });
});

describe('runPost with forged state', () => {
  function fakeRunner(state: Record<string, string>): ActionRunner & { infos: string[]; warnings: string[] } {
    const infos: string[] = [];
    const warnings: string[] = [];
    return {
      infos,
      warnings,
      getInput: () => '',
      setSecret: () => undefined,
      setOutput: () => undefined,
      saveState: () => undefined,
      getState: reader(state),
      info: (m) => void infos.push(m),
      warning: (m) => void warnings.push(m),
      notice: () => undefined,
      group: (_n, task) => task(),
      appendSummary: async () => undefined,
      setFailed: (m) => void warnings.push(`failed: ${m}`)
    };
  }

  async function downloadedModel(key: string): Promise<string> {
    const entry = path.join(env.RUNNER_TEMP, 'aqe-models', key);
    await mkdir(entry, { recursive: true });
    const file = path.join(entry, 'm.gguf');
    const data = Float32Array.from({ length: 1024 }, (_, i) => Math.cos(i));
    await writeGgufFile(file, {
      metadata: { 'general.architecture': 'llama', 'general.name': 'post test' },
      tensors: [{ name: 'w', shape: [32, 32], type: 'F32', data }]
    });
    const bytes = await readFile(file);
    await writeModelRecord(entry, { source: 's', url: 'u', file: 'm.gguf', bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
    return file;
  }

  it('saves a model the state names truthfully into the tool cache', async () => {
    const key = modelCacheKey('https://models.example/post.gguf');
    const file = await downloadedModel(key);
    const runner = fakeRunner({ [State.ModelCacheKind]: 'tool-cache', [State.ModelCacheKey]: key, [State.ModelPath]: file });
    await runPost(runner, env);
    expect(runner.warnings).toEqual([]);
    expect(await new DirectoryModelCache(env.RUNNER_TOOL_CACHE).restore(key)).toBe(path.join(env.RUNNER_TOOL_CACHE, 'aqe-models', key, 'm.gguf'));
  });

  it('saves nothing from a forged model path, and says which value it refused', async () => {
    const key = modelCacheKey('https://models.example/post.gguf');
    await downloadedModel(key);
    // A model of the attacker's own, verified against a record of its own, outside the download directory.
    const forgedEntry = path.join(outside, key);
    await mkdir(forgedEntry);
    const forged = path.join(forgedEntry, 'm.gguf');
    await writeFile(forged, await readFile(path.join(env.RUNNER_TEMP, 'aqe-models', key, 'm.gguf')));
    const runner = fakeRunner({ [State.ModelCacheKind]: 'tool-cache', [State.ModelCacheKey]: key, [State.ModelPath]: forged });
    await runPost(runner, env);
    expect(runner.warnings).toEqual([
      stateRefusalMessage({
        state: State.ModelPath,
        value: forged,
        reason: `the main step downloads the model for ${key} into ${path.join(env.RUNNER_TEMP, 'aqe-models', key)}${path.sep}<file> and nowhere else`
      })
    ]);
    expect(runner.warnings[0]).toMatch(/^Post step: refused the state model-path=".*": .*changed after the main step; nothing was saved\.$/);
    expect(runner.infos).toEqual([]);
    expect(await readdir(env.RUNNER_TOOL_CACHE)).toEqual([]);
  });

  it("does not save a directory of the attacker's choice as node-llama-cpp, and does try the real one", async () => {
    const key = runtimeCacheKey('cpu');
    const forged = await mkdtemp(path.join(outside, 'runtime-'));
    const runner = fakeRunner({ [State.RuntimeCacheKey]: key, [State.RuntimeDir]: forged });
    await runPost(runner, env);
    expect(runner.warnings).toEqual([
      expect.stringMatching(/^Post step: refused the state runtime-dir=".*runtime-.*": the main step installs node-llama-cpp for .* nothing was saved\.$/)
    ]);
    expect(runner.infos).toEqual([]);

    // The real install directory passes the check and reaches the Actions cache, which this machine does not have.
    const installed = runtimeInstallDir(env.RUNNER_TOOL_CACHE, 'cpu');
    await mkdir(installed, { recursive: true });
    const honest = fakeRunner({ [State.RuntimeCacheKey]: key, [State.RuntimeDir]: installed });
    await runPost(honest, env);
    expect(honest.infos).toEqual([`Saving node-llama-cpp to the Actions cache as ${key}`]);
    expect(honest.warnings).toEqual([expect.stringMatching(/^(Saving node-llama-cpp to the Actions cache failed|node-llama-cpp was not saved)/)]);
  });
});
