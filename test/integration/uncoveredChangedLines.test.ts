/**
 * The report's uncovered changed lines and time per phase, from the real pipeline: the example
 * repository, a pull request that adds two functions next to an old untested one, and a model
 * answer that tests one of the new functions on its happy path only.
 */

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { prepareExamplePullRequest } from '../../src/cli/exampleRepo.js';
import { git } from '../../src/repo/git.js';
import { RUN_PHASES } from '../../src/reporting/phaseTimes.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { runPipelineOnReplay } from '../support/replayPipeline.js';

const AUTHOR = ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'commit.gpgsign=false'];

/** On the base: no test runs it, but the pull request does not touch it, so it is not the PR's to cover. */
const OLD = ['export function perimeter(width: number, height: number): number {', '  const sum = width + height;', '  return 2 * sum;', '}'];

/** Added by the pull request as lines 5–15 of the file. */
const ADDED = [
  '',
  'export function area(width: number, height: number): number {',
  '  if (width < 0 || height < 0) {',
  "    throw new RangeError('sizes must not be negative');",
  '  }',
  '  return width * height;',
  '}',
  '',
  'export function isSquare(width: number, height: number): boolean {',
  '  return width === height;',
  '}'
];

const ANSWER = [
  'Here is the test file:',
  '',
  '```ts',
  "import { expect, it } from '@jest/globals';",
  "import { area } from '../src/shapes';",
  '',
  "it('multiplies the sides', () => {",
  '  expect(area(2, 3)).toBe(6);',
  '});',
  '```',
  ''
].join('\n');

describe('the uncovered changed lines of a real run', () => {
  let root: string;
  let report: RunReport;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'aqe-uncovered-'));
    const pr = await prepareExamplePullRequest(path.join(root, 'repos'));
    const file = path.join(pr.repoDir, 'src', 'shapes.ts');
    await writeFile(file, `${OLD.join('\n')}\n`);
    await git(pr.repoDir, ['add', 'src/shapes.ts']);
    await git(pr.repoDir, [...AUTHOR, 'commit', '-q', '-m', 'Perimeter']);
    const baseSha = (await git(pr.repoDir, ['rev-parse', 'HEAD'])).trim();
    await writeFile(file, `${[...OLD, ...ADDED].join('\n')}\n`);
    await git(pr.repoDir, [...AUTHOR, 'commit', '-q', '-am', 'Area and isSquare']);
    const headSha = (await git(pr.repoDir, ['rev-parse', 'HEAD'])).trim();
    report = await runPipelineOnReplay({
      repoDir: pr.repoDir,
      baseSha,
      headSha,
      root,
      answers: { 'src/shapes.ts': ANSWER },
      inputs: { 'repeat-runs': '1', 'max-repairs': '0' },
      repository: 'examples/ts-lib'
    });
  }, 300_000);

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('accepts the test of area, which covers changed lines the suite did not', () => {
    expect(report.candidates.map((c) => [c.targetFile, c.status, c.rejection?.stage])).toEqual([['src/shapes.ts', 'accepted', undefined]]);
  });

  it('names exactly the changed lines no test runs: area’s throw and isSquare’s body, not the untouched perimeter', () => {
    // Executable changed lines, as istanbul counts them: 6 and 13 (the exports, run when the module loads), 7 (if),
    // 8 (throw), 10 and 14 (returns). No test imported the file before; the accepted one loads it and runs area.
    expect(report.uncoveredChangedLines).toEqual([{ file: 'src/shapes.ts', lines: [8, 14] }]);
    expect(report.changedLinesBefore).toMatchObject({ coveredLines: 0, totalLines: 6 });
    expect(report.changedLinesAfter).toMatchObject({ coveredLines: 4, totalLines: 6 });
  });

  it('times every phase the run went through, in the order they ran, and they fit in the run', () => {
    expect(report.phases?.map((p) => p.phase)).toEqual([...RUN_PHASES]);
    for (const p of report.phases!) expect(p.ms).toBeGreaterThanOrEqual(0);
    const timed = report.phases!.reduce((n, p) => n + p.ms, 0);
    expect(timed).toBeLessThanOrEqual(report.durationMs);
    // A real jest run of the suite takes time: a clock that measured nothing would show 0 here.
    expect(report.phases!.find((p) => p.phase === 'baseline')!.ms).toBeGreaterThan(100);
    expect(report.phases!.find((p) => p.phase === 'validation')!.ms).toBeGreaterThan(100);
  });
});
