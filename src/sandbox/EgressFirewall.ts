import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import type { AllowedEndpoint } from '../core/Privacy.js';
import { cgroup2Mounts, cgroupMembers, cgroupOfProcess, FIREWALL_ID, firewallCgroupName, type Cgroup2Mount } from './cgroup2.js';
import { FirewallError } from './FirewallError.js';
import {
  iptablesChainName,
  iptablesDroppedCount,
  iptablesRestoreInput,
  type IpFamily,
  nftDroppedCount,
  nftRuleset,
  nftTableName,
  type ResolvedEndpoint
} from './firewallRules.js';
import type { FirewallInstallation } from './firewallState.js';
import { findSystemProgram, makeDirAsRoot, removeDirAsRoot, type RootAccess, runAsRoot, writeFileAsRoot } from './rootCommands.js';

/**
 * The OS layer of strict privacy for aqe's own process tree. A GitHub-hosted runner's listener and worker
 * run as the same user on the same machine and must keep their network, so nothing is dropped machine-wide:
 * aqe's process moves into a cgroup v2 made for the run, its children inherit it, and packet-filter rules
 * match sockets of that cgroup only. Sockets opened before the move stay outside the rules (the kernel
 * tags a socket with its creator's cgroup when it is made), so install before anything you want covered
 * connects. Loopback stays open, which includes whatever relays on it (a local DNS stub resolver forwards
 * names it is asked for).
 */
export type FirewallProbe =
  | {
      usable: true;
      tool: 'nft' | 'iptables';
      sudo: boolean;
      /** Where cgroup v2 is mounted. */
      cgroupRoot: string;
      /** Which tool was chosen and why the other was not, for the log. */
      detail: string;
    }
  | { usable: false; reason: string /* says what to install or change */ };

type UsableProbe = Extract<FirewallProbe, { usable: true }>;
type Tool = UsableProbe['tool'];

/** The Debian/Ubuntu packages that bring both tools. */
const INSTALL_HINT = 'install nftables or iptables (Debian/Ubuntu: apt-get install nftables iptables)';
const NFT_CGROUP_ROOT = '/sys/fs/cgroup';

function ipv6Present(): boolean {
  return existsSync('/proc/net/if_inet6');
}

function families(): IpFamily[] {
  return ipv6Present() ? [4, 6] : [4];
}

/** Every failure is a reason in the result, never a throw: the caller falls back to the in-process layer. */
export async function probeEgressFirewall(env: NodeJS.ProcessEnv): Promise<FirewallProbe> {
  if (process.platform !== 'linux')
    return { usable: false, reason: `the egress firewall needs Linux (cgroup v2 and nftables or iptables); this is ${process.platform}` };
  const mounts = cgroup2Mounts();
  const writable = mounts.filter((m) => !m.readOnly);
  const mount: Cgroup2Mount | undefined = writable.find((m) => m.mountPoint === NFT_CGROUP_ROOT) ?? writable[0];
  if (!mount) {
    return {
      usable: false,
      reason:
        mounts.length === 0
          ? 'no cgroup v2 hierarchy is mounted (see /proc/self/mountinfo); boot with systemd.unified_cgroup_hierarchy=1, or mount cgroup2'
          : `cgroup v2 is mounted read-only at ${mounts.map((m) => m.mountPoint).join(', ')} (a container without a writable cgroup); run the container with a writable cgroup v2, or with --network none`
    };
  }
  if (cgroupOfProcess('self') === undefined)
    return { usable: false, reason: 'this process has no cgroup v2 entry in /proc/self/cgroup; mount cgroup2 and run again' };
  const isRoot = process.getuid?.() === 0;
  let sudo = false;
  if (!isRoot) {
    const sudoCheck = await sudoWorks(env);
    if (sudoCheck !== true) {
      return {
        usable: false,
        reason: `not root, and passwordless sudo is not available (${sudoCheck}); run as root, or allow passwordless sudo for the runner user`
      };
    }
    sudo = true;
  }
  const access: RootAccess = { sudo, env };
  const usable = (tool: Tool, how: string, why = ''): FirewallProbe => ({
    usable: true,
    tool,
    sudo,
    cgroupRoot: mount.mountPoint,
    detail: `${how}, cgroup v2 at ${mount.mountPoint}${sudo ? ', through sudo -n' : ''}${why}`
  });
  const nft = await nftProblem(access, mount.mountPoint);
  if (nft === undefined) return usable('nft', 'nft');
  const iptables = await iptablesProblem(access);
  if (iptables === undefined) return usable('iptables', 'iptables/ip6tables with -m cgroup', `; not nft: ${nft}`);
  return { usable: false, reason: `nft cannot be used (${nft}) and iptables cannot be used (${iptables}); ${INSTALL_HINT}` };
}

