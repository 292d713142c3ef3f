import { describe, expect, it } from '@jest/globals';

import type { ComplianceSection } from '../../src/core/Privacy.js';
import type { RouteDecision } from '../../src/core/Routing.js';
import type { CandidateRecord, RunReport } from '../../src/reporting/RunReport.js';
import type { CostSection, RoutingSection } from '../../src/routing/RoutingFigures.js';
import { renderComment, renderSummary } from '../../src/reporting/renderMarkdown.js';
import { type HtmlFragment, elementShape, elementsIn, elementsNamed, renderGithubFragment, tablesIn, textOf } from '../support/githubMarkdown.js';
import { makeCandidate, makeHugeReport, makeReport, SONNET_PRICING } from './reportFixture.js';

type View = 'summary' | 'comment';
const VIEWS: readonly View[] = ['summary', 'comment'];

function rendered(report: RunReport, view: View): HtmlFragment {
  return renderGithubFragment(view === 'summary' ? renderSummary(report) : renderComment(report));
}

/** A table row GFM had to pad or cut is a row our escaping let a pipe or a line break into. */
function expectTablesRectangular(html: HtmlFragment): void {
  const tables = tablesIn(html);
  expect(tables.length).toBeGreaterThan(0);
  for (const { header, rows } of tables) {
    expect(header.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.length).toBe(header.length);
  }
}

function filesTable(html: HtmlFragment): ReturnType<typeof tablesIn>[number] | undefined {
  return tablesIn(html).find((t) => t.header[0] && textOf(t.header[0]) === 'Target file');
}

/** "… and 450 more files not shown" as a number, 0 when every row is there. */
function filesLeftOut(html: HtmlFragment): number {
  const match = /… and ([\d,]+) more files not shown/.exec(textOf(html));
  return match ? Number(match[1]!.replace(/,/g, '')) : 0;
}

const strict: ComplianceSection = {
  privacy: 'strict',
  enforcement: ['in-process', 'firewall', 'sandbox-network'],
  gaps: ['<img src=x onerror=alert(1)> | @octocat'],
  allowedEndpoints: [{ host: 'gpu-box.internal', port: 8080 }],
  requests: { local: 2, cloud: 0 },
  refused: 3,
  refusedByProtocol: { dns: 1, tcp: 2 },
  firewallDropped: 4,
  redactions: {},
  auditLog: '/home/runner/work/_temp/aqe-audit.jsonl'
};

function decision(target: string, tier: RouteDecision['tier'], phase: RouteDecision['phase'], reason: string): RouteDecision {
  return {
    target,
    phase,
    tier,
    provider: tier === 'cloud' ? 'anthropic' : 'local',
    model: tier === 'cloud' ? 'claude-sonnet-4-5' : 'qwen2.5-coder-1.5b-instruct-q4_k_m.gguf',
    rule: tier === 'cloud' ? 'complexity' : 'default',
    reason,
    estimatedCostUsd: tier === 'cloud' ? 0.0123 : 0,
    estimatedLatencyMs: 4_000
  };
}

const routing: RoutingSection = {
  mode: 'hybrid-auto',
  privacy: 'balanced',
  remote: { provider: 'anthropic', model: 'claude-sonnet-4-5' },
  decisions: [
    decision('src/cart.ts', 'local', 'initial', 'complexity 3 ≤ 10'),
    decision('src/price.ts', 'cloud', 'initial', 'complexity 14 of total | discount > 10'),
    decision('src/price.ts', 'cloud', 'escalation', 'local answer failed: `expected <number>`')
  ],
  tasks: { local: 1, cloud: 2 },
  escalations: { total: 1, accepted: 0 },
  fallbacks: 0
};

const cost: CostSection = {
  ...SONNET_PRICING,
  cloud: { requests: 2, promptTokens: 4_000, completionTokens: 1_200, cacheReadTokens: 1_000, cacheWriteTokens: 500, costUsd: 0.0315 },
  local: {
    requests: 1,
    promptTokens: 1_000,
    completionTokens: 400,
    inferenceMs: 8_000,
    costPerHourUsd: 0.36,
    costPerHourSource: 'default',
    costUsd: 0.0008,
    tokensPerSecond: 50
  },
  avoided: { costUsd: 0.0066, savingsPercent: 17.3 },
  breakEven: null,
  budget: { maxUsd: 1, spentUsd: 0.0315, exhausted: false, tasksKeptLocal: 0 },
  totalUsd: 0.0323
};

function rejectedCandidates(): CandidateRecord[] {
  return ['compile', 'fails', 'flaky', 'timeout'].map((stage, i) =>
    makeCandidate({
      targetFile: `src/m${i}.ts`,
      testFile: `test/m${i}.generated.test.ts`,
      status: 'rejected',
      rejection: { stage: stage as 'compile', reason: `${stage} | reason\nline two <b>x</b>` },
      testsPassed: 0,
      testsFailed: 1
    })
  );
}

