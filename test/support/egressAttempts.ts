/**
 * A pull request whose source tries every way out of the machine it knows, all to one outside
 * host, for the privacy proof: fetch, http.get, net.connect, tls.connect, a UDP datagram, DNS over
 * UDP (a Resolver pointed at the host), DNS over TCP (a raw query framed with its length), DNS
 * over HTTPS, and curl in a child process. Every attempt has a short time limit and settles: the
 * function never throws, it returns what each attempt came to, so the pull request's own test (and
 * the "generated" one) pass whatever the network does, and the baseline is healthy in every mode.
 *
 * Each file is TypeScript as the example repository compiles it (strict, CommonJS).
 */
import { OUTSIDE_ADDRESS } from './outsideHost.js';

/** The module the pull request adds, and its target in the replay file. */
export const EGRESS_SOURCE_FILE = 'src/egress.ts';
/** The pull request's own test of it. */
export const EGRESS_OWN_TEST_FILE = 'test/egress.test.ts';
/** The name the DNS attempts ask for: in the audit, a DNS refusal names it. */
export const PROBE_NAME = 'aqe-egress-probe.example';
export const UDP_PORT = 9999;
/** The attempts, by label: what tryEgress returns a result for. */
export const ATTEMPTS = ['fetch', 'http', 'tcp', 'tls', 'udp', 'dnsUdp', 'dnsTcp', 'doh', 'curl'] as const;

/**
 * What the in-process layer refuses, one entry per Node attempt (curl is not Node: the OS layers stop it, and the
 * audit does not see it), as the audit log writes them.
 */
export const IN_PROCESS_REFUSALS: ReadonlyArray<{ attempt: (typeof ATTEMPTS)[number]; protocol: string; destination: string }> = [
  { attempt: 'fetch', protocol: 'fetch', destination: `${OUTSIDE_ADDRESS}:8080` },
  { attempt: 'http', protocol: 'http', destination: `${OUTSIDE_ADDRESS}:80` },
  { attempt: 'tcp', protocol: 'tcp', destination: `${OUTSIDE_ADDRESS}:8080` },
  { attempt: 'tls', protocol: 'tls', destination: `${OUTSIDE_ADDRESS}:443` },
  { attempt: 'udp', protocol: 'udp', destination: `${OUTSIDE_ADDRESS}:${UDP_PORT}` },
  { attempt: 'dnsUdp', protocol: 'dns', destination: PROBE_NAME },
  { attempt: 'dnsTcp', protocol: 'tcp', destination: `${OUTSIDE_ADDRESS}:53` },
  { attempt: 'doh', protocol: 'fetch', destination: `${OUTSIDE_ADDRESS}:443` }
];

