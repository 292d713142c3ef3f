import { describe, expect, it } from '@jest/globals';
import { parse } from '@mermaid-js/parser';

import { buildRunReport, type PackageResult, type RunResults } from '../../src/reporting/buildRunReport.js';
import { mergeReports } from '../../src/reporting/mergeReports.js';
import { readRunReport } from '../../src/reporting/readRunReport.js';
import { MAX_SUMMARY_BYTES, renderComment, renderSummary } from '../../src/reporting/renderMarkdown.js';
import type { PhaseTime, RunReport } from '../../src/reporting/RunReport.js';
import { writeJsonReport } from '../../src/reporting/writeJsonReport.js';
import { type HtmlFragment, elementsNamed, renderGithubFragment, tablesIn, textOf } from '../support/githubMarkdown.js';
import { makeCandidate, makeHugeReport, makeReport } from './reportFixture.js';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const PHASES: PhaseTime[] = [
  { phase: 'targets', ms: 850 },
  { phase: 'setup', ms: 2_100 },
  { phase: 'baseline', ms: 12_300 },
  { phase: 'model loading', ms: 1_234 },
  { phase: 'generation', ms: 61_000 },
  { phase: 'validation', ms: 38_500 },
  { phase: 'acceptance', ms: 7_900 },
  { phase: 'delivery', ms: 120 }
];

const coverage = { linesPct: 50, coveredLines: 5, totalLines: 10 };

function packageResult(packageDir: string, phases: PhaseTime[]): PackageResult {
  return {
    packageDir,
    targets: [`${packageDir}/src/a.ts`],
    baseline: { passed: 1, failed: 0, durationMs: 10, brokenTestFiles: [] },
    candidates: [],
    before: coverage,
    after: coverage,
    changedBefore: coverage,
    changedAfter: coverage,
    phases
  };
}

function runResults(packages: PackageResult[], phases?: PhaseTime[]): RunResults {
  return {
    toolVersion: '0.0.0-test',
    startedAt: 0,
    finishedAt: 1_000,
    repository: 'acme/shop',
    pullRequest: null,
    changedFiles: [],
    targets: [],
    skipped: [],
    packages,
    validationSettings: { seed: 1, repeatRuns: 2, maxRepairs: 1 },
    warnings: [],
    ...(phases ? { phases } : {})
  };
}

/** The source of every mermaid block as GitHub's renderer hands it to its chart viewer. */
function mermaidBlocks(html: HtmlFragment): string[] {
  return elementsNamed(html, 'code')
    .filter((code) => code.attrs.some((a) => a.name === 'class' && a.value === 'language-mermaid'))
    .map(textOf);
}

/** The chart as mermaid's own parser reads it: title and slices. A chart it cannot read throws. */
async function pieOf(source: string): Promise<{ title: string | undefined; slices: Array<[string, number]> }> {
  const pie = await parse('pie', source);
  return { title: pie.title, slices: pie.sections.map((s) => [s.label, s.value]) };
}

async function summaryCharts(report: RunReport): Promise<Array<Awaited<ReturnType<typeof pieOf>>>> {
  return Promise.all(mermaidBlocks(renderGithubFragment(renderSummary(report))).map(pieOf));
}

