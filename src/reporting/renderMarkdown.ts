/**
 * The two human views of a RunReport: the job summary (everything, up to 1 MiB) and the sticky
 * PR comment (the gist, up to 65,536 characters). Both are pure functions of the report so the
 * CLI, the action and the tests render identically.
 */

import { CONFINEMENT_EVENT_LABELS, type ConfinementEvent } from '../core/Isolation.js';
import type { RejectionStage } from '../core/verdicts.js';
import type { CandidateRecord, InferenceFigures, RunReport } from './RunReport.js';
import { type DetailLevel, detailLadder, renderToFit } from './fitToLimit.js';
import { formatCount, formatCostUsd, formatCoverageChange, formatDuration, formatTokensPerSecond, formatUsd, shortSha } from '../core/formatNumbers.js';
import { gateLines } from './coverageGates.js';
import { complianceLine, complianceTable } from './renderCompliance.js';
import { costTable, routingLine, routingTable } from './renderRouting.js';
import { mermaidPie, type PieSlice, phaseLine, phaseSlices, phaseTable } from './renderPhases.js';
import { alertBlock, codeSpan, detailsBlock, escapeHtml, escapeText, markdownTable, sliceToUtf8Bytes, sliceWhole, truncateText } from './markdownText.js';

/** Hidden first line of our PR comment; how a later run finds the comment to update instead of adding another. */
export const STICKY_COMMENT_MARKER = '<!-- aqe/local-inference:report -->';

/** GitHub rejects issue-comment bodies longer than this (HTTP 422). */
export const MAX_COMMENT_CHARS = 65_536;

/** GitHub's per-step job-summary limit; a larger summary is not shown at all. */
export const MAX_SUMMARY_BYTES = 1_048_576;

/**
 * The summary is rendered to stay this far below MAX_SUMMARY_BYTES, because whoever writes it
 * out may add a line ending or a short line of its own and must not tip it over the limit.
 */
const SUMMARY_HEADROOM_BYTES = 4_096;

export interface RenderOptions {
  /** Where the JSON report was written; named wherever detail had to be left out, so readers can find it. */
  reportPath?: string;
  /** The workflow run's page, which holds the job summary: where a reader of the comment finds the whole report. */
  runUrl?: string;
  /** The run artifact (report, audit log, accepted and rejected tests), and its page when the service gave it an id. */
  artifact?: { name: string; url?: string };
  /**
   * Set when the report was measured elsewhere than where it is posted (comment-from-artifact): the
   * repository whose run measured it. The views then say plainly whose figures they show.
   */
  measuredBy?: string;
}

// Reasons can be whole compiler logs. The summary can afford far more of them than the comment.
const SUMMARY_REASON_CAPS = [2_000, 500, 200] as const;
const COMMENT_REASON_CAPS = [300, 120, 60] as const;
/** Warnings are not per-file detail, so a few survive even the leanest rendering. */
const MIN_WARNINGS_SHOWN = 10;
const MAX_TITLE_CHARS = 200;
const MAX_NOTICE_CHARS = 2_000;
/** Slices of the outcome chart given to rejection stages; STAGE_ORDER has fewer, so only unknown names are folded. */
const MAX_STAGE_SLICES = 14;

const STAGE_ORDER: readonly RejectionStage[] = [
  'generation',
  'compile',
  'fails',
  'flaky',
  'no-assertion',
  'no-tests',
  'no-coverage-gain',
  'coverage-unmeasured',
  'duplicate',
  'timeout',
  'network',
  'suite-conflict'
];

export function renderSummary(report: RunReport, options: RenderOptions = {}): string {
  const budget = MAX_SUMMARY_BYTES - SUMMARY_HEADROOM_BYTES;
  const fitsBudget = (text: string): boolean => Buffer.byteLength(text, 'utf8') <= budget;
  const levels = detailLadder(itemCount(report), SUMMARY_REASON_CAPS);
  const result = renderToFit(levels, (level) => summaryAt(report, level, options), fitsBudget);
  if (result.fits) return result.text;
  const note = `\n\n---\n${truncationNote('summary', options)}\n`;
  return closeOpenDetails(sliceToUtf8Bytes(result.text, budget - Buffer.byteLength(note, 'utf8') - 64)) + note;
}

