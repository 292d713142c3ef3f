/**
 * The sandbox on its own, with scripts that behave as hostile tests do: what they can read, write,
 * reach and leave behind, with namespaces (where bubblewrap can make them here) and in the fallback.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SandboxOption } from '../../src/core/RunOptions.js';
import { type SandboxedRun, TestSandbox } from '../../src/sandbox/TestSandbox.js';
import { namespaces } from '../support/namespaces.js';
import { processesOfRunStillAlive } from '../support/processesGone.js';

const probe = namespaces;
const describeWithNamespaces = probe.usable ? describe : describe.skip;
if (!probe.usable) process.stderr.write(`TestSandbox.test: namespace tests skipped: ${probe.reason}\n`);

const SECRET = `dummy-secret-${process.pid}-${Date.now()}`;

let root: string;
let repoDir: string;
let scratchDir: string;
let outside: string;
let server: net.Server;
let serverPort: number;
let connections = 0;

beforeAll(async () => {
  root = realpathSync(await mkdtemp(path.join(tmpdir(), 'aqe-sandbox-')));
  repoDir = path.join(root, 'repo');
  scratchDir = path.join(root, 'work', 'scratch');
  outside = path.join(root, 'outside');
  for (const dir of [repoDir, scratchDir, outside, path.join(root, 'work', 'out')]) await mkdir(dir, { recursive: true });
  await writeFile(path.join(repoDir, 'source.js'), 'original\n');
  // Where actions/checkout persists the token.
  await mkdir(path.join(repoDir, '.git'));
  await writeFile(path.join(repoDir, '.git', 'config'), `[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic ${SECRET}\n`);
  process.env.AQE_TEST_SECRET = SECRET;
  server = net.createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  serverPort = (server.address() as net.AddressInfo).port;
});

afterAll(async () => {
  delete process.env.AQE_TEST_SECRET;
  await new Promise((resolve) => server.close(resolve));
  await rm(root, { recursive: true, force: true });
});

async function sandbox(option: SandboxOption): Promise<TestSandbox> {
  return TestSandbox.prepare({ option, workRoot: path.join(root, 'work'), scratchDir, repoDir, passThrough: ['AQE_NAMED'] });
}

/** Runs a script in the scratch copy; it prints a JSON line of what it found. */
async function runScript(box: TestSandbox, code: SandboxedRun['code'], source: string): Promise<Record<string, unknown>> {
  const script = path.join(scratchDir, `probe-${Math.random().toString(36).slice(2)}.cjs`);
  await writeFile(script, source);
  const result = await box.run({ label: 'probe', code, script, args: [], cwd: scratchDir, writable: [path.join(root, 'work', 'out')], timeoutMs: 30_000 });
  const line = result.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new Error(`the probe printed no JSON (exit ${result.exitCode}): ${result.stdout}\n${result.stderr}`);
  }
}

const ATTEMPTS = (repo: () => string, outsideDir: () => string, port: () => number): string => `
const fs = require('fs');
const net = require('net');
const found = { secretInEnv: Object.values(process.env).some((v) => String(v).includes(${JSON.stringify(SECRET)})), home: process.env.HOME, tmp: process.env.TMPDIR };
found.secretInProc = false;
try { found.secretInGitConfig = fs.readFileSync(${JSON.stringify(path.join(repo(), '.git', 'config'))}, 'utf8').includes(${JSON.stringify(SECRET)}); } catch (e) { found.secretInGitConfig = e.code; }
for (const pid of fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p))) {
  try { if (fs.readFileSync('/proc/' + pid + '/environ', 'latin1').includes(${JSON.stringify(SECRET)})) found.secretInProc = true; } catch {}
}
const tryWrite = (file) => { try { fs.writeFileSync(file, 'hostile'); return 'written'; } catch (e) { return e.code; } };
found.repo = tryWrite(${JSON.stringify(path.join(repo(), 'source.js'))});
found.outside = tryWrite(${JSON.stringify(path.join(outsideDir(), 'planted'))});
found.scratch = tryWrite('own-file.txt');
found.named = process.env.AQE_NAMED;
found.capabilities = (fs.readFileSync('/proc/self/status', 'utf8').split('\\n').find((l) => l.startsWith('CapEff:')) || '').slice(7).trim();
const socket = net.connect(${port()}, '127.0.0.1');
socket.on('connect', () => { found.loopbackHost = 'connected'; done(); });
socket.on('error', (e) => { found.loopbackHost = e.code; done(); });
function done() { console.log(JSON.stringify(found)); }
`;

