/**
 * The pipeline on the vitest and monorepo examples, fed hand-written answers (replay file, keyed by target): each
 * package is found with its own framework and runner (jest with ts-jest in packages/core, vitest in packages/utils
 * and in the vitest library), candidates are proven there, failing cases are pruned using vitest's and jest's own
 * test locations, and the report speaks in repository paths.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { prepareExamplePullRequest } from '../../src/cli/exampleRepo.js';
import type { Logger } from '../../src/core/Logger.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { runPipelineOnReplay } from '../support/replayPipeline.js';

const lines: string[] = [];
const logger: Logger = { info: (m) => void lines.push(m), warn: (m) => void lines.push(`warning: ${m}`), group: (_n, task) => task() };
const roots: string[] = [];
afterAll(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

const fence = (code: string): string => `\`\`\`ts\n${code}\`\`\`\n`;

async function runExample(example: string, answers: Record<string, string>): Promise<{ report: RunReport; repoDir: string }> {
  const root = await mkdtemp(path.join(os.tmpdir(), `aqe-${example}-`));
  roots.push(root);
  const pr = await prepareExamplePullRequest(path.join(root, 'repos'), example);
  const report = await runPipelineOnReplay({
    ...pr,
    root,
    answers,
    logger,
    repository: `examples/${example}`,
    inputs: { 'repeat-runs': '2', 'max-repairs': '0' }
  });
  return { report, repoDir: pr.repoDir };
}

describe('monorepo example (npm workspaces: jest in packages/core, vitest in packages/utils)', () => {
  it('runs each package with its own framework and keeps what passes there', async () => {
    const { report, repoDir } = await runExample('monorepo', {
      'packages/core/src/money.ts': fence(
        "import { describe, expect, it } from '@jest/globals';\nimport { allocate } from '../src/money';\n\ndescribe('allocate', () => {\n  it('splits by ratios without losing a cent', () => {\n    expect(allocate(100, [1, 1, 1])).toEqual([34, 33, 33]);\n  });\n\n  it('gives the spare cent to the largest remainder', () => {\n    expect(allocate(5, [3, 7])).toEqual([1, 4]);\n  });\n\n  it('rejects ratios that sum to zero', () => {\n    expect(() => allocate(10, [0, 0])).toThrow(RangeError);\n  });\n});\n"
      ),
      'packages/utils/src/arrays.ts': fence(
        "import { describe, expect, it } from 'vitest';\nimport { partition } from './arrays.js';\n\ndescribe('partition', () => {\n  it('splits items by the test, keeping order', () => {\n    expect(partition([1, 2, 3, 4], (n) => n % 2 === 0)).toEqual([[2, 4], [1, 3]]);\n  });\n\n  it('passes the index to the test', () => {\n    expect(partition(['a', 'b', 'c'], (_s, i) => i > 0)).toEqual([['b', 'c'], ['a']]);\n  });\n});\n"
      )
    });
    expect(lines.some((l) => /^Package packages\/core: jest /.test(l))).toBe(true);
    expect(lines.some((l) => /^Package packages\/utils: vitest /.test(l))).toBe(true);
    expect(report.candidates.map((c) => [c.targetFile, c.testFile, c.status, c.rejection?.stage])).toEqual([
      ['packages/core/src/money.ts', 'packages/core/test/money.aqe.test.ts', 'accepted', undefined],
      ['packages/utils/src/arrays.ts', 'packages/utils/src/arrays.aqe.test.ts', 'accepted', undefined]
    ]);
    const money = report.candidates[0]!;
    // 5 × 3/10 = 1.5 and 5 × 7/10 = 3.5 tie on remainder: the first part takes the cent, so [2, 3], not [1, 4].
    expect(money.cases.map((c) => [c.name, c.verdict])).toEqual([
      ['allocate splits by ratios without losing a cent', 'kept'],
      ['allocate gives the spare cent to the largest remainder', 'fails'],
      ['allocate rejects ratios that sum to zero', 'kept']
    ]);
    const written = await readFile(path.join(repoDir, money.testFile), 'utf8');
    expect(written).not.toContain('largest remainder');
    expect(existsSync(path.join(repoDir, 'packages/utils/src/arrays.aqe.test.ts'))).toBe(true);
    expect(report.coverageAfter.coveredLines).toBeGreaterThan(report.coverageBefore.coveredLines);
    expect(report.changedLinesAfter!.coveredLines).toBeGreaterThan(report.changedLinesBefore!.coveredLines);
    expect(report.validation!.processes).toBeGreaterThanOrEqual(2);
  }, 600_000);
});

describe('vitest example (ESM TypeScript, vitest with istanbul coverage)', () => {
  it('prunes a failing case by its vitest location and rejects a file that does not load', async () => {
    const { report, repoDir } = await runExample('vitest-lib', {
      'src/duration.ts': fence(
        "import { describe, expect, it } from 'vitest';\nimport { formatDuration } from '../src/duration.js';\n\ndescribe('formatDuration', () => {\n  it('writes hours and minutes', () => {\n    expect(formatDuration(3_900_000)).toBe('1h 5m');\n  });\n\n  it('writes days', () => {\n    expect(formatDuration(90_000_000)).toBe('25h');\n  });\n\n  it('rejects negative durations', () => {\n    expect(() => formatDuration(-1)).toThrow(RangeError);\n  });\n});\n"
      ),
      'src/lruCache.ts': fence(
        "import { expect, it } from 'vitest';\nimport { LruCache } from '../src/lru-cache.js';\n\nit('evicts the oldest entry', () => {\n  expect(new LruCache(1).set('a', 1)).toBeUndefined();\n});\n"
      )
    });
    expect(report.candidates.map((c) => [c.targetFile, c.status, c.rejection?.stage])).toEqual([
      ['src/duration.ts', 'accepted', undefined],
      ['src/lruCache.ts', 'rejected', 'compile']
    ]);
    const duration = report.candidates[0]!;
    expect(duration.cases.map((c) => c.verdict)).toEqual(['kept', 'fails', 'kept']);
    expect(await readFile(path.join(repoDir, duration.testFile), 'utf8')).not.toContain('writes days');
    expect(report.candidates[1]!.rejection!.reason).toMatch(/lru-cache/);
  }, 600_000);
});
