import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { runProcess } from '../process/runProcess.js';
import { nodeInstallation } from './nodeInstallation.js';

/** bubblewrap found and able to build every namespace a run needs, or why not. */
export type BubblewrapProbe = { usable: true; path: string; version: string } | { usable: false; reason: string };

const PROBE_TIMEOUT_MS = 15_000;

/** A program on PATH, or undefined. */
export function findProgram(name: string, searchPath: string | undefined): string | undefined {
  for (const dir of (searchPath ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** `bwrap` on PATH, or undefined. */
export function findBubblewrap(searchPath: string | undefined): string | undefined {
  return findProgram('bwrap', searchPath);
}

/**
 * Starts Node inside the namespaces a candidate run gets (user where needed, mount, PID, IPC, UTS,
 * network). The only honest test: a kernel or an AppArmor policy that forbids unprivileged user
 * namespaces lets bwrap exist and fails it at start.
 */
export async function probeBubblewrap(bwrap: string | undefined): Promise<BubblewrapProbe> {
  if (!bwrap) return { usable: false, reason: 'bubblewrap (bwrap) is not installed' };
  const version = await runProcess({ command: bwrap, args: ['--version'], cwd: '/', env: {}, timeoutMs: PROBE_TIMEOUT_MS }).catch((e: unknown) => e as Error);
  if (version instanceof Error || version.exitCode !== 0) {
    return { usable: false, reason: `${bwrap} --version failed: ${version instanceof Error ? version.message : firstLine(version.stderr)}` };
  }
  // The layout of a real run in small: /tmp hidden, Node shown again (CI runs it from a directory under /tmp).
  const layout = filesystemArguments({ hidden: ['/tmp'], readOnly: [nodeInstallation().prefix], writable: [], protectedFiles: [] });
  const args = [...namespaceArguments('none'), ...layout, '--', process.execPath, '-e', 'process.exit(0)'];
  const probe = await runProcess({ command: bwrap, args, cwd: '/', env: {}, timeoutMs: PROBE_TIMEOUT_MS });
  if (probe.exitCode !== 0) {
    const said = firstLine(probe.stderr) || `exit ${probe.exitCode ?? probe.signal}`;
    return { usable: false, reason: `bubblewrap could not create the namespaces (${said})${hint(said)}` };
  }
  return { usable: true, path: bwrap, version: version.stdout.trim().replace(/^bubblewrap\s+/, '') || 'unknown' };
}

function hint(said: string): string {
  return /uid map|user namespace|Operation not permitted|Permission denied/i.test(said)
    ? '; the kernel or an AppArmor policy forbids unprivileged user namespaces (on Ubuntu 24.04: sysctl kernel.apparmor_restrict_unprivileged_userns=0)'
    : '';
}

function firstLine(text: string): string {
  return (text.split('\n').find((l) => l.trim() !== '') ?? '').trim().slice(0, 300);
}

/** The namespaces of every run; `none` also gives it a network namespace of its own, where only loopback exists. */
export function namespaceArguments(network: 'shared' | 'none'): string[] {
  return [
    // Run as root (containers, some self-hosted runners), bwrap would keep root's capabilities, and with them the
    // power to remount the read-only filesystem writable.
    '--cap-drop',
    'ALL',
    '--die-with-parent',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    // Not setuid: bwrap makes a user namespace whenever it runs unprivileged; as root it needs none.
    ...(network === 'none' ? ['--unshare-net'] : [])
  ];
}

/** Which paths a run sees and how. */
export interface FilesystemLayout {
  /** Emptied (a fresh tmpfs): the real HOME, the runner's own directories, temp directories. */
  hidden: readonly string[];
  /** Shown read-only, also inside a hidden one: the repository, node_modules, Node itself. */
  readOnly: readonly string[];
  /** Writable: the scratch copy, the run's output directory, the sandbox's HOME and caches. */
  writable: readonly string[];
  /** Read-only even inside a writable one (the reaper script). */
  protectedFiles: readonly string[];
}

/**
 * bwrap arguments for a layout: the whole filesystem read-only, then each entry, shallowest
 * first, so an entry inside another wins over it (a repository under a hidden HOME is shown, a
 * temp directory inside the repository is hidden). At the same depth, shown beats hidden and
 * writable beats read-only; protected files come last of all.
 */
export function filesystemArguments(layout: FilesystemLayout): string[] {
  const entries: Array<{ path: string; rank: number; args: (p: string) => string[] }> = [];
  const add = (paths: readonly string[], rank: number, args: (p: string) => string[]): void => {
    for (const p of new Set(paths.map((q) => path.resolve(q)))) if (existsSync(p) && p !== '/') entries.push({ path: p, rank, args });
  };
  // A directory becomes an empty tmpfs; a file (a worktree's .git) reads as empty.
  add(layout.hidden, 0, (p) => (statSync(p).isDirectory() ? ['--tmpfs', p] : ['--ro-bind', '/dev/null', p]));
  add(layout.readOnly, 1, (p) => ['--ro-bind', p, p]);
  add(layout.writable, 2, (p) => ['--bind', p, p]);
  add(layout.protectedFiles, 3, (p) => ['--ro-bind', p, p]);
  const depth = (p: string): number => p.split('/').length;
  entries.sort((a, b) => ((a.rank === 3) !== (b.rank === 3) ? a.rank - b.rank : depth(a.path) - depth(b.path) || a.rank - b.rank));
  return ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', ...entries.flatMap((e) => e.args(e.path))];
}