describe.each(VIEWS)('the %s as GitHub renders it', (view) => {
  it('an empty run: well-formed tables and no files table', () => {
    const empty = makeReport({ candidates: [], skipped: [], testsGenerated: 0, testsAccepted: 0, changedFiles: [], targets: [] });
    const html = rendered(empty, view);
    expectTablesRectangular(html);
    expect(filesTable(html)).toBeUndefined();
    expect(textOf(html)).toContain('0 of 0 generated tests accepted');
  });

  it('a large run cut to fit: one row per shown candidate, and the rest counted', () => {
    const huge = makeHugeReport(view === 'summary' ? 3_000 : 600, 3_000);
    const html = rendered(huge, view);
    expectTablesRectangular(html);
    const table = filesTable(html);
    expect(table).toBeDefined();
    const left = filesLeftOut(html);
    expect(left).toBeGreaterThan(0);
    expect(table!.rows.length + left).toBe(huge.candidates.length);
    // Accepted candidates come first, so every shown row names a candidate of the run, in that order.
    const ordered = [...huge.candidates.filter((c) => c.status === 'accepted'), ...huge.candidates.filter((c) => c.status !== 'accepted')];
    expect(table!.rows.map((r) => textOf(r[0]!))).toEqual(ordered.slice(0, table!.rows.length).map((c) => c.targetFile));
    // A cut inside a <details> block must not swallow the page: nothing is left nested in an unclosed one.
    for (const details of elementsNamed(html, 'details')) expect(elementsNamed(details, 'details')).toEqual([]);
  });

  it('all rejected: one row per candidate, each marked rejected with its stage', () => {
    const candidates = rejectedCandidates();
    const html = rendered(makeReport({ candidates, testsGenerated: 4, testsAccepted: 0 }), view);
    expectTablesRectangular(html);
    const table = filesTable(html)!;
    expect(table.rows.map((r) => textOf(r[0]!))).toEqual(candidates.map((c) => c.targetFile));
    expect(table.rows.map((r) => textOf(r[2]!))).toEqual(candidates.map(() => '❌ rejected'));
    expect(elementsNamed(html, 'b')).toEqual([]);
  });

  it('privacy strict: the compliance section renders as a table, its gaps as text', () => {
    const html = rendered(makeReport({ compliance: strict }), view);
    expectTablesRectangular(html);
    const table = tablesIn(html).find((t) => textOf(t.header[0]!) === 'Compliance');
    expect(table).toBeDefined();
    const labels = table!.rows.map((r) => textOf(r[0]!));
    expect(labels).toEqual(expect.arrayContaining(['Mode', 'Enforcement', 'Refused connections', 'Allowed endpoints', 'Audit log']));
    expect(textOf(html)).toContain('<img src=x onerror=alert(1)> | @\u2060octocat');
    expect(elementsNamed(html, 'img')).toEqual([]);
  });

  it('hybrid: the routing and cost sections render as tables', () => {
    const html = rendered(makeReport({ routing, cost }), view);
    expectTablesRectangular(html);
    const routes = tablesIn(html).find((t) => textOf(t.header[0]!) === 'Target');
    expect(routes).toBeDefined();
    // Only cloud and moved tasks get a row; their reasons keep their pipes and angle brackets as text.
    expect(routes!.rows.map((r) => [textOf(r[0]!), textOf(r[1]!), textOf(r[4]!)])).toEqual([
      ['src/price.ts', 'initial', 'complexity 14 of total | discount > 10'],
      ['src/price.ts', 'escalation', 'local answer failed: `expected <number>`']
    ]);
    expect(tablesIn(html).some((t) => t.rows.some((r) => textOf(r[0]!) === 'Cloud on claude-sonnet-4-5'))).toBe(true);
    expect(filesTable(html)).toBeDefined();
  });
});

