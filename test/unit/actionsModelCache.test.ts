import { describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { ActionsModelCache, chooseModelCacheKind, createModelCache } from '../../src/action/actionsModelCache.js';
import { DirectoryModelCache } from '../../src/inference/model/ModelCache.js';

const hosted = { RUNNER_ENVIRONMENT: 'github-hosted', RUNNER_TOOL_CACHE: '/opt/hostedtoolcache', RUNNER_TEMP: '/home/runner/work/_temp' };
const selfHosted = { RUNNER_ENVIRONMENT: 'self-hosted', RUNNER_TOOL_CACHE: '/srv/runner/_work/_tool', RUNNER_TEMP: '/srv/runner/_work/_temp' };

describe('chooseModelCacheKind', () => {
  it('auto: the Actions cache on GitHub-hosted runners, the tool cache on self-hosted ones', () => {
    expect(chooseModelCacheKind('auto', hosted, true)).toEqual({ kind: 'actions' });
    expect(chooseModelCacheKind('auto', selfHosted, true)).toEqual({ kind: 'tool-cache' });
    expect(chooseModelCacheKind('auto', selfHosted, false)).toEqual({ kind: 'tool-cache' });
  });

  it('auto: nothing on a GitHub-hosted runner without the cache service (its disk is gone after the job)', () => {
    expect(chooseModelCacheKind('auto', hosted, false)).toEqual({ kind: 'none' });
  });

  it('auto: without RUNNER_ENVIRONMENT, the Actions cache when it is available, else the tool cache, else nothing', () => {
    expect(chooseModelCacheKind('auto', { RUNNER_TOOL_CACHE: '/t' }, true)).toEqual({ kind: 'actions' });
    expect(chooseModelCacheKind('auto', { RUNNER_TOOL_CACHE: '/t' }, false)).toEqual({ kind: 'tool-cache' });
    expect(chooseModelCacheKind('auto', {}, false)).toEqual({ kind: 'none' });
  });

  it('explicit choices are kept, or dropped with a warning when they cannot work', () => {
    expect(chooseModelCacheKind('none', hosted, true)).toEqual({ kind: 'none' });
    expect(chooseModelCacheKind('actions', selfHosted, true)).toEqual({ kind: 'actions' });
    expect(chooseModelCacheKind('tool-cache', hosted, true)).toEqual({ kind: 'tool-cache' });
    expect(chooseModelCacheKind('actions', selfHosted, false)).toEqual({
      kind: 'none',
      warning: expect.stringMatching(/^model-cache is actions, but the Actions cache service is not available/)
    });
    expect(chooseModelCacheKind('tool-cache', {}, true)).toEqual({ kind: 'none', warning: expect.stringMatching(/RUNNER_TOOL_CACHE is not set/) });
  });
});

describe('createModelCache', () => {
  it('keeps Actions cache entries under RUNNER_TEMP and tool-cache entries under RUNNER_TOOL_CACHE', () => {
    expect(createModelCache('actions', hosted)).toBeInstanceOf(ActionsModelCache);
    const tool = createModelCache('tool-cache', selfHosted);
    expect(tool).toBeInstanceOf(DirectoryModelCache);
    expect(tool?.description).toBe(`the model cache in ${path.join(selfHosted.RUNNER_TOOL_CACHE, 'aqe-models')}`);
    expect(createModelCache('none', hosted)).toBeUndefined();
  });
});
