import path from 'node:path';
import { CGROUP_PREFIX, cgroup2Mounts, FIREWALL_ID, firewallCgroupName, isSafeCgroupPath } from './cgroup2.js';

/** JSON-serialisable: the main step saves it in the action's state so the post step removes what the main step installed. */
export interface FirewallInstallation {
  /** Lower-case hex, 8 to 16 digits; every name the firewall uses is derived from it. */
  id: string;
  tool: 'nft' | 'iptables';
  sudo: boolean;
  /** The cgroup's directory: `<cgroup2 mount>/aqe-egress-<id>`. */
  cgroup: string;
  /** The installing process's cgroup before, relative to the hierarchy's root (as /proc/<pid>/cgroup shows it). */
  originalCgroup: string;
  /** The rules as loaded, for the log. Removal never reads them: it derives every name from the id. */
  rules: string;
}

const KEYS = ['id', 'tool', 'sudo', 'cgroup', 'originalCgroup', 'rules'] as const;
const MAX_RULES_CHARS = 64 * 1024;

/**
 * The installation the main step recorded, or undefined when the text is not exactly that. GITHUB_STATE
 * is a file every later process of the job can append to (generated tests included), so every field is
 * checked, and the only names that pass are ours: the cgroup is `aqe-egress-<id>` directly under a
 * cgroup v2 mount of this machine, the original cgroup cannot climb out of the hierarchy.
 */
export function parseFirewallInstallation(
  json: string,
  mountPoints: readonly string[] = cgroup2Mounts().map((m) => m.mountPoint)
): FirewallInstallation | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  if (Object.keys(record).length !== KEYS.length || !KEYS.every((k) => Object.hasOwn(record, k))) return undefined;
  const { id, tool, sudo, cgroup, originalCgroup, rules } = record;
  if (typeof id !== 'string' || !FIREWALL_ID.test(id)) return undefined;
  if (tool !== 'nft' && tool !== 'iptables') return undefined;
  if (typeof sudo !== 'boolean') return undefined;
  if (typeof cgroup !== 'string' || !mountPoints.some((m) => cgroup === path.posix.join(m, firewallCgroupName(id)))) return undefined;
  // nft only ever resolves cgroups under /sys/fs/cgroup, so an nft installation elsewhere was never ours.
  if (tool === 'nft' && path.posix.dirname(cgroup) !== '/sys/fs/cgroup') return undefined;
  if (typeof originalCgroup !== 'string' || !isSafeCgroupPath(originalCgroup) || originalCgroup.startsWith(`/${CGROUP_PREFIX}`)) return undefined;
  if (typeof rules !== 'string' || rules.length > MAX_RULES_CHARS) return undefined;
  return { id, tool, sudo, cgroup, originalCgroup, rules };
}
