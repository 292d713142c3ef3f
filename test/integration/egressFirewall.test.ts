/**
 * The egress firewall against the real kernel, in namespaces this test makes (test/support/outsideHost.ts): the
 * outside host 192.0.2.1 counts every connection and datagram, the runner side 192.0.2.2 is where a child process
 * installs the firewall for its own pid, so the rules live in the runner namespace and never in the host's. The child
 * loads the real module, compiled from src/ with the TypeScript compiler (transpileModule: syntax only; tsc --noEmit
 * checks the types) into a temporary folder, since a child cannot load .ts and dist/ does not carry the module.
 *
 * Each layout is run as the child sees it in its own mount namespace: cgroup2 at /sys/fs/cgroup (unified, what
 * GitHub-hosted runners have: nft is chosen) and at /sys/fs/cgroup/unified beside v1 controllers (hybrid: nft cannot
 * name the cgroup, iptables is chosen). Both are the host's one cgroup2 hierarchy, so the test sees the same cgroups.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import type { ProcessResult } from '../../src/process/runProcess.js';
import { cgroup2Mounts } from '../../src/sandbox/cgroup2.js';
import { createOutsideHost, OUTSIDE_ADDRESS, outsideHostSupport, type OutsideHost } from '../support/outsideHost.js';
import { isAlive, processesStillAlive } from '../support/processesGone.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUTSIDE_NAME = 'outside.aqe.test';

function missingTools(): string | undefined {
  if (!outsideHostSupport.usable) return outsideHostSupport.reason;
  for (const tool of ['iptables', 'ip6tables', 'iptables-restore', 'ip6tables-restore', 'iptables-save', 'ip6tables-save', 'curl']) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore', timeout: 10_000 }).status !== 0)
      return `${tool} is not installed (Debian: apt-get install iptables curl)`;
  }
  if (!cgroup2Mounts().some((m) => !m.readOnly)) return 'no writable cgroup v2 hierarchy is mounted on the host';
  return undefined;
}
const skipReason = missingTools();
if (skipReason !== undefined && process.env.AQE_CI_REQUIRE_NAMESPACES === '1') {
  throw new Error(`AQE_CI_REQUIRE_NAMESPACES is set, but the egress firewall tests cannot run: ${skipReason}`);
}
const describeKernel = skipReason === undefined ? describe : describe.skip;
if (skipReason !== undefined) console.warn(`Skipping the egress firewall tests: ${skipReason}`);

/** The module's import closure, transpiled file by file into `outDir` with the same relative layout. */
async function compileClosure(entry: string, outDir: string): Promise<void> {
  const queue = [entry];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = await readFile(file, 'utf8');
    for (const { fileName } of ts.preProcessFile(text, true, true).importedFiles) {
      if (fileName.startsWith('.')) queue.push(path.resolve(path.dirname(file), fileName.replace(/\.js$/, '.ts')));
    }
    const js = ts.transpileModule(text, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText;
    const dest = path.join(outDir, path.relative(REPO, file).replace(/\.ts$/, '.js'));
    await mkdir(path.dirname(dest), { recursive: true });
    await writeFile(dest, js);
  }
  await writeFile(path.join(outDir, 'package.json'), '{ "type": "module" }\n');
}

/**
 * The child: `confined` installs the firewall for itself, tries every path out and reports; `linger` installs it,
 * starts a grandchild in a session of its own that keeps trying, and waits to be killed; `remove` is the post step:
 * it reads the state back with parseFirewallInstallation and removes twice.
 */
