/**
 * A repository whose test runner is not installed: with no runner for any target the run fails
 * with the runner's error (what to install), instead of warnings on a green run; when only some
 * packages lack theirs, those targets are skipped with the reason and the others still run.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, readdir, rm, symlink, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { prepareExamplePullRequest, type ExamplePullRequest } from '../../src/cli/exampleRepo.js';
import { packageRoot } from '../../src/core/packageRoot.js';
import type { Logger } from '../../src/core/Logger.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { TestRunnerNotFoundError } from '../../src/validation/runners/TestRunnerNotFoundError.js';
import { runPipelineOnReplay } from '../support/replayPipeline.js';

const roots: string[] = [];
afterAll(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

/** The example with a root node_modules of links to this package's dependencies, less `omit`. */
async function exampleWithout(example: string, omit: string): Promise<{ root: string; pr: ExamplePullRequest }> {
  const root = await mkdtemp(path.join(os.tmpdir(), `aqe-norunner-${example}-`));
  roots.push(root);
  const pr = await prepareExamplePullRequest(path.join(root, 'repos'), example);
  const modules = path.join(pr.repoDir, 'node_modules');
  await unlink(modules);
  await mkdir(modules);
  const source = path.join(packageRoot(), 'node_modules');
  for (const name of await readdir(source)) {
    if (name !== omit && name !== '.bin') await symlink(path.join(source, name), path.join(modules, name), 'dir');
  }
  return { root, pr };
}

async function run(root: string, pr: ExamplePullRequest, answers: Record<string, string>, logger: Logger): Promise<RunReport> {
  return runPipelineOnReplay({ ...pr, root, answers, logger, inputs: { 'repeat-runs': '0', 'max-repairs': '0' } });
}

function recordingLogger(): { lines: string[]; logger: Logger } {
  const lines: string[] = [];
  return { lines, logger: { info: (m) => void lines.push(m), warn: (m) => void lines.push(`warning: ${m}`), group: (_n, task) => task() } };
}

describe('a repository without its test runner', () => {
  it('fails with the runner error when no target has a runner, before any suite runs', async () => {
    const { root, pr } = await exampleWithout('ts-lib', 'jest');
    const { lines, logger } = recordingLogger();
    const failure = await run(root, pr, {}, logger).then(
      () => undefined,
      (error: unknown) => error
    );
    expect(failure).toBeInstanceOf(TestRunnerNotFoundError);
    expect((failure as Error).message).toMatch(
      /^jest is not installed in .*ts-lib \(no node_modules\/jest there\)\. Install the repository's dependencies before this step/
    );
    expect(lines.filter((l) => /Baseline|^warning:/.test(l))).toEqual([]);
  });

  it('skips, with a warning, only the packages that lack theirs', async () => {
    const { root, pr } = await exampleWithout('monorepo', 'jest');
    const { lines, logger } = recordingLogger();
    const fence =
      "```ts\nimport { describe, expect, it } from 'vitest';\nimport { partition } from './arrays.js';\n\ndescribe('partition', () => {\n  it('splits by the test', () => {\n    expect(partition([1, 2, 3], (n) => n > 1)).toEqual([[2, 3], [1]]);\n  });\n});\n```\n";
    const report = await run(root, pr, { 'packages/utils/src/arrays.ts': fence }, logger);
    const core = report.skipped.filter((s) => s.file.startsWith('packages/core/'));
    expect(core.length).toBeGreaterThan(0);
    for (const s of core) expect(s.reason).toMatch(/^jest is not installed in .*packages\/core/);
    expect(lines.filter((l) => l.startsWith('warning: packages/core/'))).toHaveLength(core.length);
    expect(report.targets.every((t) => t.startsWith('packages/utils/'))).toBe(true);
    expect(report.candidates.map((c) => [c.targetFile, c.status])).toEqual([['packages/utils/src/arrays.ts', 'accepted']]);
  });
});