async function sudoWorks(env: NodeJS.ProcessEnv): Promise<true | string> {
  const truth = findSystemProgram('true', env);
  if (!findSystemProgram('sudo', env)) return 'sudo is not on PATH';
  if (!truth) return '"true" is not on PATH';
  const outcome = await runAsRoot({ sudo: true, env }, truth, []);
  return outcome.ok ? true : `sudo -n true failed: ${outcome.stderr || 'no message'}`;
}

async function nftProblem(access: RootAccess, cgroupRoot: string): Promise<string | undefined> {
  const nft = findSystemProgram('nft', access.env);
  if (!nft) return 'nft is not on PATH';
  // nft turns the cgroup path into an id in userspace, looking under /sys/fs/cgroup only.
  if (cgroupRoot !== NFT_CGROUP_ROOT) {
    return `nft looks cgroups up under ${NFT_CGROUP_ROOT}, but cgroup v2 is mounted at ${cgroupRoot} (a hybrid hierarchy)`;
  }
  const listed = await runAsRoot(access, nft, ['list', 'tables']);
  if (!listed.ok) return `nft list tables failed: ${listed.stderr || 'no message'}`;
  // A dry run (-c) of the real rule shape makes the kernel check the socket expression, when a level-1 cgroup exists to name.
  const level1 = cgroupOfProcess('self')?.split('/')[1];
  if (level1 && /^[A-Za-z0-9_.@:-]+$/.test(level1)) {
    const check = `table inet aqe_egress_probe {\n\tchain output {\n\t\ttype filter hook output priority filter; policy accept;\n\t\tsocket cgroupv2 level 1 "${level1}" counter\n\t}\n}\n`;
    const dry = await runAsRoot(access, nft, ['-c', '-f', '-'], check);
    if (!dry.ok) return `the kernel refused a socket cgroupv2 rule (nft -c): ${dry.stderr || 'no message'}`;
  }
  return undefined;
}

async function iptablesProblem(access: RootAccess): Promise<string | undefined> {
  for (const family of families()) {
    const name = family === 4 ? 'iptables' : 'ip6tables';
    const tool = findSystemProgram(name, access.env);
    if (!tool) return `${name} is not on PATH`;
    if (!findSystemProgram(`${name}-restore`, access.env)) return `${name}-restore is not on PATH`;
    const listed = await runAsRoot(access, tool, ['-w', '5', '-S', 'OUTPUT']);
    if (!listed.ok) return `${name} -S OUTPUT failed: ${listed.stderr || 'no message'}`;
  }
  const iptables = findSystemProgram('iptables', access.env) as string;
  const help = await runAsRoot(access, iptables, ['-m', 'cgroup', '-h']);
  if (!help.ok || !help.stdout.includes('--path')) return `iptables has no cgroup match (-m cgroup --path): ${help.stderr || 'not in its help'}`;
  return undefined;
}

/** An id for installEgressFirewall: the names it makes are derived from it. */
export function newFirewallId(): string {
  return randomBytes(6).toString('hex');
}

async function resolveEndpoints(allow: readonly AllowedEndpoint[]): Promise<ResolvedEndpoint[]> {
  const resolved = new Map<string, ResolvedEndpoint>();
  for (const endpoint of allow) {
    const host = endpoint.host.replace(/^\[(.*)\]$/, '$1');
    let addresses: Array<{ address: string; family: number }>;
    if (isIP(host) !== 0) addresses = [{ address: host, family: isIP(host) }];
    else {
      try {
        addresses = await lookup(host, { all: true, verbatim: true });
      } catch (error) {
        throw new FirewallError(
          `resolving the allowed endpoint ${JSON.stringify(endpoint.host)}`,
          error instanceof Error ? error.message : String(error),
          'Check the name in allowed-endpoints, or list the endpoint by its IP address.'
        );
      }
    }
    for (const a of addresses) {
      if (a.family !== 4 && a.family !== 6) continue;
      const entry: ResolvedEndpoint = { address: a.address, family: a.family, ...(endpoint.port === undefined ? {} : { port: endpoint.port }) };
      resolved.set(`${entry.address}|${entry.port ?? '*'}`, entry);
    }
  }
  return [...resolved.values()];
}

