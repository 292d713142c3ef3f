import dgram from 'node:dgram';
import dns from 'node:dns';
import dnsPromises from 'node:dns/promises';
import { appendFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import { pathToFileURL } from 'node:url';
import tls from 'node:tls';

/** What may leave the machine. Everything else is refused before a socket is opened. */
export interface EgressPolicy {
  /** Destinations that may be reached; no port means any port. A hostname here may also be resolved. */
  allow: Array<{ host: string; port?: number }>;
  /** 127.0.0.0/8, ::1 and `localhost`. Unix domain sockets are always allowed: they never leave the machine. */
  allowLoopback: boolean;
  /** JSONL file that gets one `refused-connection` line per refused attempt. */
  auditFile?: string;
}

export type EgressProtocol = 'tcp' | 'tls' | 'udp' | 'dns' | 'http' | 'https' | 'fetch';

/** The environment variable the preload reads its policy from. */
export const EGRESS_POLICY_ENV = 'AQE_EGRESS_POLICY';

/** A connection the policy does not allow. Shaped like Node's own socket errors, so callers' handlers see a `code`. */
export class EgressRefusedError extends Error {
  override readonly name = 'EgressRefusedError';
  readonly code = 'ERR_AQE_EGRESS_REFUSED';
  readonly errno = -13; // EACCES: the caller is not permitted, not the far end refusing
  readonly syscall: string;
  constructor(
    readonly protocol: EgressProtocol,
    readonly destination: string,
    what?: string
  ) {
    super(
      `privacy: strict refused ${protocol} egress to ${destination}${what ? ` (${what})` : ''}: only loopback and allowed-endpoints may be reached. ` +
        `Add "${destination}" to allowed-endpoints if the run must reach it, or set privacy to balanced.`
    );
    this.syscall = protocol === 'dns' ? 'getaddrinfo' : 'connect';
  }
}

/** The JSON of a policy is malformed: the preload cannot know what to allow, so it allows nothing silently. */
export class EgressPolicyError extends Error {
  override readonly name = 'EgressPolicyError';
  constructor(source: string, problem: string) {
    super(
      `${source}: ${problem}. It must be the JSON of {"allow":[{"host":"h","port":1}],"allowLoopback":true,"auditFile":"/path"}, as egressGuardEnvironment() writes it.`
    );
  }
}

/** Reads a policy from its JSON (the preload's environment variable), checking every field. */
export function parseEgressPolicy(json: string | undefined, source: string = EGRESS_POLICY_ENV): EgressPolicy {
  if (json === undefined || json.trim() === '') throw new EgressPolicyError(source, 'is not set');
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    throw new EgressPolicyError(source, `is not JSON (${(e as Error).message})`);
  }
  if (typeof value !== 'object' || value === null) throw new EgressPolicyError(source, 'is not an object');
  const { allow, allowLoopback, auditFile } = value as Record<string, unknown>;
  if (typeof allowLoopback !== 'boolean') throw new EgressPolicyError(source, 'has no boolean "allowLoopback"');
  if (auditFile !== undefined && typeof auditFile !== 'string') throw new EgressPolicyError(source, '"auditFile" is not a string');
  if (!Array.isArray(allow)) throw new EgressPolicyError(source, 'has no array "allow"');
  const entries = allow.map((entry: unknown, i) => {
    const { host, port } = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    if (typeof host !== 'string' || host === '') throw new EgressPolicyError(source, `"allow[${i}].host" is not a non-empty string`);
    if (port !== undefined && !(Number.isInteger(port) && (port as number) > 0 && (port as number) < 65536))
      throw new EgressPolicyError(source, `"allow[${i}].port" is not a port number`);
    return port === undefined ? { host } : { host, port: port as number };
  });
  return { allow: entries, allowLoopback, ...(auditFile === undefined ? {} : { auditFile }) };
}

/**
 * The variables that make a Node child process install the guard before its own code runs. The caller appends
 * NODE_OPTIONS to any it already has. A file URL, because NODE_OPTIONS splits on spaces and a URL has none.
 */
