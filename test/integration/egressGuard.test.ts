/**
 * The egress guard in real Node child processes started with `node --import <preload>`, exactly as
 * egressGuardEnvironment() tells a child to start. The preload is the real source compiled to plain JS with the
 * TypeScript compiler (transpileModule: syntax only; `tsc --noEmit` checks the types) into a temporary folder, since
 * a child cannot load .ts and the bundle does not carry the preload yet.
 *
 * 127.0.0.1 plays the outside world: the policy has allowLoopback=false, so every attempt at the listeners below
 * must be refused before a socket exists (the listeners count nothing), and must leave one audit line. The same
 * child without the guard reaches the listener (the control), so a listener that could not be reached proves nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { egressGuardEnvironment, type EgressPolicy } from '../../src/privacy/egressGuard.js';

const PRIVACY_SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'privacy');

/** Each attempt takes the TCP port, the UDP port and a Unix socket path; it resolves when it reached its peer. */
const ATTEMPTS_SCRIPT = `
import net, { connect as namedNetConnect } from 'node:net';
import tls from 'node:tls';
import http, { request as namedHttpRequest } from 'node:http';
import https from 'node:https';
import dgram from 'node:dgram';
import dns from 'node:dns';
import dnsPromises from 'node:dns/promises';

const [name, tcpText, udpText, socketPath] = process.argv.slice(2);
const port = Number(tcpText);
const udp = Number(udpText);
const settle = (emitter, success) =>
  new Promise((resolve, reject) => { emitter.once(success, resolve); emitter.once('error', reject); });
const requested = (req) => { req.end(); return settle(req, 'response'); };
const udpSocket = () => dgram.createSocket('udp4');
const resolver = (Resolver) => { const r = new Resolver({ timeout: 300, tries: 1 }); r.setServers(['127.0.0.1:' + udp]); return r; };

const attempts = {
  'net.connect': () => settle(net.connect({ host: '127.0.0.1', port }), 'connect'),
  'net.createConnection': () => settle(net.createConnection(port, '127.0.0.1'), 'connect'),
  'net.Socket#connect': () => settle(new net.Socket().connect({ port, host: '127.0.0.1' }), 'connect'),
  'net.connect, write at once': () => { const s = net.connect(port, '127.0.0.1'); s.write('early'); return settle(s, 'connect'); },
  'net named import': () => settle(namedNetConnect(port, '127.0.0.1'), 'connect'),
  'net.connect localhost': () => settle(net.connect(port, 'localhost'), 'connect'),
  'net.connect unix socket': () => settle(net.connect({ path: socketPath }), 'connect'),
  'tls.connect': () => settle(tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }), 'secureConnect'),
  'http.get': () => settle(http.get('http://127.0.0.1:' + port + '/path?q=1'), 'response'),
  'http.request': () => requested(http.request({ host: '127.0.0.1', port, path: '/x' })),
  'http named import': () => requested(namedHttpRequest({ hostname: '127.0.0.1', port })),
  'http.ClientRequest': () => requested(new http.ClientRequest({ host: '127.0.0.1', port })),
  'https.get': () => settle(https.get({ host: '127.0.0.1', port, rejectUnauthorized: false }), 'response'),
  'https.request URL': () => requested(https.request(new URL('https://127.0.0.1:' + port + '/'), { rejectUnauthorized: false })),
  fetch: () => fetch('http://127.0.0.1:' + port + '/'),
  'fetch Request': () => fetch(new Request('http://127.0.0.1:' + port + '/r', { method: 'POST', body: 'x' })),
  'dgram send': () => new Promise((resolve, reject) => udpSocket().send('ping', udp, '127.0.0.1', (e) => (e ? reject(e) : resolve()))),
  'dgram send offset': () =>
    new Promise((resolve, reject) => udpSocket().send(Buffer.from('xping'), 1, 4, udp, '127.0.0.1', (e) => (e ? reject(e) : resolve()))),
  'dgram connect': () =>
    new Promise((resolve, reject) => {
      const s = udpSocket();
      s.once('error', reject);
      s.connect(udp, '127.0.0.1', () => s.send('ping', (e) => (e ? reject(e) : resolve())));
    }),
  'dns.Resolver': () => new Promise((resolve, reject) => resolver(dns.Resolver).resolve4('outside.example', (e, a) => (e ? reject(e) : resolve(a)))),
  'dns.resolveTxt': () => {
    dns.setServers(['127.0.0.1:' + udp]);
    return new Promise((resolve, reject) => dns.resolveTxt('outside.example', (e, a) => (e ? reject(e) : resolve(a))));
  },
  'dns/promises Resolver': () => resolver(dnsPromises.Resolver).resolveMx('outside.example'),
  'dns.promises.resolve': () => { dns.promises.setServers(['127.0.0.1:' + udp]); return dns.promises.resolve('outside.example', 'A'); },
  'dns.lookup': () => new Promise((resolve, reject) => dns.lookup('localhost', (e, a) => (e ? reject(e) : resolve(a)))),
  'dns/promises lookup': () => dnsPromises.lookup('localhost')
};

const attempt = attempts[name];
if (!attempt) throw new Error('no attempt named ' + name);
const timer = setTimeout(() => { console.log(JSON.stringify({ ok: false, code: 'TIMEOUT' })); process.exit(0); }, 1500);
attempt().then(
  () => ({ ok: true }),
  (e) => ({ ok: false, code: e.code, message: e.message, causeCode: e.cause?.code })
).then((outcome) => { clearTimeout(timer); console.log(JSON.stringify(outcome)); process.exit(0); });
`;

