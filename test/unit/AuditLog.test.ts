import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import {
  AuditLog,
  AuditLogError,
  inspectAuditLog,
  parseAuditLog,
  promptSha256,
  readAuditLog,
  type AuditEntry,
  type ModelRequestEntry,
  type RefusedConnectionEntry,
  type RunEntry
} from '../../src/privacy/AuditLog.js';
import { summarizeAudit } from '../../src/privacy/auditSummary.js';
import { PrivacyViolationError } from '../../src/privacy/PrivacyViolationError.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

let dir: string;
let cases = 0;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aqe-audit-log-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
const freshFile = (): string => path.join(dir, `case-${++cases}`, 'audit.jsonl');

const SYSTEM = 'You write jest tests.';
const USER = 'const key = "AKIAIOSFODNN7EXAMPLE"; // the code under test';

const request = (over: Partial<ModelRequestEntry> = {}): ModelRequestEntry => ({
  type: 'model-request',
  time: '2025-05-01T10:00:00.000Z',
  target: 'src/math.ts',
  provider: 'anthropic',
  model: 'claude-sonnet-4-5',
  endpoint: 'https://api.anthropic.com',
  tier: 'cloud',
  rule: 'complexity',
  promptSha256: promptSha256(SYSTEM, USER),
  promptTokens: 1200,
  completionTokens: 300,
  redactions: { 'secretlint-rule-aws': 1 },
  outcome: 'answered',
  ...over
});
const refused = (over: Partial<RefusedConnectionEntry> = {}): RefusedConnectionEntry => ({
  type: 'refused-connection',
  time: '2025-05-01T10:00:01.000Z',
  destination: '192.0.2.7:443',
  protocol: 'tls',
  pid: 4242,
  process: 'node jest --runInBand',
  layer: 'in-process',
  ...over
});
const run = (over: Partial<RunEntry> = {}): RunEntry => ({
  type: 'run',
  time: '2025-05-01T09:59:59.000Z',
  event: 'start',
  privacy: 'strict',
  enforcement: ['in-process', 'firewall'],
  ...over
});