const CHILD_SCRIPT = `
import { execFile, spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import * as firewall from './src/sandbox/EgressFirewall.js';
import { parseFirewallInstallation } from './src/sandbox/firewallState.js';

const [mode, arg, out] = process.argv.slice(2);
const env = process.env;
const OUTSIDE = '${OUTSIDE_ADDRESS}';
// Renamed into place, so the test never reads half a file.
const report = (value) => { writeFileSync(out + '.part', JSON.stringify(value)); renameSync(out + '.part', out); };
const ownCgroup = () => readFileSync('/proc/self/cgroup', 'utf8').split('\\n').find((l) => l.startsWith('0::')).slice(3);
const tcp = (host, port) => new Promise((resolve) => {
  const socket = net.connect({ host, port });
  const timer = setTimeout(() => { socket.destroy(); resolve('timeout'); }, 2000);
  socket.once('connect', () => { clearTimeout(timer); socket.end('hello'); resolve('connected'); });
  socket.once('error', (e) => { clearTimeout(timer); resolve(e.code ?? e.message); });
});
const udp = (host, port) => new Promise((resolve) => {
  const socket = dgram.createSocket('udp4');
  socket.send('hello', port, host, (e) => { socket.close(); resolve(e ? e.code ?? e.message : 'sent'); });
});
// Asynchronous: the loopback server answering curl lives in this same process.
const curl = (...args) => new Promise((resolve) => {
  execFile('curl', ['-sS', '--max-time', '3', ...args], { encoding: 'utf8' }, (error, _stdout, stderr) =>
    resolve({ status: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stderr: (stderr ?? '').trim().slice(0, 200) }));
});

async function install(id, allow) {
  const probe = await firewall.probeEgressFirewall(env);
  if (!probe.usable) throw new Error('probe: ' + probe.reason);
  const installation = await firewall.installEgressFirewall({ probe, id, pid: process.pid, allow, env });
  return { probe, installation };
}

if (mode === 'confined') {
  const { id } = JSON.parse(arg);
  const { probe, installation } = await install(id, [{ host: OUTSIDE, port: 80 }, { host: '${OUTSIDE_NAME}', port: 8080 }]);
  const local = http.createServer((req, res) => res.end('local'));
  await new Promise((r) => local.listen(0, '127.0.0.1', r));
  const localUdp = dgram.createSocket('udp4');
  const localUdpReceived = () => new Promise((r) => { localUdp.once('message', () => r(true)); setTimeout(() => r(false), 1500); });
  await new Promise((r) => localUdp.bind(0, '127.0.0.1', r));
  const localPort = local.address().port;
  const result = {
    probe,
    installation,
    cgroup: ownCgroup(),
    childCgroup: spawnSync('cat', ['/proc/self/cgroup'], { encoding: 'utf8' }).stdout.split('\\n').find((l) => l.startsWith('0::')).slice(3),
    // At once: a dropped SYN is retried until the time limit, so one after the other would take seconds each.
    blocked: await (async () => {
      const [nodeTcp, nodeUdp, nodeUdpDns, curlTcp, curlUdp] = await Promise.all([
        tcp(OUTSIDE, 443),
        udp(OUTSIDE, 9999),
        udp(OUTSIDE, 53),
        curl('http://' + OUTSIDE + ':443/'),
        curl('tftp://' + OUTSIDE + ':9999/file')
      ]);
      return { nodeTcp, nodeUdp, nodeUdpDns, curlTcp, curlUdp };
    })(),
    loopback: {
      nodeTcp: await tcp('127.0.0.1', localPort),
      curlTcp: await curl('http://127.0.0.1:' + localPort + '/'),
      ...(await (async () => {
        const received = localUdpReceived();
        return { nodeUdp: await udp('127.0.0.1', localUdp.address().port), udpReceived: await received };
      })())
    },
    allowed: {
      nodeTcp: await tcp(OUTSIDE, 80),
      curlByAddress: await curl('http://' + OUTSIDE + ':80/'),
      curlByName: await curl('http://${OUTSIDE_NAME}:8080/')
    },
    dropped: await firewall.firewallDroppedPackets(installation, env)
  };
  result.removed = await firewall.removeEgressFirewall(installation, { env, pid: process.pid });
  result.removedAgain = await firewall.removeEgressFirewall(installation, { env, pid: process.pid });
  result.cgroupAfter = ownCgroup();
  // The control: the same process, outside the rules now, reaches the outside host.
  result.afterRemoval = await tcp(OUTSIDE, 53);
  local.close();
  localUdp.close();
  report(result);
  process.exit(0);
} else if (mode === 'linger') {
  const { id } = JSON.parse(arg);
  const { installation } = await install(id, []);
  const trier = "const net = require('node:net'); const dgram = require('node:dgram'); setInterval(() => {" +
    " net.connect(443, '" + OUTSIDE + "').on('error', () => {}); const s = dgram.createSocket('udp4');" +
    " s.send('x', 9999, '" + OUTSIDE + "', () => s.close()); }, 50);";
  const grandchild = spawn(process.execPath, ['-e', trier], { detached: true, stdio: 'ignore' });
  grandchild.unref();
  report({ installation, grandchild: grandchild.pid });
  setInterval(() => undefined, 1000);
} else if (mode === 'remove') {
  const installation = parseFirewallInstallation(arg);
  if (!installation) {
    report({ refused: true });
  } else {
    const removed = await firewall.removeEgressFirewall(installation, { env });
    const removedAgain = await firewall.removeEgressFirewall(installation, { env });
    report({ removed, removedAgain });
  }
  process.exit(0);
}
`;

