/**
 * `aqe model pull|list|verify` against a model host on 127.0.0.1 serving a generated GGUF: the download, the cache
 * entry and the checks are the action's own (resolveModel, DirectoryModelCache); what is tested here is what the
 * commands make of them: exit codes, what they print, and that a changed byte is found.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../src/cli/aqeCli.js';
import { GgufValue, writeGgufFile } from '../../src/gguf/GgufWriter.js';
import { entryDirectory, modelCacheKey } from '../../src/inference/model/ModelCache.js';
import { LAST_USED_FILE, markModelUsed } from '../../src/inference/model/modelCacheEntries.js';
import { captureCli } from '../support/cliOutput.js';
import { startFakeModelServer, type FakeModelServer } from '../support/fakeModelServer.js';

let server: FakeModelServer;
let root: string;
let model: Buffer;
let sha256: string;
let url: string;

const aqe = (...args: string[]) => captureCli(() => runCli(args));

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'aqe-model-cli-'));
  const file = path.join(root, 'tiny.gguf');
  await writeGgufFile(file, {
    metadata: { 'general.architecture': 'llama', 'general.name': 'model cli test', 'llama.block_count': GgufValue.uint32(2) },
    tensors: [{ name: 'weights', shape: [128, 128], type: 'F32', data: Float32Array.from({ length: 128 * 128 }, (_, i) => Math.cos(i)) }]
  });
  model = await readFile(file);
  sha256 = createHash('sha256').update(model).digest('hex');
  server = await startFakeModelServer();
  server.route('/models/tiny.gguf', { kind: 'file', body: model });
  url = `${server.url}/models/tiny.gguf`;
});

afterAll(async () => {
  await server?.close();
  await rm(root, { recursive: true, force: true });
});

describe('aqe model pull, list and verify', () => {
  it('pulls into the cache once, lists it, and verifies it until a byte changes', async () => {
    const cache = path.join(root, 'cache-a');
    const pulled = await aqe('model', 'pull', url, '--cache', cache);
    expect(pulled.stderr).toContain('Downloading');
    expect(pulled.code).toBe(0);
    const key = modelCacheKey(url);
    const cached = path.join(entryDirectory(cache, key), 'tiny.gguf');
    expect(pulled.stdout).toContain(`Pulled and verified: ${url}`);
    expect(pulled.stdout).toContain(`sha256  ${sha256}`);
    expect(pulled.stdout).toContain(`file    ${cached}`);
    expect(
      createHash('sha256')
        .update(await readFile(cached))
        .digest('hex')
    ).toBe(sha256);
    // Only the cache entry holds it: the download folder is gone.
    expect(existsSync(path.join(cache, 'downloads', key))).toBe(false);

    const gets = server.requests.filter((r) => r.path === '/models/tiny.gguf').length;
    const again = await aqe('model', 'pull', url, '--cache', cache);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Already in the cache, verified');
    expect(server.requests.filter((r) => r.path === '/models/tiny.gguf').length).toBe(gets);

    const listed = await aqe('model', 'list', '--cache', cache);
    expect(listed.code).toBe(0);
    const row = listed.stdout.split('\n').find((l) => l.startsWith('tiny.gguf'));
    expect(row).toBeDefined();
    expect(row).toContain(sha256);
    expect(row).toContain(url);
    expect(row).toMatch(/never \(saved \d{4}-\d\d-\d\d /);
    expect(listed.stdout).toContain('1 model,');

    // A run that took it from the cache marks it (userModelCache in the CLI does this on every resolve).
    await markModelUsed(cache, key, new Date('2025-03-04T05:06:07.000Z'));
    const json = await aqe('model', 'list', '--cache', cache, '--json');
    const entries = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries).toEqual([
      expect.objectContaining({ name: 'tiny.gguf', bytes: model.length, sha256, source: url, pinned: false, lastUsedAt: '2025-03-04T05:06:07.000Z' })
    ]);
    expect(await readFile(path.join(entryDirectory(cache, key), LAST_USED_FILE), 'utf8')).toBe('2025-03-04T05:06:07.000Z\n');

    const ok = await aqe('model', 'verify', url, '--cache', cache);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`OK  ${url}`);
    expect(ok.stdout).toContain('(matches the cache record)');

    const wrongPin = await aqe('model', 'verify', url, '--cache', cache, '--sha256', 'a'.repeat(64));
    expect(wrongPin.code).toBe(1);
    expect(wrongPin.stderr).toContain(`sha256 expected ${'a'.repeat(64)} (--sha256), found ${sha256}`);

    // One byte of the tensor data flipped, the size unchanged: only the hash can tell.
    const handle = await open(cached, 'r+');
    const at = model.length - 10;
    await handle.write(Buffer.from([model[at]! ^ 0xff]), 0, 1, at);
    await handle.close();
    const changed = createHash('sha256')
      .update(await readFile(cached))
      .digest('hex');
    const bad = await aqe('model', 'verify', url, '--cache', cache);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`MISMATCH  ${url}`);
    expect(bad.stderr).toContain(`sha256 expected ${sha256} (the cache record), found ${changed}`);
    // The same file by its path: it is an entry's file, so its record is what it is checked against.
    const byPath = await aqe('model', 'verify', cached);
    expect(byPath.code).toBe(1);
    expect(byPath.stderr).toContain(`found ${changed}`);
  });

  it('pins a pull to --sha256 and fails, naming both, when the server sends another file', async () => {
    const cache = path.join(root, 'cache-b');
    const pinned = await aqe('model', 'pull', url, '--sha256', sha256.toUpperCase(), '--cache', cache);
    expect(pinned.code).toBe(0);
    expect(existsSync(path.join(entryDirectory(cache, modelCacheKey(url, sha256)), 'tiny.gguf'))).toBe(true);
    expect((await aqe('model', 'list', '--cache', cache)).stdout).toContain('(pinned)');

    const other = 'b'.repeat(64);
    const failed = await aqe('model', 'pull', url, '--sha256', other, '--cache', path.join(root, 'cache-c'));
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(sha256);
    expect(failed.stderr).toContain(other);
  });

  it('fails with exit 1 on a download that fails and on a model that is not in the cache', async () => {
    const cache = path.join(root, 'cache-d');
    const missing = await aqe('model', 'pull', `${server.url}/models/absent.gguf`, '--cache', cache);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^aqe: .*404/m);
    const notCached = await aqe('model', 'verify', url, '--cache', cache);
    expect(notCached.code).toBe(1);
    expect(notCached.stderr).toContain(`aqe model pull ${url}`);
    expect((await aqe('model', 'list', '--cache', cache)).stdout).toContain('No model in');
  });

  it('checks a file outside the cache against --sha256 only', async () => {
    const file = path.join(root, 'outside.gguf');
    await writeFile(file, model);
    const right = await aqe('model', 'verify', file, '--sha256', sha256);
    expect(right.code).toBe(0);
    expect(right.stdout).toContain('(matches --sha256)');
    const none = await aqe('model', 'verify', file);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain(`sha256  ${sha256}`);
    expect(none.stdout).toContain('nothing to compare with');
    const notGguf = path.join(root, 'notes.gguf');
    await writeFile(notGguf, 'not a model at all, just text');
    const text = await aqe('model', 'verify', notGguf);
    expect(text.code).toBe(1);
    expect(text.stderr).toContain('is not a GGUF model');
  });

  it('answers usage errors with exit 2 and the argument they concern', async () => {
    const cases: Array<[string[], string]> = [
      [['model', 'pull'], 'aqe: Input "<source>": aqe model pull needs one'],
      [['model', 'fetch', url], 'aqe: Input "aqe model": "fetch" is not one of its actions'],
      [['model'], 'aqe: Input "aqe model": no action was given'],
      [['model', 'pull', url, '--sha256', 'xyz'], 'aqe: Input "--sha256": "xyz" is not a sha256'],
      [['model', 'pull', url, '--shasum', 'x'], 'aqe: Input "aqe model": Unknown option \'--shasum\''],
      [['model', 'pull', 'ftp://example.com/m.gguf'], 'aqe: Input "<source>": "ftp://example.com/m.gguf" uses the unknown scheme "ftp:"'],
      [['model', 'pull', path.join(root, 'tiny.gguf')], 'is a local file, which needs no pull'],
      [['model', 'list', 'extra'], 'aqe: Input "aqe model list": it takes no argument']
    ];
    for (const [args, message] of cases) {
      const outcome = await aqe(...args);
      expect({ args, code: outcome.code }).toEqual({ args, code: 2 });
      expect(outcome.stderr).toContain(message);
    }
    const help = await aqe('model', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes: 0 ok; 1 failure');
    expect((await aqe('--help')).stdout).toContain('aqe model pull|list|verify');
  });
});
