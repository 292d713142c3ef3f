import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { runtimeCacheKey, runtimeInstallDir } from '../../src/inference/loadLocalProvider.js';
import { makeRunnerDirs, runAction, type RunnerDirs } from '../support/actionHarness.js';

/**
 * The bundled post step (dist/post.js) given state the way the runner gives it (STATE_<name>),
 * forged as a generated test could forge it by appending to GITHUB_STATE.
 */
describe('the post step with forged state', () => {
  let dirs: RunnerDirs;
  beforeAll(async () => {
    dirs = await makeRunnerDirs('aqe-post-state-');
  });
  afterAll(async () => {
    if (dirs) await rm(dirs.root, { recursive: true, force: true });
  });

  it("saves nothing from a runtime directory or model path of someone else's choice, and says which value it refused", async () => {
    const attacker = path.join(dirs.root, 'attacker');
    await mkdir(path.join(attacker, 'aqe-models', 'x'), { recursive: true });
    const run = await runAction(dirs, {
      inputs: {},
      entry: 'post.js',
      extraEnv: {
        'STATE_runtime-cache-key': runtimeCacheKey('cpu'),
        'STATE_runtime-dir': attacker,
        'STATE_model-cache-kind': 'tool-cache',
        'STATE_model-cache-key': `aqe-model-${'0'.repeat(64)}-unpinned`,
        'STATE_model-path': path.join(attacker, 'model.gguf')
      },
      timeoutMs: 60_000
    });
    expect(run.exitCode).toBe(0);
    const warnings = run.stdout.split('\n').filter((l) => l.startsWith('::warning::'));
    expect(warnings).toEqual([
      expect.stringMatching(
        /^::warning::Post step: refused the state model-path=".*attacker.*model\.gguf": the main step downloads the model for .* nothing was saved\.$/
      ),
      expect.stringMatching(
        new RegExp(
          `^::warning::Post step: refused the state runtime-dir=".*attacker": the main step installs node-llama-cpp for ${runtimeCacheKey('cpu')} into ${runtimeInstallDir(dirs.toolCache, 'cpu').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} and nowhere else`
        )
      )
    ]);
    expect(run.stdout).not.toContain('Saving');
    expect(await readdir(dirs.toolCache)).toEqual([]);
  });
});