/** undici's fetch as it is before the guard wraps it: only the socket layer stands between it and the listener. */
const BACKSTOP_SCRIPT = `
import { EGRESS_POLICY_ENV, installEgressGuard, parseEgressPolicy } from './egressGuard.js';
const undiciFetch = globalThis.fetch;
installEgressGuard(parseEgressPolicy(process.env[EGRESS_POLICY_ENV]));
undiciFetch('http://127.0.0.1:' + process.argv[3] + '/').then(
  () => ({ ok: true }),
  (e) => ({ ok: false, code: e.cause?.code, message: e.cause?.message })
).then((outcome) => { console.log(JSON.stringify(outcome)); process.exit(0); });
`;

type Listener = 'tcp' | 'udp' | 'none';
interface Attempt {
  name: string;
  protocol: string;
  /** The audit's destination: host:port, or the name for DNS. */
  destination: (tcp: number, udp: number) => string;
  listener: Listener;
}
const tcpAt = (host: string) => (tcp: number) => `${host}:${tcp}`;
const udpAt = (_tcp: number, udp: number) => `127.0.0.1:${udp}`;
const ATTEMPTS: Attempt[] = [
  { name: 'net.connect', protocol: 'tcp', destination: tcpAt('127.0.0.1'), listener: 'tcp' },
  { name: 'net.createConnection', protocol: 'tcp', destination: tcpAt('127.0.0.1'), listener: 'tcp' },
  { name: 'net.Socket#connect', protocol: 'tcp', destination: tcpAt('127.0.0.1'), listener: 'tcp' },
  { name: 'net.connect, write at once', protocol: 'tcp', destination: tcpAt('127.0.0.1'), listener: 'tcp' },
  { name: 'net named import', protocol: 'tcp', destination: tcpAt('127.0.0.1'), listener: 'tcp' },
  { name: 'net.connect localhost', protocol: 'tcp', destination: tcpAt('localhost'), listener: 'tcp' },
  { name: 'tls.connect', protocol: 'tls', destination: tcpAt('127.0.0.1'), listener: 'tcp' },
  { name: 'http.get', protocol: 'http', destination: tcpAt('127.0.0.1'), listener: 'tcp' },
  { name: 'http.request', protocol: 'http', destination: tcpAt('127.0.0.1'), listener: 'tcp' },
  { name: 'http named import', protocol: 'http', destination: tcpAt('127.0.0.1'), listener: 'tcp' },
  // A ClientRequest made directly skips http.request: the socket layer refuses it.
  { name: 'http.ClientRequest', protocol: 'tcp', destination: tcpAt('127.0.0.1'), listener: 'tcp' },
  { name: 'https.get', protocol: 'https', destination: tcpAt('127.0.0.1'), listener: 'tcp' },
  { name: 'https.request URL', protocol: 'https', destination: tcpAt('127.0.0.1'), listener: 'tcp' },
  { name: 'fetch', protocol: 'fetch', destination: tcpAt('127.0.0.1'), listener: 'tcp' },
  { name: 'fetch Request', protocol: 'fetch', destination: tcpAt('127.0.0.1'), listener: 'tcp' },
  { name: 'dgram send', protocol: 'udp', destination: udpAt, listener: 'udp' },
  { name: 'dgram send offset', protocol: 'udp', destination: udpAt, listener: 'udp' },
  { name: 'dgram connect', protocol: 'udp', destination: udpAt, listener: 'udp' },
  { name: 'dns.Resolver', protocol: 'dns', destination: () => 'outside.example', listener: 'udp' },
  { name: 'dns.resolveTxt', protocol: 'dns', destination: () => 'outside.example', listener: 'udp' },
  { name: 'dns/promises Resolver', protocol: 'dns', destination: () => 'outside.example', listener: 'udp' },
  { name: 'dns.promises.resolve', protocol: 'dns', destination: () => 'outside.example', listener: 'udp' },
  // localhost resolves from /etc/hosts, so no listener sees it; the control shows it resolves unguarded.
  { name: 'dns.lookup', protocol: 'dns', destination: () => 'localhost', listener: 'none' },
  { name: 'dns/promises lookup', protocol: 'dns', destination: () => 'localhost', listener: 'none' }
];

