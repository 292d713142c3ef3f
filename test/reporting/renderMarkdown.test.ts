import { describe, expect, it } from '@jest/globals';

import { MAX_COMMENT_CHARS, MAX_SUMMARY_BYTES, STICKY_COMMENT_MARKER, renderComment, renderSummary } from '../../src/reporting/renderMarkdown.js';
import { makeCandidate, makeHugeReport, makeReport } from './reportFixture.js';

/** Cells of a markdown table row, splitting only on pipes that are not backslash-escaped. */
function cells(row: string): string[] {
  return row
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

/** The table that follows the header line starting with `firstHeader`. */
function tableAfter(markdown: string, firstHeader: string): string[][] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`| ${firstHeader} |`));
  if (start < 0) throw new Error(`no table starting with ${firstHeader}`);
  const rows: string[][] = [];
  for (let i = start; i < lines.length && lines[i].startsWith('|'); i++) rows.push(cells(lines[i]));
  return rows;
}

describe('renderSummary', () => {
  it('leads with the accepted count and the coverage change of the changed files', () => {
    const md = renderSummary(makeReport());
    expect(md).toContain('1 of 2 generated tests accepted');
    expect(md).toContain('45.00% → 57.50% (+12.50 pp)');
    expect(md).toContain('90 → 115 of 200 lines');
    expect(md).toContain('[PR #42](https://github.com/acme/shop/pull/42)');
    expect(md).toContain('run took 2 min 5 s');
    expect(md).toContain('Baseline suite: 40 passed, 0 failed in 12.3 s');
  });

  it('has a files table with status, reason, test counts and coverage per candidate', () => {
    const rows = tableAfter(renderSummary(makeReport()), 'Target file');
    expect(rows[0]).toEqual(['Target file', 'Test file', 'Status', 'Reason', 'Tests kept / failed', 'Coverage before → after']);
    expect(rows.slice(2)).toEqual([
      ['`src/cart.ts`', '`test/cart.generated.test.ts`', '✅ accepted', '—', '5 / 0', '20.00% → 32.50% (+12.50 pp)'],
      ['`src/price.ts`', '`test/price.generated.test.ts`', '❌ rejected', '**fails**: 2 of 5 tests failed', '3 / 2', '20.00% → 30.00% (+10.00 pp)']
    ]);
  });

  it('lists rejections with stage and reason, and skipped files with why', () => {
    const md = renderSummary(makeReport());
    expect(md).toContain('### ❌ Rejected candidates (1)');
    expect(md).toContain('By stage: fails 1');
    expect(md).toContain('- `src/price.ts` → `test/price.generated.test.ts` — **fails**: 2 of 5 tests failed');
    expect(md).toContain('### Skipped files (1)');
    expect(md).toContain('- `README.md` — not a source file');
  });

  it('has an inference table with readable figures', () => {
    const rows = tableAfter(renderSummary(makeReport()), 'Metric');
    expect(Object.fromEntries(rows.slice(2).map(([k, v]) => [k, v]))).toEqual({
      Provider: 'llama.cpp',
      Model: 'qwen2.5-coder-1.5b-instruct-q4\\_k\\_m.gguf',
      Hardware: 'CPU, 4 threads',
      Backend: 'cpu',
      Threads: '4',
      'Parallel sequences': '2',
      'Context size': '8,192 tokens',
      'Model load time': '1.2 s',
      'Prompt tokens': '12,345',
      'Completion tokens': '3,456',
      'Tokens/s': '23.5',
      Cost: '$0.00 (local)'
    });
  });

  it('escapes pipes, newlines and markup in table cells so rows keep their shape', () => {
    const report = makeReport({
      candidates: [
        makeCandidate({
          targetFile: 'src/odd|name.ts',
          status: 'rejected',
          rejection: { stage: 'compile', reason: 'error: a | b\nexpected <details> got *x*' }
        })
      ]
    });
    const md = renderSummary(report);
    const rows = tableAfter(md, 'Target file');
    expect(rows.every((r) => r.length === 6)).toBe(true);
    expect(rows[2][0]).toBe('`src/odd\\|name.ts`');
    expect(rows[2][3]).toBe('**compile**: error: a \\| b<br>expected \\<details\\> got \\*x\\*');
    // A raw <details> in a reason would open a real collapsible block and swallow the page.
    expect(md).not.toMatch(/(?<!\\)<details>/);
  });

  it('shows unmeasured coverage as n/a without inventing a delta', () => {
    const none = { linesPct: null, coveredLines: 0, totalLines: 0 };
    const report = makeReport({
      coverageBefore: none,
      coverageAfter: none,
      candidates: [makeCandidate({ coverageBefore: none, coverageAfter: { linesPct: 50, coveredLines: 5, totalLines: 10 } })]
    });
    const md = renderSummary(report);
    expect(md).toContain('coverage of changed files: **n/a → n/a**');
    expect(tableAfter(md, 'Target file')[2][5]).toBe('n/a → 50.00%');
    expect(md).not.toContain('NaN');
  });

  it('puts the demo-model notice above everything else when set', () => {
    const report = makeReport();
    report.inference.demoModelNotice = 'This run used the generated demo model; its tests are placeholders.';
    const md = renderSummary(report);
    const notice = md.indexOf('> [!WARNING]\n> **Demo model:** This run used the generated demo model');
    expect(notice).toBeGreaterThan(0);
    expect(notice).toBeLessThan(md.indexOf('generated tests accepted'));
    expect(renderSummary(makeReport())).not.toContain('Demo model');
  });

  it('lists warnings, and calls out a failing baseline suite', () => {
    const report = makeReport({
      warnings: ['coverage for src/x.ts could not be measured'],
      baseline: { testsPassed: 3, testsFailed: 2, suiteFailed: true, durationMs: 500, brokenTestFiles: [], runFailures: [], coverageComplete: true }
    });
    const md = renderSummary(report);
    expect(md).toContain('### ⚠️ Warnings (1)');
    expect(md).toContain('- ⚠️ coverage for src/x.ts could not be measured');
    expect(md).toContain('**the baseline suite failed**');
  });

  it('says so when nothing was generated', () => {
    const md = renderSummary(makeReport({ candidates: [], testsGenerated: 0, testsAccepted: 0 }));
    expect(md).toContain('0 of 0 generated tests accepted');
    expect(md).toContain('_No test candidates were generated._');
  });

  it('is not marked truncated when it fits', () => {
    expect(renderSummary(makeReport())).not.toContain('truncated');
  });

  it('stays under 1 MiB by dropping per-file detail, and says where the rest is', () => {
    const report = makeHugeReport(4_000, 800);
    const md = renderSummary(report, { reportPath: '.aqe/report.json' });
    expect(Buffer.byteLength(md, 'utf8')).toBeLessThanOrEqual(MAX_SUMMARY_BYTES);
    expect(md).toContain("truncated to stay under GitHub's 1 MiB job-summary limit");
    expect(md).toContain('the JSON report (`.aqe/report.json`)');
    expect(md).toMatch(/… and [\d,]+ more files not shown/);
    // Totals are never the part that goes.
    expect(md).toContain('400 of 4,000 generated tests accepted');
    expect(md).toContain('### ⚙️ Inference');
  });

  it('counts bytes, not characters, against the 1 MiB limit', () => {
    const report = makeHugeReport(1_500, 10);
    for (const c of report.candidates) {
      if (c.rejection) c.rejection.reason = '€'.repeat(1_500); // 3 bytes each in UTF-8
    }
    const md = renderSummary(report);
    expect(md.length).toBeLessThan(MAX_SUMMARY_BYTES);
    expect(Buffer.byteLength(md, 'utf8')).toBeLessThanOrEqual(MAX_SUMMARY_BYTES);
    expect(md).toContain('truncated');
  });

  it('cuts the text as a last resort when even the leanest rendering is too big', () => {
    const report = makeReport();
    report.inference.model = 'm'.repeat(2 * MAX_SUMMARY_BYTES);
    const md = renderSummary(report);
    expect(Buffer.byteLength(md, 'utf8')).toBeLessThanOrEqual(MAX_SUMMARY_BYTES);
    expect(md).toContain('1 of 2 generated tests accepted');
    expect(md.trimEnd().endsWith('the full per-file detail is in the JSON report.')).toBe(true);
  });
});

