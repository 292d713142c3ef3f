import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdir, readFile, rm, writeFile, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AbComparison } from '../../src/cli/abComparison.js';
import { runProcess, type ProcessResult } from '../../src/process/runProcess.js';
import { PACKAGE_ROOT, SUITE_CLI_FLAGS } from '../support/actionHarness.js';
import { exampleCloudModel, promptText, stringsAnswer } from '../support/exampleCloudModel.js';
import { startFakeAnthropicApi, type FakeAnthropicApi } from '../support/fakeAnthropicApi.js';

const API_KEY = 'sk-ant-test-eval-0123456789';

/**
 * `aqe eval --ab` as a user runs it, on the example pull request: side A answers from a replay
 * file whose math.ts answer tests the wrong file, side B is the real Anthropic SDK against a fake
 * Messages API on loopback that writes a good test for each file. The comparison must follow from
 * the verdicts: A keeps one of two files, B both.
 */
describe('aqe eval --ab', () => {
  let dir: string;
  let cloud: FakeAnthropicApi;
  let run: ProcessResult;
  let comparison: AbComparison;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aqe-eval-'));
    cloud = await startFakeAnthropicApi({ apiKey: API_KEY, respond: await exampleCloudModel() });
    const strings = await stringsAnswer();
    const replay = path.join(dir, 'answers.jsonl');
    // The same strings.ts test for both files: right for strings.ts, no coverage of math.ts.
    await writeFile(replay, ['src/strings.ts', 'src/math.ts'].map((target) => JSON.stringify({ target, response: { text: strings } })).join('\n') + '\n');
    run = await runProcess({
      command: process.execPath,
      args: [
        path.join(PACKAGE_ROOT, 'bin', 'aqe.js'),
        'eval',
        ...SUITE_CLI_FLAGS,
        '--ab',
        '--demo',
        '--dir',
        path.join(dir, 'work'),
        '--a',
        `replay:${replay}`,
        '--b',
        'cloud',
        '--anthropic-base-url',
        cloud.url,
        '--cloud-model',
        'claude-haiku-4-5',
        '--repeat-runs',
        '1'
      ],
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ANTHROPIC_API_KEY: API_KEY },
      timeoutMs: 300_000
    });
    comparison = JSON.parse(await readFile(path.join(dir, 'work', 'eval-ab.json'), 'utf8')) as AbComparison;
  }, 320_000);

  afterAll(async () => {
    await cloud?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs both sides on the same targets and prints the comparison', () => {
    expect({ exitCode: run.exitCode, tail: run.stderr.slice(-2000) }).toMatchObject({ exitCode: 0 });
    expect(comparison.sameTargets).toBe(true);
    expect(run.stdout).toContain('replay:answers.jsonl');
    expect(run.stdout).toMatch(/cloud reaches 200\.0% of replay:answers\.jsonl's acceptance rate/);
  });

  it('takes each figure from the verdicts, the cost from the billed tokens', () => {
    expect(comparison.a).toMatchObject({ provider: 'replay', targets: 2, accepted: 1, acceptancePct: 50, rejections: { 'no-coverage-gain': 1 } });
    expect(comparison.b).toMatchObject({ provider: 'anthropic', model: 'claude-haiku-4-5', targets: 2, accepted: 2, acceptancePct: 100, rejections: {} });
    expect(comparison.b.changedLinesGainPp!).toBeGreaterThan(comparison.a.changedLinesGainPp!);
    expect(comparison.b.costUsd).toBeGreaterThan(0);
    // A replayed answer costs next to nothing: no model ran.
    expect(comparison.a.costUsd).toBeLessThan(0.0001);
    expect(comparison.bOfA.acceptance).toBe(200);
    // Only the cloud side reached the server: one request per file.
    expect(
      cloud
        .messageRequests()
        .map((r) => (promptText(r).includes('src/strings.ts') ? 'strings' : 'math'))
        .sort()
    ).toEqual(['math', 'strings']);
  });

  it('writes nothing into the repository', async () => {
    const tests = await readdir(path.join(dir, 'work', 'example', 'ts-lib', 'test'));
    expect(tests).toEqual(['math.test.ts']);
  });
});