describe('view-specific content as GitHub renders it', () => {
  it('the summary gives each rejection its stage and reason, a line break as a real break', () => {
    const candidates = rejectedCandidates();
    const table = filesTable(rendered(makeReport({ candidates, testsGenerated: 4, testsAccepted: 0 }), 'summary'))!;
    expect(table.rows.map((r) => textOf(r[3]!))).toEqual(candidates.map((c) => `${c.rejection!.stage}: ${c.rejection!.stage} | reasonline two <b>x</b>`));
    expect(table.rows.map((r) => elementsNamed(r[3]!, 'br').length)).toEqual(candidates.map(() => 1));
  });

  it('both views link the run page and the run artifact, and a truncated comment points to them', () => {
    const options = {
      runUrl: 'https://github.com/aqe/example/actions/runs/42',
      artifact: { name: 'aqe-report-pr7', url: 'https://github.com/aqe/example/actions/runs/42/artifacts/9' }
    };
    const links = (html: HtmlFragment): Array<[string, string | undefined]> =>
      elementsNamed(html, 'a').map((a) => [textOf(a), a.attrs.find((x) => x.name === 'href')?.value]);
    for (const markdown of [renderSummary(makeReport(), options), renderComment(makeReport(), options)]) {
      expect(links(renderGithubFragment(markdown))).toEqual(
        expect.arrayContaining([
          ['job summary', options.runUrl],
          ['aqe-report-pr7', options.artifact.url]
        ])
      );
    }
    const cut = renderGithubFragment(renderComment(makeHugeReport(800, 400), options));
    expect(textOf(cut)).toMatch(
      /truncated to fit GitHub's 65,536-character limit; the job summary and the JSON report \(aqe-report\.json in the run artifact aqe-report-pr7\)/
    );
    expect(links(cut).filter(([text]) => text === 'job summary').length).toBe(2);
  });

  it('a link that is not a plain http(s) URL is left out, and the names stay text', () => {
    const markdown = renderComment(makeReport(), { runUrl: 'javascript:alert(1)', artifact: { name: '<b>x</b>](javascript:alert(1))', url: 'https://x/(y' } });
    const html = renderGithubFragment(markdown);
    const hrefs = elementsNamed(html, 'a').map((a) => a.attrs.find((x) => x.name === 'href')?.value ?? '');
    expect(hrefs.filter((h) => !h.startsWith('https://github.com/'))).toEqual([]);
    expect(elementsNamed(html, 'a').map(textOf)).not.toContain('job summary');
    expect(elementsNamed(html, 'b')).toEqual([]);
    expect(textOf(html)).toContain('run artifact <b>x</b>](javascript:alert(1))');
  });

  it('the comment folds the compliance section under a summary line', () => {
    const html = rendered(makeReport({ compliance: strict }), 'comment');
    expect(elementsNamed(html, 'summary').map(textOf)).toContain('🛡️ Compliance: privacy strict · 3 connection(s) refused');
  });
});

/** File names a PR can contain; each must come out as the text of a code span and nothing more. */
const HOSTILE_NAMES = ['src/`tick`s.ts', 'src/a|b||c.ts', 'src/<img src=x onerror=alert(1)>.ts', 'src/line\nbreak.ts', 'src/@octocat/@org/team.ts'];
const BENIGN_NAMES = HOSTILE_NAMES.map((_, i) => `src/plain${i}.ts`);

function namedReport(names: readonly string[]): RunReport {
  const candidates = names.map((name, i) =>
    makeCandidate({
      targetFile: name,
      testFile: name.replace(/\.ts$/, '.generated.test.ts'),
      ...(i % 2 === 1 ? { status: 'rejected' as const, rejection: { stage: 'compile' as const, reason: 'TS2322' }, testsPassed: 0, testsFailed: 1 } : {})
    })
  );
  return makeReport({
    candidates,
    skipped: names.map((file) => ({ file: `${file}.md`, reason: 'not a source file' })),
    changedFiles: names.slice(),
    targets: names.slice(),
    testsGenerated: names.length,
    testsAccepted: Math.ceil(names.length / 2)
  });
}

describe.each(VIEWS)('hostile file names in the %s', (view) => {
  const hostile = rendered(namedReport(HOSTILE_NAMES), view);
  const benign = rendered(namedReport(BENIGN_NAMES), view);

  it('add no element or attribute beyond those of plain names', () => {
    expect(elementShape(hostile)).toEqual(elementShape(benign));
    expect(elementsNamed(hostile, 'img')).toEqual([]);
    for (const e of elementsIn(hostile)) for (const a of e.attrs) expect(a.name).not.toMatch(/^on/);
    expectTablesRectangular(hostile);
  });

  it('come out intact, a line break read as a space, in the files table and the lists', () => {
    const shown = HOSTILE_NAMES.map((n) => n.replace(/\n/g, ' '));
    const table = filesTable(hostile)!;
    expect(table.rows.map((r) => textOf(r[0]!))).toEqual([0, 2, 4, 1, 3].map((i) => shown[i]!));
    expect(table.rows.map((r) => textOf(r[1]!))).toEqual([0, 2, 4, 1, 3].map((i) => shown[i]!.replace(/\.ts$/, '.generated.test.ts')));
    const codeTexts = elementsNamed(hostile, 'code').map(textOf);
    for (const name of shown) expect(codeTexts).toContain(`${name}.md`);
  });
});