describe('promptSha256', () => {
  const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

  it('is the SHA-256 of the JSON array [system, user], as its comment tells an auditor to recompute it', () => {
    expect(promptSha256('sys', 'user')).toBe(sha256('["sys","user"]'));
    expect(promptSha256(undefined, 'user')).toBe(sha256('[null,"user"]'));
    expect(promptSha256(SYSTEM, USER)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('tells apart prompts that plain concatenation would not', () => {
    expect(promptSha256('ab', 'c')).not.toBe(promptSha256('a', 'bc'));
    expect(promptSha256('a"', 'b')).not.toBe(promptSha256('a', '"b'));
    expect(promptSha256('a","b', 'c')).not.toBe(promptSha256('a', 'b","c'));
    expect(promptSha256(undefined, 'x')).not.toBe(promptSha256('', 'x'));
    expect(promptSha256('', 'ab')).not.toBe(promptSha256('a', 'b'));
  });

  it('is stable for the same prompt', () => {
    expect(promptSha256(SYSTEM, USER)).toBe(promptSha256(`${SYSTEM}`, `${USER}`));
  });
});

describe('AuditLog', () => {
  it('appends one JSON line per entry and reads every kind back as written', () => {
    const file = freshFile();
    const log = new AuditLog(file);
    const entries: AuditEntry[] = [
      run(),
      request(),
      request({ tier: 'local', provider: 'node-llama-cpp', endpoint: 'in-process', redactions: {} }),
      refused(),
      refused({ destination: 'example.com', protocol: 'dns' }),
      run({ event: 'end' })
    ];
    for (const entry of entries) log.append(entry);
    const text = readFileSync(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(
      text
        .split('\n')
        .slice(0, -1)
        .map((line) => JSON.parse(line) as unknown)
    ).toEqual(entries);
    expect(readAuditLog(file)).toEqual(entries);
    expect(inspectAuditLog(file).skipped).toEqual([]);
  });

  it('holds the prompt only as its hash', () => {
    const file = freshFile();
    new AuditLog(file).append(request());
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(promptSha256(SYSTEM, USER));
    expect(text).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(text).not.toContain(SYSTEM);
  });

  it('resolves its path once, so a later chdir does not move the log, and creates the directory', () => {
    const relative = path.relative(process.cwd(), freshFile());
    const log = new AuditLog(relative);
    expect(log.file).toBe(path.resolve(relative));
    log.append(run());
    expect(readAuditLog(log.file)).toEqual([run()]);
  });

  it.each<[string, AuditEntry]>([
    ['a prompt in a field no entry has', { ...request(), prompt: USER } as unknown as AuditEntry],
    ['prompt text where the hash belongs', request({ promptSha256: USER })],
    ['an endpoint with a path and credentials', request({ endpoint: 'https://user:pw@llm.internal:8443/v1' })],
    ['a time that is not ISO', refused({ time: 'yesterday' })],
    ['a negative token count', request({ promptTokens: -1 })],
    ['an unknown protocol', refused({ protocol: 'quic' as RefusedConnectionEntry['protocol'] })],
    ['a redaction kind that reaches Object.prototype', request({ redactions: JSON.parse('{"__proto__": 1}') as Record<string, number> })],
    ['a destination with a newline', refused({ destination: '192.0.2.7:443\n{"type":"run"}' })]
  ])('refuses %s, and the file is left as it was', (_, entry) => {
    const file = freshFile();
    const log = new AuditLog(file);
    log.append(run());
    const before = readFileSync(file, 'utf8');
    expect(() => log.append(entry)).toThrow(AuditLogError);
    expect(() => log.append(entry)).toThrow(
      /refused an entry that is not valid \(a (model-request|refused-connection) entry .*\)\. This is a bug in the caller/
    );
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('does not follow a link planted where the file should be', () => {
    const file = freshFile();
    mkdirSync(path.dirname(file), { recursive: true });
    const elsewhere = path.join(path.dirname(file), 'elsewhere.txt');
    writeFileSync(elsewhere, 'untouched\n');
    symlinkSync(elsewhere, file);
    expect(() => new AuditLog(file).append(run())).toThrow(/cannot be opened for appending: .*ELOOP.*Point it at a regular file \(not a link\)/);
    expect(readFileSync(elsewhere, 'utf8')).toBe('untouched\n');
  });

  it('names the file when it cannot be written', () => {
    const file = freshFile();
    mkdirSync(file, { recursive: true });
    expect(() => new AuditLog(file).append(run())).toThrow(`Audit log ${JSON.stringify(file)}: cannot be opened for appending`);
  });
});

describe('readAuditLog', () => {
  it('skips and counts every line that is not a valid entry, naming none of its text', () => {
    const good = [run(), request(), refused()];
    const lines = [
      JSON.stringify(good[0]),
      '{"type":"refused-connection","time":"2025-05-01T10:00:01.000Z","destin', // a line cut short
      JSON.stringify({ ...request(), prompt: 'SECRET-PROMPT-TEXT' }),
      JSON.stringify(good[1]),
      JSON.stringify({ type: 'telemetry', payload: 'SECRET-PAYLOAD' }),
      JSON.stringify(['SECRET-IN-ARRAY']),
      JSON.stringify(refused({ pid: 'SECRET-PID' as unknown as number })),
      '{"type":"model-request","redactions":{"__proto__":1}}',
      '',
      JSON.stringify(good[2])
    ];
    const file = freshFile();
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${lines.join('\n')}\n`);

    expect(readAuditLog(file)).toEqual(good);
    const { skipped } = inspectAuditLog(file);
    expect(skipped).toEqual([
      { line: 2, reason: 'not JSON' },
      { line: 3, reason: 'a model-request entry with a field no entry has' },
      { line: 5, reason: 'not an entry type this log has' },
      { line: 6, reason: 'not an object' },
      { line: 7, reason: 'a refused-connection entry whose pid is not valid' },
      { line: 8, reason: expect.stringMatching(/^a model-request entry (whose \w+ is not valid|that is not valid)$/) },
      { line: 9, reason: 'not JSON' }
    ]);
    expect(JSON.stringify(skipped)).not.toMatch(/SECRET|__proto__/);
  });

  it('gives an entry without prototype surprises: a `__proto__` key never becomes a redaction kind', () => {
    const { entries, skipped } = parseAuditLog(`${JSON.stringify(request()).replace('"secretlint-rule-aws"', '"__proto__"')}\n`);
    expect(entries).toEqual([]);
    expect(skipped).toHaveLength(1);
  });

  it('reads a log nothing was appended to yet as empty, and names the file it cannot read', () => {
    expect(inspectAuditLog(path.join(dir, 'never-written.jsonl'))).toEqual({ entries: [], skipped: [] });
    expect(() => readAuditLog(dir)).toThrow(`Audit log ${JSON.stringify(dir)}: cannot be read`);
  });
});

describe('appends from several processes at once', () => {
  const WRITERS = 4;
  const LINES = 1500;
  let moduleUrl: string;

  /**
   * The children run the real AuditLog: its source and what it imports from src/, transpiled by the TypeScript API
   * into a temporary tree whose node_modules is this repository's (for zod). Nothing is rebuilt in the working tree.
   */
  beforeAll(() => {
    const out = path.join(dir, 'compiled');
    const pending = [path.join(ROOT, 'src', 'privacy', 'AuditLog.ts')];
    const done = new Set<string>();
    while (pending.length > 0) {
      const source = pending.pop()!;
      if (done.has(source)) continue;
      done.add(source);
      const text = readFileSync(source, 'utf8');
      const { outputText } = ts.transpileModule(text, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 }, fileName: source });
      const target = path.join(out, path.relative(ROOT, source)).replace(/\.ts$/, '.js');
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, outputText);
      for (const { fileName } of ts.preProcessFile(text, true, true).importedFiles) {
        if (fileName.startsWith('.')) pending.push(path.resolve(path.dirname(source), fileName).replace(/\.js$/, '.ts'));
      }
    }
    writeFileSync(path.join(out, 'package.json'), '{"type":"module"}\n');
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(out, 'node_modules'));
    moduleUrl = pathToFileURL(path.join(out, 'src', 'privacy', 'AuditLog.js')).href;
  });

  // Lines from 100 bytes to about 40 KiB: well past PIPE_BUF and a page, where a write split in parts would show.
  const WRITER = `
    const { AuditLog } = await import(process.env.AUDIT_MODULE);
    const log = new AuditLog(process.env.AUDIT_FILE);
    const writer = Number(process.env.WRITER);
    const lines = Number(process.env.LINES);
    process.stdout.write('ready\\n');
    await new Promise((resolve) => process.stdin.once('data', resolve));
    for (let i = 0; i < lines; i++) {
      const padding = String.fromCharCode(97 + writer).repeat(((i * 7919 + writer * 104729) % 40) * 1000);
      log.append({ type: 'refused-connection', time: new Date().toISOString(), destination: '192.0.2.' + writer + ':' + i,
        protocol: 'tcp', pid: process.pid, process: 'writer ' + writer + ' ' + padding, layer: 'in-process' });
    }
  `;

  /**
   * The control: the same lines, each written in two write(2) calls the way a writer that loops over a short write
   * (or appendFileSync's own loop) could. The check below must find the torn lines it makes, or it could not fail.
   */
  const SPLIT_WRITER = `
    const { closeSync, constants, openSync, writeSync } = await import('node:fs');
    const writer = Number(process.env.WRITER);
    const lines = Number(process.env.LINES);
    process.stdout.write('ready\\n');
    await new Promise((resolve) => process.stdin.once('data', resolve));
    for (let i = 0; i < lines; i++) {
      const padding = String.fromCharCode(97 + writer).repeat(((i * 7919 + writer * 104729) % 40) * 1000);
      const line = Buffer.from(JSON.stringify({ type: 'refused-connection', time: new Date().toISOString(), destination: '192.0.2.' + writer + ':' + i,
        protocol: 'tcp', pid: process.pid, process: 'writer ' + writer + ' ' + padding, layer: 'in-process' }) + '\\n');
      const fd = openSync(process.env.AUDIT_FILE, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT);
      writeSync(fd, line.subarray(0, line.length >> 1));
      writeSync(fd, line.subarray(line.length >> 1));
      closeSync(fd);
    }
  `;

  async function runWriters(script: string, file: string): Promise<void> {
    const writers = Array.from({ length: WRITERS }, (_, writer) => startWriter(script, writer, file));
    await Promise.all(writers.map((w) => w.ready));
    // Released together, so the appends overlap instead of running one writer after another.
    for (const w of writers) w.go();
    expect(await Promise.all(writers.map((w) => w.exited))).toEqual(Array(WRITERS).fill(0));
  }

  function startWriter(script: string, writer: number, file: string): { ready: Promise<void>; go: () => void; exited: Promise<number | null> } {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, NODE_OPTIONS: '', AUDIT_MODULE: moduleUrl, AUDIT_FILE: file, WRITER: String(writer), LINES: String(LINES) },
      stdio: ['pipe', 'pipe', 'pipe']
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`writer ${writer} exited (${code}) before it was ready: ${stderr}`)));
    });
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => {
        if (code !== 0) process.stderr.write(`writer ${writer}: ${stderr}\n`);
        resolve(code);
      })
    );
    return { ready, go: () => child.stdin.end('go\n'), exited };
  }

  it('keeps every line whole, each writer in its own order', async () => {
    const file = freshFile();
    await runWriters(WRITER, file);

    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')).toHaveLength(WRITERS * LINES + 1);
    const { entries, skipped } = inspectAuditLog(file);
    expect(skipped).toEqual([]);
    expect(entries).toHaveLength(WRITERS * LINES);

    const seen = Array.from({ length: WRITERS }, (): number[] => []);
    let switches = 0;
    let previous = -1;
    for (const entry of entries) {
      if (entry.type !== 'refused-connection') throw new Error(`unexpected ${entry.type} entry`);
      const [writer, line] = entry.destination.replace('192.0.2.', '').split(':').map(Number) as [number, number];
      expect(entry.process).toMatch(new RegExp(`^writer ${writer} ${String.fromCharCode(97 + writer)}*$`));
      seen[writer]!.push(line);
      if (writer !== previous) switches += 1;
      previous = writer;
    }
    for (const lines of seen) expect(lines).toEqual(Array.from({ length: LINES }, (_, i) => i));
    // Evidence that the writers did run at the same time; without it, the test would prove nothing about interleaving.
    expect(switches).toBeGreaterThan(WRITERS);
  });

  it('control: the same check finds the torn lines of writes split in two', async () => {
    const file = freshFile();
    mkdirSync(path.dirname(file), { recursive: true });
    await runWriters(SPLIT_WRITER, file);
    const { entries, skipped } = inspectAuditLog(file);
    expect(skipped.length).toBeGreaterThan(0);
    expect(entries.length).toBeLessThan(WRITERS * LINES);
  });

  it('runs the compiled module, not a stand-in', () => {
    expect(existsSync(fileURLToPath(moduleUrl))).toBe(true);
    expect(readFileSync(fileURLToPath(moduleUrl), 'utf8')).toContain('O_NOFOLLOW');
  });
});

describe('summarizeAudit', () => {
  it('counts requests by tier, refused connections by protocol and redactions by kind', () => {
    const entries: AuditEntry[] = [
      run(),
      request(),
      request({ redactions: { 'secretlint-rule-aws': 2, 'secretlint-rule-github': 1 } }),
      request({ tier: 'local', endpoint: 'in-process', redactions: {} }),
      refused(),
      refused({ protocol: 'dns', destination: 'example.com' }),
      refused({ protocol: 'dns', destination: 'example.org' }),
      refused({ protocol: 'udp', layer: 'firewall' }),
      run({ event: 'end' })
    ];
    expect(summarizeAudit(entries)).toEqual({
      requests: { local: 1, cloud: 2 },
      refused: 4,
      refusedByProtocol: { dns: 2, tls: 1, udp: 1 },
      redactions: { 'secretlint-rule-aws': 3, 'secretlint-rule-github': 1 }
    });
  });

  it('counts kinds named like Object.prototype members as plain kinds', () => {
    const summary = summarizeAudit([request({ redactions: { constructor: 1, toString: 2 } }), request({ redactions: { constructor: 1 } })]);
    expect(summary.redactions).toEqual({ constructor: 2, toString: 2 });
  });

  it('is all zeros for an empty log', () => {
    expect(summarizeAudit([])).toEqual({ requests: { local: 0, cloud: 0 }, refused: 0, refusedByProtocol: {}, redactions: {} });
  });

  it('summarizes what the log on disk holds, skipped lines left out', () => {
    const file = freshFile();
    const log = new AuditLog(file);
    log.append(request());
    log.append(refused());
    writeFileSync(file, `${readFileSync(file, 'utf8')}${JSON.stringify({ ...refused(), extra: true })}\n`);
    expect(summarizeAudit(readAuditLog(file))).toMatchObject({ requests: { local: 0, cloud: 1 }, refused: 1 });
  });
});

describe('PrivacyViolationError', () => {
  it('names the privacy input, the provider refused and the fix', () => {
    const error = new PrivacyViolationError(
      'strict forbids the cloud provider anthropic (api.anthropic.com:443).',
      'Set privacy to balanced, or use a local model'
    );
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('PrivacyViolationError');
    expect(error.input).toBe('privacy');
    expect(error.message).toBe(
      'Input "privacy": strict forbids the cloud provider anthropic (api.anthropic.com:443). Set privacy to balanced, or use a local model.'
    );
  });
});
