import type { Tier } from '../core/Routing.js';
import type { AuditEntry } from './AuditLog.js';

/** The compliance figures the report, the comment and the summary show, all from the audit log. */
export interface AuditSummary {
  requests: Record<Tier, number>;
  refused: number;
  refusedByProtocol: Record<string, number>;
  /** Secrets redacted from prompts, by kind, over every request. */
  redactions: Record<string, number>;
}

export function summarizeAudit(entries: readonly AuditEntry[]): AuditSummary {
  const requests: Record<Tier, number> = { local: 0, cloud: 0 };
  // Maps, not object literals: kinds and protocols are keys from a file, and `constructor` or `__proto__` must count
  // like any other name instead of reaching Object.prototype.
  const refusedByProtocol = new Map<string, number>();
  const redactions = new Map<string, number>();
  let refused = 0;
  for (const entry of entries) {
    if (entry.type === 'model-request') {
      requests[entry.tier] += 1;
      for (const [kind, count] of Object.entries(entry.redactions)) add(redactions, kind, count);
    } else if (entry.type === 'refused-connection') {
      refused += 1;
      add(refusedByProtocol, entry.protocol, 1);
    }
  }
  return { requests, refused, refusedByProtocol: sorted(refusedByProtocol), redactions: sorted(redactions) };
}

function add(counts: Map<string, number>, key: string, count: number): void {
  counts.set(key, (counts.get(key) ?? 0) + count);
}

/** Keys in order, so the report reads the same from run to run; kinds counted zero times are left out. */
function sorted(counts: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...counts].filter(([, count]) => count > 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