describeWithNamespaces('with namespaces', () => {
  let box: TestSandbox;
  beforeAll(async () => {
    process.env.AQE_NAMED = 'named-value';
    box = await sandbox('auto');
  });
  afterAll(() => {
    delete process.env.AQE_NAMED;
  });

  it('says which confinement is in effect', () => {
    expect(box.isolation).toMatchObject({ kind: 'namespaces', requested: 'auto' });
    expect(box.isolation.tool).toMatch(/^bubblewrap \d/);
    expect(box.candidatesOffline).toBe(true);
  });

  it('gives a candidate no secret, no write outside the scratch copy and no network, but the variables named in test-env', async () => {
    const found = await runScript(
      box,
      'candidates',
      ATTEMPTS(
        () => repoDir,
        () => outside,
        () => serverPort
      )
    );
    expect(found).toMatchObject({
      secretInEnv: false,
      secretInProc: false,
      repo: 'EROFS',
      scratch: 'written',
      named: 'named-value',
      secretInGitConfig: 'ENOENT'
    });
    // No capability, even where aqe runs as root: none could remount the filesystem writable.
    expect(found.capabilities).toBe('0000000000000000');
    expect(found.outside).not.toBe('written');
    // Its own loopback only: the host's server on 127.0.0.1 is another namespace's.
    expect(found.loopbackHost).toBe('ECONNREFUSED');
    expect(connections).toBe(0);
    expect(readFileSync(path.join(repoDir, 'source.js'), 'utf8')).toBe('original\n');
    expect(existsSync(path.join(outside, 'planted'))).toBe(false);
    expect(readFileSync(path.join(scratchDir, 'own-file.txt'), 'utf8')).toBe('hostile');
  });

  it("keeps the network for the repository's own suite, still read-only outside the copy", async () => {
    const found = await runScript(
      box,
      'suite',
      ATTEMPTS(
        () => repoDir,
        () => outside,
        () => serverPort
      )
    );
    expect(found).toMatchObject({ secretInEnv: false, secretInProc: false, repo: 'EROFS', loopbackHost: 'connected' });
    expect(connections).toBe(1);
  });

  it('kills what a run leaves behind, setsid and detached children too, and counts them', async () => {
    const token = `aqe-survivor-${Date.now()}`;
    const found = await runScript(
      box,
      'candidates',
      `const { spawn } = require('child_process');
       spawn('setsid', ['sleep', '120'], { stdio: 'ignore', detached: true }).unref();
       spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)', ${JSON.stringify(token)}], { stdio: 'ignore', detached: true }).unref();
       setTimeout(() => console.log(JSON.stringify({ marker: process.env.AQE_SANDBOX_RUN })), 300);`
    );
    expect(await processesOfRunStillAlive(String(found.marker))).toEqual([]);
    const event = box.events.find((e) => e.kind === 'survivors-killed');
    expect(event).toMatchObject({ run: 'probe', count: 2 });
    expect(event!.detail).toMatch(/sleep/);
  });
});

describe('the fallback (sandbox: off)', () => {
  let box: TestSandbox;
  beforeAll(async () => {
    box = await sandbox('off');
  });

  it('says it is the fallback and what it does not cover', () => {
    expect(box.isolation).toMatchObject({ kind: 'fallback', requested: 'off', reason: 'sandbox is off' });
    expect(box.isolation.gaps.join(' ')).toMatch(/\/proc.*write anywhere.*network/s);
    expect(box.candidatesOffline).toBe(false);
  });

  it('still builds the environment from the allow-list and gives a HOME and temp directory of its own', async () => {
    const found = await runScript(
      box,
      'candidates',
      ATTEMPTS(
        () => repoDir,
        () => outside,
        () => serverPort
      )
    );
    expect(found.secretInEnv).toBe(false);
    expect(String(found.home)).toBe(path.join(root, 'work', 'sandbox', 'home'));
    expect(String(found.tmp).startsWith(path.join(root, 'work', 'sandbox', 'tmp'))).toBe(true);
    // What the fallback cannot stop, stated in its gaps: a write to the working tree.
    expect(found.repo).toBe('written');
    await writeFile(path.join(repoDir, 'source.js'), 'original\n');
  });

  it('ends the processes that left the process group, found by the marker in their environment', async () => {
    const found = await runScript(
      box,
      'candidates',
      `const { spawn } = require('child_process');
       spawn('setsid', ['sleep', '120'], { stdio: 'ignore', detached: true }).unref();
       setTimeout(() => console.log(JSON.stringify({ marker: process.env.AQE_SANDBOX_RUN })), 300);`
    );
    expect(await processesOfRunStillAlive(String(found.marker))).toEqual([]);
    expect(box.events.find((e) => e.kind === 'survivors-killed')).toMatchObject({ count: 1 });
  });
});

describe('sandbox: require', () => {
  it('fails before any run where bubblewrap is missing, naming the fix', async () => {
    await expect(TestSandbox.prepare({ option: 'require', workRoot: path.join(root, 'work'), scratchDir, repoDir, bubblewrap: '' })).rejects.toThrow(
      /sandbox is require, but the tests cannot be confined: bubblewrap \(bwrap\) is not installed\. Install bubblewrap/
    );
  });
});
