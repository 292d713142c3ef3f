import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../../src/core/InputError.js';
import { mergeReports, type ShardReport } from '../../src/reporting/mergeReports.js';
import { readShardReports, resolveReportFiles } from '../../src/reporting/readShardReports.js';
import type { BaselineFigures, RunReport } from '../../src/reporting/RunReport.js';
import { thrown } from '../support/thrown.js';
import { makeCandidate, makeReport, SONNET_PRICING } from './reportFixture.js';

const BASELINE: BaselineFigures = {
  testsPassed: 40,
  testsFailed: 0,
  suiteFailed: false,
  durationMs: 1_000,
  brokenTestFiles: [],
  runFailures: [],
  coverageComplete: true
};

/** Shard `index` of `count` of the fixture's run, holding the candidates of `targets` only. */
function shard(index: number, count: number, targets: string[], overrides: Partial<RunReport> = {}, packageDirs: string[] = ['']): RunReport {
  const all = makeReport();
  const candidates = all.candidates.filter((c) => targets.includes(c.targetFile));
  return makeReport({
    targets,
    candidates,
    testsGenerated: candidates.length,
    testsAccepted: candidates.filter((c) => c.status === 'accepted').length,
    coverageBefore: { linesPct: 50, coveredLines: 50 * targets.length, totalLines: 100 * targets.length },
    coverageAfter: { linesPct: 60, coveredLines: 60 * targets.length, totalLines: 100 * targets.length },
    shard: { index, count, packages: packageDirs.map((packageDir) => ({ packageDir, baseline: BASELINE })) },
    ...overrides
  });
}

const files = (...reports: RunReport[]): ShardReport[] => reports.map((report, i) => ({ file: `shard-${i + 1}.json`, report }));