/**
 * Makes the cgroup, loads the rules, then moves `pid` (and with it every process it starts from then on)
 * into the cgroup. Hostnames in `allow` are resolved here, once, before the in-process guard is installed
 * (which would refuse the lookup), and the rules hold the addresses they had at that moment.
 * Throws FirewallError naming the step that failed, after removing what it had already done.
 */
export async function installEgressFirewall(o: {
  probe: UsableProbe;
  id: string;
  pid: number;
  allow: readonly AllowedEndpoint[];
  env: NodeJS.ProcessEnv;
}): Promise<FirewallInstallation> {
  if (!FIREWALL_ID.test(o.id))
    throw new FirewallError('checking the id', `${JSON.stringify(o.id)} is not 8 to 16 lower-case hex digits`, 'Pass newFirewallId().');
  const endpoints = await resolveEndpoints(o.allow);
  const originalCgroup = cgroupOfProcess(o.pid);
  if (originalCgroup === undefined) {
    throw new FirewallError(
      `reading the cgroup of process ${o.pid}`,
      `/proc/${o.pid}/cgroup has no cgroup v2 line`,
      'Pass the pid of a running process on a machine with cgroup v2.'
    );
  }
  const access: RootAccess = { sudo: o.probe.sudo, env: o.env };
  const name = firewallCgroupName(o.id);
  const cgroup = path.posix.join(o.probe.cgroupRoot, name);
  const rules =
    o.probe.tool === 'nft'
      ? nftRuleset(o.id, endpoints)
      : families()
          .map((f) => iptablesRestoreInput(o.id, f, endpoints))
          .join('\n');
  const installation: FirewallInstallation = { id: o.id, tool: o.probe.tool, sudo: o.probe.sudo, cgroup, originalCgroup, rules };
  const fail = async (step: string, detail: string, fix: string): Promise<never> => {
    let undone: string;
    try {
      const actions = await removeEgressFirewall(installation, { env: o.env, pid: o.pid });
      undone = actions.length > 0 ? `undone: ${actions.join('; ')}` : 'nothing to undo';
    } catch (error) {
      undone = `undoing it failed too: ${error instanceof Error ? error.message : String(error)}`;
    }
    throw new FirewallError(step, `${detail} (${undone})`, fix);
  };

  const made = await makeDirAsRoot(access, cgroup);
  if (!made.ok) {
    throw new FirewallError(
      `making the cgroup ${cgroup}`,
      made.stderr,
      'Make the cgroup v2 root writable for root (a container needs a writable cgroup mount), or run with --network none.'
    );
  }
  const loaded = await loadRules(access, o.probe.tool, o.id, endpoints);
  if (loaded)
    await fail(
      `loading the ${o.probe.tool} rules`,
      loaded,
      `Check that the kernel has ${o.probe.tool === 'nft' ? 'nf_tables with the socket expression' : 'the xt_cgroup match'}, or ${INSTALL_HINT}.`
    );
  const moved = await writeFileAsRoot(access, path.posix.join(cgroup, 'cgroup.procs'), `${o.pid}\n`);
  const now = cgroupOfProcess(o.pid);
  if (!moved.ok || now === undefined || !now.endsWith(`/${name}`)) {
    await fail(
      `moving process ${o.pid} into ${cgroup}`,
      moved.ok ? `it is in ${now ?? 'no cgroup'} afterwards` : moved.stderr,
      'Run aqe as root or with passwordless sudo, outside a cgroup it may not leave.'
    );
  }
  return installation;
}

async function loadRules(access: RootAccess, tool: Tool, id: string, endpoints: readonly ResolvedEndpoint[]): Promise<string | undefined> {
  if (tool === 'nft') {
    const nft = findSystemProgram('nft', access.env);
    if (!nft) return 'nft is not on PATH';
    const outcome = await runAsRoot(access, nft, ['-f', '-'], nftRuleset(id, endpoints));
    return outcome.ok ? undefined : outcome.stderr || 'nft -f failed without a message';
  }
  for (const family of families()) {
    const name = family === 4 ? 'iptables-restore' : 'ip6tables-restore';
    const restore = findSystemProgram(name, access.env);
    if (!restore) return `${name} is not on PATH`;
    const outcome = await runAsRoot(access, restore, ['--noflush', '--wait=5'], iptablesRestoreInput(id, family, endpoints));
    if (!outcome.ok) return `${name}: ${outcome.stderr || 'failed without a message'}`;
  }
  return undefined;
}

