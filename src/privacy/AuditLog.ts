import { createHash } from 'node:crypto';
import { closeSync, constants, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { PRIVACY_MODES, type PrivacyMode, type Tier } from '../core/Routing.js';

/** One request to a model: hashes and counts only, never the prompt or the completion. */
export interface ModelRequestEntry {
  type: 'model-request';
  /** ISO 8601. */
  time: string;
  target: string;
  provider: string;
  model: string;
  /** 'in-process' for the local model, else the URL's origin (scheme, host and port; no path, no credentials). */
  endpoint: string;
  tier: Tier;
  /** The routing rule that sent the request to this tier. */
  rule: string;
  /** promptSha256 of the prompt as it was sent (after redaction). */
  promptSha256: string;
  promptTokens: number;
  completionTokens: number;
  /** Secrets redacted from this prompt, by kind. */
  redactions: Record<string, number>;
  /** failed: the provider answered with an error or not at all; a cloud prompt may still have reached it. */
  outcome: 'answered' | 'failed';
}

export type RefusedProtocol = 'tcp' | 'tls' | 'udp' | 'dns' | 'http' | 'https' | 'fetch';
export const REFUSED_PROTOCOLS: readonly RefusedProtocol[] = ['tcp', 'tls', 'udp', 'dns', 'http', 'https', 'fetch'];

/** A connection the egress guard (or the firewall, or the namespace) refused. */
export interface RefusedConnectionEntry {
  type: 'refused-connection';
  time: string;
  /** host:port, or a hostname for a DNS lookup. */
  destination: string;
  protocol: RefusedProtocol;
  pid: number;
  /** A summary of the refused process's argv. */
  process: string;
  layer: 'in-process' | 'firewall' | 'namespace';
}

export interface RunEntry {
  type: 'run';
  time: string;
  event: 'start' | 'end';
  privacy: PrivacyMode;
  /** The enforcement layers in effect, as the report names them. */
  enforcement: string[];
}

export type AuditEntry = ModelRequestEntry | RefusedConnectionEntry | RunEntry;

/** The audit file cannot be written or read, or an entry handed to append is not one the reader would accept. */
export class AuditLogError extends Error {
  override readonly name = 'AuditLogError';
  constructor(
    readonly file: string,
    detail: string,
    fix: string
  ) {
    super(`Audit log ${JSON.stringify(file)}: ${detail}. ${fix}`);
  }
}

// The schemas are strict: a line with a key no writer of ours produces (a `prompt`, say) is foreign and is skipped
// rather than trusted, and append refuses it, so the writer cannot put into the log what the reader would drop.
const time = z.iso.datetime({ offset: true });
const name = z.string().min(1);
const count = z.int().min(0);
/** Kinds are rule ids (secretlint-rule-aws, @scope/rule) or short names; never `__proto__`-like keys. */
const redactionKind = z.string().regex(/^[A-Za-z0-9@][\w.@/:-]{0,127}$/);
/** zod's record drops a `__proto__` key without a word; an entry carrying one is foreign, so it is refused instead. */
const withoutProtoKey = z.custom<unknown>((value) => !(typeof value === 'object' && value !== null && Object.hasOwn(value, '__proto__')));
/** A host:port, a hostname, or [v6]:port: one token without spaces or control characters. */
const destination = z.string().regex(/^[^\s\p{Cc}]{1,1024}$/u);

const modelRequestSchema = z.strictObject({
  type: z.literal('model-request'),
  time,
  target: name,
  provider: name,
  model: name,
  endpoint: z.string().refine((value) => value === 'in-process' || originOf(value) === value, { message: "expected 'in-process' or a URL's origin" }),
  tier: z.enum(['local', 'cloud']),
  rule: name,
  promptSha256: z.string().regex(/^[0-9a-f]{64}$/),
  promptTokens: count,
  completionTokens: count,
  redactions: withoutProtoKey.pipe(z.record(redactionKind, count)),
  outcome: z.enum(['answered', 'failed'])
});

const refusedConnectionSchema = z.strictObject({
  type: z.literal('refused-connection'),
  time,
  destination,
  protocol: z.enum(REFUSED_PROTOCOLS as readonly [RefusedProtocol, ...RefusedProtocol[]]),
  pid: z.int().min(1),
  process: z.string(),
  layer: z.enum(['in-process', 'firewall', 'namespace'])
});

const runSchema = z.strictObject({
  type: z.literal('run'),
  time,
  event: z.enum(['start', 'end']),
  privacy: z.enum(PRIVACY_MODES as readonly [PrivacyMode, ...PrivacyMode[]]),
  enforcement: z.array(name)
});

const entrySchema: z.ZodType<AuditEntry> = z.discriminatedUnion('type', [modelRequestSchema, refusedConnectionSchema, runSchema]);

const FIELDS: Readonly<Record<AuditEntry['type'], readonly string[]>> = {
  'model-request': Object.keys(modelRequestSchema.shape),
  'refused-connection': Object.keys(refusedConnectionSchema.shape),
  run: Object.keys(runSchema.shape)
};

function originOf(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.origin === 'null' ? undefined : url.origin;
  } catch {
    return undefined;
  }
}