export function renderComment(report: RunReport, options: RenderOptions = {}): string {
  const fitsLimit = (text: string): boolean => text.length <= MAX_COMMENT_CHARS;
  const levels = detailLadder(itemCount(report), COMMENT_REASON_CAPS);
  const result = renderToFit(levels, (level) => commentAt(report, level, options), fitsLimit);
  if (result.fits) return result.text;
  // Last resort: cut the text, but keep the marker, or the next run would post a second comment.
  const head = `${STICKY_COMMENT_MARKER}\n`;
  const body = result.text.startsWith(head) ? result.text.slice(head.length) : result.text;
  const note = `\n\n---\n${truncationNote('comment', options)}`;
  const room = MAX_COMMENT_CHARS - head.length - note.length - 64;
  return head + closeOpenDetails(sliceWhole(body, room)) + note;
}

// ---------------------------------------------------------------------------------------------
// Job summary

function summaryAt(report: RunReport, level: DetailLevel, options: RenderOptions): string {
  const parts: string[] = ['## 🧪 Generated unit tests'];
  if (level.index > 0) parts.push(alertBlock('NOTE', truncationNote('summary', options)));
  if (report.inference.demoModelNotice) parts.push(demoNotice(report.inference.demoModelNotice));
  parts.push(headline(report), contextLines(report).join('  \n'));
  if (options.measuredBy) parts.push(provenanceNote(options.measuredBy, options));
  if (report.gates && report.gates.length > 0) parts.push('### 🚦 Gates', gateLines(report.gates).map(escapeText).join('  \n'));
  if (report.warnings.length > 0) {
    parts.push(`### ⚠️ Warnings (${formatCount(report.warnings.length)})`, warningList(report, level, options));
  }

  const rejected = rejectedCandidates(report);
  // The chart is a few lines whatever the run's size, so even the leanest summary keeps it.
  const outcomes = mermaidPie('Candidates by outcome', outcomeSlices(report));
  if (level.perFileSections) {
    parts.push(`### Files (${formatCount(report.candidates.length)})`);
    parts.push(report.candidates.length > 0 ? filesTable(report, level, 'summary', options) : '_No test candidates were generated._');
    if (outcomes) parts.push(outcomes);
    if (rejected.length > 0) {
      parts.push(`### ❌ Rejected candidates (${formatCount(rejected.length)})`);
      parts.push(`By stage: ${escapeText(stageCounts(rejected))}`);
      parts.push(rejectionList(rejected, level, options));
    }
    if (report.skipped.length > 0) {
      parts.push(`### Skipped files (${formatCount(report.skipped.length)})`, skippedList(report, level, options));
    }
  } else {
    parts.push(`### Files (${formatCount(report.candidates.length)})`);
    const byStage = rejected.length > 0 ? ` Rejections by stage: ${escapeText(stageCounts(rejected))}.` : '';
    parts.push(`_Per-file detail left out for size.${byStage} See ${jsonReportRef(options)}._`);
    if (outcomes) parts.push(outcomes);
  }

  parts.push('### ⚙️ Inference', inferenceTable(report.inference));
  if (report.phases && report.phases.length > 0) {
    parts.push('### ⏱️ Time per phase', phaseTable(report.phases));
    const chart = mermaidPie('Time per phase in ms', phaseSlices(report.phases));
    if (chart) parts.push(chart);
  }
  if (report.routing) parts.push('### 🧭 Routing', routingTable(report.routing, level.maxItems, level.maxReasonChars));
  if (report.cost) parts.push('### 💰 Cost', costTable(report.cost));
  if (report.compliance) parts.push('### 🛡️ Compliance', complianceTable(report.compliance));
  parts.push(footer(report, options));
  return `${parts.join('\n\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// PR comment

function commentAt(report: RunReport, level: DetailLevel, options: RenderOptions): string {
  const parts: string[] = [STICKY_COMMENT_MARKER + '\n### 🧪 Generated unit tests'];
  if (report.inference.demoModelNotice) parts.push(demoNotice(report.inference.demoModelNotice));
  parts.push(headline(report), contextLines(report).join('  \n'));
  if (options.measuredBy) parts.push(provenanceNote(options.measuredBy, options));
  if (level.index > 0) parts.push(`_${truncationNote('comment', options)}_`);
  if (report.warnings.length > 0) parts.push(warningList(report, level, options));

  const rejected = rejectedCandidates(report);
  if (level.perFileSections && report.candidates.length > 0) {
    parts.push(filesTable(report, level, 'comment', options));
  }
  if (rejected.length > 0) {
    const summary = `❌ Rejected candidates (${formatCount(rejected.length)}): ${escapeHtml(stageCounts(rejected))}`;
    const body = level.perFileSections
      ? rejectionList(rejected, level, options)
      : `_Per-file detail left out for size; see the job summary or ${jsonReportRef(options)}._`;
    parts.push(detailsBlock(summary, body));
  }
  if (report.skipped.length > 0 && level.perFileSections) {
    parts.push(detailsBlock(`Skipped files (${formatCount(report.skipped.length)})`, skippedList(report, level, options)));
  }
  const inf = report.inference;
  const inferenceSummary = `⚙️ Inference: ${escapeHtml(inf.model)} on ${escapeHtml(inf.hardware)} · ${formatTokensPerSecond(inf.tokensPerSecond)} tokens/s`;
  const phases = report.phases && report.phases.length > 0 ? `\n\nTime per phase: ${phaseLine(report.phases)}` : '';
  parts.push(detailsBlock(inferenceSummary, inferenceTable(inf) + phases));
  if (report.routing) {
    const r = report.routing;
    parts.push(
      detailsBlock(
        `🧭 Routing: ${formatCount(r.tasks.local)} local, ${formatCount(r.tasks.cloud)} cloud`,
        routingTable(r, level.maxItems, level.maxReasonChars)
      )
    );
  }
  if (report.cost) parts.push(detailsBlock(`💰 Cost: ${escapeHtml(formatUsd(report.cost.totalUsd))}`, costTable(report.cost)));
  if (report.compliance) {
    const c = report.compliance;
    parts.push(detailsBlock(`🛡️ Compliance: privacy ${escapeHtml(c.privacy)} · ${formatCount(c.refused)} connection(s) refused`, complianceTable(c)));
  }
  parts.push(footer(report, options));
  return `${parts.join('\n\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Pieces shared by both views

function itemCount(report: RunReport): number {
  return Math.max(report.candidates.length, report.skipped.length, report.warnings.length);
}

function headline(report: RunReport): string {
  const icon = report.testsAccepted > 0 ? '✅' : 'ℹ️';
  const accepted = `**${formatCount(report.testsAccepted)} of ${formatCount(report.testsGenerated)} generated tests accepted**`;
  const coverage = `coverage of changed files: **${formatCoverageChange(report.coverageBefore, report.coverageAfter)}**`;
  const { coverageBefore: before, coverageAfter: after } = report;
  const lines =
    after.totalLines > 0 || before.totalLines > 0
      ? ` (${formatCount(before.coveredLines)} → ${formatCount(after.coveredLines)} of ${formatCount(after.totalLines || before.totalLines)} lines)`
      : '';
  const changedBefore = report.changedLinesBefore;
  const changedAfter = report.changedLinesAfter;
  const changed =
    changedBefore && changedAfter && changedAfter.totalLines > 0
      ? ` · changed lines covered: **${formatCoverageChange(changedBefore, changedAfter)}** (${formatCount(changedBefore.coveredLines)} → ${formatCount(changedAfter.coveredLines)} of ${formatCount(changedAfter.totalLines)})`
      : '';
  const marked = report.baseline.coverageComplete ? '' : ' ⚠️ _(from a broken baseline, see below)_';
  return `${icon} ${accepted} · ${coverage}${lines}${changed}${marked}`;
}

function contextLines(report: RunReport): string[] {
  const lines: string[] = [];
  const pr = report.pullRequest;
  if (pr) {
    const label = `PR #${pr.number}`;
    const link = pr.url && isSafeUrl(pr.url) ? `[${label}](${pr.url})` : label;
    lines.push(
      `${link}: ${escapeText(truncateText(pr.title, MAX_TITLE_CHARS))} · ${escapeText(report.repository)} · ` +
        `base ${codeSpan(shortSha(pr.baseSha))} → head ${codeSpan(shortSha(pr.headSha))}`
    );
  } else {
    lines.push(escapeText(report.repository));
  }
  lines.push(
    `${formatCount(report.changedFiles.length)} changed files, ${formatCount(report.targets.length)} targeted, ` +
      `${formatCount(report.skipped.length)} skipped · run took ${formatDuration(report.durationMs)}`
  );
  lines.push(baselineLine(report));
  const v = report.validation;
  if (v) {
    lines.push(
      `Validation: a kept file passed ${formatCount(v.repeatRuns + 1)} runs (${formatCount(v.repeatRuns)} shuffled, seed ${v.seed}) · ` +
        `${formatCount(v.fileRuns)} file runs in ${formatCount(v.processes)} runner processes · up to ${formatCount(v.maxRepairs)} repair(s) per file`
    );
  }
  if (report.isolation) lines.push(isolationLine(report.isolation));
  const routing = routingLine(report);
  if (routing) lines.push(routing);
  if (report.compliance) lines.push(complianceLine(report.compliance));
  return lines;
}

/** What confined the tests, in one line: a reader of the comment should see at once when they ran without namespaces. */
function isolationLine(isolation: NonNullable<RunReport['isolation']>): string {
  const confined =
    isolation.kind === 'namespaces'
      ? `Isolation: 🔒 Linux namespaces (${escapeText(isolation.tool ?? 'bubblewrap')}); candidates had no network`
      : `Isolation: ⚠️ **fallback only** (${escapeText(isolation.reason ?? 'no namespaces')}): environment allow-list, private HOME, processes ended with their run; not confined: file writes, network, /proc`;
  const counts = new Map<ConfinementEvent['kind'], number>();
  for (const e of isolation.events) counts.set(e.kind, (counts.get(e.kind) ?? 0) + (e.kind === 'survivors-killed' ? (e.count ?? 1) : 1));
  const seen = [...counts].map(([kind, n]) => `${formatCount(n)} ${CONFINEMENT_EVENT_LABELS[kind]}`);
  return seen.length > 0 ? `${confined} · ${seen.join(', ')}` : confined;
}

/**
 * The suite the figures were measured against. Test files that did not load and a suite that
 * did not start or finish are named, because coverage before is then lower than the suite's real one.
 */
function baselineLine(report: RunReport): string {
  const b = report.baseline;
  const suite = `Baseline suite: ${formatCount(b.testsPassed)} passed, ${formatCount(b.testsFailed)} failed in ${formatDuration(b.durationMs)}`;
  const problems: string[] = [];
  if (b.brokenTestFiles.length > 0) {
    const names = b.brokenTestFiles.slice(0, 3).map((f) => codeSpan(f.file));
    problems.push(`${formatCount(b.brokenTestFiles.length)} test file(s) did not load (${names.join(', ')}${b.brokenTestFiles.length > 3 ? ', …' : ''})`);
  }
  for (const f of b.runFailures)
    problems.push(`the suite${f.packageDir ? ` in ${codeSpan(f.packageDir)}` : ''} ${f.kind === 'timed-out' ? 'did not finish in time' : 'did not start'}`);
  if (problems.length === 0) return b.suiteFailed ? `${suite} · ⚠️ **the baseline suite failed**` : suite;
  return `${suite} · ⚠️ **broken baseline**: ${problems.join('; ')} · coverage before is measured without them`;
}

function demoNotice(notice: string): string {
  return alertBlock('WARNING', `**Demo model:** ${escapeText(truncateText(notice, MAX_NOTICE_CHARS))}`);
}

/** Accepted first: when rows have to be dropped, what was added to the PR is what the reader needs. */
function orderedCandidates(report: RunReport): CandidateRecord[] {
  const accepted = report.candidates.filter((c) => c.status === 'accepted');
  const rest = report.candidates.filter((c) => c.status !== 'accepted');
  return [...accepted, ...rest];
}

function rejectedCandidates(report: RunReport): CandidateRecord[] {
  return report.candidates.filter((c) => c.status === 'rejected');
}

function filesTable(report: RunReport, level: DetailLevel, view: 'summary' | 'comment', options: RenderOptions): string {
  const all = orderedCandidates(report);
  const shown = all.slice(0, level.maxItems);
  const rows = shown.map((c) => {
    const status = c.status === 'accepted' ? '✅ accepted' : '❌ rejected';
    const tests = `${formatCount(c.testsPassed)} / ${formatCount(c.testsFailed)}`;
    const coverage = escapeText(formatCoverageChange(c.coverageBefore, c.coverageAfter));
    const target = codeSpan(c.targetFile, 'table');
    const testFile = codeSpan(c.testFile, 'table');
    if (view === 'comment') return [target, testFile, status, tests, coverage];
    return [target, testFile, status, reasonCell(c, level.maxReasonChars), tests, coverage];
  });
  const headers =
    view === 'comment'
      ? ['Target file', 'Test file', 'Status', 'Tests kept / failed', 'Coverage before → after']
      : ['Target file', 'Test file', 'Status', 'Reason', 'Tests kept / failed', 'Coverage before → after'];
  const align = view === 'comment' ? (['left', 'left', 'left', 'right', 'left'] as const) : (['left', 'left', 'left', 'left', 'right', 'left'] as const);
  return markdownTable(headers, rows, [...align]) + omitted(all.length - shown.length, 'files', options);
}

function reasonCell(c: CandidateRecord, maxChars: number): string {
  if (c.status === 'accepted') return escapeText(acceptedNote(c)) || '—';
  const { stage, reason } = rejectionOf(c);
  return `**${escapeText(stage)}**: ${escapeText(truncateText(reason, maxChars))}`;
}

/** "repaired once; pruned: fails 1, duplicate 1" for a kept file that needed work. */
function acceptedNote(c: CandidateRecord): string {
  const pruned = new Map<string, number>();
  for (const k of c.cases ?? []) if (k.verdict !== 'kept') pruned.set(k.verdict, (pruned.get(k.verdict) ?? 0) + 1);
  const parts: string[] = [];
  if (c.attempts > 1) parts.push(`repaired ${c.attempts - 1 === 1 ? 'once' : `${c.attempts - 1} times`}`);
  if (pruned.size > 0) parts.push(`pruned ${[...pruned].map(([v, n]) => `${v} ${n}`).join(', ')}`);
  if (c.confirmedWithSuite === false) parts.push('not confirmed next to the suite (the suite did not finish)');
  return parts.join('; ');
}

function rejectionOf(c: CandidateRecord): { stage: string; reason: string } {
  return c.rejection ?? { stage: 'unknown', reason: 'no reason was recorded' };
}

function rejectionList(rejected: CandidateRecord[], level: DetailLevel, options: RenderOptions): string {
  const shown = rejected.slice(0, level.maxItems);
  const items = shown.map((c) => {
    const { stage, reason } = rejectionOf(c);
    return `- ${codeSpan(c.targetFile)} → ${codeSpan(c.testFile)} — **${escapeText(stage)}**: ` + escapeText(truncateText(reason, level.maxReasonChars));
  });
  return items.join('\n') + omitted(rejected.length - shown.length, 'rejections', options);
}

/** "compile 2 · fails 3", in pipeline order so the same stage is always in the same place. */
function stageCounts(rejected: CandidateRecord[]): string {
  return rejectionsByStage(rejected)
    .map(([s, n]) => `${s} ${formatCount(n)}`)
    .join(' · ');
}

function rejectionsByStage(rejected: CandidateRecord[]): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const c of rejected) {
    const stage = rejectionOf(c).stage;
    counts.set(stage, (counts.get(stage) ?? 0) + 1);
  }
  const known = STAGE_ORDER.filter((s) => counts.has(s));
  const unknown = [...counts.keys()].filter((s) => !STAGE_ORDER.includes(s as RejectionStage)).sort();
  return [...known, ...unknown].map((s) => [s, counts.get(s) ?? 0]);
}

/** Accepted, then rejected by stage: the chart of what became of the candidates. */
function outcomeSlices(report: RunReport): PieSlice[] {
  const accepted = report.candidates.filter((c) => c.status === 'accepted').length;
  const byStage = rejectionsByStage(rejectedCandidates(report));
  // A report read back may hold any stage names; past MAX_STAGE_SLICES, the rest are one slice.
  const shown = byStage.slice(0, MAX_STAGE_SLICES);
  const rest = byStage.slice(MAX_STAGE_SLICES).reduce((n, [, count]) => n + count, 0);
  return [
    { label: 'accepted', value: accepted },
    ...shown.map(([stage, count]) => ({ label: `rejected, ${stage}`, value: count })),
    ...(rest > 0 ? [{ label: 'rejected, other stages', value: rest }] : [])
  ];
}

function skippedList(report: RunReport, level: DetailLevel, options: RenderOptions): string {
  const shown = report.skipped.slice(0, level.maxItems);
  const items = shown.map((s) => `- ${codeSpan(s.file)} — ${escapeText(truncateText(s.reason, level.maxReasonChars))}`);
  return items.join('\n') + omitted(report.skipped.length - shown.length, 'skipped files', options);
}

function warningList(report: RunReport, level: DetailLevel, options: RenderOptions): string {
  const cap = Math.max(level.maxItems, MIN_WARNINGS_SHOWN);
  const shown = report.warnings.slice(0, cap);
  const items = shown.map((w) => `- ⚠️ ${escapeText(truncateText(w, Math.max(level.maxReasonChars, 200)))}`);
  return items.join('\n') + omitted(report.warnings.length - shown.length, 'warnings', options);
}

function formatGiB(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

/** One line of the sampled figures: utilisation peak and mean, then the memory peak against the device's total. */
function gpuUse(t: NonNullable<InferenceFigures['gpuTelemetry']>): string {
  return `${formatCount(t.peakUtilizationPercent)}% peak, ${t.meanUtilizationPercent.toFixed(1)}% mean · ${formatGiB(t.peakMemoryUsedBytes)} of ${formatGiB(t.memoryTotalBytes)} peak memory (${formatCount(t.samples)} samples)`;
}

function inferenceTable(inf: InferenceFigures): string {
  const rows: Array<[string, string]> = [
    ['Provider', escapeText(inf.provider)],
    ['Model', escapeText(inf.model)],
    ['Hardware', escapeText(inf.hardware)],
    ['Backend', escapeText(inf.backend)],
    ['Threads', formatCount(inf.threads)],
    ['Parallel sequences', formatCount(inf.parallelSequences)],
    ['Context size', `${formatCount(inf.contextSize)} tokens`],
    ['Model load time', formatDuration(inf.modelLoadMs)],
    ...(inf.gpu
      ? ([
          ['GPU', escapeText(inf.gpu.device)],
          ['GPU layers', `${formatCount(inf.gpu.layersOffloaded)} of ${formatCount(inf.gpu.totalLayers)}`],
          ['VRAM free / total', `${formatGiB(inf.gpu.vramFreeBytes)} / ${formatGiB(inf.gpu.vramTotalBytes)}`]
        ] as Array<[string, string]>)
      : []),
    ...(inf.gpuTelemetry ? ([['GPU use (sampled)', gpuUse(inf.gpuTelemetry)]] as Array<[string, string]>) : []),
    ['Prompt tokens', formatCount(inf.promptTokens)],
    ['Completion tokens', formatCount(inf.completionTokens)],
    ['Tokens/s', formatTokensPerSecond(inf.tokensPerSecond)],
    ['Cost', formatCostUsd(inf.costUsd)]
  ];
  return markdownTable(['Metric', 'Value'], rows, ['left', 'right']);
}

function footer(report: RunReport, options: RenderOptions): string {
  const links: string[] = [];
  if (options.runUrl && isSafeUrl(options.runUrl)) links.push(`[job summary](${options.runUrl})`);
  if (options.artifact) {
    const name = codeSpan(options.artifact.name);
    links.push(`run artifact ${options.artifact.url && isSafeUrl(options.artifact.url) ? `[${name}](${options.artifact.url})` : name}`);
  }
  const tail = links.length > 0 ? ` · ${links.join(' · ')}` : '';
  return `<sub>${escapeHtml(report.tool.name)} ${escapeHtml(report.tool.version)} · started ${escapeHtml(report.startedAt)}${tail}</sub>`;
}

function omitted(count: number, what: string, options: RenderOptions): string {
  if (count <= 0) return '';
  return `\n\n_… and ${formatCount(count)} more ${what} not shown; see ${jsonReportRef(options)}._`;
}

/** The fork controls the run that measured these figures: the reader is told so, next to them. */
function provenanceNote(measuredBy: string, options: RenderOptions): string {
  const run = options.runUrl && isSafeUrl(options.runUrl) ? `[its pull_request run](${options.runUrl})` : 'its pull_request run';
  return `_These figures are the report ${escapeText(measuredBy)} uploaded from ${run}; this repository's workflow posted them without running its code._`;
}

function jsonReportRef(options: RenderOptions): string {
  // The artifact outlives the runner, whose path no reader of the comment can open.
  if (options.artifact) return `the JSON report (${codeSpan('aqe-report.json')} in the run artifact ${codeSpan(options.artifact.name)})`;
  return options.reportPath ? `the JSON report (${codeSpan(options.reportPath)})` : 'the JSON report';
}

function truncationNote(view: 'summary' | 'comment', options: RenderOptions): string {
  return view === 'summary'
    ? `This summary was truncated to stay under GitHub's 1 MiB job-summary limit; the full per-file detail is in ${jsonReportRef(options)}.`
    : `This comment was truncated to fit GitHub's ${formatCount(MAX_COMMENT_CHARS)}-character limit; the ${options.runUrl && isSafeUrl(options.runUrl) ? `[job summary](${options.runUrl})` : 'job summary'} and ${jsonReportRef(options)} have the full detail.`;
}

/** Only plain http(s) links without characters that would end the markdown link early. */
function isSafeUrl(url: string): boolean {
  return /^https?:\/\/[^\s()<>]+$/.test(url);
}

/** A hard cut can land inside a <details> block; closing it keeps the rest of the page from being swallowed. */
function closeOpenDetails(text: string): string {
  const opened = (text.match(/<details>/g) ?? []).length;
  const closed = (text.match(/<\/details>/g) ?? []).length;
  return opened > closed ? text + '\n\n</details>'.repeat(opened - closed) : text;
}
