import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { ComplianceSection, EnforcementLayer } from '../core/Privacy.js';
import type { RunOptions } from '../core/RunOptions.js';
import { type AuditEntry, type AuditLog, parseAuditLog } from '../privacy/AuditLog.js';
import { summarizeAudit } from '../privacy/auditSummary.js';

/**
 * This run's part of the audit log. The file is appended to across runs (a user's earlier lines are kept), so the
 * run reads back only what was written after the point where it began.
 */
export class AuditReader {
  private constructor(
    private readonly file: string,
    private readonly offset: number
  ) {}

  static from(log: AuditLog): AuditReader {
    let size = 0;
    try {
      size = statSync(log.file).size;
    } catch {
      // Not there yet: this run's lines start it.
    }
    return new AuditReader(log.file, size);
  }

  /** This run's entries, and how many of its lines were not valid entries (code under test can write some of them). */
  read(): { entries: AuditEntry[]; skipped: number } {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return { entries: [], skipped: 0 };
    }
    try {
      const length = Math.max(0, statSync(this.file).size - this.offset);
      const buffer = Buffer.alloc(length);
      const read = readSync(fd, buffer, 0, length, this.offset);
      const contents = parseAuditLog(buffer.subarray(0, read).toString('utf8'));
      return { entries: contents.entries, skipped: contents.skipped.length };
    } finally {
      closeSync(fd);
    }
  }
}

/** What held during the packages' stages (strict only). */
export interface EnforcementHeld {
  layers: EnforcementLayer[];
  gaps: string[];
  firewallDropped?: number;
}

/** The report's compliance section: the mode, what enforced it, and the audit's figures for this run. */
export function complianceSection(options: RunOptions, entries: readonly AuditEntry[], held: EnforcementHeld): ComplianceSection {
  const summary = summarizeAudit(entries);
  return {
    privacy: options.routing.privacy,
    enforcement: held.layers,
    gaps: held.gaps,
    allowedEndpoints: options.privacy.allowedEndpoints,
    requests: summary.requests,
    refused: summary.refused,
    refusedByProtocol: summary.refusedByProtocol,
    ...(held.firewallDropped !== undefined ? { firewallDropped: held.firewallDropped } : {}),
    redactions: summary.redactions,
    auditLog: options.privacy.auditLog
  };
}