export function egressGuardEnvironment(policy: EgressPolicy, preloadFile: string): Record<string, string> {
  return { NODE_OPTIONS: `--import=${pathToFileURL(preloadFile).href}`, [EGRESS_POLICY_ENV]: JSON.stringify(policy) };
}

function bareHost(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
}

function isLoopback(host: string): boolean {
  const h = bareHost(host);
  if (h === 'localhost' || h === '::1' || h === '::' || h === '0.0.0.0') return true; // 0.0.0.0 and :: reach this host
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return net.isIPv4(v4) && v4.startsWith('127.');
}

/** The longest destination the audit keeps; a longer one is cut, never dropped. */
const MAX_DESTINATION = 1024;

/**
 * host:port as the audit and the error show it. The host is the caller's string (code under test chooses it), so
 * whitespace, control characters and `%` are percent-encoded: the audit's one-token form holds for every attempt,
 * and none is left uncounted.
 */
function formatDestination(host: string, port: number | undefined): string {
  const h = bareHost(host).replace(/[\s\p{Cc}%]/gu, (ch) => encodeURIComponent(ch));
  const shown = net.isIPv6(h) ? `[${h}]` : h;
  const text = port === undefined ? shown : `${shown}:${port}`;
  return text.length > MAX_DESTINATION ? text.slice(0, MAX_DESTINATION) : text;
}

/** The policy's decisions, separate from the patching so each rule is plain to read. */
class EgressRules {
  constructor(private readonly policy: EgressPolicy) {}

  /** A connection to host:port (host an address or a name). */
  mayConnect(host: string, port: number | undefined): boolean {
    if (this.policy.allowLoopback && isLoopback(host)) return true;
    const h = bareHost(host);
    return this.policy.allow.some((a) => bareHost(a.host) === h && (a.port === undefined || a.port === port));
  }

  /** A name resolution: DNS is egress, so only localhost and allow-listed names; an address resolves to itself. */
  mayResolve(host: string): boolean {
    const h = bareHost(host);
    if (net.isIP(h) !== 0) return true;
    if (this.policy.allowLoopback && h === 'localhost') return true;
    return this.policy.allow.some((a) => bareHost(a.host) === h);
  }

  /** A reverse lookup of an address asks a name server about it, so the address itself must be allowed. */
  mayReverse(address: string): boolean {
    if (this.policy.allowLoopback && isLoopback(address)) return true;
    const h = bareHost(address);
    return this.policy.allow.some((a) => bareHost(a.host) === h);
  }
}

/**
 * The program and the script it runs, for the audit: never an argument, which may carry a token, and with control
 * characters removed (a script path is chosen by whoever wrote the repository).
 */
function processSummary(): string {
  const parts = process.argv.slice(0, 2).map((a) => {
    const clean = a.replace(/[\p{Cc}\s]+/gu, ' ').trim();
    return clean.length > 120 ? `${clean.slice(0, 117)}...` : clean;
  });
  return parts.join(' ');
}

type Restore = () => void;

const INSTALLED = Symbol.for('aqe.egressGuard.installed');
type GuardGlobal = typeof globalThis & { [INSTALLED]?: true };

function patch<T extends object, K extends keyof T>(target: T, key: K, replacement: T[K], restores: Restore[]): void {
  const original = target[key];
  target[key] = replacement;
  restores.push(() => {
    target[key] = original;
  });
}

function lastFunction(args: readonly unknown[]): ((...a: unknown[]) => void) | undefined {
  const last = args[args.length - 1];
  return typeof last === 'function' ? (last as (...a: unknown[]) => void) : undefined;
}

type Resolve = (this: unknown, hostname: string, ...rest: unknown[]) => unknown;

const RESOLVE_METHODS = [
  'resolve',
  'resolve4',
  'resolve6',
  'resolveAny',
  'resolveCaa',
  'resolveCname',
  'resolveMx',
  'resolveNaptr',
  'resolveNs',
  'resolvePtr',
  'resolveSoa',
  'resolveSrv',
  'resolveTlsa',
  'resolveTxt'
] as const;

