import type { PrivacyMode, Tier } from './Routing.js';

/**
 * What kept the run's traffic on the machine. Shared vocabulary: the privacy setup produces it, the
 * report, the log and the outputs show it.
 * - in-process: the egress guard in aqe's own process and in every Node process it starts;
 * - firewall: packet filter rules (nftables or iptables) that drop what aqe's own processes send
 *   anywhere but loopback and the allow-list;
 * - sandbox-network: the test runs' network namespace, where only loopback exists;
 * - container-network-none: the container has no interface but loopback (`--network none`).
 */
export type EnforcementLayer = 'in-process' | 'firewall' | 'sandbox-network' | 'container-network-none';
export const ENFORCEMENT_LAYERS: readonly EnforcementLayer[] = ['in-process', 'firewall', 'sandbox-network', 'container-network-none'];

/** An endpoint strict mode lets through: an internal inference server, a proxy the runner must use. */
export interface AllowedEndpoint {
  host: string;
  /** Every port when absent. */
  port?: number;
}

/** The report's compliance section: every figure comes from the audit log or from the layers set up. */
export interface ComplianceSection {
  privacy: PrivacyMode;
  /** The layers in effect during analysis, generation and the test runs; empty when privacy is not strict. */
  enforcement: EnforcementLayer[];
  /** What is not covered, in plain words ("non-Node processes not covered" when only the in-process layer holds). */
  gaps: string[];
  allowedEndpoints: AllowedEndpoint[];
  requests: Record<Tier, number>;
  /** Attempts the in-process layer refused (in aqe's process and in the Node processes it started). */
  refused: number;
  refusedByProtocol: Record<string, number>;
  /** Packets the firewall dropped, when it was in effect. */
  firewallDropped?: number;
  /** Secrets redacted from prompts that left the runner, by kind. */
  redactions: Record<string, number>;
  /** The audit log's path on the runner. */
  auditLog: string;
}

/** The privacy settings beside the router's: what strict lets through, whether an OS layer is required, where the audit goes. */
export interface PrivacyOptions {
  allowedEndpoints: AllowedEndpoint[];
  /** Strict mode fails, instead of running with the in-process layer only, when no OS layer can be had. */
  requireIsolation: boolean;
  /** The audit log (JSONL), appended to: an earlier run's lines are kept. */
  auditLog: string;
}

/** Whether an endpoint (a URL's host and port) is on the allow-list. Hosts compare case-insensitively, IPv6 without brackets. */
export function isAllowedEndpoint(allowed: readonly AllowedEndpoint[], host: string, port: number): boolean {
  const bare = (h: string): string => h.replace(/^\[|\]$/g, '').toLowerCase();
  return allowed.some((a) => bare(a.host) === bare(host) && (a.port === undefined || a.port === port));
}