describe('renderComment', () => {
  it('starts with the sticky marker and carries the headline and a compact files table', () => {
    const md = renderComment(makeReport());
    expect(md.startsWith(`${STICKY_COMMENT_MARKER}\n`)).toBe(true);
    expect(STICKY_COMMENT_MARKER).toMatch(/^<!--.*-->$/);
    expect(md).toContain('1 of 2 generated tests accepted');
    const rows = tableAfter(md, 'Target file');
    expect(rows[0]).toEqual(['Target file', 'Test file', 'Status', 'Tests kept / failed', 'Coverage before → after']);
    expect(rows).toHaveLength(4);
  });

  it('folds rejections, skipped files and inference into <details> blocks', () => {
    const md = renderComment(makeReport());
    expect(md).toContain('<details>\n<summary>❌ Rejected candidates (1): fails 1</summary>\n\n- `src/price.ts`');
    expect(md).toContain('<summary>Skipped files (1)</summary>');
    expect(md).toContain('<summary>⚙️ Inference: qwen2.5-coder-1.5b-instruct-q4_k_m.gguf on CPU, 4 threads · 23.5 tokens/s</summary>');
    expect(md.match(/<details>/g)).toHaveLength(md.match(/<\/details>/g)?.length ?? -1);
  });

  it('escapes HTML in <summary> lines, where markdown escapes would show', () => {
    const report = makeReport();
    report.inference.model = 'evil</summary><b>x';
    const md = renderComment(report);
    expect(md).toContain('<summary>⚙️ Inference: evil&lt;/summary&gt;&lt;b&gt;x on');
  });

  it('shows the demo-model notice', () => {
    const report = makeReport();
    report.inference.demoModelNotice = 'Demo model in use.';
    expect(renderComment(report)).toContain('> [!WARNING]\n> **Demo model:** Demo model in use.');
  });

  it(`keeps 2,000 candidates under ${MAX_COMMENT_CHARS} characters, with the marker`, () => {
    const md = renderComment(makeHugeReport(2_000, 400));
    expect(md.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
    expect(md.startsWith(STICKY_COMMENT_MARKER)).toBe(true);
    expect(md).toContain('200 of 2,000 generated tests accepted');
    expect(md).toContain("This comment was truncated to fit GitHub's 65,536-character limit");
    expect(md).toMatch(/… and [\d,]+ more files not shown/);
    // Accepted candidates come first, so what was added to the PR is what stays visible.
    expect(tableAfter(md, 'Target file')[2][2]).toBe('✅ accepted');
  });

  it('as the last resort cuts the text but keeps the marker and says so', () => {
    const report = makeReport();
    report.inference.hardware = 'h'.repeat(200_000);
    const md = renderComment(report);
    expect(md.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
    expect(md.startsWith(`${STICKY_COMMENT_MARKER}\n`)).toBe(true);
    expect(md).toContain('This comment was truncated');
    expect(md.match(/<details>/g)?.length).toBe(md.match(/<\/details>/g)?.length);
  });
});

describe('validation detail', () => {
  const report = makeReport({
    changedLinesBefore: { linesPct: 25, coveredLines: 5, totalLines: 20 },
    changedLinesAfter: { linesPct: 90, coveredLines: 18, totalLines: 20 },
    validation: { strategy: 'batched', repeatRuns: 5, maxRepairs: 1, seed: 1234, processes: 3, fileRuns: 21, durationMs: 9000 },
    candidates: [
      makeCandidate({
        attempts: 2,
        cases: [
          { name: 'Cart adds items', verdict: 'kept' },
          { name: 'Cart totals', verdict: 'fails', reason: 'expected 3' },
          { name: 'Cart again', verdict: 'duplicate', reason: 'repeats x' }
        ]
      }),
      makeCandidate({ targetFile: 'src/ids.ts', status: 'rejected', rejection: { stage: 'flaky', reason: 'failed 4 of 7 runs' } }),
      makeCandidate({ targetFile: 'src/vat.ts', status: 'rejected', rejection: { stage: 'no-assertion', reason: '2 of 2 tests assert nothing' } })
    ]
  });

  it('shows the coverage of the changed lines next to the whole-file figure', () => {
    expect(renderSummary(report)).toContain('changed lines covered: **25.00% → 90.00% (+65.00 pp)** (5 → 18 of 20)');
    expect(renderComment(report)).toContain('changed lines covered: **25.00% → 90.00% (+65.00 pp)**');
  });

  it('says how files were proven and what was pruned from a kept one', () => {
    const md = renderSummary(report);
    expect(md).toContain('Validation: a kept file passed 6 runs (5 shuffled, seed 1234) · 21 file runs in 3 runner processes · up to 1 repair(s) per file');
    const accepted = tableAfter(md, 'Target file').find((row) => row[2] === '✅ accepted')!;
    expect(accepted[3]).toBe('repaired once; pruned fails 1, duplicate 1');
  });

  it('counts the flaky and no-assertion stages in pipeline order', () => {
    expect(renderSummary(report)).toContain('By stage: flaky 1 · no-assertion 1');
  });
});