interface Outcome {
  ok: boolean;
  code?: string;
  message?: string;
  causeCode?: string;
}

let dir: string;
let preload: string;
let script: string;
let backstopScript: string;
let socketPath: string;
let tcpServer: net.Server;
let unixServer: net.Server;
let udpServer: dgram.Socket;
let allowedServer: http.Server;
const counts = { tcp: 0, udp: 0, unix: 0, allowed: 0 };
let tcpPort: number;
let udpPort: number;
let allowedPort: number;

/** Compiles the guard and its preload, exactly as written, to ESM JavaScript beside each other. */
async function compilePreload(into: string): Promise<string> {
  for (const name of ['egressGuard', 'egressGuardPreload']) {
    const source = readFileSync(path.join(PRIVACY_SRC, `${name}.ts`), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      fileName: `${name}.ts`,
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 }
    });
    await writeFile(path.join(into, `${name}.js`), outputText);
  }
  await writeFile(path.join(into, 'package.json'), '{ "type": "module" }\n');
  return path.join(into, 'egressGuardPreload.js');
}

function listen(server: net.Server, at: number | string): Promise<void> {
  return new Promise((resolve) => (typeof at === 'string' ? server.listen(at, resolve) : server.listen(at, '127.0.0.1', resolve)));
}

function runChild(
  attempt: string,
  env: Record<string, string>,
  port = tcpPort,
  file = script
): Promise<{ outcome: Outcome; pid: number; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    // The parent's NODE_OPTIONS (jest's --experimental-vm-modules) stays out: the child gets only what it is given.
    const { NODE_OPTIONS: _parent, ...base } = process.env;
    const child = spawn(process.execPath, [file, attempt, String(port), String(udpPort), socketPath], {
      env: { ...base, ...env },
      stdio: ['ignore', 'pipe', 'pipe']
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').pop() ?? '';
      let outcome: Outcome;
      try {
        outcome = JSON.parse(line) as Outcome;
      } catch {
        outcome = { ok: false, code: 'NO_OUTPUT', message: `stdout: ${stdout} stderr: ${stderr}` };
      }
      resolve({ outcome, pid: child.pid ?? -1, stderr, code });
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function countRises(listener: 'tcp' | 'udp' | 'allowed', before: number): Promise<number> {
  const deadline = Date.now() + 3000;
  while (counts[listener] === before && Date.now() < deadline) await sleep(20);
  return counts[listener] - before;
}

let auditSerial = 0;
function guarded(policy: Omit<EgressPolicy, 'auditFile'>): { env: Record<string, string>; auditFile: string } {
  const auditFile = path.join(dir, `audit-${++auditSerial}.jsonl`);
  return { env: egressGuardEnvironment({ ...policy, auditFile }, preload), auditFile };
}

async function auditLines(file: string): Promise<Array<Record<string, unknown>>> {
  if (!existsSync(file)) return [];
  return (await readFile(file, 'utf8'))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

beforeAll(async () => {
  dir = realpathSync(await mkdtemp(path.join(tmpdir(), 'aqe-egress-guard-')));
  preload = await compilePreload(dir);
  script = path.join(dir, 'attempts.mjs');
  await writeFile(script, ATTEMPTS_SCRIPT);
  backstopScript = path.join(dir, 'backstop.mjs');
  await writeFile(backstopScript, BACKSTOP_SCRIPT);
  socketPath = path.join(dir, 'local.sock');

  tcpServer = net.createServer((s) => {
    counts.tcp++;
    s.destroy();
  });
  unixServer = net.createServer((s) => {
    counts.unix++;
    s.destroy();
  });
  allowedServer = http.createServer((_req, res) => res.end('reached'));
  allowedServer.on('connection', () => counts.allowed++);
  await Promise.all([listen(tcpServer, 0), listen(unixServer, socketPath), listen(allowedServer, 0)]);
  tcpPort = (tcpServer.address() as net.AddressInfo).port;
  allowedPort = (allowedServer.address() as net.AddressInfo).port;
  udpServer = dgram.createSocket('udp4');
  udpServer.on('message', () => counts.udp++);
  await new Promise<void>((resolve) => udpServer.bind(0, '127.0.0.1', resolve));
  udpPort = udpServer.address().port;
});

afterAll(async () => {
  await Promise.all([
    new Promise((r) => tcpServer?.close(r)),
    new Promise((r) => unixServer?.close(r)),
    new Promise((r) => allowedServer?.close(r)),
    new Promise<void>((r) => (udpServer ? udpServer.close(() => r()) : r()))
  ]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('egressGuardEnvironment', () => {
  it('loads the preload by file URL and carries the policy as JSON', () => {
    const policy: EgressPolicy = { allow: [{ host: 'models.internal', port: 8080 }], allowLoopback: true, auditFile: '/tmp/a b.jsonl' };
    const env = egressGuardEnvironment(policy, '/opt/aqe dist/egress guard.js');
    expect(env.NODE_OPTIONS).toBe('--import=file:///opt/aqe%20dist/egress%20guard.js');
    expect(JSON.parse(env.AQE_EGRESS_POLICY)).toEqual(policy);
  });
});

describe.each(ATTEMPTS)('$name', ({ name, protocol, destination, listener }) => {
  it('is refused under the guard: no socket reaches the listener, one audit line names it', async () => {
    const { env, auditFile } = guarded({ allow: [], allowLoopback: false });
    const before = { ...counts };
    const { outcome, pid, stderr } = await runChild(name, env);
    const dest = destination(tcpPort, udpPort);
    expect({ stderr, code: outcome.code }).toEqual({ stderr: '', code: 'ERR_AQE_EGRESS_REFUSED' });
    expect(outcome.message).toContain(dest);
    expect(outcome.message).toContain('privacy: strict');
    // fetch rejects as undici does, a TypeError with the reason as its cause.
    expect(outcome.causeCode).toBe(protocol === 'fetch' ? 'ERR_AQE_EGRESS_REFUSED' : undefined);
    await sleep(100); // a connection the kernel accepted would have been counted by now
    expect(counts).toEqual(before);
    const lines = await auditLines(auditFile);
    expect(lines).toEqual([
      {
        type: 'refused-connection',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        destination: dest,
        protocol,
        pid,
        process: expect.stringContaining('attempts.mjs'),
        layer: 'in-process'
      }
    ]);
  });

  it('reaches its destination without the guard (control)', async () => {
    const before = listener === 'none' ? 0 : counts[listener];
    const { outcome } = await runChild(name, {});
    expect(outcome.code).not.toBe('ERR_AQE_EGRESS_REFUSED');
    // With no listener to count, the attempt itself must succeed (localhost resolves).
    const reached = listener === 'none' ? outcome.ok : (await countRises(listener, before)) > 0;
    expect(reached).toBe(true);
  });
});

describe('what the policy allows', () => {
  // tls.connect reaches the plain HTTP server and then fails its handshake: reached, not refused.
  it.each([
    ['fetch', true],
    ['http.get', true],
    ['net.connect', true],
    ['tls.connect', false]
  ])('%s reaches an allow-listed host:port, and audits nothing', async (name, succeeds) => {
    const { env, auditFile } = guarded({ allow: [{ host: '127.0.0.1', port: allowedPort }], allowLoopback: false });
    const before = counts.allowed;
    const { outcome, stderr } = await runChild(name, env, allowedPort);
    expect(stderr).toBe('');
    expect(outcome.code).not.toBe('ERR_AQE_EGRESS_REFUSED');
    expect(outcome.ok).toBe(succeeds);
    expect(await countRises('allowed', before)).toBeGreaterThan(0);
    expect(await auditLines(auditFile)).toEqual([]);
  });

  it('refuses the same host on a port the allow-list does not name', async () => {
    const { env, auditFile } = guarded({ allow: [{ host: '127.0.0.1', port: allowedPort }], allowLoopback: false });
    const before = counts.tcp;
    const { outcome } = await runChild('net.connect', env, tcpPort);
    expect(outcome.code).toBe('ERR_AQE_EGRESS_REFUSED');
    expect(counts.tcp).toBe(before);
    expect((await auditLines(auditFile)).map((l) => l.destination)).toEqual([`127.0.0.1:${tcpPort}`]);
  });

  it('lets loopback through when allowLoopback is set', async () => {
    const { env, auditFile } = guarded({ allow: [], allowLoopback: true });
    for (const name of ['net.connect localhost', 'http.get', 'fetch']) {
      const before = counts.tcp;
      const { outcome } = await runChild(name, env);
      expect({ name, code: outcome.code }).not.toEqual({ name, code: 'ERR_AQE_EGRESS_REFUSED' });
      expect(await countRises('tcp', before)).toBeGreaterThan(0);
    }
    expect(await runChild('dns/promises lookup', env)).toMatchObject({ outcome: { ok: true } });
    expect(await auditLines(auditFile)).toEqual([]);
  });

  it('lets Unix domain sockets through: they never leave the machine', async () => {
    const { env, auditFile } = guarded({ allow: [], allowLoopback: false });
    const before = counts.unix;
    const { outcome } = await runChild('net.connect unix socket', env);
    expect(outcome).toEqual({ ok: true });
    expect(counts.unix).toBeGreaterThan(before);
    expect(await auditLines(auditFile)).toEqual([]);
  });
});

describe('the socket layer', () => {
  it("refuses undici's own fetch, unwrapped, where it opens its socket", async () => {
    const { env, auditFile } = guarded({ allow: [], allowLoopback: false });
    const before = counts.tcp;
    const { outcome, pid } = await runChild('undici', { AQE_EGRESS_POLICY: env.AQE_EGRESS_POLICY }, tcpPort, backstopScript);
    expect(outcome.code).toBe('ERR_AQE_EGRESS_REFUSED');
    await sleep(100);
    expect(counts.tcp).toBe(before);
    expect(await auditLines(auditFile)).toEqual([expect.objectContaining({ protocol: 'tcp', destination: `127.0.0.1:${tcpPort}`, pid })]);
  });
});

describe('the preload', () => {
  it('works as bundled in dist/ (node --import dist/egressGuardPreload.js), as the run will load it', async () => {
    const bundled = path.resolve(PRIVACY_SRC, '..', '..', 'dist', 'egressGuardPreload.js');
    const auditFile = path.join(dir, 'audit-bundled.jsonl');
    const env = egressGuardEnvironment({ allow: [], allowLoopback: false, auditFile }, bundled);
    const before = counts.tcp;
    const { outcome } = await runChild('net.connect', env);
    expect(outcome).toMatchObject({ ok: false, code: 'ERR_AQE_EGRESS_REFUSED' });
    expect(await countRises('tcp', before)).toBe(0);
    expect(await auditLines(auditFile)).toEqual([expect.objectContaining({ type: 'refused-connection', protocol: 'tcp' })]);
  });

  it('refuses to start a child without a policy rather than running it unguarded', async () => {
    const { NODE_OPTIONS } = egressGuardEnvironment({ allow: [], allowLoopback: false }, preload);
    const before = counts.tcp;
    const { code, stderr, outcome } = await runChild('net.connect', { NODE_OPTIONS, AQE_EGRESS_POLICY: '' });
    expect(code).not.toBe(0);
    expect(outcome.code).toBe('NO_OUTPUT');
    expect(stderr).toContain('AQE_EGRESS_POLICY: is not set');
    expect(counts.tcp).toBe(before);
  });

  it('names the field of a malformed policy', async () => {
    const { NODE_OPTIONS } = egressGuardEnvironment({ allow: [], allowLoopback: false }, preload);
    const { code, stderr } = await runChild('net.connect', {
      NODE_OPTIONS,
      AQE_EGRESS_POLICY: JSON.stringify({ allow: [{ host: 'x', port: 'eighty' }], allowLoopback: false })
    });
    expect(code).not.toBe(0);
    expect(stderr).toContain('"allow[0].port" is not a port number');
  });
});