/** Where an http(s).request call goes, from any of its argument forms; null for a Unix socket (local). */
function httpTarget(args: readonly unknown[], defaultPort: number): { host: string; port: number; url: string } | null | undefined {
  const [first, second] = args;
  let url: URL | undefined;
  let options: Record<string, unknown> = {};
  if (typeof first === 'string' || first instanceof URL) {
    try {
      url = new URL(String(first));
    } catch {
      return undefined; // the original rejects it with Node's own error
    }
    if (typeof second === 'object' && second !== null) options = second as Record<string, unknown>;
  } else if (typeof first === 'object' && first !== null) {
    options = first as Record<string, unknown>;
  }
  if (typeof options.socketPath === 'string' && options.socketPath !== '') return null;
  const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const host = text(options.hostname) ?? text(options.host) ?? url?.hostname ?? 'localhost';
  const agent = options.agent as { defaultPort?: number } | undefined;
  const port = Number(options.port ?? (url?.port || undefined) ?? options.defaultPort ?? agent?.defaultPort ?? defaultPort);
  const path = text(options.path) ?? (url ? `${url.pathname}${url.search}` : '/');
  const scheme = url?.protocol ?? (defaultPort === 443 ? 'https:' : 'http:');
  return { host, port, url: `${scheme}//${formatDestination(host, port)}${path}` };
}

/**
 * Patches every outbound path of this Node process so that a destination the policy does not allow is refused before
 * a socket exists: the higher layers (http, https, fetch, dns) refuse early so the error names the URL or the name,
 * and net.Socket's connect (which tls, http's agents and undici all end in) is the backstop for everything else.
 * Returns the uninstall, for tests; the preload never uninstalls.
 */
