import { describe, expect, it } from '@jest/globals';
import { otlpHeaderSecrets, parseOtlpHeaders, parseOtlpOptions } from '../../src/config/parseOtlpOptions.js';
import { parseRunOptions } from '../../src/config/parseRunOptions.js';
import { InputError } from '../../src/core/InputError.js';
import { PrivacyViolationError } from '../../src/privacy/PrivacyViolationError.js';
import { thrown } from '../support/thrown.js';

const inputError = (fn: () => unknown): InputError => thrown(InputError, fn);
const endpoint = (url: string, headers = '') => parseOtlpOptions({ 'otlp-endpoint': url, 'otlp-headers': headers }, 'balanced', []);

describe('otlp-endpoint', () => {
  it('is off when empty', () => {
    expect(parseOtlpOptions({}, 'balanced', [])).toBeNull();
    expect(endpoint('  ')).toBeNull();
  });

  it('appends /v1/metrics to a base URL, as OTEL_EXPORTER_OTLP_ENDPOINT does, and keeps a full metrics URL as it is', () => {
    expect(endpoint('http://otel-collector:4318')!.url).toBe('http://otel-collector:4318/v1/metrics');
    expect(endpoint('http://otel-collector:4318/')!.url).toBe('http://otel-collector:4318/v1/metrics');
    expect(endpoint('https://otlp.example.com/otlp')!.url).toBe('https://otlp.example.com/otlp/v1/metrics');
    expect(endpoint('https://otlp.example.com/otlp/v1/metrics')!.url).toBe('https://otlp.example.com/otlp/v1/metrics');
    expect(endpoint('http://127.0.0.1:4318/v1/metrics/')!.url).toBe('http://127.0.0.1:4318/v1/metrics');
  });

  it('refuses what is not an http(s) URL, naming the input', () => {
    expect(inputError(() => endpoint('otel-collector:4318')).message).toMatch(/^Input "otlp-endpoint": /);
    expect(inputError(() => endpoint('grpc://collector:4317')).message).toContain('is not http: or https:');
    expect(inputError(() => endpoint('http://collector:4318?x=1')).message).toContain('has a query or fragment');
  });

  it('refuses credentials in the address, pointing to otlp-headers, without echoing the password', () => {
    const e = inputError(() => endpoint('https://user:hunter2@otlp.example.com'));
    expect(e.input).toBe('otlp-endpoint');
    expect(e.message).toContain('otlp-headers');
    expect(e.message).not.toContain('hunter2');
  });

  it('refuses headers without an endpoint', () => {
    expect(inputError(() => parseOtlpOptions({ 'otlp-headers': 'Authorization=Bearer x' }, 'balanced', [])).input).toBe('otlp-headers');
  });
});

describe('otlp-headers', () => {
  it('reads key=value pairs separated by commas or new lines, values percent-decoded', () => {
    expect(parseOtlpHeaders('Authorization=Bearer%20abc%3D%3D, X-Scope-OrgID=acme\napi-key = k=v')).toEqual({
      Authorization: 'Bearer abc==',
      'X-Scope-OrgID': 'acme',
      'api-key': 'k=v'
    });
    expect(endpoint('http://c:4318', 'Authorization=Basic dXNlcjpwYXNz')!.headers).toEqual({ Authorization: 'Basic dXNlcjpwYXNz' });
  });

  it('names a bad header by its position or key, never by its value', () => {
    const secret = 'sk-live-0123456789';
    for (const text of [
      `Authorization ${secret}`,
      `Bad Key=${secret}`,
      `Authorization=${secret}%zz`,
      `Authorization=${secret}%0d%0aX-Evil=1`,
      `A=${secret},a=${secret}`
    ]) {
      const e = inputError(() => parseOtlpHeaders(text));
      expect({ text, input: e.input }).toEqual({ text, input: 'otlp-headers' });
      expect(e.message).not.toContain(secret);
    }
    expect(inputError(() => parseOtlpHeaders('Authorization=x%0d%0aX-Evil=1')).message).toContain('control character');
    expect(inputError(() => parseOtlpHeaders('A=1,a=2')).message).toContain('given twice');
  });

  it('lists every value to mask, as written and decoded, even from text the parser refuses', () => {
    expect(otlpHeaderSecrets('Authorization=Bearer%20abc, X-Key=plain, broken, Y=%zz')).toEqual(['Bearer%20abc', 'Bearer abc', 'plain', 'broken', '%zz']);
    expect(otlpHeaderSecrets('')).toEqual([]);
  });
});

describe('otlp-endpoint under privacy strict', () => {
  const strict = (url: string, allowed: string) =>
    parseRunOptions({ privacy: 'strict', 'otlp-endpoint': url, 'allowed-endpoints': allowed }, { cwd: '/work/repo', tempDir: '/tmp/t' });

  it('fails fast when the collector is not on allowed-endpoints, loopback included', () => {
    for (const url of ['https://otlp.example.com', 'http://127.0.0.1:4318', 'http://localhost:4318']) {
      const e = thrown(PrivacyViolationError, () => strict(url, 'otel.internal:4318'));
      expect(e.message).toMatch(/^Input "privacy": privacy is strict, and otlp-endpoint sends the run's metrics to /);
      expect(e.message).toContain('allowed-endpoints');
    }
    expect(thrown(PrivacyViolationError, () => strict('https://otlp.example.com', '')).message).toContain('add otlp.example.com:443 to allowed-endpoints');
  });

  it('allows a collector whose host:port is listed', () => {
    expect(strict('http://otel.internal:4318', 'otel.internal:4318').otlp).toEqual({ url: 'http://otel.internal:4318/v1/metrics', headers: {} });
    expect(strict('http://127.0.0.1:4318', '127.0.0.1:4318').otlp?.url).toBe('http://127.0.0.1:4318/v1/metrics');
    expect(strict('https://[fd00::5]', '[fd00::5]:443').otlp?.url).toBe('https://[fd00::5]/v1/metrics');
  });

  it('needs no allow-list outside strict', () => {
    expect(parseRunOptions({ 'otlp-endpoint': 'https://otlp.example.com' }, { cwd: '/w', tempDir: '/t' }).otlp?.url).toBe(
      'https://otlp.example.com/v1/metrics'
    );
  });
});
