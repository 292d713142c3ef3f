import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { Inputs, Outputs } from '../../src/action/constants.js';
import { prepareExamplePullRequest, type ExamplePullRequest } from '../../src/cli/exampleRepo.js';
import { INPUT_DEFAULTS } from '../../src/config/parseRunOptions.js';
import { TOOL_VERSION } from '../../src/core/version.js';
import { makeRunnerDirs, PACKAGE_ROOT, pullRequestPayload, runAction, type RunnerDirs } from '../support/actionHarness.js';
import { startFakeGitHubApi, type FakeGitHubApi } from '../support/fakeGitHubApi.js';
import { expectValidExchanges } from '../support/expectValidExchanges.js';

/** Bad inputs and runner faults, through the bundled action: each ends in one clear message. */
describe('action inputs and faults', () => {
  let api: FakeGitHubApi;
  let dirs: RunnerDirs;
  let pr: ExamplePullRequest;
  let event: unknown;

  beforeAll(async () => {
    api = await startFakeGitHubApi();
    dirs = await makeRunnerDirs('aqe-inputs-');
    pr = await prepareExamplePullRequest(dirs.workspace);
    event = pullRequestPayload({ owner: 'aqe', repo: 'example', number: 3, baseSha: pr.baseSha, headSha: pr.headSha });
    api.setPullFiles('aqe', 'example', 3, [{ filename: 'src/strings.ts', status: 'added' }]);
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    expectValidExchanges(api);
    if (dirs) await rm(dirs.root, { recursive: true, force: true });
  });

  const base = (): Record<string, string> => ({ 'github-token': 't', 'working-directory': 'ts-lib', model: 'demo' });

  async function expectFailure(inputs: Record<string, string>, message: RegExp, opts: { event?: unknown; eventName?: string } = { event }): Promise<void> {
    const run = await runAction(dirs, { inputs, event: opts.event, eventName: opts.eventName, apiUrl: api.url, timeoutMs: 60_000 });
    expect({ exitCode: run.exitCode, errors: run.stdout.split('\n').filter((l) => l.startsWith('::error::')) }).toEqual({
      exitCode: 1,
      errors: [expect.stringMatching(message)]
    });
  }

  it('names the model input when the file does not exist', async () => {
    await expectFailure({ ...base(), model: 'models/missing.gguf' }, /Input "model": the file .*models\/missing\.gguf does not exist/);
  });

  it('names the model input when the file is not GGUF', async () => {
    const notModel = path.join(dirs.workspace, 'model.gguf');
    await writeFile(notModel, '<!DOCTYPE html><html>404 page</html>');
    await expectFailure({ ...base(), model: 'model.gguf' }, /Input "model": .*model\.gguf is not a GGUF model/);
  });

  it('names the model input when the file is cut off', async () => {
    const cut = path.join(dirs.workspace, 'cut.gguf');
    await writeFile(cut, Buffer.from('GGUF\x03\x00\x00\x00', 'binary'));
    await expectFailure({ ...base(), model: 'cut.gguf' }, /Input "model": .*cut\.gguf/);
  });

  it('names max-parallel when it is not a number', async () => {
    await expectFailure({ ...base(), 'max-parallel': 'four' }, /Input "max-parallel": "four" is not a whole number\. Give a number from 1 to 64/);
  });

  it('names gpu when it is unknown', async () => {
    await expectFailure({ ...base(), gpu: 'tpu' }, /Input "gpu": "tpu" is not a known GPU option\. Use one of: auto, cuda, vulkan, metal, cpu/);
  });

  it('explains a missing event file', async () => {
    await expectFailure(base(), /GITHUB_EVENT_PATH is not set.*on: pull_request/, { event: undefined });
  });

  it('explains what it needs on a push event', async () => {
    await expectFailure(base(), /triggered by "push".*on: pull_request/, { event: { ref: 'refs/heads/main' }, eventName: 'push' });
  });

  it('turns a read-only token (403 on the comment) into a warning and still reports', async () => {
    api.setPullFiles('aqe', 'example', 4, [{ filename: 'README.md', status: 'modified' }]);
    api.failWith({ method: 'POST', path: /\/issues\/4\/comments$/ }, 403, 'Resource not accessible by integration');
    const forkEvent = pullRequestPayload({ owner: 'aqe', repo: 'example', number: 4, baseSha: pr.baseSha, headSha: pr.headSha, headRepo: 'someone/example' });
    const run = await runAction(dirs, { inputs: base(), event: forkEvent, apiUrl: api.url, timeoutMs: 60_000 });
    expect({ exitCode: run.exitCode, errors: run.stdout.split('\n').filter((l) => l.startsWith('::error::')) }).toEqual({ exitCode: 0, errors: [] });
    expect(run.stdout).toMatch(/::warning::.*pull-requests: write/);
    expect(run.outputs['tests-generated']).toBe('0');
    expect(run.summary).toContain('Generated unit tests');
    expect(api.comments.get(4) ?? []).toHaveLength(0);
  });
});

describe('action.yml', () => {
  it('declares exactly the inputs and outputs the code reads and writes, with the same defaults', async () => {
    const action = parse(await readFile(path.join(PACKAGE_ROOT, 'action.yml'), 'utf8')) as {
      inputs: Record<string, { description: string; default?: string; required?: boolean }>;
      outputs: Record<string, { description: string }>;
      runs: { using: string; main: string; post: string };
    };
    expect(Object.keys(action.inputs).sort()).toEqual(Object.values(Inputs).sort());
    for (const [name, fallback] of Object.entries(INPUT_DEFAULTS)) {
      expect([name, action.inputs[name]!.default]).toEqual([name, fallback]);
    }
    for (const input of Object.values(action.inputs)) expect(input.description.length).toBeGreaterThan(20);
    expect(Object.keys(action.outputs).sort()).toEqual(Object.values(Outputs).sort());
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js', post: 'dist/post.js' });
  });

  it('carries the package version', async () => {
    const pkg = JSON.parse(await readFile(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(TOOL_VERSION).toBe(pkg.version);
  });
});
