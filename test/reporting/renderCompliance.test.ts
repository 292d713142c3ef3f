import { describe, expect, it } from '@jest/globals';
import type { ComplianceSection } from '../../src/core/Privacy.js';
import { complianceLine, complianceTable } from '../../src/reporting/renderCompliance.js';
import { renderComment, renderSummary } from '../../src/reporting/renderMarkdown.js';
import { makeReport } from './reportFixture.js';

const strict: ComplianceSection = {
  privacy: 'strict',
  enforcement: ['in-process', 'firewall', 'sandbox-network'],
  gaps: [],
  allowedEndpoints: [{ host: 'gpu-box.internal', port: 8080 }],
  requests: { local: 3, cloud: 0 },
  refused: 5,
  refusedByProtocol: { dns: 1, fetch: 2, tcp: 2 },
  firewallDropped: 0,
  redactions: {},
  auditLog: '/home/runner/work/_temp/aqe-audit.jsonl'
};

/** Rows of the compliance table as label → cell. */
function rows(markdown: string): Record<string, string> {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.startsWith('| Compliance |'));
  const out: Record<string, string> = {};
  for (let i = start + 2; i < lines.length && lines[i]!.startsWith('|'); i++) {
    const [label, value] = lines[i]!.slice(2, -2).split(' | ');
    out[label!] = out[label!] ? `${out[label!]}; ${value}` : value!;
  }
  return out;
}

describe('the compliance section', () => {
  it('shows the mode, the layers in effect, requests, refused attempts by protocol, firewall drops, the allow-list and the audit path', () => {
    expect(rows(complianceTable(strict))).toEqual({
      Mode: '`strict`',
      Enforcement: 'in-process guard (aqe and every Node process it started); firewall on aqe’s processes; sandbox network namespace (test runs)',
      'Model requests': '3 local, 0 remote',
      'Refused connections': '5 (dns 1, fetch 2, tcp 2)',
      'Packets the firewall dropped': '0',
      'Allowed endpoints': '`gpu-box.internal:8080`',
      'Secrets redacted': '0',
      'Audit log': '`/home/runner/work/_temp/aqe-audit.jsonl`'
    });
    expect(complianceLine(strict)).toBe(
      'Privacy: `strict` · egress dropped by in-process, firewall, sandbox-network · 3 local, 0 remote model request(s) · 5 connection(s) refused'
    );
  });

  it('says in-process only when no OS layer held, and names what is not covered, escaped', () => {
    const weak: ComplianceSection = { ...strict, enforcement: ['in-process'], gaps: ['the firewall cannot be set up (<img src=x> @someone `nft`)'] };
    expect(complianceLine(weak)).toContain('⚠️ enforcement: in-process only; non-Node processes not covered');
    const table = complianceTable(weak);
    expect(rows(table)['Not covered']).toBe('the firewall cannot be set up (\\<img src=x\\> @\u2060someone \\`nft\\`)');
    expect(table).not.toMatch(/(?<!\\)<img/);
  });

  it('counts redactions by kind under balanced, and names no enforcement there', () => {
    const balanced: ComplianceSection = {
      ...strict,
      privacy: 'balanced',
      enforcement: [],
      allowedEndpoints: [],
      requests: { local: 1, cloud: 2 },
      refused: 0,
      refusedByProtocol: {},
      redactions: { aws: 2, github: 1 }
    };
    delete balanced.firewallDropped;
    const table = rows(complianceTable(balanced));
    expect(table['Enforcement']).toBe('_none (privacy is not strict)_');
    expect(table['Secrets redacted']).toBe('aws 2, github 1');
    expect(table['Packets the firewall dropped']).toBeUndefined();
    expect(complianceLine(balanced)).toBe('Privacy: `balanced` · 1 local, 2 remote model request(s) · 3 secret(s) redacted');
  });

  it('is in the job summary and, folded, in the comment', () => {
    const report = makeReport({ compliance: strict });
    const summary = renderSummary(report);
    expect(summary).toContain('### 🛡️ Compliance');
    expect(summary).toContain('Privacy: `strict` · egress dropped by');
    expect(renderComment(report)).toContain('<summary>🛡️ Compliance: privacy strict · 5 connection(s) refused</summary>');
    expect(renderSummary(makeReport())).not.toContain('Compliance');
  });
});
