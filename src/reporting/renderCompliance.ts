/**
 * The compliance part of the summary and the comment: the privacy mode, what enforced it, the model requests by
 * tier, the refused attempts and the redactions, all from the report's compliance section.
 */

import { formatCount } from '../core/formatNumbers.js';
import type { ComplianceSection, EnforcementLayer } from '../core/Privacy.js';
import { codeSpan, escapeText, markdownTable } from './markdownText.js';

const LAYER_NAMES: Readonly<Record<EnforcementLayer, string>> = {
  'in-process': 'in-process guard (aqe and every Node process it started)',
  firewall: 'firewall on aqe’s processes',
  'sandbox-network': 'sandbox network namespace (test runs)',
  'container-network-none': 'container without network'
};

/** One line: the mode, the layers, the counts. */
export function complianceLine(c: ComplianceSection): string {
  const parts = [`Privacy: ${codeSpan(c.privacy)}`];
  if (c.privacy === 'strict') {
    parts.push(
      c.enforcement.length === 1
        ? '⚠️ enforcement: in-process only; non-Node processes not covered'
        : `egress dropped by ${c.enforcement.map(escapeText).join(', ')}`
    );
  }
  parts.push(`${formatCount(c.requests.local)} local, ${formatCount(c.requests.cloud)} remote model request(s)`);
  if (c.refused > 0 || c.privacy === 'strict') parts.push(`${formatCount(c.refused)} connection(s) refused`);
  const redacted = Object.values(c.redactions).reduce((n, k) => n + k, 0);
  if (redacted > 0) parts.push(`${formatCount(redacted)} secret(s) redacted`);
  return parts.join(' · ');
}

/** The full section: layers in effect, what they leave out, the allow-list, the refused attempts and the redactions by kind. */
export function complianceTable(c: ComplianceSection): string {
  const rows: string[][] = [
    ['Mode', codeSpan(c.privacy, 'table')],
    ['Enforcement', c.enforcement.length > 0 ? c.enforcement.map((l) => escapeText(LAYER_NAMES[l] ?? l)).join('; ') : '_none (privacy is not strict)_'],
    ['Model requests', `${formatCount(c.requests.local)} local, ${formatCount(c.requests.cloud)} remote`],
    ['Refused connections', c.refused > 0 ? `${formatCount(c.refused)} (${byKind(c.refusedByProtocol)})` : '0']
  ];
  if (c.firewallDropped !== undefined) rows.push(['Packets the firewall dropped', formatCount(c.firewallDropped)]);
  if (c.allowedEndpoints.length > 0)
    rows.push(['Allowed endpoints', c.allowedEndpoints.map((e) => codeSpan(`${e.host}:${e.port ?? '*'}`, 'table')).join(', ')]);
  rows.push(['Secrets redacted', Object.keys(c.redactions).length > 0 ? byKind(c.redactions) : '0']);
  for (const gap of c.gaps) rows.push(['Not covered', escapeText(gap)]);
  rows.push(['Audit log', codeSpan(c.auditLog, 'table')]);
  return markdownTable(['Compliance', 'This run'], rows);
}

function byKind(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts)
    .map(([kind, n]) => `${escapeText(kind)} ${formatCount(n)}`)
    .join(', ');
}
