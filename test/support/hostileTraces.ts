/**
 * What a test of hostile code looks at afterwards: dummy secrets and where they turned up, a TCP
 * listener that records who reached it, processes that still carry an attack's token, and a
 * node_modules of the test's own with a canary package an attack may try to change.
 */
import { randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { isAlive } from './processesGone.js';

/** The variables a job's environment carries secrets in; each gets a value of its own. */
export const SECRET_VARIABLES = [
  'GITHUB_TOKEN',
  'INPUT_GITHUB-TOKEN',
  'ACTIONS_RUNTIME_TOKEN',
  'ACTIONS_CACHE_URL',
  'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
  'ACTIONS_ID_TOKEN_REQUEST_URL',
  'ANTHROPIC_API_KEY',
  'NPM_TOKEN'
] as const;

export type DummySecrets = Record<(typeof SECRET_VARIABLES)[number], string>;

/** Random values, URLs where the runner gives URLs (on a name that resolves nowhere), so the action treats them as it would real ones. */
export function dummySecrets(): DummySecrets {
  const value = (): string => randomBytes(20).toString('hex');
  const secrets = {} as DummySecrets;
  for (const name of SECRET_VARIABLES) secrets[name] = name.endsWith('_URL') ? `https://${value()}.invalid/` : `s3cr3t${value()}`;
  return secrets;
}

/** A token as actions/checkout persists it in .git/config (persist-credentials, the default): raw, and as its extraheader's value. */
export function checkoutCredential(): { CHECKOUT_TOKEN: string; CHECKOUT_HEADER: string } {
  const token = `ghs_${randomBytes(20).toString('hex')}`;
  return { CHECKOUT_TOKEN: token, CHECKOUT_HEADER: Buffer.from(`x-access-token:${token}`).toString('base64') };
}

/** Enough of a secret that a truncated copy is still found, and too much to match by chance: random characters only. */
export function secretNeedle(secret: string): string {
  const random = secret.match(/[0-9a-f]{40}/)?.[0];
  if (random) return random.slice(0, 20);
  // An encoded secret (a basic auth header) starts with a fixed prefix; its middle is random.
  const middle = Math.floor(secret.length / 2);
  return secret.slice(middle - 10, middle + 10);
}

export interface SecretSighting {
  where: string;
  secret: string;
}

/** Every named secret whose needle appears in `text`. */
export function secretsIn(text: string, secrets: Readonly<Record<string, string>>, where: string): SecretSighting[] {
  return Object.entries(secrets)
    .filter(([, value]) => text.includes(secretNeedle(value)))
    .map(([secret]) => ({ where, secret }));
}

/**
 * Every file under `root` (links are not followed: node_modules links lead into this project),
 * searched for every secret. `allowed` names the file a secret may legitimately sit in.
 */
export function secretsUnder(
  root: string,
  secrets: Readonly<Record<string, string>>,
  allowed: ReadonlyArray<{ file: string; secret: string }> = []
): SecretSighting[] {
  const found: SecretSighting[] = [];
  const walk = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.isFile() && lstatSync(file).size < 32 * 1024 * 1024) {
        for (const hit of secretsIn(readFileSync(file, 'latin1'), secrets, file)) {
          if (!allowed.some((a) => a.file === hit.where && a.secret === hit.secret)) found.push(hit);
        }
      }
    }
  };
  walk(root);
  return found;
}

export interface Listener {
  host: string;
  port: number;
  /** What each connection sent, in the order they closed. */
  received: string[];
  /** Connections accepted, whether they sent anything or not. */
  connections(): number;
  close(): Promise<void>;
}

/** A TCP server on `host` (an address of this network namespace) that records what every connection sends. */
export async function startListener(host = '127.0.0.1'): Promise<Listener> {
  const received: string[] = [];
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections++;
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => received.push(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    host,
    port: (server.address() as AddressInfo).port,
    received,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  };
}

/** This machine's first IPv4 address that is not loopback: reachable from its own network namespace, and from no other. */
export function externalAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;
}

/** Live processes (not zombies) whose command line holds `token`. */
export function processesCarrying(token: string): Array<{ pid: number; cmdline: string }> {
  const found: Array<{ pid: number; cmdline: string }> = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0').join(' ');
    } catch {
      continue;
    }
    if (cmdline.includes(token) && isAlive(Number(name))) found.push({ pid: Number(name), cmdline: cmdline.slice(0, 300) });
  }
  return found;
}

/** Ends whatever a failed confinement let survive, so one failing test does not leave sleepers on the machine. */
export function killCarrying(token: string): void {
  for (const { pid } of processesCarrying(token)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

/**
 * Replaces the repository's node_modules link with a directory of its own: a link per package
 * of `realModules` (so the repository's tests still resolve everything) and a canary package of
 * real files, which an attack through the scratch copy's node_modules would change or delete.
 * The shared node_modules itself is never at risk, even when the confinement fails.
 */
export function canaryNodeModules(repoDir: string, realModules: string): { dir: string; canary: string } {
  const dir = path.join(repoDir, 'node_modules');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  for (const entry of readdirSync(realModules)) symlinkSync(path.join(realModules, entry), path.join(dir, entry));
  const canary = path.join(dir, 'aqe-canary');
  mkdirSync(canary);
  writeFileSync(path.join(canary, 'package.json'), '{ "name": "aqe-canary", "version": "1.0.0", "main": "index.js" }\n');
  writeFileSync(path.join(canary, 'index.js'), "module.exports = 'canary';\n");
  writeFileSync(path.join(canary, 'delete-me.js'), "module.exports = 'still here';\n");
  return { dir, canary };
}
