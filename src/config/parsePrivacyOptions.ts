import { isIP } from 'node:net';
import path from 'node:path';
import { InputError } from '../core/InputError.js';
import type { AllowedEndpoint, PrivacyOptions } from '../core/Privacy.js';
import { parseBoolean } from './inputValues.js';
import { quote } from './routingValueChecks.js';

/**
 * The privacy inputs besides `privacy` itself (which the router reads). None of them can come from .aqe/config.yml:
 * the file is part of the pull request, and an allow-list or a relaxed requirement there would let the change under
 * test decide where its own code may go.
 */
export const PRIVACY_INPUT_DEFAULTS = {
  'allowed-endpoints': '',
  'privacy-require-isolation': 'false',
  'audit-log': ''
} as const;

export type PrivacyInputName = keyof typeof PRIVACY_INPUT_DEFAULTS;

const MAX_ENDPOINTS = 64;
/** RFC 1123 host names: labels of letters, digits and hyphens. */
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

export function parsePrivacyOptions(raw: Partial<Record<PrivacyInputName, string>>, ctx: { cwd: string; tempDir: string }): PrivacyOptions {
  const text = (name: PrivacyInputName): string => (raw[name] ?? '').trim() || PRIVACY_INPUT_DEFAULTS[name];
  const auditLog = text('audit-log');
  return {
    allowedEndpoints: parseAllowedEndpoints(text('allowed-endpoints')),
    requireIsolation: parseBoolean('privacy-require-isolation', text('privacy-require-isolation')),
    auditLog: auditLog === '' ? path.join(ctx.tempDir, 'aqe-audit.jsonl') : path.resolve(ctx.cwd, auditLog)
  };
}

/** `host:port` entries, separated by commas, spaces or new lines; IPv6 addresses in brackets (`[fd00::1]:8080`). */
export function parseAllowedEndpoints(text: string): AllowedEndpoint[] {
  const entries = text.split(/[\s,]+/).filter((e) => e !== '');
  if (entries.length > MAX_ENDPOINTS) {
    throw new InputError('allowed-endpoints', `${entries.length} endpoints are listed, more than ${MAX_ENDPOINTS}`, 'List only the endpoints the run needs');
  }
  const endpoints: AllowedEndpoint[] = [];
  for (const entry of entries) {
    const endpoint = parseEndpoint(entry);
    if (!endpoints.some((e) => e.host === endpoint.host && e.port === endpoint.port)) endpoints.push(endpoint);
  }
  return endpoints;
}

function parseEndpoint(entry: string): AllowedEndpoint {
  const fix = 'Give each endpoint as host:port (inference.internal:8080, 10.0.0.5:443, [fd00::5]:8080), separated by commas or new lines';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(entry)) {
    throw new InputError(
      'allowed-endpoints',
      `${quote(entry)} is a URL, not an endpoint`,
      `${fix}: for ${quote(entry)} that is ${quote(hostPortOfUrl(entry))}`
    );
  }
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(entry);
  if (!match) throw new InputError('allowed-endpoints', `${quote(entry)} is not host:port (the port is required)`, fix);
  const host = (match[1] ?? match[2]!).toLowerCase();
  const port = Number(match[3]);
  if (match[1] !== undefined ? isIP(host) !== 6 : isIP(host) !== 4 && !HOST_NAME.test(host)) {
    throw new InputError('allowed-endpoints', `${quote(entry)} does not name a host`, fix);
  }
  if (port < 1 || port > 65_535) throw new InputError('allowed-endpoints', `${quote(entry)} has port ${port}, outside 1-65535`, fix);
  return { host, port };
}

function hostPortOfUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
  } catch {
    return 'host:port';
  }
}
