import { InputError } from '../core/InputError.js';
import { type AllowedEndpoint, isAllowedEndpoint } from '../core/Privacy.js';
import type { PrivacyMode } from '../core/Routing.js';
import type { OtlpOptions } from '../core/RunOptions.js';
import { PrivacyViolationError } from '../privacy/PrivacyViolationError.js';
import { quote, urlProblem, withoutCredentials } from './routingValueChecks.js';

/**
 * The metrics export inputs. Like the privacy inputs they cannot come from .aqe/config.yml: the file is part of the
 * pull request, which must not choose where the run's figures and the collector's credentials go.
 */
export const OTLP_INPUT_DEFAULTS = {
  'otlp-endpoint': '',
  'otlp-headers': ''
} as const;

export type OtlpInputName = keyof typeof OTLP_INPUT_DEFAULTS;

/** The OTLP/HTTP path of the metrics signal, which OTEL_EXPORTER_OTLP_ENDPOINT's rule appends to a base URL. */
export const OTLP_METRICS_PATH = '/v1/metrics';

const MAX_HEADERS = 32;
/** RFC 9110 token: the characters a header name may have. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/i;

/**
 * otlp-endpoint and otlp-headers, checked. The endpoint follows OTEL_EXPORTER_OTLP_ENDPOINT: a base URL
 * (http://collector:4318) gets /v1/metrics appended, a URL already ending in /v1/metrics is used as it is. Under
 * strict privacy the collector's host:port must be on allowed-endpoints, loopback included, as for any other endpoint:
 * the allow-list is the one place a strict run's destinations are written down.
 */
export function parseOtlpOptions(
  raw: Partial<Record<OtlpInputName, string>>,
  privacy: PrivacyMode,
  allowedEndpoints: readonly AllowedEndpoint[]
): OtlpOptions | null {
  const endpoint = (raw['otlp-endpoint'] ?? '').trim();
  const headersText = (raw['otlp-headers'] ?? '').trim();
  if (endpoint === '') {
    if (headersText !== '') {
      throw new InputError(
        'otlp-headers',
        'it is set but otlp-endpoint is empty',
        'Set otlp-endpoint to the collector the headers are for, or remove otlp-headers'
      );
    }
    return null;
  }
  const url = metricsUrl(endpoint);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  if (privacy === 'strict' && !isAllowedEndpoint(allowedEndpoints, url.hostname, port)) {
    const hostPort = `${url.hostname.replace(/^\[|\]$/g, '')}:${port}`;
    throw new PrivacyViolationError(
      `privacy is strict, and otlp-endpoint sends the run's metrics to ${url.origin}, which is not on allowed-endpoints (strict lets nothing leave aqe's process unlisted, loopback included)`,
      `If the collector is inside your network, add ${hostPort} to allowed-endpoints; otherwise remove otlp-endpoint from this job or use privacy: balanced`
    );
  }
  return { url: url.href, headers: parseOtlpHeaders(headersText) };
}

function metricsUrl(endpoint: string): URL {
  const problem = urlProblem(endpoint, 'allowed');
  if (problem) {
    throw new InputError(
      'otlp-endpoint',
      problem.problem,
      "Give the collector's OTLP/HTTP address, e.g. http://otel-collector:4318 (or its full …/v1/metrics URL)"
    );
  }
  const url = new URL(endpoint);
  if (url.username !== '' || url.password !== '') {
    throw new InputError(
      'otlp-endpoint',
      `${quote(withoutCredentials(endpoint))} holds a user name or password, which would be written to the log with the address`,
      'Remove them from the address and pass them in otlp-headers from a secret (e.g. Authorization=Basic <base64 of user:password>)'
    );
  }
  const base = url.pathname.replace(/\/+$/, '');
  url.pathname = base.endsWith(OTLP_METRICS_PATH) ? base : `${base}${OTLP_METRICS_PATH}`;
  return url;
}

/**
 * `key=value` pairs separated by commas or new lines, values percent-decoded, as OTEL_EXPORTER_OTLP_HEADERS has them.
 * A message names a header by its key, never its value: the values are credentials.
 */
export function parseOtlpHeaders(text: string): Record<string, string> {
  const fix =
    'Give the headers as key=value pairs separated by commas (Authorization=Bearer%20<token>,X-Scope-OrgID=tenant), a value percent-encoded where it holds a comma';
  const entries = splitEntries(text);
  if (entries.length > MAX_HEADERS)
    throw new InputError('otlp-headers', `${entries.length} headers are given, more than ${MAX_HEADERS}`, 'Give only the headers the collector needs');
  const headers: Record<string, string> = {};
  entries.forEach((entry, i) => {
    const eq = entry.indexOf('=');
    if (eq < 0) throw new InputError('otlp-headers', `entry ${i + 1} has no "=" between its key and its value`, fix);
    const key = entry.slice(0, eq).trim();
    if (!HEADER_NAME.test(key)) throw new InputError('otlp-headers', `entry ${i + 1} has the key ${quote(key, 40)}, which is not a header name`, fix);
    let value: string;
    try {
      value = decodeURIComponent(entry.slice(eq + 1).trim());
    } catch {
      throw new InputError('otlp-headers', `the value of ${key} has a % that does not start a percent-encoded character`, 'Write a literal % as %25');
    }
    // A line break in a value would end the header and let the rest pose as one more.
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value))
      throw new InputError('otlp-headers', `the value of ${key} holds a control character`, 'Remove it; percent-decoding must not yield line breaks');
    if (Object.keys(headers).some((k) => k.toLowerCase() === key.toLowerCase()))
      throw new InputError('otlp-headers', `${key} is given twice`, 'Give each header once');
    headers[key] = value;
  });
  return headers;
}

/**
 * What of otlp-headers must be masked in the log, found without judging the text: it runs before the inputs are
 * checked, so that not even a malformed value can reach an error message unmasked.
 */
export function otlpHeaderSecrets(text: string): string[] {
  const secrets = new Set<string>();
  for (const entry of splitEntries(text)) {
    const value = entry.slice(entry.indexOf('=') + 1).trim();
    if (value === '') continue;
    secrets.add(value);
    try {
      secrets.add(decodeURIComponent(value));
    } catch {
      // Malformed: parseOtlpHeaders refuses it by its key; the raw value is masked already.
    }
  }
  return [...secrets];
}

function splitEntries(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((e) => e.trim())
    .filter((e) => e !== '');
}
