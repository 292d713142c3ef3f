import picomatch from 'picomatch';
import { InputError } from '../core/InputError.js';

/** What is wrong with a value, and what to write instead. */
export interface ValueProblem {
  problem: string;
  fix: string;
}

const MAX_GLOB_LENGTH = 500;

/**
 * Checks one glob of sensitive-paths or of a path rule. picomatch accepts almost any text and turns a typo into a
 * pattern that silently matches nothing (`src/**\/*.{ts` never matches), and for sensitive-paths a glob that matches
 * nothing sends the files it meant to protect to the cloud; so the shapes that cannot match a repo-relative target,
 * and unbalanced brackets, are refused here rather than discovered in a report.
 */
export function globProblem(glob: string): ValueProblem | null {
  const quoted = quote(glob);
  if (glob.trim() === '') return { problem: 'a glob is empty', fix: 'Remove the empty entry or give a glob such as src/payments/**' };
  if (glob.length > MAX_GLOB_LENGTH) return { problem: `a glob is longer than ${MAX_GLOB_LENGTH} characters`, fix: 'Give a shorter glob' };
  if (glob.startsWith('/')) {
    return {
      problem: `${quoted} starts with /, but targets are matched relative to the repository root`,
      fix: `Drop the leading /: ${quote(glob.replace(/^\/+/, ''))}`
    };
  }
  if (glob.includes('\\')) {
    return {
      problem: `${quoted} holds a backslash`,
      fix: 'Separate directories with / (forward slashes); to match a special character literally, put it in brackets, e.g. [*]'
    };
  }
  if (glob.startsWith('!')) {
    return {
      problem: `${quoted} is a negation, which does not exclude anything here: the globs are alternatives, so it would match every other file`,
      fix: 'List only the paths that should match'
    };
  }
  if (glob.split('/').includes('..')) {
    return { problem: `${quoted} climbs out with "..", but targets are paths inside the repository`, fix: 'Give the path from the repository root' };
  }
  try {
    picomatch.makeRe(glob, { dot: true, strictBrackets: true });
  } catch (error) {
    return {
      problem: `${quoted} is not a valid glob (${oneLine((error as Error).message)})`,
      fix: 'Close every bracket, brace and parenthesis, or put a literal one in brackets, e.g. [{]'
    };
  }
  return null;
}

/**
 * Splits an action input's globs: one per line or separated by commas, except the commas of a brace list, so that
 * `src/{payments,billing}/**` stays one glob.
 */
export function splitGlobList(text: string): string[] {
  const globs: string[] = [];
  let current = '';
  let depth = 0;
  for (const char of text) {
    if (char === '\n' || char === '\r' || (char === ',' && depth === 0)) {
      globs.push(current);
      current = '';
      continue;
    }
    if (char === '{') depth++;
    if (char === '}' && depth > 0) depth--;
    current += char;
  }
  globs.push(current);
  return globs.map((g) => g.trim()).filter((g) => g !== '');
}

/**
 * Checks an API address (anthropic-base-url, shared-server-url). `credentials` says whether a user:password part may
 * be there: in an input it comes from a secret; in the repository's config file it would be a password in git.
 */
export function urlProblem(value: string, credentials: 'allowed' | 'refused'): ValueProblem | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { problem: `${quote(withoutCredentials(value))} is not a URL`, fix: 'Give an absolute http:// or https:// address, e.g. http://gpu-box:8080' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { problem: `${quote(url.protocol)} is not http: or https:`, fix: 'Give an http:// or https:// address, e.g. http://gpu-box:8080' };
  }
  if (url.search !== '' || url.hash !== '') {
    return {
      problem: `${quote(withoutCredentials(value))} has a query or fragment, which the API paths cannot follow`,
      fix: 'Give the address without ? or #'
    };
  }
  if (credentials === 'refused' && (url.username !== '' || url.password !== '')) {
    return {
      problem: 'the address holds a user name or password, which anyone who can read the repository can read',
      fix: 'Remove it from the file (and change the password: it stays in the git history); pass credentials with the shared-server-api-key input from a secret'
    };
  }
  return null;
}

/** Whatever sits between `//` and `@` may be a password. */
export function withoutCredentials(value: string): string {
  return value.replace(/\/\/[^/@]*@/, '//…@');
}

/** User text inside a message: quoted (so control characters are escaped) and cut short. */
export function quote(text: string, max = 60): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * A whole number within a range. The same rules and words as parseRunOptions' parseInteger, kept here because
 * parseRunOptions imports this module's neighbour (parseRoutingOptions) and an import back would be a cycle.
 */
export function parseWholeNumber(input: string, text: string, range: { min: number; max: number }): number {
  if (!/^\d+$/.test(text)) throw new InputError(input, `"${quoteless(text)}" is not a whole number`, `Give a number from ${range.min} to ${range.max}`);
  const n = Number(text);
  if (n < range.min || n > range.max) throw new InputError(input, `${n} is out of range`, `Give a number from ${range.min} to ${range.max}`);
  return n;
}

/** An amount in USD: decimals allowed (2.50), never negative. */
export function parseUsd(input: string, text: string, range: { min: number; max: number }): number {
  const fix = `Give an amount in US dollars from ${range.min} to ${range.max}, written like 2.50 (no $ sign, a dot for decimals)`;
  if (/^-\s*(\d+(\.\d*)?|\.\d+)$/.test(text)) throw new InputError(input, `${text.replace(/\s+/g, '')} is negative`, fix);
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(text)) throw new InputError(input, `"${quoteless(text)}" is not an amount`, fix);
  const n = Number(text);
  if (n < range.min || n > range.max) throw new InputError(input, `${n} is out of range`, fix);
  return n;
}

/** true/false and their usual spellings, as parseRunOptions' parseBoolean reads them. */
export function parseTrueFalse(input: string, text: string): boolean {
  const t = text.toLowerCase();
  if (['true', 'yes', '1', 'on'].includes(t)) return true;
  if (['false', 'no', '0', 'off'].includes(t)) return false;
  throw new InputError(input, `"${quoteless(text)}" is not a boolean`, 'Use true or false');
}

/** User text for inside "…" in an InputError: control characters escaped, cut short. */
function quoteless(text: string): string {
  return quote(text, 40).slice(1, -1);
}