describe('time per phase in the report', () => {
  it('adds up each phase over the packages, with the run’s own phases, in the order the phases run', () => {
    const report = buildRunReport(
      runResults(
        [
          packageResult('a', [
            { phase: 'baseline', ms: 100 },
            { phase: 'generation', ms: 1_000 },
            { phase: 'validation', ms: 300 }
          ]),
          packageResult('b', [
            { phase: 'validation', ms: 50 },
            { phase: 'baseline', ms: 20 },
            { phase: 'escalation', ms: 7 }
          ])
        ],
        [
          { phase: 'delivery', ms: 4 },
          { phase: 'targets', ms: 9 },
          { phase: 'setup', ms: 30 }
        ]
      )
    );
    expect(report.phases).toEqual([
      { phase: 'targets', ms: 9 },
      { phase: 'setup', ms: 30 },
      { phase: 'baseline', ms: 120 },
      { phase: 'generation', ms: 1_000 },
      { phase: 'validation', ms: 350 },
      { phase: 'escalation', ms: 7 },
      { phase: 'delivery', ms: 4 }
    ]);
  });

  it('leaves the field out when nothing was timed', () => {
    expect(buildRunReport(runResults([])).phases).toBeUndefined();
  });

  it('sums each phase over the shards of a matrix run, keeping a phase name it does not know', () => {
    const shard = (index: number, phases: PhaseTime[]): RunReport =>
      makeReport({ shard: { index, count: 2, packages: [] }, phases, candidates: index === 1 ? [makeCandidate()] : [] });
    const merged = mergeReports(
      [
        {
          file: 'shard-1.json',
          report: shard(1, [
            { phase: 'generation', ms: 10 },
            { phase: 'warm-up', ms: 3 }
          ])
        },
        {
          file: 'shard-2.json',
          report: shard(2, [
            { phase: 'baseline', ms: 5 },
            { phase: 'generation', ms: 7 }
          ])
        }
      ],
      'reports'
    );
    expect(merged.phases).toEqual([
      { phase: 'baseline', ms: 5 },
      { phase: 'generation', ms: 17 },
      { phase: 'warm-up', ms: 3 }
    ]);
  });

  it('is read back from the JSON report, and a malformed entry is refused', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aqe-phases-'));
    try {
      const file = path.join(dir, 'report.json');
      await writeJsonReport(makeReport({ phases: PHASES }), file);
      expect((await readRunReport(file, 'report')).phases).toEqual(PHASES);
      await writeJsonReport({ ...makeReport(), phases: [{ phase: 'generation', ms: -1 }] }, file);
      await expect(readRunReport(file, 'report')).rejects.toThrow(/phases/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('time per phase and charts, as GitHub renders them', () => {
  it('shows a table of the phases with their share, and a pie of them mermaid can read', async () => {
    const report = makeReport({ phases: PHASES });
    const html = renderGithubFragment(renderSummary(report));
    const table = tablesIn(html).find((t) => t.header[0] && textOf(t.header[0]) === 'Phase');
    expect(table?.header.map(textOf)).toEqual(['Phase', 'Time', 'Share']);
    expect(table?.rows.map((r) => r.map(textOf))).toEqual([
      ['targets', '850 ms', '0.69%'],
      ['setup', '2.1 s', '1.69%'],
      ['baseline', '12.3 s', '9.92%'],
      ['model loading', '1.2 s', '1.00%'],
      ['generation', '1 min 1 s', '49.19%'],
      ['validation', '38.5 s', '31.05%'],
      ['acceptance', '7.9 s', '6.37%'],
      ['delivery', '120 ms', '0.10%'],
      ['total', '2 min 4 s', '100.00%']
    ]);
    const charts = await summaryCharts(report);
    expect(charts).toContainEqual({ title: 'Time per phase in ms', slices: PHASES.map((p) => [p.phase, p.ms]) });
    expect(charts).toContainEqual({
      title: 'Candidates by outcome',
      slices: [
        ['accepted', 1],
        ['rejected, fails', 1]
      ]
    });
  });

  it('puts the phases in one line of the comment’s inference details, and no chart in the comment', () => {
    const html = renderGithubFragment(renderComment(makeReport({ phases: PHASES })));
    const inference = elementsNamed(html, 'details').find((d) => textOf(d).includes('Inference'));
    expect(textOf(inference!)).toContain('Time per phase: targets 850 ms · setup 2.1 s · baseline 12.3 s · model loading 1.2 s · generation 1 min 1 s');
    expect(mermaidBlocks(html)).toEqual([]);
  });

  it('draws no chart for an empty run, which has nothing to divide', async () => {
    const empty = makeReport({ candidates: [], testsGenerated: 0, testsAccepted: 0, phases: [{ phase: 'targets', ms: 0 }] });
    expect(await summaryCharts(empty)).toEqual([]);
    const html = renderGithubFragment(renderSummary(empty));
    expect(
      tablesIn(html)
        .find((t) => t.header[0] && textOf(t.header[0]) === 'Phase')
        ?.rows.map((r) => r.map(textOf))
    ).toEqual([
      ['targets', '0 ms', '—'],
      ['total', '0 ms', '—']
    ]);
  });

  it('charts an all-rejected run by stage, in pipeline order', async () => {
    const rejected = (stage: 'compile' | 'fails' | 'duplicate', i: number) =>
      makeCandidate({ targetFile: `src/f${i}.ts`, testFile: `test/f${i}.test.ts`, status: 'rejected', rejection: { stage, reason: 'no' } });
    const report = makeReport({
      candidates: [rejected('duplicate', 1), rejected('compile', 2), rejected('fails', 3), rejected('compile', 4)],
      testsAccepted: 0,
      phases: PHASES
    });
    const outcome = (await summaryCharts(report)).find((c) => c.title === 'Candidates by outcome');
    // mermaid drops a zero slice itself; ours is left out before it gets there.
    expect(outcome?.slices).toEqual([
      ['rejected, compile', 2],
      ['rejected, fails', 1],
      ['rejected, duplicate', 1]
    ]);
  });

  it('keeps names from the report inside the chart: no quote, line break or backtick ends a label or the block', async () => {
    const hostile = 'x" : 99\n```\n<img src=x onerror=alert(1)> @octocat';
    const report = makeReport({
      phases: [...PHASES, { phase: hostile, ms: 5 }],
      candidates: [makeCandidate({ status: 'rejected', rejection: { stage: hostile as 'fails', reason: 'r' } })],
      testsAccepted: 0
    });
    const html = renderGithubFragment(renderSummary(report));
    expect(elementsNamed(html, 'img')).toEqual([]);
    const charts = await Promise.all(mermaidBlocks(html).map(pieOf));
    expect(charts.map((c) => c.slices.length)).toEqual([1, PHASES.length + 1]);
    const labels = charts.flatMap((c) => c.slices.map(([label]) => label));
    expect(labels).toContain('rejected, x : 99 img src x onerror alert(1) octocat');
    expect(labels).toContain('x : 99 img src x onerror alert(1) octocat');
  });

  it('keeps a big run’s summary under the limit, with both charts readable', async () => {
    const report = { ...makeHugeReport(5_000, 2_000), phases: PHASES };
    const summary = renderSummary(report);
    expect(Buffer.byteLength(summary, 'utf8')).toBeLessThanOrEqual(MAX_SUMMARY_BYTES);
    const charts = await Promise.all(mermaidBlocks(renderGithubFragment(summary)).map(pieOf));
    expect(charts.map((c) => c.title).sort()).toEqual(['Candidates by outcome', 'Time per phase in ms']);
    expect(charts.find((c) => c.title === 'Candidates by outcome')?.slices).toEqual([
      ['accepted', 500],
      ['rejected, compile', 4_500]
    ]);
  });

  it('folds phase names past a dozen into one "other" slice, so a report cannot make the chart huge', async () => {
    const many = Array.from({ length: 500 }, (_, i) => ({ phase: `phase ${i}`, ms: 10 }));
    const chart = (await summaryCharts(makeReport({ phases: many }))).find((c) => c.title === 'Time per phase in ms');
    expect(chart?.slices).toHaveLength(12);
    expect(chart?.slices[11]).toEqual(['other', 4_890]);
  });
});