/** Packets the rules dropped so far, or undefined when the counter cannot be read (rules gone, no access). */
export async function firewallDroppedPackets(inst: FirewallInstallation, env: NodeJS.ProcessEnv): Promise<number | undefined> {
  const access: RootAccess = { sudo: inst.sudo, env };
  if (inst.tool === 'nft') {
    const nft = findSystemProgram('nft', env);
    if (!nft) return undefined;
    const outcome = await runAsRoot(access, nft, ['-j', 'list', 'counter', 'inet', nftTableName(inst.id), 'dropped']);
    return outcome.ok ? nftDroppedCount(outcome.stdout) : undefined;
  }
  let total = 0;
  for (const family of families()) {
    const tool = findSystemProgram(family === 4 ? 'iptables' : 'ip6tables', env);
    if (!tool) return undefined;
    const outcome = await runAsRoot(access, tool, ['-w', '5', '-L', iptablesChainName(inst.id), '-n', '-v', '-x']);
    const count = outcome.ok ? iptablesDroppedCount(outcome.stdout) : undefined;
    if (count === undefined) return undefined;
    total += count;
  }
  return total;
}

const SETTLE_MS = 5000;
const POLL_MS = 50;

/** The cgroup and every cgroup below it, deepest first (a process with root could have made some). */
function cgroupTree(dir: string): string[] {
  let children: string[] = [];
  try {
    children = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => path.posix.join(dir, e.name));
  } catch {
    return [];
  }
  return [...children.flatMap(cgroupTree), dir];
}

function populated(dir: string): boolean {
  try {
    return /^populated 1$/m.test(readFileSync(path.posix.join(dir, 'cgroup.events'), 'utf8'));
  } catch {
    return false;
  }
}

async function settled(check: () => boolean): Promise<boolean> {
  const deadline = Date.now() + SETTLE_MS;
  while (check()) {
    if (Date.now() > deadline) return false;
    await new Promise((done) => setTimeout(done, POLL_MS));
  }
  return true;
}

/**
 * Idempotent (already gone = fine). Kills what is still in the cgroup (children of a cancelled run would
 * otherwise escape the rules once removed) except `pid` (and this process), which are moved back to
 * originalCgroup; then deletes the rules and the cgroup. Returns what it did: empty when nothing was
 * left. Every step is tried; a step that failed is named in the FirewallError thrown at the end.
 */
export async function removeEgressFirewall(inst: FirewallInstallation, o: { env: NodeJS.ProcessEnv; pid?: number }): Promise<string[]> {
  const access: RootAccess = { sudo: inst.sudo, env: o.env };
  const done: string[] = [];
  const failed: string[] = [];
  const root = path.posix.dirname(inst.cgroup);
  const tree = cgroupTree(inst.cgroup);

  const spared = new Set([process.pid, ...(o.pid === undefined ? [] : [o.pid])]);
  for (const pid of spared) {
    if (!tree.some((dir) => cgroupMembers(dir).includes(pid))) continue;
    const target = path.posix.join(root, inst.originalCgroup, 'cgroup.procs');
    const back = await writeFileAsRoot(access, target, `${pid}\n`);
    if (back.ok) done.push(`moved process ${pid} back to cgroup ${inst.originalCgroup}`);
    else failed.push(`moving process ${pid} back to ${inst.originalCgroup}: ${back.stderr}`);
  }

  const left = tree.flatMap(cgroupMembers).filter((pid) => !spared.has(pid));
  if (left.length > 0) {
    const killed = await killCgroupTree(access, tree);
    if (killed) failed.push(killed);
    else
      done.push(
        `killed ${left.length} process${left.length === 1 ? '' : 'es'} left in ${inst.cgroup} (${left.slice(0, 10).join(', ')}${left.length > 10 ? ', …' : ''})`
      );
  }

  const rules = await deleteRules(access, inst);
  done.push(...rules.done);
  failed.push(...rules.failed);

  for (const dir of cgroupTree(inst.cgroup)) {
    // A killed process leaves the cgroup a moment after the signal.
    await settled(() => populated(dir));
    const removed = await removeDirAsRoot(access, dir);
    if (removed.ok) done.push(`removed the cgroup ${dir}`);
    else if (existsSync(dir)) failed.push(`removing the cgroup ${dir}: ${removed.stderr}`);
  }
  if (failed.length > 0) {
    throw new FirewallError(
      `removing the egress firewall ${inst.id}`,
      `${failed.join('; ')}${done.length > 0 ? ` (done: ${done.join('; ')})` : ''}`,
      `Remove what is left by hand as root (${inst.tool === 'nft' ? `nft delete table inet ${nftTableName(inst.id)}` : `iptables/ip6tables: delete the OUTPUT jump to ${iptablesChainName(inst.id)}, then -F and -X it`}; rmdir ${inst.cgroup}).`
    );
  }
  return done;
}