/** Makes the child's mount namespace look like a hybrid host: v1 beside cgroup2 at /sys/fs/cgroup/unified. */
const HYBRID_SCRIPT = `set -e
umount /sys/fs/cgroup
mount -t tmpfs tmpfs /sys/fs/cgroup
mkdir /sys/fs/cgroup/unified
mount -t cgroup2 cgroup2 /sys/fs/cgroup/unified
exec "$@"`;

interface Layout {
  name: 'unified' | 'hybrid';
  tool: 'nft' | 'iptables';
  /** What the probe says about its choice. */
  detail: RegExp;
}
const LAYOUTS: Layout[] = [
  { name: 'unified', tool: 'nft', detail: /^nft, cgroup v2 at \/sys\/fs\/cgroup$/ },
  { name: 'hybrid', tool: 'iptables', detail: /cgroup v2 at \/sys\/fs\/cgroup\/unified; not nft: .*\(a hybrid hierarchy\)/ }
];

let host: OutsideHost | undefined;
let dir: string;
let netnsEtc: string | undefined;
const ids: string[] = [];

beforeAll(async () => {
  if (skipReason !== undefined) return;
  dir = await mkdtemp(path.join(os.tmpdir(), 'aqe-firewall-'));
  await compileClosure(path.join(REPO, 'src', 'sandbox', 'EgressFirewall.ts'), dir);
  await writeFile(path.join(dir, 'child.mjs'), CHILD_SCRIPT);
  await writeFile(path.join(dir, 'hybrid.sh'), HYBRID_SCRIPT);
  host = await createOutsideHost();
  // ip netns exec mounts /etc/netns/<name>/hosts over /etc/hosts: the allow-list's hostname resolves on the runner side only.
  netnsEtc = path.join('/etc/netns', host.runnerNamespace);
  await mkdir(netnsEtc, { recursive: true });
  await writeFile(path.join(netnsEtc, 'hosts'), `127.0.0.1 localhost\n${OUTSIDE_ADDRESS} ${OUTSIDE_NAME}\n`);
}, 60_000);