/**
 * The JSONL audit of a run. Several processes append to the same file (the tool and every Node child its egress
 * guard is injected into), so each line goes out in one write(2) on a descriptor opened with O_APPEND: the kernel
 * places each such write at the end as a whole, and lines never interleave. The descriptor is opened per line so
 * a file removed or rotated meanwhile is recreated rather than written through a stale handle.
 */
export class AuditLog {
  readonly #file: string;

  constructor(file: string) {
    if (!file) throw new AuditLogError(file, 'the path is empty', 'Pass the path of the audit file to write.');
    this.#file = path.resolve(file);
  }

  get file(): string {
    return this.#file;
  }

  /** Appends one line. Throws AuditLogError for an entry the reader would skip, or when the file cannot be written. */
  append(entry: AuditEntry): void {
    const parsed = entrySchema.safeParse(entry);
    if (!parsed.success) {
      throw new AuditLogError(
        this.#file,
        `refused an entry that is not valid (${describeIssue(entry, parsed.error)})`,
        'This is a bug in the caller: fix the entry it builds.'
      );
    }
    const line = Buffer.from(`${JSON.stringify(parsed.data)}\n`, 'utf8');
    const fd = this.#open();
    try {
      // One call, never a loop: a second write for the rest of a short write could land after another process's line.
      const written = writeSync(fd, line);
      if (written !== line.length) {
        throw new AuditLogError(this.#file, `only ${written} of ${line.length} bytes of a line were written`, 'Free space on that disk and run again.');
      }
    } catch (error) {
      if (error instanceof AuditLogError) throw error;
      throw new AuditLogError(this.#file, `cannot be written: ${(error as Error).message}`, 'Make its directory writable by the user the job runs as.');
    } finally {
      closeSync(fd);
    }
  }

  #open(): number {
    // O_NOFOLLOW: code under test can reach the file's directory; a link planted in the file's place must not
    // redirect the tool's appends elsewhere.
    const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
    try {
      return openSync(this.#file, flags, 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new AuditLogError(
          this.#file,
          `cannot be opened for appending: ${(error as Error).message}`,
          'Point it at a regular file (not a link) in a writable directory.'
        );
      }
    }
    try {
      mkdirSync(path.dirname(this.#file), { recursive: true });
      return openSync(this.#file, flags, 0o644);
    } catch (error) {
      throw new AuditLogError(this.#file, `cannot be created: ${(error as Error).message}`, 'Point it at a writable directory.');
    }
  }
}

/** A line the reader did not accept. The reason names only our own vocabulary, never text from the line. */
export interface SkippedLine {
  /** 1-based. */
  line: number;
  reason: string;
}

export interface AuditLogContents {
  entries: AuditEntry[];
  skipped: SkippedLine[];
}

/** The entries of an audit file; lines that are not valid entries are skipped (inspectAuditLog says which). */
export function readAuditLog(file: string): AuditEntry[] {
  return inspectAuditLog(file).entries;
}

/** The entries of an audit file and the lines skipped. A file nothing was appended to yet is empty, not an error. */
export function inspectAuditLog(file: string): AuditLogContents {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], skipped: [] };
    throw new AuditLogError(file, `cannot be read: ${(error as Error).message}`, 'Point it at the audit file the run wrote.');
  }
  return parseAuditLog(text);
}

/** Parses JSONL text; every line is validated, none trusted. */
export function parseAuditLog(text: string): AuditLogContents {
  const entries: AuditEntry[] = [];
  const skipped: SkippedLine[] = [];
  const lines = text.split('\n');
  // The text ends with a newline when the last append completed; the empty piece after it is not a line.
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((raw, index) => {
    const line = index + 1;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      skipped.push({ line, reason: 'not JSON' });
      return;
    }
    const parsed = entrySchema.safeParse(value);
    if (parsed.success) entries.push(parsed.data);
    else skipped.push({ line, reason: describeIssue(value, parsed.error) });
  });
  return { entries, skipped };
}

function describeIssue(value: unknown, error: z.ZodError): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
  const type = (value as Record<string, unknown>).type;
  if (typeof type !== 'string' || !Object.hasOwn(FIELDS, type)) return 'not an entry type this log has';
  const issue = error.issues[0];
  const fields = FIELDS[type as AuditEntry['type']];
  if (issue?.code === 'unrecognized_keys') return `a ${type} entry with a field no entry has`;
  const field = issue?.path[0];
  return typeof field === 'string' && fields.includes(field) ? `a ${type} entry whose ${field} is not valid` : `a ${type} entry that is not valid`;
}

/**
 * SHA-256 (hex) of the prompt, so an auditor holding a prompt can show it was (or was not) sent, while the log holds
 * none of it. The hashed text is the JSON array [system, user] (system null when absent): JSON quotes and escapes
 * both parts, so ('ab', 'c') and ('a', 'bc') differ, and no system prompt differs from an empty one.
 * To recompute: sha256 of the UTF-8 of JSON.stringify([system ?? null, user]).
 */
export function promptSha256(system: string | undefined, user: string): string {
  return createHash('sha256')
    .update(JSON.stringify([system ?? null, user]), 'utf8')
    .digest('hex');
}
