/**
 * Strict mode's drop in aqe's own process, as the pipeline engages it: the plan (privacy-require-isolation refused
 * before any work where no OS layer can be had), the in-process guard in this very process, the guard handed to
 * every child runProcess starts, the audit lines, and the lift that ends all of it. The firewall probe is given as
 * unusable so that no rule is ever loaded into this machine's own tables; the firewall itself is proven in
 * egressFirewall.test.ts and, with the whole action, in privacyEgress.e2e.test.ts (inside namespaces of their own).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../../src/core/InputError.js';
import type { Logger } from '../../src/core/Logger.js';
import { packageRoot } from '../../src/core/packageRoot.js';
import { type EgressConfinement, planEgressConfinement } from '../../src/pipeline/confineEgress.js';
import { runProcess } from '../../src/process/runProcess.js';
import { AuditLog, readAuditLog } from '../../src/privacy/AuditLog.js';

const PRELOAD = path.join(packageRoot(), 'dist', 'egressGuardPreload.js');
const NO_FIREWALL = { usable: false, reason: 'nft and iptables are not installed (a test stand-in)' } as const;
/** TEST-NET-1: refused before a socket exists, so nothing is ever sent there. */
const OUTSIDE = '192.0.2.1';

const logger: Logger = { info: () => undefined, warn: () => undefined, group: (_name, task) => task() };

let dir: string;
let audit: AuditLog;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aqe-confine-'));
  audit = new AuditLog(path.join(dir, 'audit.jsonl'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const privacy = (requireIsolation: boolean) => ({ allowedEndpoints: [{ host: 'inference.internal', port: 8080 }], requireIsolation, auditLog: audit.file });

/** What a connection attempt from this process ends in: connected, or the error's code. */
function attempt(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

const CHILD = `const net = require('node:net');
const s = net.connect({ host: '${OUTSIDE}', port: 9 });
s.once('connect', () => { console.log('connected'); s.destroy(); });
s.once('error', (e) => console.log(e.code));
console.log('policy ' + (process.env.AQE_EGRESS_POLICY ? 'set' : 'unset'));`;

describe('planEgressConfinement', () => {
  it('refuses privacy-require-isolation where no OS layer can be had, naming the input, the reason and the ways out', async () => {
    let error: unknown;
    try {
      await planEgressConfinement({ privacy: privacy(true), audit, preloadFile: PRELOAD, logger, firewallProbe: NO_FIREWALL });
    } catch (e) {
      error = e;
    }
    if (
      Object.values(os.networkInterfaces())
        .flat()
        .every((a) => a?.internal)
    )
      return; // no network: an OS layer holds
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).input).toBe('privacy-require-isolation');
    expect((error as Error).message).toContain(NO_FIREWALL.reason);
    expect((error as Error).message).toContain('--network none');
  });

  it('without the requirement plans the in-process layer and names the gap', async () => {
    const plan = await planEgressConfinement({ privacy: privacy(false), audit, preloadFile: PRELOAD, logger, firewallProbe: NO_FIREWALL });
    expect(plan.layers).toEqual(['in-process']);
    expect(plan.gaps).toEqual([expect.stringContaining(NO_FIREWALL.reason)]);
    expect(plan.policy).toEqual({ allow: [{ host: 'inference.internal', port: 8080 }], allowLoopback: true, auditFile: audit.file });
  });
});

describe('engage and lift', () => {
  let confinement: EgressConfinement;
  let server: net.Server;
  let port: number;

  beforeAll(async () => {
    expect(existsSync(PRELOAD)).toBe(true);
    server = net.createServer((s) => s.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
    const plan = await planEgressConfinement({ privacy: privacy(false), audit, preloadFile: PRELOAD, logger, firewallProbe: NO_FIREWALL });
    confinement = await plan.engage();
  });

  afterAll(async () => {
    await confinement?.lift();
    await new Promise((resolve) => server.close(resolve));
  });

  it('refuses this process an outside destination before a socket exists, keeps loopback, and audits the refusal', async () => {
    expect(await attempt(OUTSIDE, 9)).toBe('ERR_AQE_EGRESS_REFUSED');
    expect(await attempt('127.0.0.1', port)).toBe('connected');
    expect(readAuditLog(audit.file)).toContainEqual(
      expect.objectContaining({ type: 'refused-connection', destination: `${OUTSIDE}:9`, protocol: 'tcp', pid: process.pid, layer: 'in-process' })
    );
  });

  it('gives every child runProcess starts the guard, whose refusals land in the same audit', async () => {
    const child = await runProcess({ command: process.execPath, args: ['-e', CHILD], cwd: dir, env: { PATH: process.env.PATH }, timeoutMs: 20_000 });
    expect(child.stdout.trim().split('\n').sort()).toEqual(['ERR_AQE_EGRESS_REFUSED', 'policy set']);
    const childLines = readAuditLog(audit.file).filter((e) => e.type === 'refused-connection' && e.pid !== process.pid);
    expect(childLines).toEqual([expect.objectContaining({ destination: `${OUTSIDE}:9`, protocol: 'tcp', layer: 'in-process' })]);
  });

  it('lifts once: children start without the guard again, and a second lift is a no-op', async () => {
    expect(await confinement.lift()).toEqual({});
    expect(await confinement.lift()).toEqual({});
    const child = await runProcess({
      command: process.execPath,
      args: ['-e', "console.log('policy ' + (process.env.AQE_EGRESS_POLICY ? 'set' : 'unset'))"],
      cwd: dir,
      env: { PATH: process.env.PATH },
      timeoutMs: 20_000
    });
    expect(child.stdout.trim()).toBe('policy unset');
    expect(await attempt('127.0.0.1', port)).toBe('connected');
  });
});
