import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The cgroup v2 hierarchy the egress firewall scopes its rules with. Found from mountinfo rather than
 * assumed at /sys/fs/cgroup: a hybrid hierarchy (systemd's "hybrid" mode) mounts it at
 * /sys/fs/cgroup/unified, with v1 controllers beside it.
 */
export interface Cgroup2Mount {
  mountPoint: string;
  readOnly: boolean;
}

/** The firewall's cgroup names: ours by construction, so a post step never acts on anyone else's. */
export const FIREWALL_ID = /^[0-9a-f]{8,16}$/;
export const CGROUP_PREFIX = 'aqe-egress-';

export function firewallCgroupName(id: string): string {
  return `${CGROUP_PREFIX}${id}`;
}

/** mountinfo escapes space, tab, newline and backslash in paths as \ooo. */
function unescapeMountPath(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_m, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

export function cgroup2Mounts(mountinfo?: string): Cgroup2Mount[] {
  let text = mountinfo;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/mountinfo', 'utf8');
    } catch {
      return [];
    }
  }
  const mounts: Cgroup2Mount[] = [];
  for (const line of text.split('\n')) {
    // id parent major:minor root mount-point options [optional fields] - fstype source super-options
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const [fstype] = right.split(' ');
    const mountPoint = fields[4];
    if (fstype !== 'cgroup2' || !mountPoint) continue;
    mounts.push({ mountPoint: unescapeMountPath(mountPoint), readOnly: (fields[5] ?? '').split(',').includes('ro') });
  }
  return mounts;
}

/** A process's cgroup v2 path relative to the hierarchy's root ("/" at the top), from /proc/<pid>/cgroup. */
export function cgroupOfProcess(pid: number | 'self'): string | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('0::'));
    return line?.slice(3) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * A cgroup path relative to the hierarchy's root that cannot climb out of it: absolute, normalised,
 * no "." or ".." segment, no control characters. State read back from GITHUB_STATE is checked with it.
 */
export function isSafeCgroupPath(p: string): boolean {
  if (!p.startsWith('/') || p.length > 4096 || [...p].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return false;
  if (p === '/') return true;
  if (p.endsWith('/') || path.posix.normalize(p) !== p) return false;
  return p
    .slice(1)
    .split('/')
    .every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

/** The pids in a cgroup (its own members, not its descendants'); empty when it is gone. */
export function cgroupMembers(cgroupDir: string): number[] {
  try {
    return readFileSync(path.join(cgroupDir, 'cgroup.procs'), 'utf8')
      .split('\n')
      .filter((l) => /^\d+$/.test(l))
      .map(Number);
  } catch {
    return [];
  }
}
