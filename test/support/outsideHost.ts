/**
 * Two network namespaces joined by a veth pair, so a test can prove what leaves a machine: the
 * runner side (192.0.2.2, a default route via the outside host, so everything off-machine looks
 * like the internet) and an outside host (192.0.2.1, TEST-NET-1 of RFC 5737, so it can never be a
 * real machine) that counts every frame and packet it receives (nftables counters) and every
 * connection and datagram its listeners accept.
 *
 * The outside namespace cannot be reached from the host's loopback, so its listeners (a plain
 * script run there) answer their counts over a Unix socket in the shared file system. Processes
 * on the runner side get a mount namespace of their own (ip netns exec gives one) with cgroup2
 * mounted at /sys/fs/cgroup, so a firewall scoped to a cgroup can be tested on a machine whose
 * host mounts a hybrid hierarchy.
 *
 * Needs root, iproute2 and nftables (Debian packages iproute2 and nftables); where they are not
 * to be had, `outsideHostSupport` says why and the tests using it are skipped, except with
 * AQE_CI_REQUIRE_NAMESPACES=1, where that fails the suite instead.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { runProcess, type ProcessResult } from '../../src/process/runProcess.js';

export const OUTSIDE_ADDRESS = '192.0.2.1';
export const RUNNER_ADDRESS = '192.0.2.2';
/** What the outside host listens on: connections are counted per TCP port, datagrams per UDP port. */
export const OUTSIDE_TCP_PORTS = [53, 80, 443, 8080] as const;
export const OUTSIDE_UDP_PORTS = [53, 9999] as const;

/** Whether the namespaces can be made here, and why not. */
export interface OutsideHostSupport {
  usable: boolean;
  reason: string;
}

/** What the outside host received since the last reset. */
export interface OutsideCounts {
  /** Every frame on its end of the veth (ARP included): netdev ingress. */
  frames: number;
  /** IP packets from the runner side reaching its input hook. */
  packets: number;
  /** Accepted connections by port. */
  tcp: Record<string, number>;
  /** Datagrams by port. */
  udp: Record<string, number>;
}

export interface OutsideHost {
  /** The namespaces' names (unique per run). */
  outsideNamespace: string;
  runnerNamespace: string;
  counts(): Promise<OutsideCounts>;
  /** Zeroes the counters and the listeners' counts, so setup traffic is not counted. */
  reset(): Promise<void>;
  /**
   * Runs a process on the runner side with cgroup2 at /sys/fs/cgroup (when it can be mounted there), and returns what
   * it did. `env` is its whole environment.
   */
  runInRunnerNamespace(
    command: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    options?: { cwd?: string; timeoutMs?: number }
  ): Promise<ProcessResult>;
  /**
   * Starts a process on the runner side as runInRunnerNamespace does, but hands it back so a test can signal it mid-run.
   * The child is the runner-side wrapper: SIGINT, SIGTERM and SIGHUP reach the command through it; a signal it cannot
   * pass on (SIGKILL) must go to the command's own pid, the wrapper's only child (runnerSideCommandPid).
   */
  startInRunnerNamespace(command: string, args: readonly string[], env: NodeJS.ProcessEnv, options?: { cwd?: string }): ChildProcess;
  /**
   * Makes 127.0.0.1:<port> of the runner side lead to 127.0.0.1:<port> of the host (a server of the test's own, the
   * fake GitHub API), through a Unix socket: a process on the runner side reaches it as if it ran on the host.
   */
  forwardLoopbackPort(port: number): Promise<void>;
  /** The processes in the runner namespace that are not this module's own (the forwarder): what a run left running. */
  strayRunnerProcesses(): Array<{ pid: number; cmdline: string }>;
  /** Deletes the namespaces and ends every process started in them; safe to call after a failed setup, and twice. */
  close(): Promise<void>;
}

/** A step of the setup failed: the command, and what it said. */
export class OutsideHostError extends Error {
  override readonly name = 'OutsideHostError';
  constructor(step: string, detail: string) {
    super(
      `Making the outside host: ${step} failed: ${detail}. Run the test as root on a kernel with network namespaces and nftables (apt-get install iproute2 nftables).`
    );
  }
}

function commandWorks(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore', timeout: 10_000 });
  return result.status === 0;
}

