import * as z from 'zod';
import { configSchema } from './aqeConfigSchema.js';
import { ConfigFileError } from './ConfigFileError.js';
import { formatPath, position, type FileContext, type KeyPath } from './configFileLocation.js';
import { quote } from './routingValueChecks.js';

// Schema issues and YAML errors in words: the key, what was there, what may be.

type Issue = z.ZodError['issues'][number];

/** One error for them all: the first issue in full, the others by key path, so that one CI run names every key to fix. */
export function issueError(issues: readonly Issue[], data: unknown, context: FileContext): ConfigFileError {
  const [first, ...rest] = issues;
  const error = describeIssue(first!, data, context);
  const others = [
    ...new Set(rest.map((issue) => formatPath(issue.code === 'unrecognized_keys' ? [...(issue.path as KeyPath), issue.keys[0]!] : (issue.path as KeyPath))))
  ].filter((p) => p !== error.keyPath);
  if (others.length === 0) return error;
  return new ConfigFileError(
    error.file,
    error.keyPath,
    error.problem,
    `${/[.!?]$/.test(error.fix) ? error.fix : `${error.fix}.`} The file has ${others.length} more ${others.length === 1 ? 'problem' : 'problems'}: at ${others.join(', ')}`,
    error.position
  );
}

function describeIssue(issue: Issue, data: unknown, context: FileContext): ConfigFileError {
  const at = issue.path as KeyPath;
  const fail = (keyPath: KeyPath, problem: string, fix: string, part: 'key' | 'value' = 'value') =>
    new ConfigFileError(context.file, formatPath(keyPath), problem, fix, position(context, keyPath, part));
  const found = valueAt(data, at);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0]!;
      const allowed = allowedKeys(at);
      const hint = misplacedKeyHint(key, at, allowed);
      const where = at.length === 0 ? 'at the top level' : `in ${formatPath(at)}`;
      return fail([...at, key], `unknown key ${quote(key)}`, `${hint}Allowed keys ${where}: ${allowed.join(', ')}`, 'key');
    }
    case 'invalid_value':
      return fail(at, `found ${describe(found)}`, `Allowed values: ${issue.values.map(String).join(', ')}`);
    case 'invalid_type': {
      if (found === undefined) return fail(at, 'is missing', missingFix(at), 'key');
      // A whole-number key given text is reported as expecting a "number"; say which kind.
      const schema = schemaAt(at);
      const expected = issue.expected === 'number' && schema instanceof z.ZodNumber && schema.format === 'safeint' ? 'int' : issue.expected;
      return fail(at, `found ${describe(found)}`, `Expected ${expectedText(expected)}${typeHint(expected, found)}`);
    }
    case 'too_small':
    case 'too_big': {
      if (issue.origin === 'array') return fail(at, 'the list is empty', 'Give at least one entry, or remove the key');
      if (issue.origin === 'string') return fail(at, 'is empty', 'Give a value, or remove the key');
      const schema = schemaAt(at);
      const range = schema instanceof z.ZodNumber ? `from ${schema.minValue} to ${schema.maxValue}` : 'in range';
      return fail(at, `found ${describe(found)}, which is out of range`, `Give a number ${range}`);
    }
    default:
      return fail(at, issue.message, 'See the example configuration in the README');
  }
}

function missingFix(at: KeyPath): string {
  if (at.length === 4 && at[0] === 'cost' && at[1] === 'prices') {
    return 'A price needs input, output, cache-write and cache-read, in USD per million tokens (for a model without prompt caching, give cache-write and cache-read the input price)';
  }
  if (at[at.length - 1] === 'name') return 'Give every rule a name: a built-in one to reorder or disable it, or your own for a path rule';
  return `Add ${String(at[at.length - 1])}`;
}

function expectedText(expected: string): string {
  const words: Record<string, string> = {
    number: 'a number',
    int: 'a whole number',
    string: 'a text',
    boolean: 'true or false',
    array: 'a list (- item lines, or [a, b])',
    object: 'a mapping (key: value lines)',
    record: 'a mapping (key: value lines)'
  };
  return words[expected] ?? expected;
}

function typeHint(expected: string, found: unknown): string {
  if ((expected === 'number' || expected === 'int') && typeof found === 'string' && found.trim() !== '' && !Number.isNaN(Number(found))) {
    return ' (write it without quotes)';
  }
  if (expected === 'int' && typeof found === 'number') return ' (without a fraction)';
  if (expected === 'boolean' && typeof found === 'string') return ' (YAML reads yes, no, on and off as text; write true or false)';
  if (expected === 'array' && typeof found === 'string') return ` (write [${quote(found, 40)}])`;
  return '';
}

function describe(value: unknown): string {
  if (value === undefined || value === null) return 'nothing (an empty value)';
  if (typeof value === 'string') return `the text ${quote(value, 40)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  return 'a mapping';
}

export function yamlProblem(message: string): string {
  // yaml appends " at line L, column C" (given separately here); its messages are its own words, but keep them to one line.
  const line = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** A hint for a key written in the wrong section or in camelCase / snake_case. */
function misplacedKeyHint(key: string, at: KeyPath, allowed: readonly string[]): string {
  const kebab = key
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/_/g, '-')
    .toLowerCase();
  if (kebab !== key && allowed.includes(kebab)) return `Did you mean ${quote(kebab)}? `;
  const elsewhere = allKeyPaths(configSchema, [])
    .filter((p) => p[p.length - 1] === kebab && formatPath(p.slice(0, -1)) !== formatPath(generalise(at)))
    .map((p) => formatPath(p));
  if (elsewhere.length > 0) return `${elsewhere.join(' or ')} ${elsewhere.length === 1 ? 'is' : 'are'} where that goes. `;
  return '';
}

/** Every key path the schema allows, with [] for list items and <model> for price entries. */
function allKeyPaths(schema: z.ZodType, at: KeyPath): KeyPath[] {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodObject) {
    return Object.entries(inner.shape as Record<string, z.ZodType>).flatMap(([key, child]) => [[...at, key], ...allKeyPaths(child, [...at, key])]);
  }
  if (inner instanceof z.ZodArray) return allKeyPaths(inner.element as z.ZodType, [...at, 0]);
  if (inner instanceof z.ZodRecord) return allKeyPaths(inner.valueType as z.ZodType, [...at, '<model>']);
  return [];
}

/** The same path with list indexes as 0 and price entries as <model>, to compare with allKeyPaths. */
function generalise(at: KeyPath): KeyPath {
  return at.map((part, i) => (typeof part === 'number' ? 0 : i === 2 && at[0] === 'cost' && at[1] === 'prices' ? '<model>' : part));
}

function allowedKeys(at: KeyPath): string[] {
  const schema = unwrap(schemaAt(at));
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function schemaAt(at: KeyPath): z.ZodType | undefined {
  let schema: z.ZodType | undefined = configSchema;
  for (const part of at) {
    const inner: z.ZodType | undefined = schema === undefined ? undefined : unwrap(schema);
    if (inner instanceof z.ZodObject) schema = (inner.shape as Record<string, z.ZodType>)[String(part)];
    else if (inner instanceof z.ZodArray) schema = inner.element as z.ZodType;
    else if (inner instanceof z.ZodRecord) schema = inner.valueType as z.ZodType;
    else return undefined;
  }
  return schema === undefined ? undefined : unwrap(schema);
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let s = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodType;
  return s;
}

function valueAt(data: unknown, at: KeyPath): unknown {
  let value = data;
  for (const part of at) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[part];
  }
  return value;
}