describe('mergeReports', () => {
  it('puts the shards side by side and sums their figures as one run would', () => {
    const merged = mergeReports(
      files(
        shard(2, 2, ['src/price.ts'], {
          warnings: ['No TypeScript compiler was found.', 'price only'],
          startedAt: '2024-05-01T12:00:10.000Z',
          durationMs: 5_000
        }),
        shard(1, 2, ['src/cart.ts'], { warnings: ['No TypeScript compiler was found.'], startedAt: '2024-05-01T12:00:00.000Z', durationMs: 20_000 })
      ),
      '--merge'
    );
    expect(merged.targets).toEqual(['src/cart.ts', 'src/price.ts']);
    expect(merged.candidates.map((c) => [c.targetFile, c.status])).toEqual([
      ['src/cart.ts', 'accepted'],
      ['src/price.ts', 'rejected']
    ]);
    expect([merged.testsGenerated, merged.testsAccepted]).toEqual([2, 1]);
    expect(merged.coverageBefore).toEqual({ linesPct: 50, coveredLines: 100, totalLines: 200 });
    expect(merged.coverageAfter).toEqual({ linesPct: 60, coveredLines: 120, totalLines: 200 });
    // One package, its suite run in both jobs: counted once.
    expect(merged.baseline).toEqual(BASELINE);
    expect(merged.skipped).toEqual([{ file: 'README.md', reason: 'not a source file' }]);
    expect(merged.warnings).toEqual(['No TypeScript compiler was found.', 'price only']);
    expect(merged.inference).toMatchObject({ promptTokens: 2 * 12_345, completionTokens: 2 * 3_456, tokensPerSecond: 23.5 });
    expect({ startedAt: merged.startedAt, durationMs: merged.durationMs }).toEqual({ startedAt: '2024-05-01T12:00:00.000Z', durationMs: 20_000 });
    expect(merged.shard).toBeUndefined();
  });

  it("sums the baselines of different packages, and keeps every package's broken files", () => {
    const broken = {
      ...BASELINE,
      testsPassed: 3,
      testsFailed: 1,
      suiteFailed: true,
      brokenTestFiles: [{ file: 'packages/b/x.test.ts', error: 'SyntaxError' }],
      coverageComplete: false
    };
    const a = shard(1, 2, ['src/cart.ts'], {}, ['packages/a']);
    const b = shard(2, 2, ['src/price.ts'], {}, ['packages/a', 'packages/b']);
    b.shard!.packages[1]!.baseline = broken;
    expect(mergeReports(files(a, b), '--merge').baseline).toEqual({
      testsPassed: 43,
      testsFailed: 1,
      suiteFailed: true,
      durationMs: 2_000,
      brokenTestFiles: broken.brokenTestFiles,
      runFailures: [],
      coverageComplete: false
    });
  });

  it('counts an empty shard (fewer targets than jobs) as a part that adds nothing', () => {
    const empty = shard(3, 3, [], { candidates: [], inference: { ...makeReport().inference, provider: 'none', promptTokens: 0, completionTokens: 0 } }, []);
    const merged = mergeReports(files(shard(1, 3, ['src/cart.ts']), shard(2, 3, ['src/price.ts']), empty), '--merge');
    expect(merged.targets).toEqual(['src/cart.ts', 'src/price.ts']);
    expect(merged.inference.provider).toBe('llama.cpp');
  });

  it('refuses a report without a shard section, naming the file', () => {
    const unsharded = makeReport();
    expect(thrown(InputError, () => mergeReports(files(shard(1, 2, ['src/cart.ts']), unsharded), '--merge')).message).toMatch(
      /^Input "--merge": shard-2\.json is not the report of a shard \(it has no shard section\)/
    );
  });

  it('refuses shards of different splits', () => {
    expect(thrown(InputError, () => mergeReports(files(shard(1, 2, ['src/cart.ts']), shard(2, 3, ['src/price.ts'])), 'merge-reports')).message).toMatch(
      /^Input "merge-reports": the reports are of different splits: shard-1\.json is shard 1\/2, shard-2\.json is shard 2\/3\. Merge the reports of one matrix only/
    );
  });

  it('refuses a shard given twice, naming both files', () => {
    expect(thrown(InputError, () => mergeReports(files(shard(1, 2, ['src/cart.ts']), shard(1, 2, ['src/cart.ts'])), '--merge')).message).toMatch(
      /shard 1\/2 is there twice: shard-1\.json and shard-2\.json/
    );
  });

  it('refuses when shards are missing, naming them', () => {
    expect(thrown(InputError, () => mergeReports(files(shard(2, 4, ['src/cart.ts']), shard(4, 4, ['src/price.ts'])), '--merge')).message).toMatch(
      /2 of the 4 shards have no report: 1\/4, 3\/4\. Every job of the matrix must write and upload its report/
    );
    expect(thrown(InputError, () => mergeReports([], '--merge')).message).toMatch(/no report was given/);
  });

  it('refuses shards of another pull request head, another tool version or other changes', () => {
    const other = makeReport().pullRequest!;
    const cases: Array<[Partial<RunReport>, RegExp]> = [
      [{ pullRequest: { ...other, headSha: '3333333ccccccccccccccccccccccccccccccccc' } }, /pull request #42 at 2222222b\w+ against #42 at 3333333c\w+/],
      [{ repository: 'acme/other' }, /repository "acme\/shop" against "acme\/other"/],
      [{ tool: { name: 'aqe', version: '0.2.0' } }, /aqe 0\.1\.0 against 0\.2\.0/],
      [{ changedFiles: ['src/cart.ts'] }, /they list different changed files/]
    ];
    for (const [difference, message] of cases) {
      const error = thrown(InputError, () => mergeReports(files(shard(1, 2, ['src/cart.ts']), shard(2, 2, ['src/price.ts'], difference)), '--merge'));
      expect(error.message).toMatch(/shard-1\.json and shard-2\.json are not of the same run: /);
      expect(error.message).toMatch(message);
    }
  });

  it('combines routing, telemetry, cost and compliance across the jobs', () => {
    const telemetry = (requests: number, generationMs: number) => ({
      provider: 'llama.cpp',
      model: 'm.gguf',
      tier: 'local' as const,
      requests,
      errors: 0,
      retries: 0,
      fallbacks: 0,
      promptTokens: 1_000 * requests,
      completionTokens: 100 * requests,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      latencyMs: { p50: 100 * requests, p95: 200 * requests, total: 300 * requests },
      generationMs,
      costUsd: 0
    });
    const routed = (index: number, target: string, requests: number): RunReport => {
      const base = shard(index, 2, [target]);
      return {
        ...base,
        candidates: base.candidates.map((c) => makeCandidate({ ...c, tier: 'local' })),
        routing: {
          mode: 'local-only',
          privacy: 'strict',
          remote: null,
          decisions: [{ target, phase: 'initial', tier: 'local', rule: 'default', reason: 'local-only' } as never],
          tasks: { local: 1, cloud: 0 },
          escalations: { total: 0, accepted: 0 },
          fallbacks: 0
        },
        telemetry: [telemetry(requests, 1_000 * requests)],
        cost: {
          ...SONNET_PRICING,
          cloud: { requests: 0, promptTokens: 0, completionTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0 },
          local: {
            requests,
            promptTokens: 0,
            completionTokens: 0,
            inferenceMs: 0,
            costPerHourUsd: 3.6,
            costPerHourSource: 'input',
            costUsd: 0,
            tokensPerSecond: 0
          },
          avoided: null,
          breakEven: null,
          budget: { maxUsd: 1, spentUsd: 0, exhausted: false, tasksKeptLocal: 0 },
          totalUsd: 0
        },
        compliance: {
          privacy: 'strict',
          enforcement: index === 1 ? ['in-process', 'firewall'] : ['in-process'],
          gaps: index === 1 ? [] : ['no firewall here'],
          allowedEndpoints: [],
          requests: { local: requests, cloud: 0 },
          refused: index,
          refusedByProtocol: { https: index },
          redactions: {},
          auditLog: `/tmp/audit-${index}.jsonl`
        }
      };
    };
    const merged = mergeReports(files(routed(1, 'src/cart.ts', 1), routed(2, 'src/price.ts', 3)), '--merge');
    expect(merged.routing).toMatchObject({ tasks: { local: 2, cloud: 0 }, fallbacks: 0 });
    expect(merged.routing!.decisions.map((d) => d.target)).toEqual(['src/cart.ts', 'src/price.ts']);
    expect(merged.telemetry).toEqual([{ ...telemetry(4, 4_000), latencyMs: { p50: 250, p95: 600, total: 1_200 } }]);
    // The cost section is recomputed from the summed telemetry: 4 s of inference at $3.60/h.
    expect(merged.cost!.local).toMatchObject({ requests: 4, promptTokens: 4_000, completionTokens: 400, inferenceMs: 4_000, costUsd: 0.004 });
    expect(merged.cost!.avoided).toEqual({ costUsd: 0.018, savingsPercent: 77.8 });
    expect(merged.compliance).toMatchObject({
      enforcement: ['in-process'],
      gaps: ['no firewall here'],
      requests: { local: 4, cloud: 0 },
      refused: 3,
      refusedByProtocol: { https: 3 }
    });
  });
});

describe('reading shard reports', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'aqe-merge-files-'));
    for (const i of [1, 2]) {
      await mkdir(path.join(dir, 'shards', `aqe-report-${i}`), { recursive: true });
      await writeFile(path.join(dir, 'shards', `aqe-report-${i}`, 'aqe-report.json'), JSON.stringify(shard(i, 2, [i === 1 ? 'src/cart.ts' : 'src/price.ts'])));
    }
    await writeFile(path.join(dir, 'summary.md'), '## not JSON');
    await writeFile(path.join(dir, 'other.json'), '{"hello": 1}');
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('expands globs and paths, one a line, into the files they name', async () => {
    const found = await resolveReportFiles(['shards/*/aqe-report.json\n\n  shards/aqe-report-1/aqe-report.json  '], dir, 'merge-reports');
    expect(found).toEqual([1, 2].map((i) => path.join(dir, 'shards', `aqe-report-${i}`, 'aqe-report.json')));
    const merged = mergeReports(await readShardReports(found, 'merge-reports'), 'merge-reports');
    expect(merged.targets).toEqual(['src/cart.ts', 'src/price.ts']);
  });

  it('refuses a glob that matches nothing, a missing file, a file that is not JSON and JSON that is no report', async () => {
    await expect(resolveReportFiles(['downloaded/*/aqe-report.json'], dir, 'merge-reports')).rejects.toThrow(
      /^Input "merge-reports": "downloaded\/\*\/aqe-report\.json" matches no file under .*downloaded\. Check where the shard reports were downloaded to/
    );
    await expect(readShardReports([path.join(dir, 'missing.json')], '--merge')).rejects.toThrow(/missing\.json cannot be read \(ENOENT\)/);
    await expect(readShardReports([path.join(dir, 'summary.md')], '--merge')).rejects.toThrow(/summary\.md is not JSON /);
    await expect(readShardReports([path.join(dir, 'other.json')], '--merge')).rejects.toThrow(/other\.json has no schemaVersion, so it is not an aqe report/);
  });
});