function probeSupport(): OutsideHostSupport {
  if (process.platform !== 'linux') return { usable: false, reason: 'network namespaces exist on Linux only' };
  if (process.getuid?.() !== 0) return { usable: false, reason: 'making network namespaces needs root, and this test runs as another user' };
  if (!commandWorks('ip', ['-V'])) return { usable: false, reason: 'iproute2 (the ip command) is not installed' };
  if (!commandWorks('nft', ['--version'])) return { usable: false, reason: 'nftables (the nft command) is not installed' };
  const probe = `aqe-probe-${randomBytes(4).toString('hex')}`;
  const added = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8', timeout: 10_000 });
  if (added.status !== 0) return { usable: false, reason: `ip netns add fails here: ${added.stderr.trim() || `exit ${added.status}`}` };
  const counted = spawnSync('ip', ['netns', 'exec', probe, 'nft', 'add', 'table', 'inet', 'aqe_probe'], { encoding: 'utf8', timeout: 10_000 });
  spawnSync('ip', ['netns', 'del', probe], { stdio: 'ignore', timeout: 10_000 });
  if (counted.status !== 0) return { usable: false, reason: `nftables cannot make a table in a network namespace: ${counted.stderr.trim()}` };
  return { usable: true, reason: '' };
}

/** Probed once per test file that imports this module. */
export const outsideHostSupport: OutsideHostSupport = probeSupport();

if (!outsideHostSupport.usable && process.env.AQE_CI_REQUIRE_NAMESPACES === '1') {
  throw new Error(`AQE_CI_REQUIRE_NAMESPACES is set, but the outside-host tests cannot run: ${outsideHostSupport.reason}`);
}

/** The outside host's listeners: counts connections and datagrams, answers HTTP, and tells its counts on the control socket. */
const LISTENER_SCRIPT = `'use strict';
const net = require('node:net');
const dgram = require('node:dgram');
const [control, tcpPorts, udpPorts] = process.argv.slice(2);
const counts = { tcp: {}, udp: {} };
const pending = [];
const listening = (server, listen) => new Promise((resolve, reject) => { server.once('error', reject); listen(resolve); });
for (const port of tcpPorts.split(',')) {
  counts.tcp[port] = 0;
  const server = net.createServer((socket) => {
    counts.tcp[port] += 1;
    socket.on('error', () => undefined);
    // HTTP ports answer, so a client that got through finishes quickly; the others (TLS, DNS over TCP) are cut off.
    if (port === '80' || port === '8080') {
      socket.once('data', () => socket.end('HTTP/1.1 200 OK\\r\\ncontent-length: 7\\r\\nconnection: close\\r\\n\\r\\noutside'));
    } else {
      setTimeout(() => socket.destroy(), 100);
    }
  });
  pending.push(listening(server, (done) => server.listen(Number(port), '0.0.0.0', done)));
}
for (const port of udpPorts.split(',')) {
  counts.udp[port] = 0;
  const socket = dgram.createSocket('udp4');
  socket.on('message', () => { counts.udp[port] += 1; });
  pending.push(listening(socket, (done) => socket.bind(Number(port), '0.0.0.0', done)));
}
const controlServer = net.createServer((socket) => {
  socket.on('error', () => undefined);
  socket.once('data', (request) => {
    if (String(request).trim() === 'reset') {
      for (const kind of ['tcp', 'udp']) for (const port of Object.keys(counts[kind])) counts[kind][port] = 0;
    }
    socket.end(JSON.stringify(counts));
  });
});
pending.push(listening(controlServer, (done) => controlServer.listen(control, done)));
Promise.all(pending).then(() => process.stdout.write('ready\\n'), (error) => { process.stderr.write(String(error) + '\\n'); process.exit(1); });
`;

/** On the runner side: listens on 127.0.0.1:<port> and pipes every connection to a Unix socket. */
const FORWARDER_SCRIPT = `'use strict';
const net = require('node:net');
const [port, socketPath] = process.argv.slice(2);
const server = net.createServer((client) => {
  const upstream = net.connect(socketPath);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.pipe(upstream).pipe(client);
});
server.listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\\n'));
`;

/**
 * Run by ip netns exec in the mount namespace it makes: mounts cgroup2 at /sys/fs/cgroup when it can (silently not
 * where it cannot), then runs the command with the environment unchanged and exits as it did. Node and not a shell:
 * dash drops variables whose names are not identifiers, and the runner's inputs (INPUT_GITHUB-TOKEN) are such names.
 */
const RUNNER_SIDE_SCRIPT = `'use strict';
const { spawn, spawnSync } = require('node:child_process');
const [command, ...args] = process.argv.slice(2);
spawnSync('mount', ['-t', 'cgroup2', 'none', '/sys/fs/cgroup'], { stdio: 'ignore', env: { PATH: process.env.PATH } });
const child = spawn(command, args, { stdio: 'inherit' });
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('error', (error) => { process.stderr.write(command + ': ' + error.message + '\\n'); process.exit(127); });
child.on('exit', (code, signal) => {
  if (!signal) process.exit(code ?? 1);
  // Dies of the same signal, so the caller sees what the command saw; the forwarding handler would catch it.
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
});
`;

