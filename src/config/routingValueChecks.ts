import picomatch from 'picomatch';

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
