import path from 'node:path';
import { lintSource } from '@secretlint/core';
import { rules as recommendedRules } from '@secretlint/secretlint-rule-preset-recommend';
import type { SecretLintCoreConfig, SecretLintCoreResultMessage } from '@secretlint/types';
import { findExtraSecrets, type SecretFinding } from './extraSecretMatchers.js';

/** How many secrets of one kind were replaced; kind is the short name inside the placeholder (aws, github, secret-assignment). */
export interface Redaction {
  kind: string;
  count: number;
}

export interface RedactedText {
  text: string;
  /** Placeholders written, by kind: the count of `[REDACTED:<kind>]` in text that this call put there. */
  redactions: Record<string, number>;
}

const RULE_PREFIX = '@secretlint/secretlint-rule-';
// A `secretlint-disable` comment is written by whoever wrote the text: honouring it would let the text being sent
// decide what is kept out of it.
const FILTER_COMMENTS_RULE = `${RULE_PREFIX}filter-comments`;
const AWS_RULE = `${RULE_PREFIX}aws`;
const CONNECTION_STRING_RULE = `${RULE_PREFIX}database-connection-string`;

const CONFIG: SecretLintCoreConfig = {
  rules: recommendedRules
    .filter((rule) => rule.meta.id !== FILTER_COMMENTS_RULE)
    // The aws rule looks for access key IDs (AKIA…) only when asked; half of a key pair is still worth hiding.
    .map((rule) => ({ id: rule.meta.id, rule, options: rule.meta.id === AWS_RULE ? { enableIDScanRule: true } : {} }))
};

export function placeholder(kind: string): string {
  return `[REDACTED:${kind}]`;
}

function kindOf(ruleId: string): string {
  return ruleId.startsWith(RULE_PREFIX) ? ruleId.slice(RULE_PREFIX.length) : ruleId;
}

/**
 * The span to replace for one secretlint message. The aws rule (secret access keys) and the npm rule (.npmrc
 * `_authToken=`, `…:x-oauth-basic@github.com` URLs) report the length of the captured secret measured from the start of
 * the whole match, key and all, which would leave most of the secret in place; the secret itself is in the message's
 * data, and it begins inside that reported range.
 */
function spanOf(message: SecretLintCoreResultMessage, content: string): readonly [number, number] {
  const [start, end] = message.range;
  const values = Object.values(message.data ?? {}).filter((value): value is string => typeof value === 'string' && value !== '');
  if (values.length === 0 || values.includes(content.slice(start, end))) return [start, end];
  for (const value of values.sort((a, b) => b.length - a.length)) {
    const at = content.indexOf(value, start);
    if (at !== -1 && at < end) return [at, at + value.length];
  }
  return [start, end];
}

async function secretlintFindings(text: string, fileName: string | undefined): Promise<SecretFinding[]> {
  const ext = fileName === undefined ? '.txt' : path.extname(fileName);
  const result = await lintSource({
    source: {
      content: text,
      // Without a name the npm rule checks x-oauth-basic URLs as it does for package.json, rather than nothing.
      filePath: fileName ?? '',
      // The gcp rule reads a .p12 file from disk by its path: the text given here is all that may be read.
      ext: ext.toLowerCase() === '.p12' ? '.txt' : ext,
      contentType: 'text'
    },
    options: { config: CONFIG, noPhysicFilePath: true }
  });
  // secretlint drops a leading byte-order mark and counts from the character after it.
  const bom = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const content = text.slice(bom);
  return result.messages.map((message) => {
    const [start, reportedEnd] = spanOf(message, content);
    // The connection-string rule runs a URI on to the next whitespace, through the quote and punctuation that close it
    // in code: 'postgres://…', should become '[REDACTED:…]', so that the code around it still reads as code.
    const end = message.ruleId === CONNECTION_STRING_RULE ? start + content.slice(start, reportedEnd).replace(/['"`,;)\]}>]+$/, '').length : reportedEnd;
    return { kind: kindOf(message.ruleId), start: start + bom, end: end + bom };
  });
}

/**
 * Our own placeholder, found again in redacted text: by a rule that takes whatever follows a key (.npmrc
 * `_authToken=`), or as the password of a URL (scheme://user:<placeholder>@host). Such a finding is about
 * a secret already replaced, so redacting redacted text changes nothing. A placeholder anywhere else in a finding
 * does not count: text cannot hide a secret by carrying one.
 */
const ALREADY_REDACTED = [/^\[REDACTED:[a-z0-9-]+\]$/, /:\[REDACTED:[a-z0-9-]+\]@/];

function alreadyRedacted(text: string, finding: SecretFinding): boolean {
  const span = text.slice(finding.start, finding.end);
  return ALREADY_REDACTED.some((pattern) => pattern.test(span));
}

function overlaps(a: SecretFinding, b: SecretFinding): boolean {
  return a.start < b.end && b.start < a.end;
}

/** Overlapping findings become one placeholder, named for the one that starts first (the longer one on a tie). */
function replaceFindings(text: string, findings: readonly SecretFinding[]): RedactedText {
  const sorted = findings.filter((f) => f.end > f.start).sort((a, b) => a.start - b.start || b.end - a.end || a.kind.localeCompare(b.kind));
  const merged: SecretFinding[] = [];
  for (const finding of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && overlaps(last, finding)) last.end = Math.max(last.end, finding.end);
    else merged.push({ ...finding });
  }
  if (merged.length === 0) return { text, redactions: {} };
  const redactions: Record<string, number> = {};
  let out = '';
  let at = 0;
  for (const { kind, start, end } of merged) {
    out += text.slice(at, start) + placeholder(kind);
    redactions[kind] = (redactions[kind] ?? 0) + 1;
    at = end;
  }
  return { text: out + text.slice(at), redactions };
}

/**
 * Replaces every secret in text with `[REDACTED:<kind>]`: what secretlint's recommended rules find, plus the extra
 * matchers' findings that do not overlap them. fileName (a path or a base name) picks the rules that depend on the file
 * type (.json for GCP service-account keys, .npmrc, .env and YAML assignments); nothing is read from disk. Text with no
 * finding comes back as it was, the same string.
 */
export async function redactSecrets(text: string, fileName?: string): Promise<RedactedText> {
  const found = (await secretlintFindings(text, fileName)).filter((f) => !alreadyRedacted(text, f));
  const extra = findExtraSecrets(text, fileName).filter((e) => !found.some((f) => overlaps(e, f)));
  return replaceFindings(text, [...found, ...extra]);
}