afterAll(async () => {
  await host?.close();
  if (netnsEtc) await rm(netnsEtc, { recursive: true, force: true });
  // A failed test may leave a cgroup of ours: end what is in it and remove it, through the host's own cgroup2 mount.
  for (const mount of cgroup2Mounts().filter((m) => !m.readOnly)) {
    for (const id of ids) {
      const cgroup = path.join(mount.mountPoint, `aqe-egress-${id}`);
      if (!existsSync(cgroup)) continue;
      for (const pid of readFileSync(path.join(cgroup, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      for (let attempt = 0; attempt < 40 && existsSync(cgroup); attempt++) {
        try {
          for (const sub of readdirSync(cgroup, { withFileTypes: true }).filter((e) => e.isDirectory())) rmdirSync(path.join(cgroup, sub.name));
          rmdirSync(cgroup);
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

function runChild(layout: Layout, mode: string, arg: string, out: string): Promise<ProcessResult> {
  const env = { PATH: process.env.PATH };
  const child = [process.execPath, path.join(dir, 'child.mjs'), mode, arg, out];
  return layout.name === 'hybrid'
    ? host!.runInRunnerNamespace('sh', [path.join(dir, 'hybrid.sh'), ...child], env, { timeoutMs: 60_000 })
    : host!.runInRunnerNamespace(child[0] as string, child.slice(1), env, { timeoutMs: 60_000 });
}

async function childResult<T>(result: ProcessResult, out: string): Promise<T> {
  if (!existsSync(out)) throw new Error(`the child wrote no result (exit ${result.exitCode}, signal ${result.signal}): ${result.stderr}`);
  return JSON.parse(await readFile(out, 'utf8')) as T;
}

/** Every rule set of the runner namespace, as the tools print it. */
async function runnerRules(): Promise<string> {
  const env = { PATH: process.env.PATH };
  const texts = await Promise.all(
    [
      ['nft', ['list', 'ruleset']],
      ['iptables-save', []],
      ['ip6tables-save', []]
    ].map(([command, args]) => host!.runInRunnerNamespace(command as string, args as string[], env))
  );
  return texts.map((t) => t.stdout).join('\n');
}

/** The file a still-running child writes once it is ready; fails with the child's stderr when it exits first. */
async function fileWhenWritten(file: string, child: Promise<ProcessResult>): Promise<string> {
  let ended: ProcessResult | undefined;
  void child.then((r) => (ended = r));
  const deadline = Date.now() + 20_000;
  while (!existsSync(file)) {
    if (ended) throw new Error(`the child ended (exit ${ended.exitCode}, signal ${ended.signal}) before it was ready: ${ended.stderr}`);
    if (Date.now() > deadline) throw new Error('the child was not ready within 20 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  return readFile(file, 'utf8');
}

function cgroupOnHost(id: string): string[] {
  return cgroup2Mounts()
    .map((m) => path.join(m.mountPoint, `aqe-egress-${id}`))
    .filter((p) => existsSync(p));
}

interface ConfinedResult {
  probe: { usable: true; tool: string; detail: string };
  installation: { id: string; tool: string; cgroup: string; rules: string };
  cgroup: string;
  childCgroup: string;
  blocked: Record<'nodeTcp' | 'nodeUdp' | 'nodeUdpDns', string> & Record<'curlTcp' | 'curlUdp', { status: number | null; stderr: string }>;
  loopback: { nodeTcp: string; curlTcp: { status: number | null; stderr: string }; nodeUdp: string; udpReceived: boolean };
  allowed: { nodeTcp: string; curlByAddress: { status: number | null; stderr: string }; curlByName: { status: number | null; stderr: string } };
  dropped: number;
  removed: string[];
  removedAgain: string[];
  cgroupAfter: string;
  afterRemoval: string;
}

describeKernel.each(LAYOUTS)('the egress firewall with cgroup2 $name ($tool)', (layout) => {
  it('drops what the confined process and its curl send out, lets loopback and the allow-list through, and comes off', async () => {
    const id = randomBytes(4).toString('hex');
    ids.push(id);
    const out = path.join(dir, `confined-${id}.json`);
    await host!.reset();
    const run = await runChild(layout, 'confined', JSON.stringify({ id }), out);
    const result = await childResult<ConfinedResult>(run, out);
    const counts = await host!.counts();

    expect(result.probe.tool).toBe(layout.tool);
    expect(result.probe.detail).toMatch(layout.detail);
    expect(result.cgroup).toBe(`/aqe-egress-${id}`);
    expect(result.childCgroup).toBe(`/aqe-egress-${id}`);
    // The outside host saw nothing on the ports the confined process and its curl tried.
    expect(counts.tcp['443']).toBe(0);
    expect(counts.udp['9999']).toBe(0);
    expect(counts.udp['53']).toBe(0);
    expect(result.blocked.nodeTcp).not.toBe('connected');
    expect(result.blocked.nodeUdp).toBe('EPERM');
    expect(result.blocked.curlTcp.status).not.toBe(0);
    expect(result.blocked.curlUdp.status).not.toBe(0);
    expect(result.loopback).toEqual({ nodeTcp: 'connected', curlTcp: { status: 0, stderr: '' }, nodeUdp: 'sent', udpReceived: true });
    expect(result.allowed.nodeTcp).toBe('connected');
    expect(result.allowed.curlByAddress).toEqual({ status: 0, stderr: '' });
    expect(result.allowed.curlByName).toEqual({ status: 0, stderr: '' });
    expect(counts.tcp['80']).toBe(2);
    expect(counts.tcp['8080']).toBe(1);
    expect(result.dropped).toBeGreaterThanOrEqual(5);

    expect(result.removed.join('\n')).toMatch(/moved process \d+ back/);
    expect(result.removedAgain).toEqual([]);
    expect(result.cgroupAfter).not.toContain('aqe-egress');
    expect(result.afterRemoval).toBe('connected');
    expect(counts.tcp['53'] + (await host!.counts()).tcp['53']!).toBeGreaterThanOrEqual(1);
    expect(await runnerRules()).not.toMatch(/aqe[-_]egress/i);
    expect(cgroupOnHost(id)).toEqual([]);
  });

  it('after the installer is SIGKILLed, removal kills its surviving grandchild and leaves no rules and no cgroup', async () => {
    const id = randomBytes(4).toString('hex');
    ids.push(id);
    const out = path.join(dir, `linger-${id}.json`);
    await host!.reset();
    const running = runChild(layout, 'linger', JSON.stringify({ id }), out);
    const { installation, grandchild } = JSON.parse(await fileWhenWritten(out, running)) as { installation: { cgroup: string }; grandchild: number };
    const [cgroup] = cgroupOnHost(id);
    expect(cgroup).toBeDefined();
    const installer = readFileSync(path.join(cgroup!, 'cgroup.procs'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(Number)
      .find((pid) => pid !== grandchild);
    expect(installer).toBeDefined();
    await new Promise((r) => setTimeout(r, 300));
    // Scoping: a process of the same namespace outside the cgroup reaches the outside host while the rules hold.
    const control = await host!.runInRunnerNamespace('curl', ['-sS', '--max-time', '3', `http://${OUTSIDE_ADDRESS}:443/`], { PATH: process.env.PATH });
    expect(control.stderr).not.toMatch(/not permitted/i);
    expect((await host!.counts()).tcp['443']).toBe(1);

    process.kill(installer!, 'SIGKILL');
    expect((await running).signal).toBe('SIGKILL');
    expect(isAlive(grandchild)).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    const whileOrphaned = await host!.counts();
    expect(whileOrphaned.tcp['443']).toBe(1);
    expect(whileOrphaned.udp['9999']).toBe(0);

    const removedOut = path.join(dir, `remove-${id}.json`);
    const removal = await childResult<{ removed: string[]; removedAgain: string[] }>(
      await runChild(layout, 'remove', JSON.stringify(installation), removedOut),
      removedOut
    );
    expect(removal.removed.join('\n')).toMatch(/killed 1 process left/);
    expect(removal.removedAgain).toEqual([]);
    expect(await processesStillAlive([grandchild])).toEqual([]);
    expect(await runnerRules()).not.toMatch(/aqe[-_]egress/i);
    expect(cgroupOnHost(id)).toEqual([]);
    expect((await host!.counts()).udp['9999']).toBe(0);
  });

  it('the post step refuses a forged state and touches nothing', async () => {
    const out = path.join(dir, `forged-${layout.name}.json`);
    const mount = layout.name === 'hybrid' ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup';
    const forged = { id: '0123abcd', tool: layout.tool, sudo: false, cgroup: `${mount}/../../../tmp`, originalCgroup: '/', rules: '' };
    expect(await childResult(await runChild(layout, 'remove', JSON.stringify(forged), out), out)).toEqual({ refused: true });
  });
});