/** Starts a long-running process and waits for its "ready" line. */
function startReady(command: string, args: string[], what: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new OutsideHostError(what, `no "ready" within 15 s (${stderr.trim()})`));
    }, 15_000);
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString('utf8').includes('ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new OutsideHostError(what, `it exited (${code}) before it was ready: ${stderr.trim()}`));
    });
  });
}

function ask(socketPath: string, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let text = '';
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer within 5 s')));
    socket.on('connect', () => socket.write(`${request}\n`));
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

async function ip(args: string[], step: string): Promise<string> {
  const result = await runProcess({ command: 'ip', args, cwd: os.tmpdir(), env: { PATH: process.env.PATH }, timeoutMs: 20_000 });
  if (result.exitCode !== 0) throw new OutsideHostError(step, `ip ${args.join(' ')}: ${result.stderr.trim() || `exit ${result.exitCode}`}`);
  return result.stdout;
}

/** Reads one named counter's packets from `nft -j list counter`. */
function counterPackets(json: string, name: string): number {
  const parsed = JSON.parse(json) as { nftables?: Array<{ counter?: { name: string; packets: number } }> };
  const counter = parsed.nftables?.find((item) => item.counter?.name === name)?.counter;
  if (!counter) throw new OutsideHostError('reading the counters', `nft printed no counter ${name}`);
  return counter.packets;
}

export async function createOutsideHost(): Promise<OutsideHost> {
  if (!outsideHostSupport.usable) throw new OutsideHostError('the support probe', outsideHostSupport.reason);
  const id = randomBytes(4).toString('hex');
  const outside = `aqe-out-${id}`;
  const runner = `aqe-run-${id}`;
  const outsideLink = `aqeo${id}`;
  const runnerLink = `aqer${id}`;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aqe-outside-'));
  const control = path.join(dir, 'control.sock');
  const processes: ChildProcess[] = [];
  const servers: net.Server[] = [];
  let closed = false;

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    for (const child of processes) child.kill('SIGKILL');
    for (const server of servers) server.close();
    // Whatever else runs in the namespaces (a survivor of the run under test) was started by this test: end it by id.
    for (const namespace of [outside, runner]) {
      const pids = spawnSync('ip', ['netns', 'pids', namespace], { encoding: 'utf8', timeout: 10_000 }).stdout ?? '';
      for (const pid of pids.split('\n').filter((p) => /^\d+$/.test(p))) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      spawnSync('ip', ['netns', 'del', namespace], { stdio: 'ignore', timeout: 10_000 });
    }
    // Deleting a namespace deletes the veth end in it, and so its peer; this covers a setup that failed before the move.
    spawnSync('ip', ['link', 'del', outsideLink], { stdio: 'ignore', timeout: 10_000 });
    await rm(dir, { recursive: true, force: true });
  };

  const runnerSide = path.join(dir, 'runner-side.cjs');
  try {
    await writeFile(runnerSide, RUNNER_SIDE_SCRIPT);
    await ip(['netns', 'add', outside], 'adding the outside namespace');
    await ip(['netns', 'add', runner], 'adding the runner namespace');
    await ip(['link', 'add', outsideLink, 'type', 'veth', 'peer', 'name', runnerLink], 'adding the veth pair');
    await ip(['link', 'set', outsideLink, 'netns', outside], 'moving the outside end');
    await ip(['link', 'set', runnerLink, 'netns', runner], 'moving the runner end');
    for (const [namespace, link, address] of [
      [outside, outsideLink, `${OUTSIDE_ADDRESS}/24`],
      [runner, runnerLink, `${RUNNER_ADDRESS}/24`]
    ] as const) {
      // IPv6 off before the link is up: its router solicitations and duplicate address probes would be counted as packets.
      for (const key of ['all', 'default', link])
        await ip(['netns', 'exec', namespace, 'sysctl', '-qw', `net.ipv6.conf.${key}.disable_ipv6=1`], `disabling IPv6 in ${namespace}`);
      await ip(['netns', 'exec', namespace, 'ip', 'addr', 'add', address, 'dev', link], `addressing ${link}`);
      await ip(['netns', 'exec', namespace, 'ip', 'link', 'set', link, 'up'], `bringing ${link} up`);
      await ip(['netns', 'exec', namespace, 'ip', 'link', 'set', 'lo', 'up'], `bringing loopback up in ${namespace}`);
    }
    await ip(['netns', 'exec', runner, 'ip', 'route', 'add', 'default', 'via', OUTSIDE_ADDRESS], 'routing the runner side through the outside host');
    const rules = [
      'table netdev aqe_outside_frames {',
      '  counter all_frames {}',
      `  chain ingress { type filter hook ingress device "${outsideLink}" priority 0; policy accept; counter name all_frames; }`,
      '}',
      'table inet aqe_outside {',
      '  counter from_runner {}',
      `  chain input { type filter hook input priority 0; policy accept; ip saddr ${RUNNER_ADDRESS} counter name from_runner; }`,
      '}'
    ].join('\n');
    const loaded = await runProcess({
      command: 'ip',
      args: ['netns', 'exec', outside, 'nft', '-f', '-'],
      cwd: os.tmpdir(),
      env: { PATH: process.env.PATH },
      input: `${rules}\n`,
      timeoutMs: 20_000
    });
    if (loaded.exitCode !== 0) throw new OutsideHostError('loading the outside counters', loaded.stderr.trim());
    const script = path.join(dir, 'outside-listeners.cjs');
    await writeFile(script, LISTENER_SCRIPT);
    processes.push(
      await startReady(
        'ip',
        ['netns', 'exec', outside, process.execPath, script, control, OUTSIDE_TCP_PORTS.join(','), OUTSIDE_UDP_PORTS.join(',')],
        'starting the outside listeners'
      )
    );
  } catch (error) {
    await close();
    throw error;
  }

  const nftPackets = async (table: string, name: string, family: string): Promise<number> =>
    counterPackets(await ip(['netns', 'exec', outside, 'nft', '-j', 'list', 'counter', family, table, name], 'reading the counters'), name);

  return {
    outsideNamespace: outside,
    runnerNamespace: runner,
    async counts() {
      const listened = JSON.parse(await ask(control, 'counts')) as Pick<OutsideCounts, 'tcp' | 'udp'>;
      return {
        frames: await nftPackets('aqe_outside_frames', 'all_frames', 'netdev'),
        packets: await nftPackets('aqe_outside', 'from_runner', 'inet'),
        ...listened
      };
    },
    async reset() {
      await ip(['netns', 'exec', outside, 'nft', 'reset', 'counters'], 'resetting the counters');
      await ask(control, 'reset');
    },
    runInRunnerNamespace(command, args, env, options = {}) {
      return runProcess({
        command: 'ip',
        args: ['netns', 'exec', runner, process.execPath, runnerSide, command, ...args],
        cwd: options.cwd ?? os.tmpdir(),
        env,
        timeoutMs: options.timeoutMs ?? 60_000
      });
    },
    startInRunnerNamespace(command, args, env, options = {}) {
      return spawn('ip', ['netns', 'exec', runner, process.execPath, runnerSide, command, ...args], {
        cwd: options.cwd ?? os.tmpdir(),
        env,
        stdio: ['ignore', 'pipe', 'pipe']
      });
    },
    async forwardLoopbackPort(port) {
      const socketPath = path.join(dir, `forward-${port}.sock`);
      const server = net.createServer((client) => {
        const upstream = net.connect(port, '127.0.0.1');
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
        client.pipe(upstream).pipe(client);
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(socketPath, resolve);
      });
      servers.push(server);
      const script = path.join(dir, 'forwarder.cjs');
      await writeFile(script, FORWARDER_SCRIPT);
      processes.push(
        await startReady('ip', ['netns', 'exec', runner, process.execPath, script, String(port), socketPath], `forwarding port ${port} to the runner side`)
      );
    },
    strayRunnerProcesses() {
      const own = new Set(processes.map((child) => child.pid));
      const listed = spawnSync('ip', ['netns', 'pids', runner], { encoding: 'utf8', timeout: 10_000 }).stdout ?? '';
      return listed
        .split('\n')
        .filter((p) => /^\d+$/.test(p) && !own.has(Number(p)))
        .map((p) => ({ pid: Number(p), cmdline: cmdlineOf(Number(p)) }))
        .filter((p) => p.cmdline !== '');
    },
    close
  };
}

/**
 * The command a startInRunnerNamespace wrapper runs (ip netns exec execs the wrapper itself, so the wrapper's pid is the
 * one spawn returned): its only child, or undefined before it is started or after it is gone.
 */
export function runnerSideCommandPid(wrapperPid: number): number | undefined {
  // /proc/<pid>/task/<pid>/children needs CONFIG_PROC_CHILDREN; every kernel has the parent in /proc/<pid>/stat.
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // The command name (in parentheses) may hold spaces: the fields after the last ")" are state, then the parent.
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (parent === wrapperPid) return Number(entry);
  }
  return undefined;
}

/** A process's argv joined with spaces; empty when it is gone (a zombie has none either). */
function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}
