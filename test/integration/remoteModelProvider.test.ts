import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseRunOptions } from '../../src/config/parseRunOptions.js';
import type { Logger } from '../../src/core/Logger.js';
import { loadProvider } from '../../src/inference/loadProvider.js';
import { prepareDemoModel } from '../../src/inference/model/demoModel.js';
import { DirectoryModelCache } from '../../src/inference/model/ModelCache.js';
import { saveModelToCache, type ResolvedModel } from '../../src/inference/model/resolveModel.js';
import { startFakeModelServer, type FakeModelServer } from '../support/fakeModelServer.js';

let server: FakeModelServer;
let root: string;
const lines: string[] = [];
const logger: Logger = { info: (m) => void lines.push(m), warn: (m) => void lines.push(`warning: ${m}`), group: (_n, task) => task() };

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'aqe-remote-model-'));
  const demo = await prepareDemoModel(root);
  server = await startFakeModelServer();
  server.route('/models/demo.gguf', { kind: 'file', body: await readFile(demo) });
});

afterAll(async () => {
  await server?.close();
  await rm(root, { recursive: true, force: true });
});

/** The wiring the action and the CLI use: a URL model through loadProvider into real llama.cpp, cached for the next run. */
describe('a remote model through loadProvider', () => {
  it('downloads, loads and caches the model, and the next run loads it from the cache without a request', async () => {
    const options = parseRunOptions(
      { model: `${server.url}/models/demo.gguf`, gpu: 'cpu', 'context-size': '2048', 'max-parallel': '1' },
      { cwd: root, tempDir: root }
    );
    const cache = new DirectoryModelCache(path.join(root, 'cache'));
    const resolved: ResolvedModel[] = [];
    const search = {
      searchFrom: [process.cwd()],
      tempDir: root,
      modelCache: cache,
      downloadDir: path.join(root, 'downloads'),
      onModelResolved: async (model: ResolvedModel) => {
        resolved.push(model);
        if (model.toSave)
          await saveModelToCache(
            cache,
            model.toSave,
            (m) => logger.info(m),
            (m) => logger.warn(m)
          );
      }
    };

    const first = await loadProvider(options, search, logger);
    expect(first.provider.info()).toMatchObject({ provider: 'local', model: 'demo.gguf' });
    await first.provider.dispose();
    expect(server.requests.map((r) => r.path)).toEqual(['/models/demo.gguf']);
    expect(resolved[0]).toMatchObject({ cacheHit: false, source: { kind: 'url', fileName: 'demo.gguf' } });

    server.requests.length = 0;
    const second = await loadProvider(options, { ...search, downloadDir: path.join(root, 'downloads-2') }, logger);
    await second.provider.dispose();
    expect(server.requests).toEqual([]);
    expect(resolved[1]).toMatchObject({ cacheHit: true, path: path.join(root, 'cache', 'aqe-models', resolved[0]!.cacheKey!, 'demo.gguf') });
    expect(lines.filter((l) => l.startsWith('warning:'))).toEqual([]);
  });
});
