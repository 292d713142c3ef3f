/**
 * The pipeline when the run is cancelled (cancelRun, as the faces' signal handlers call it): it
 * stops, removes its work directory, delivers nothing, and still writes the report of what had
 * finished, then rejects with PipelineCancelledError carrying that report.
 */
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { prepareExamplePullRequest } from '../../src/cli/exampleRepo.js';
import { PipelineCancelledError } from '../../src/pipeline/runPipeline.js';
import { cancelRun, resetCancellation, RunCancelledError } from '../../src/process/cancellation.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { hashTree } from '../support/hashTree.js';
import { runPipelineOnReplay } from '../support/replayPipeline.js';

const roots: string[] = [];
afterEach(() => resetCancellation());
afterAll(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

const MARKER = 'aqe-hanging-candidate.marker';
/** A candidate that writes a marker into its working directory (the scratch copy) and never settles. */
const HANGING = [
  '```ts',
  "import { it } from '@jest/globals';",
  "import '../src/math';",
  '',
  'declare const require: (id: string) => any;',
  '',
  "it('waits for ever', () => {",
  `  require('node:fs').writeFileSync('${MARKER}', 'started');`,
  '  return new Promise(() => undefined);',
  '}, 600_000);',
  '```',
  ''
].join('\n');

async function example(): Promise<{ root: string; pr: Awaited<ReturnType<typeof prepareExamplePullRequest>> }> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'aqe-cancel-pipeline-'));
  roots.push(root);
  return { root, pr: await prepareExamplePullRequest(root) };
}

/** Run work directories (and the scratch copies inside them) left under root. */
const workDirs = (root: string): string[] => readdirSync(root).filter((d) => d.startsWith('aqe-run-'));

describe('a cancelled pipeline', () => {
  it('reports the baseline and the verdicts reached, lists the rest as unfinished, and leaves nothing behind', async () => {
    const { root, pr } = await example();
    const treeBefore = hashTree(pr.repoDir, ['.git']);
    const running = runPipelineOnReplay({
      repoDir: pr.repoDir,
      baseSha: pr.baseSha,
      headSha: pr.headSha,
      root,
      // strings.ts gets an answer without code: rejected at generation, a verdict reached before the cancellation.
      answers: { 'src/math.ts': HANGING, 'src/strings.ts': 'I cannot write a test for this file.' },
      inputs: { 'repeat-runs': '0', 'max-repairs': '0', 'test-timeout': '300' }
    });
    running.catch(() => undefined);
    const deadline = Date.now() + 180_000;
    const markerSeen = (): boolean => workDirs(root).some((d) => readdirSync(path.join(root, d)).some((s) => existsSync(path.join(root, d, s, MARKER))));
    while (!markerSeen()) {
      if (Date.now() > deadline) throw new Error('The hanging candidate never started');
      await new Promise((r) => setTimeout(r, 50));
    }
    const cancelledAt = Date.now();
    await cancelRun('SIGTERM');
    const error = await running.then(
      () => undefined,
      (e: unknown) => e
    );
    expect(Date.now() - cancelledAt).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(PipelineCancelledError);
    expect(error).toBeInstanceOf(RunCancelledError);
    const cancelled = error as PipelineCancelledError;
    expect(cancelled.signal).toBe('SIGTERM');
    expect(cancelled.message).toMatch(/^The run was cancelled by SIGTERM during validating the candidates of the root package \(jest\): .*report\.json/);

    const written = JSON.parse(await readFile(path.join(root, 'report.json'), 'utf8')) as RunReport;
    expect(written).toEqual(JSON.parse(JSON.stringify(cancelled.report)));
    expect(written.cancelled).toEqual({
      signal: 'SIGTERM',
      during: 'validating the candidates of the root package (jest)',
      unfinished: [{ targetFile: 'src/math.ts', testFile: 'test/math.aqe.test.ts', state: 'pending' }]
    });
    expect(written.candidates.map((c) => [c.targetFile, c.status, c.rejection?.stage])).toEqual([['src/strings.ts', 'rejected', 'generation']]);
    expect(written.baseline).toMatchObject({ testsPassed: 3, testsFailed: 0, runFailures: [] });
    expect(written.coverageAfter).toEqual(written.coverageBefore);
    expect(written.delivery).toBeUndefined();
    expect(written.warnings).toEqual(
      expect.arrayContaining([
        'The run was cancelled by SIGTERM during validating the candidates of the root package (jest). Nothing was delivered, and the working tree is unchanged. The report holds what had finished: 1 package(s) with their baseline, 1 candidate(s) with a verdict; 1 target(s) had none yet.'
      ])
    );
    expect(workDirs(root)).toEqual([]);
    expect(hashTree(pr.repoDir, ['.git'])).toEqual(treeBefore);
  }, 300_000);

  it('still writes a report when cancelled before any package began', async () => {
    const { root, pr } = await example();
    await cancelRun('SIGINT');
    const error = await runPipelineOnReplay({ repoDir: pr.repoDir, baseSha: pr.baseSha, headSha: pr.headSha, root, answers: {} }).then(
      () => undefined,
      (e: unknown) => e
    );
    expect(error).toBeInstanceOf(PipelineCancelledError);
    const written = JSON.parse(await readFile(path.join(root, 'report.json'), 'utf8')) as RunReport;
    expect(written.cancelled).toEqual({ signal: 'SIGINT', during: 'reading the pull request’s changes', unfinished: [] });
    expect(written.candidates).toEqual([]);
    expect(written.delivery).toBeUndefined();
    expect(workDirs(root)).toEqual([]);
  }, 120_000);
});