export function egressSource(): string {
  const c = (value: unknown): string => JSON.stringify(value);
  return `import { execFile } from 'child_process';
import * as dgram from 'dgram';
import * as dns from 'dns';
import * as http from 'http';
import * as net from 'net';
import * as tls from 'tls';

const OUTSIDE = ${c(OUTSIDE_ADDRESS)};
const PROBE_NAME = ${c(PROBE_NAME)};
const UDP_PORT = ${c(UDP_PORT)};
const WAIT_MS = 2500;

type Outcome = string;

function codeOf(error: unknown): string {
  const e = error as { code?: unknown; cause?: { code?: unknown }; name?: unknown };
  return String(e?.cause?.code ?? e?.code ?? e?.name ?? 'failed');
}

/** Runs one attempt; whatever it does, it comes back within WAIT_MS as a word. */
function settle(start: (done: (outcome: Outcome) => void) => (() => void) | void): Promise<Outcome> {
  return new Promise((resolve) => {
    let finished = false;
    let cleanUp: (() => void) | void = undefined;
    const done = (outcome: Outcome): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      try {
        if (cleanUp) cleanUp();
      } catch {
        // the attempt's own resources; nothing left to report
      }
      resolve(outcome);
    };
    const timer = setTimeout(() => done('timeout'), WAIT_MS);
    try {
      cleanUp = start(done);
    } catch (error) {
      done('threw-' + codeOf(error));
    }
  });
}

/** A DNS query for PROBE_NAME, type A, as it goes on the wire. */
function dnsQuery(): Buffer {
  const header = Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
  const labels = PROBE_NAME.split('.').map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'ascii')]));
  return Buffer.concat([header, ...labels, Buffer.from([0x00, 0x00, 0x01, 0x00, 0x01])]);
}

function viaFetch(url: string): Promise<Outcome> {
  return settle((done) => {
    fetch(url, { signal: AbortSignal.timeout(WAIT_MS - 200) }).then(
      (response) => done('status-' + response.status),
      (error) => done(codeOf(error))
    );
  });
}

/** Tries every way to reach the outside host and says what each came to; never throws. */
export async function tryEgress(): Promise<Record<string, Outcome>> {
  const attempts: Record<string, Promise<Outcome>> = {
    fetch: viaFetch('http://' + OUTSIDE + ':8080/'),
    http: settle((done) => {
      const request = http.get({ host: OUTSIDE, port: 80, path: '/', timeout: WAIT_MS }, (response) => {
        response.resume();
        done('status-' + response.statusCode);
      });
      request.on('error', (error) => done(codeOf(error)));
      return () => request.destroy();
    }),
    tcp: settle((done) => {
      const socket = net.connect({ host: OUTSIDE, port: 8080 });
      socket.on('connect', () => done('connected'));
      socket.on('error', (error) => done(codeOf(error)));
      return () => socket.destroy();
    }),
    tls: settle((done) => {
      const socket = tls.connect({ host: OUTSIDE, port: 443, rejectUnauthorized: false });
      socket.on('secureConnect', () => done('connected'));
      socket.on('error', (error) => done(codeOf(error)));
      socket.on('close', () => done('closed'));
      return () => socket.destroy();
    }),
    udp: settle((done) => {
      const socket = dgram.createSocket('udp4');
      socket.on('error', (error) => done(codeOf(error)));
      socket.send(Buffer.from('aqe egress probe'), UDP_PORT, OUTSIDE, (error) => done(error ? codeOf(error) : 'sent'));
      return () => socket.close();
    }),
    dnsUdp: settle((done) => {
      const resolver = new dns.Resolver({ timeout: 1000, tries: 1 });
      resolver.setServers([OUTSIDE]);
      resolver.resolve4(PROBE_NAME, (error, addresses) => done(error ? codeOf(error) : 'resolved-' + addresses.length));
      return () => resolver.cancel();
    }),
    dnsTcp: settle((done) => {
      const query = dnsQuery();
      const length = Buffer.alloc(2);
      length.writeUInt16BE(query.length);
      const socket = net.connect({ host: OUTSIDE, port: 53 });
      socket.on('connect', () => socket.write(Buffer.concat([length, query])));
      socket.on('data', () => done('answered'));
      socket.on('error', (error) => done(codeOf(error)));
      socket.on('close', () => done('closed'));
      return () => socket.destroy();
    }),
    doh: viaFetch('https://' + OUTSIDE + '/dns-query?dns=' + dnsQuery().toString('base64url')),
    curl: settle((done) => {
      const child = execFile('curl', ['-s', '-m', '2', 'http://' + OUTSIDE + ':8080/'], (error) =>
        done(error ? 'exit-' + String((error as { code?: unknown }).code ?? 'failed') : 'ok')
      );
      return () => child.kill('SIGKILL');
    })
  };
  const outcomes: Record<string, Outcome> = {};
  for (const [label, outcome] of Object.entries(attempts)) outcomes[label] = await outcome;
  return outcomes;
}
`;
}

/** The pull request's own test of the module: it asserts only that every attempt settled, so it passes whatever the network does. */
export function egressOwnTest(): string {
  return `import { describe, expect, it } from '@jest/globals';
import { tryEgress } from '../src/egress';

describe('tryEgress', () => {
  it('tries every way out and settles each attempt', async () => {
    const outcomes = await tryEgress();
    expect(Object.keys(outcomes).sort()).toEqual(${JSON.stringify([...ATTEMPTS].sort())});
  }, 20000);
});
`;
}

/**
 * The replay answer's test, the "generated" one: it calls the module too (so the candidates' runs try every way out),
 * with an assertion of its own, so the validation does not drop it as a repeat of the pull request's test.
 */
export function egressGeneratedTest(): string {
  return `import { describe, expect, it } from '@jest/globals';
import { tryEgress } from '../src/egress';

describe('tryEgress outcomes', () => {
  it('describes every attempt with a non-empty word', async () => {
    const outcomes = await tryEgress();
    for (const outcome of Object.values(outcomes)) expect(outcome).toMatch(/^\\S+$/);
  }, 20000);
});
`;
}
