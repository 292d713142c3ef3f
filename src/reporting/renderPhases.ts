/**
 * Where a run's time went, for the summary and the comment, and the mermaid pie charts of the
 * summary. Pure functions of the report.
 */

import { formatDuration, formatPercent } from '../core/formatNumbers.js';
import { escapeText, markdownTable } from './markdownText.js';
import type { PhaseTime } from './RunReport.js';

/**
 * A report written by a later version (or edited) may hold any number of phase names; past this
 * many the rest are one "other" row, so the table and the chart stay a few lines whatever it holds.
 */
const MAX_PHASES_SHOWN = 12;
/** Longest label a chart slice gets; the label is data from the report, the chart only needs to tell slices apart. */
const MAX_SLICE_LABEL_CHARS = 60;

export interface PieSlice {
  label: string;
  value: number;
}

/** The phases in report order, the tail past MAX_PHASES_SHOWN folded into one "other" entry. */
function shownPhases(phases: readonly PhaseTime[]): PhaseTime[] {
  if (phases.length <= MAX_PHASES_SHOWN) return [...phases];
  const head = phases.slice(0, MAX_PHASES_SHOWN - 1);
  const rest = phases.slice(MAX_PHASES_SHOWN - 1).reduce((n, p) => n + p.ms, 0);
  return [...head, { phase: 'other', ms: rest }];
}

function totalMs(phases: readonly PhaseTime[]): number {
  return phases.reduce((n, p) => n + p.ms, 0);
}

/** The "Time per phase" table: each phase's time and its share of the time the phases took. */
export function phaseTable(phases: readonly PhaseTime[]): string {
  const total = totalMs(phases);
  const rows = shownPhases(phases).map((p) => [escapeText(p.phase), formatDuration(p.ms), total > 0 ? formatPercent((p.ms * 100) / total) : '—']);
  return markdownTable(
    ['Phase', 'Time', 'Share'],
    [...rows, ['**total**', `**${formatDuration(total)}**`, total > 0 ? formatPercent(100) : '—']],
    ['left', 'right', 'right']
  );
}

/** "baseline 12.3 s · generation 41.0 s · …": the phases in one line, for the comment. */
export function phaseLine(phases: readonly PhaseTime[]): string {
  return shownPhases(phases)
    .map((p) => `${escapeText(p.phase)} ${formatDuration(p.ms)}`)
    .join(' · ');
}

/** The phases as pie slices, in milliseconds; phases that took no measurable time are left out. */
export function phaseSlices(phases: readonly PhaseTime[]): PieSlice[] {
  return shownPhases(phases)
    .filter((p) => p.ms > 0)
    .map((p) => ({ label: p.phase, value: Math.round(p.ms) }));
}

/**
 * A mermaid pie chart in a fenced block, or undefined when no slice has a value (mermaid would
 * draw an empty circle). A slice label is a double-quoted string in mermaid's grammar with no
 * escape for a quote, so labels keep only letters, digits, spaces and a little punctuation; that
 * also keeps backticks out, which could end the fence.
 */
export function mermaidPie(title: string, slices: readonly PieSlice[]): string | undefined {
  const drawn = slices.filter((s) => Number.isFinite(s.value) && s.value > 0);
  if (drawn.length === 0) return undefined;
  const lines = ['```mermaid', 'pie showData', `    title ${sliceLabel(title)}`, ...drawn.map((s) => `    "${sliceLabel(s.label)}" : ${s.value}`), '```'];
  return lines.join('\n');
}

function sliceLabel(text: string): string {
  const plain = text
    .normalize('NFKC')
    .replace(/[^\p{L}\p{N} .,:;()/+_-]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const cut = [...plain].slice(0, MAX_SLICE_LABEL_CHARS).join('');
  return cut === '' ? 'unnamed' : cut;
}