export function installEgressGuard(policy: EgressPolicy): () => void {
  const g = globalThis as GuardGlobal;
  if (g[INSTALLED]) throw new Error('The egress guard is already installed in this process: call the uninstall it returned first.');
  const rules = new EgressRules(policy);
  const restores: Restore[] = [];
  let auditWarned = false;

  const refuse = (protocol: EgressProtocol, destination: string, what?: string): EgressRefusedError => {
    const error = new EgressRefusedError(protocol, destination, what);
    if (policy.auditFile) {
      const entry = {
        type: 'refused-connection' as const,
        time: new Date().toISOString(),
        destination,
        protocol,
        pid: process.pid,
        process: processSummary(),
        layer: 'in-process' as const
      };
      try {
        // One write per line, so processes appending to the same file never interleave.
        appendFileSync(policy.auditFile, `${JSON.stringify(entry)}\n`);
      } catch (e) {
        if (!auditWarned) process.emitWarning(`The egress guard could not append to its audit file ${policy.auditFile}: ${(e as Error).message}`);
        auditWarned = true;
      }
    }
    return error;
  };

  // net.Socket#connect: net.connect, net.createConnection, tls.connect, http(s) agents and undici all end here.
  // eslint-disable-next-line @typescript-eslint/unbound-method -- kept to be called with the socket as this
  const socketConnect = net.Socket.prototype.connect;
  patch(
    net.Socket.prototype,
    'connect',
    function guardedConnect(this: net.Socket, ...args: unknown[]): net.Socket {
      // net.connect passes its arguments already normalized, as an array [options, callback].
      const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
      let host: string | undefined;
      let port: number | undefined;
      if (typeof first === 'object' && first !== null) {
        const o = first as { path?: unknown; host?: unknown; port?: unknown };
        // Node's own test: a truthy path is a pipe; http's agents pass path: null for TCP.
        if (!o.path) {
          host = typeof o.host === 'string' && o.host !== '' ? o.host : 'localhost';
          port = Number(o.port);
        }
      } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
        host = typeof args[1] === 'string' && args[1] !== '' ? args[1] : 'localhost';
        port = Number(first);
      } // else a string path: a Unix domain socket or a named pipe, local by definition.
      if (host !== undefined && !rules.mayConnect(host, port)) {
        const protocol: EgressProtocol = this instanceof tls.TLSSocket ? 'tls' : 'tcp';
        const error = refuse(protocol, formatDestination(host, port));
        // Delivered the way a failed connect is: an 'error' event once the caller (an http agent attaches its
        // listeners on a later tick) is listening, never a throw. Until then the socket reads as connecting, so
        // writes queue instead of failing with a different error.
        (this as { connecting: boolean }).connecting = true;
        setImmediate(() => this.destroy(error));
        return this;
      }
      return (socketConnect as (...a: unknown[]) => net.Socket).apply(this, args);
    } as typeof socketConnect,
    restores
  );

  // http(s).request and .get: refused early so the error and the audit name the scheme. get() calls its module's
  // own request, not the export, so both are patched.
  for (const [mod, scheme, defaultPort] of [
    [http, 'http', 80],
    [https, 'https', 443]
  ] as const) {
    const request = mod.request as (...a: unknown[]) => http.ClientRequest;
    const guardedRequest = (...args: unknown[]): http.ClientRequest => {
      const target = httpTarget(args, defaultPort);
      if (!target || rules.mayConnect(target.host, target.port)) return request(...args);
      const error = refuse(scheme, formatDestination(target.host, target.port), target.url);
      // A ClientRequest without an agent asks options.createConnection for its socket; handing back the error makes
      // it emit 'error' as for any failed connection, and no socket is made.
      const createConnection = (_o: unknown, done: (err: Error) => void): undefined => {
        done(error);
        return undefined;
      };
      const withUrl = typeof args[0] === 'string' || args[0] instanceof URL;
      const options = (withUrl ? (typeof args[1] === 'object' && args[1] !== null ? args[1] : {}) : (args[0] ?? {})) as object;
      const callback = args.find((a) => typeof a === 'function');
      const refusedOptions = { ...options, agent: undefined, createConnection };
      return withUrl ? request(args[0], refusedOptions, callback) : request(refusedOptions, callback);
    };
    patch(mod, 'request', guardedRequest as typeof mod.request, restores);
    patch(
      mod,
      'get',
      ((...args: unknown[]) => {
        const req = guardedRequest(...args);
        req.end();
        return req;
      }) as typeof mod.get,
      restores
    );
  }

  // fetch: undici connects through net (the backstop), but checking the URL first lets the audit say 'fetch'.
  if (typeof globalThis.fetch === 'function') {
    const fetch = globalThis.fetch;
    patch(
      globalThis,
      'fetch',
      function guardedFetch(this: unknown, input: string | URL | Request, init?: RequestInit): Promise<Response> {
        let url: URL | undefined;
        try {
          url = new URL(typeof input === 'string' || input instanceof URL ? String(input) : input.url);
        } catch {
          url = undefined; // fetch rejects it itself
        }
        if (url && (url.protocol === 'http:' || url.protocol === 'https:')) {
          const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
          if (!rules.mayConnect(url.hostname, port)) {
            const cause = refuse('fetch', formatDestination(url.hostname, port), `${url.origin}${url.pathname}`);
            // undici's own shape for a connection that failed: TypeError('fetch failed') with the reason as cause.
            return Promise.reject(Object.assign(new TypeError(`fetch failed: ${cause.message}`, { cause }), { code: cause.code }));
          }
        }
        return fetch.call(this, input, init);
      } as typeof fetch,
      restores
    );
  }

  // dgram: send to an address, and connect (after which send has no address and the peer was already checked).
  // eslint-disable-next-line @typescript-eslint/unbound-method -- kept to be called with the socket as this
  const dgramSend = dgram.Socket.prototype.send as (...a: unknown[]) => void;
  patch(
    dgram.Socket.prototype,
    'send',
    function guardedSend(this: dgram.Socket, ...args: unknown[]): void {
      let connected = true;
      try {
        this.remoteAddress();
      } catch {
        connected = false;
      }
      if (!connected) {
        // Node's own reading: send(msg, offset, length, port, address, cb) when args 3/4 say so, else send(msg, port, address, cb).
        const [, offset, length, port4, address4] = args;
        const long = Boolean(address4) || (Boolean(port4) && typeof port4 !== 'function');
        const port = Number(long ? port4 : offset);
        const address = long ? address4 : length;
        const host = typeof address === 'string' && address !== '' ? address : 'localhost';
        if (!rules.mayConnect(host, port)) {
          const error = refuse('udp', formatDestination(host, port));
          const callback = lastFunction(args);
          process.nextTick(() => (callback ? callback(error) : this.emit('error', error)));
          return;
        }
      }
      dgramSend.apply(this, args);
    } as typeof dgram.Socket.prototype.send,
    restores
  );
  // eslint-disable-next-line @typescript-eslint/unbound-method -- kept to be called with the socket as this
  const dgramConnect = dgram.Socket.prototype.connect as (...a: unknown[]) => void;
  patch(
    dgram.Socket.prototype,
    'connect',
    function guardedUdpConnect(this: dgram.Socket, ...args: unknown[]): void {
      const port = Number(args[0]);
      const host = typeof args[1] === 'string' && args[1] !== '' ? args[1] : 'localhost';
      if (!rules.mayConnect(host, port)) {
        const error = refuse('udp', formatDestination(host, port));
        // connect's callback is a 'connect' listener that takes no error: a failed connect is an 'error' event.
        process.nextTick(() => this.emit('error', error));
        return;
      }
      dgramConnect.apply(this, args);
    } as typeof dgram.Socket.prototype.connect,
    restores
  );

  // dns: the module's functions are bound to a default Resolver made at load time, so the module, both Resolver
  // prototypes and dns/promises are each patched.
  const guardResolve = (holder: Record<string, unknown>, name: string, promised: boolean): void => {
    const original = holder[name];
    if (typeof original !== 'function') return;
    const check = (subject: string, reverse: boolean): EgressRefusedError | undefined =>
      (reverse ? rules.mayReverse(subject) : rules.mayResolve(subject)) ? undefined : refuse('dns', formatDestination(subject, undefined), name);
    const reverse = name === 'reverse' || name === 'lookupService';
    holder[name] = function guardedDns(this: unknown, subject: unknown, ...rest: unknown[]): unknown {
      const error = typeof subject === 'string' ? check(subject, reverse) : undefined;
      if (!error) return (original as Resolve).call(this, subject as string, ...rest);
      if (promised) return Promise.reject(error);
      const callback = lastFunction(rest);
      if (callback) process.nextTick(() => callback(error));
      return name === 'lookup' || name === 'lookupService' ? undefined : {};
    };
    restores.push(() => {
      holder[name] = original;
    });
  };
  const dnsHolders: Array<[Record<string, unknown>, boolean]> = [
    [dns as unknown as Record<string, unknown>, false],
    [dns.Resolver.prototype as unknown as Record<string, unknown>, false],
    [dnsPromises as unknown as Record<string, unknown>, true],
    [dnsPromises.Resolver.prototype as unknown as Record<string, unknown>, true]
  ];
  // dns.promises is dns/promises in current Nodes; patching one object twice would wrap it twice.
  if ((dns.promises as unknown) !== dnsPromises) dnsHolders.push([dns.promises as unknown as Record<string, unknown>, true]);
  for (const [holder, promised] of dnsHolders) {
    for (const name of [...RESOLVE_METHODS, 'reverse', 'lookup', 'lookupService']) guardResolve(holder, name, promised);
  }

  // ESM's named imports of builtins (import { request } from 'node:http') are copies: refresh them.
  syncBuiltinESMExports();
  g[INSTALLED] = true;
  return () => {
    for (const restore of restores.reverse()) restore();
    syncBuiltinESMExports();
    delete g[INSTALLED];
  };
}
