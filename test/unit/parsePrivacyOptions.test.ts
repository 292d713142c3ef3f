import { describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { parseAllowedEndpoints, parsePrivacyOptions } from '../../src/config/parsePrivacyOptions.js';
import { InputError } from '../../src/core/InputError.js';
import { isAllowedEndpoint } from '../../src/core/Privacy.js';
import { thrown } from '../support/thrown.js';

const ctx = { cwd: '/work/repo', tempDir: '/tmp/runner-temp' };

const inputError = (fn: () => unknown): InputError => thrown(InputError, fn);

describe('parsePrivacyOptions', () => {
  it('defaults: nothing allowed, no OS layer required, the audit log in the runner temp directory', () => {
    expect(parsePrivacyOptions({}, ctx)).toEqual({ allowedEndpoints: [], requireIsolation: false, auditLog: path.join('/tmp/runner-temp', 'aqe-audit.jsonl') });
  });

  it('reads the allow-list, the requirement and a relative audit path', () => {
    expect(
      parsePrivacyOptions({ 'allowed-endpoints': 'gpu-box.internal:8080', 'privacy-require-isolation': 'true', 'audit-log': 'out/audit.jsonl' }, ctx)
    ).toEqual({
      allowedEndpoints: [{ host: 'gpu-box.internal', port: 8080 }],
      requireIsolation: true,
      auditLog: '/work/repo/out/audit.jsonl'
    });
  });

  it('splits on commas, spaces and new lines, lower-cases hosts, keeps IPv6 bare and drops repeats', () => {
    expect(parseAllowedEndpoints('GPU-Box:8080, 10.0.0.5:443\n[fd00::5]:8080  gpu-box:8080')).toEqual([
      { host: 'gpu-box', port: 8080 },
      { host: '10.0.0.5', port: 443 },
      { host: 'fd00::5', port: 8080 }
    ]);
  });

  it.each([
    ['gpu-box', 'is not host:port (the port is required)'],
    ['http://gpu-box:8080/v1', 'is a URL, not an endpoint'],
    ['gpu-box:99999', 'has port 99999, outside 1-65535'],
    ['gpu box:80', 'is not host:port'],
    ['under_score.example:80', 'does not name a host'],
    ['[not-v6]:80', 'does not name a host'],
    ['fd00::5:8080', 'is not host:port']
  ])('refuses %j, naming the input and the form to use', (entry, problem) => {
    const e = inputError(() => parseAllowedEndpoints(entry));
    expect(e.input).toBe('allowed-endpoints');
    expect(e.message).toContain(problem);
    expect(e.message).toContain('host:port');
  });

  it('turns a URL into the endpoint to write', () => {
    expect(inputError(() => parseAllowedEndpoints('https://inference.internal/v1')).message).toContain('"inference.internal:443"');
  });

  it('refuses a requirement that is not a boolean', () => {
    expect(inputError(() => parsePrivacyOptions({ 'privacy-require-isolation': 'sometimes' }, ctx)).input).toBe('privacy-require-isolation');
  });
});

describe('isAllowedEndpoint', () => {
  const allowed = [
    { host: 'gpu-box', port: 8080 },
    { host: 'fd00::5', port: 443 }
  ];
  it('matches host and port, hosts case-insensitively and IPv6 with or without brackets', () => {
    expect(isAllowedEndpoint(allowed, 'GPU-BOX', 8080)).toBe(true);
    expect(isAllowedEndpoint(allowed, '[fd00::5]', 443)).toBe(true);
    expect(isAllowedEndpoint(allowed, 'gpu-box', 8081)).toBe(false);
    expect(isAllowedEndpoint(allowed, 'gpu-box.evil', 8080)).toBe(false);
  });
});
