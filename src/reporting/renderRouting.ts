/**
 * The routing and cost parts of the summary and the comment: which tier wrote each file and why,
 * what the run cost, what it avoided, and the budget. Pure functions of the report.
 */

import { formatCount, formatDuration, formatPercent, formatUsd } from '../core/formatNumbers.js';
import type { RouteDecision } from '../core/Routing.js';
import type { CostSection, RoutingSection } from '../routing/RoutingFigures.js';
import { codeSpan, escapeText, markdownTable, truncateText } from './markdownText.js';
import type { RunReport } from './RunReport.js';

/** One line for the run's context: the mode, local vs cloud, and the money. */
export function routingLine(report: RunReport): string | undefined {
  const routing = report.routing;
  if (!routing) return undefined;
  const remote = routing.remote ? ` (${escapeText(routing.remote.provider)} ${codeSpan(routing.remote.model)})` : '';
  const parts = [
    `Routing: ${codeSpan(routing.mode)}, privacy ${codeSpan(routing.privacy)} · ${formatCount(routing.tasks.local)} local, ${formatCount(routing.tasks.cloud)} cloud${remote}`
  ];
  if (routing.escalations.total > 0) parts.push(`${formatCount(routing.escalations.total)} escalated (${formatCount(routing.escalations.accepted)} accepted)`);
  if (routing.fallbacks > 0) parts.push(`${formatCount(routing.fallbacks)} fallback(s)`);
  const cost = report.cost;
  if (cost) {
    parts.push(`cost ${formatUsd(cost.totalUsd)} (cloud ${formatUsd(cost.cloud.costUsd)}, local ${formatUsd(cost.local.costUsd)})`);
    if (cost.avoided && cost.avoided.costUsd > 0) parts.push(`avoided ${formatUsd(cost.avoided.costUsd)}`);
    if (cost.budget.exhausted)
      parts.push(`⚠️ budget of ${formatUsd(cost.budget.maxUsd ?? 0)} reached: ${formatCount(cost.budget.tasksKeptLocal)} request(s) kept local`);
  }
  return parts.join(' · ');
}

/** Every decision that sent work to the cloud, or moved it between tiers, with its rule: what a reviewer checks. */
export function routingTable(routing: RoutingSection, maxRows: number, maxReasonChars: number): string {
  const notable = routing.decisions.filter((d) => d.tier === 'cloud' || d.phase !== 'initial');
  if (notable.length === 0) {
    return `_Every task ran on the local model (${escapeText(localRuleSummary(routing.decisions))})._`;
  }
  const shown = notable.slice(0, maxRows);
  const rows = shown.map((d) => [
    codeSpan(d.target, 'table'),
    escapeText(d.phase),
    `${d.tier === 'cloud' ? '☁️' : '💻'} ${escapeText(d.provider)} ${codeSpan(d.model, 'table')}`,
    codeSpan(d.rule, 'table'),
    escapeText(truncateText(d.reason, maxReasonChars)),
    formatUsd(d.estimatedCostUsd)
  ]);
  const more = notable.length > shown.length ? `\n\n_… and ${formatCount(notable.length - shown.length)} more decisions in the JSON report._` : '';
  const header = `${formatCount(routing.tasks.local)} file(s) written locally, ${formatCount(routing.tasks.cloud)} in the cloud; rules behind the cloud and moved tasks:`;
  return `${header}\n\n${markdownTable(['Target', 'Phase', 'Provider', 'Rule', 'Why', 'Est. cost (max)'], rows, ['left', 'left', 'left', 'left', 'left', 'right'])}${more}`;
}

/** The cost section: what was spent, what the same tokens would have cost in the cloud, break-even, the budget. */
export function costTable(cost: CostSection): string {
  const rows: Array<[string, string]> = [];
  const cloudModel = cost.cloudModel ? ` on ${codeSpan(cost.cloudModel.model, 'table')}` : '';
  rows.push([
    `Cloud${cloudModel}`,
    `${formatUsd(cost.cloud.costUsd)} · ${formatCount(cost.cloud.requests)} request(s), ${formatCount(cost.cloud.promptTokens)} in (${formatCount(cost.cloud.cacheReadTokens)} cache read, ${formatCount(cost.cloud.cacheWriteTokens)} cache write) / ${formatCount(cost.cloud.completionTokens)} out`
  ]);
  rows.push([
    'Local',
    `${formatUsd(cost.local.costUsd)} · ${formatCount(cost.local.requests)} request(s), ${formatCount(cost.local.promptTokens)} in / ${formatCount(cost.local.completionTokens)} out, ${formatDuration(cost.local.inferenceMs)} of inference at ${formatUsd(cost.local.costPerHourUsd)}/h (${escapeText(cost.local.costPerHourSource === 'default' ? 'default: GitHub-hosted Linux 2-core runner' : `from ${cost.local.costPerHourSource}`)})`
  ]);
  if (cost.avoided) {
    rows.push([
      'Avoided',
      `${formatUsd(cost.avoided.costUsd)}: the local tasks' tokens at the cloud model's price · savings ${formatPercent(cost.avoided.savingsPercent)}`
    ]);
  }
  if (cost.breakEven) {
    const b = cost.breakEven;
    rows.push([
      'Break-even',
      `a runner kept for this work is cheaper above ${formatTokens(b.tokensPerMonth)} tokens/month (it can do ${formatTokens(b.capacityTokensPerMonth)} at this run's speed) · local ${formatUsd(b.localUsdPerMTok)} vs cloud ${formatUsd(b.cloudUsdPerMTok)} per million tokens`
    ]);
  }
  const budget = cost.budget;
  rows.push([
    'Budget',
    budget.maxUsd === null
      ? `no cap (max-cloud-usd) · spent ${formatUsd(budget.spentUsd)}`
      : `${formatUsd(budget.spentUsd)} of ${formatUsd(budget.maxUsd)}${budget.exhausted ? ` · ⚠️ reached: ${formatCount(budget.tasksKeptLocal)} request(s) kept local` : ''}`
  ]);
  rows.push(['Total', `**${formatUsd(cost.totalUsd)}**`]);
  return markdownTable(['', 'USD'], rows, ['left', 'left']);
}

function localRuleSummary(decisions: readonly RouteDecision[]): string {
  const rules = new Map<string, number>();
  for (const d of decisions) rules.set(d.rule, (rules.get(d.rule) ?? 0) + 1);
  return [...rules].map(([rule, n]) => `${rule} ${n}`).join(', ') || 'no decisions';
}

function formatTokens(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return formatCount(Math.round(n));
}