/** cgroup.kill (Linux 5.14+) kills every member and every process forked meanwhile; older kernels get SIGKILL per pid until none is left. */
async function killCgroupTree(access: RootAccess, tree: readonly string[]): Promise<string | undefined> {
  for (const dir of tree) {
    if (!existsSync(path.posix.join(dir, 'cgroup.kill'))) continue;
    const outcome = await writeFileAsRoot(access, path.posix.join(dir, 'cgroup.kill'), '1\n');
    if (!outcome.ok) return `killing what is left in ${dir}: ${outcome.stderr}`;
  }
  const kill = findSystemProgram('kill', access.env);
  const hasCgroupKill = tree.some((dir) => existsSync(path.posix.join(dir, 'cgroup.kill')));
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const pids = tree.flatMap(cgroupMembers).filter((pid) => pid !== process.pid);
    if (pids.length === 0) return undefined;
    if (Date.now() > deadline) return `processes are still in ${tree[tree.length - 1]} ${SETTLE_MS} ms after SIGKILL: ${pids.join(', ')}`;
    // Without cgroup.kill a process may fork between the listing and the signal: signal again until none is left.
    if (!hasCgroupKill) {
      if (!access.sudo) for (const pid of pids) killQuietly(pid);
      else if (kill) await runAsRoot(access, kill, ['-KILL', ...pids.map(String)]);
    }
    await new Promise((done) => setTimeout(done, POLL_MS));
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

async function deleteRules(access: RootAccess, inst: FirewallInstallation): Promise<{ done: string[]; failed: string[] }> {
  const done: string[] = [];
  const failed: string[] = [];
  if (inst.tool === 'nft') {
    const nft = findSystemProgram('nft', access.env);
    if (!nft) return { done, failed: ['nft is not on PATH'] };
    const table = nftTableName(inst.id);
    const listed = await runAsRoot(access, nft, ['list', 'tables']);
    if (!listed.ok) return { done, failed: [`nft list tables: ${listed.stderr}`] };
    if (!listed.stdout.split('\n').some((l) => l.trim() === `table inet ${table}`)) return { done, failed };
    const deleted = await runAsRoot(access, nft, ['delete', 'table', 'inet', table]);
    if (deleted.ok) done.push(`deleted the nft table inet ${table}`);
    else failed.push(`nft delete table inet ${table}: ${deleted.stderr}`);
    return { done, failed };
  }
  const chain = iptablesChainName(inst.id);
  for (const family of families()) {
    const name = family === 4 ? 'iptables' : 'ip6tables';
    const tool = findSystemProgram(name, access.env);
    if (!tool) {
      failed.push(`${name} is not on PATH`);
      continue;
    }
    const listed = await runAsRoot(access, tool, ['-w', '5', '-S']);
    if (!listed.ok) {
      failed.push(`${name} -S: ${listed.stderr}`);
      continue;
    }
    const lines = listed.stdout.split('\n');
    const outputRules = lines.filter((l) => l.startsWith('-A OUTPUT '));
    // Rule numbers count from 1 in listing order; deleting from the last keeps the earlier numbers valid.
    const jumps = outputRules.flatMap((l, i) => (l.split(' ').includes(chain) ? [i + 1] : [])).reverse();
    for (const number of jumps) {
      const deleted = await runAsRoot(access, tool, ['-w', '5', '-D', 'OUTPUT', String(number)]);
      if (!deleted.ok) failed.push(`${name} -D OUTPUT ${number}: ${deleted.stderr}`);
    }
    if (!lines.includes(`-N ${chain}`)) {
      if (jumps.length > 0) done.push(`deleted the ${name} OUTPUT jump to ${chain}`);
      continue;
    }
    const flushed = await runAsRoot(access, tool, ['-w', '5', '-F', chain]);
    const removed = flushed.ok ? await runAsRoot(access, tool, ['-w', '5', '-X', chain]) : flushed;
    if (removed.ok) done.push(`deleted the ${name} chain ${chain} and its OUTPUT jump`);
    else failed.push(`${name} -F/-X ${chain}: ${removed.stderr}`);
  }
  return { done, failed };
}
