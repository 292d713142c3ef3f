import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { prepareExamplePullRequest } from '../../src/cli/exampleRepo.js';
import { parseRunOptions, type RawInputs } from '../../src/config/parseRunOptions.js';
import type { Logger } from '../../src/core/Logger.js';
import { loadProvider } from '../../src/inference/loadProvider.js';
import { ReplayMissError, ReplayProvider } from '../../src/inference/ReplayProvider.js';
import { runPipeline } from '../../src/pipeline/runPipeline.js';
import { GitPullRequestHost } from '../../src/repo/GitPullRequestHost.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { SUITE_RUN_INPUTS } from '../support/actionHarness.js';

const quiet: Logger = { info: () => undefined, warn: () => undefined, group: (_n, task) => task() };
const roots: string[] = [];

afterAll(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

/** The pipeline in-process on a fresh copy of the example pull request. */
async function runOnExample(raw: RawInputs): Promise<RunReport> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'aqe-replay-'));
  roots.push(root);
  const pr = await prepareExamplePullRequest(root);
  const options = parseRunOptions(
    { ...SUITE_RUN_INPUTS, ...raw, 'working-directory': pr.repoDir, 'report-path': path.join(root, 'report.json') },
    { cwd: root, tempDir: root }
  );
  return runPipeline({
    options,
    host: new GitPullRequestHost(pr.repoDir, pr.baseSha, pr.headSha),
    pullRequest: null,
    repository: 'examples/ts-lib',
    logger: quiet,
    tempDir: root,
    toolVersion: 'test',
    loadProvider: () => loadProvider(options, { searchFrom: [process.cwd()], tempDir: root }, quiet)
  });
}

const outcome = (r: RunReport) => ({
  accepted: r.testsAccepted,
  candidates: r.candidates.map((c) => [c.targetFile, c.testFile, c.status, c.rejection?.stage, c.testsPassed, c.testsFailed]),
  before: r.coverageBefore,
  after: r.coverageAfter
});

describe('record and replay of model answers', () => {
  it('replays a recorded run into the same accepted tests and numbers', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aqe-replay-file-'));
    roots.push(dir);
    const file = path.join(dir, 'recorded.jsonl');
    const recorded = await runOnExample({ model: 'demo', 'replay-file': file, 'replay-mode': 'record', 'context-size': '4096', 'repeat-runs': '1' });
    const all = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { key?: string; target?: string; promptKey?: string; promptTokens?: number });
    // Answers, and the exact token counts of the prompts the run measured (so a replay fits prompts the same way).
    const lines = all.filter((l) => l.key !== undefined);
    expect(lines.map((l) => l.target).sort()).toEqual(['src/math.ts', 'src/strings.ts']);
    expect(lines.every((l) => /^[0-9a-f]{64}$/.test(l.key!))).toBe(true);
    const counts = all.filter((l) => l.promptKey !== undefined);
    expect(counts.length).toBeGreaterThanOrEqual(2);
    expect(counts.every((l) => /^[0-9a-f]{64}$/.test(l.promptKey!) && l.promptTokens! > 0)).toBe(true);
    const replayed = await runOnExample({ 'replay-file': file, 'context-size': '4096', 'repeat-runs': '1' });
    expect(recorded.inference.provider).toBe('local');
    expect(replayed.inference.provider).toBe('replay');
    expect(outcome(replayed)).toEqual(outcome(recorded));
    expect(replayed.inference.completionTokens).toBe(recorded.inference.completionTokens);
  }, 240_000);

  it('fails clearly on a miss and on a malformed file', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aqe-replay-file-'));
    roots.push(dir);
    const file = path.join(dir, 'one.jsonl');
    await writeFile(file, `${JSON.stringify({ target: 'src/a.ts', response: { text: 'x' } })}\n`);
    const provider = await ReplayProvider.open(file);
    await expect(provider.chat({ user: 'hi', maxTokens: 10, target: 'src/a.ts' })).resolves.toMatchObject({ text: 'x', provider: 'replay' });
    await expect(provider.chat({ user: 'hi', maxTokens: 10, target: 'src/a.ts' })).rejects.toThrow(ReplayMissError);
    await expect(provider.chat({ user: 'hi', maxTokens: 10, target: 'src/b.ts' })).rejects.toThrow(
      /no answer for this request \(target src\/b\.ts\).*replay-mode: record/
    );
    await writeFile(file, '{"target":"src/a.ts"}\n');
    await expect(ReplayProvider.open(file)).rejects.toThrow(/one\.jsonl:1 needs "response"/);
    await writeFile(file, 'not json\n');
    await expect(ReplayProvider.open(file)).rejects.toThrow(/one\.jsonl:1 is not valid JSON/);
    await expect(ReplayProvider.open(path.join(dir, 'missing.jsonl'))).rejects.toThrow(/cannot be read.*replay-mode: record/);
  });
});
