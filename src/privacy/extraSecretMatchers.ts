import path from 'node:path';

// Matchers for what secretlint's recommended preset leaves alone, kept apart from it so that each finding says which
// side found it: a value assigned to a key that names a secret (PASSWORD=, "apiKey": "…", db_password: …) and the
// password of any URL with credentials (redis://, amqp://, postgres://user:pass@ that the preset takes for an example).

/** A span of the text to replace, half-open [start, end), in UTF-16 code units as String#slice counts them. */
export interface SecretFinding {
  kind: string;
  start: number;
  end: number;
}

export const ASSIGNMENT_KIND = 'secret-assignment';
export const URL_CREDENTIALS_KIND = 'url-credentials';

/**
 * The key must end with one of these words (keys are split into words at `_ - .`, spaces and camelCase humps), so
 * PASSWORD_MIN_LENGTH, tokenCount, maxTokens, PUBLIC_KEY and private_key_id are not secrets.
 */
const SECRET_KEY_ENDINGS: readonly (readonly string[])[] = [
  ['PASSWORD'],
  ['PASSWD'],
  ['PASSPHRASE'],
  ['SECRET'],
  ['TOKEN'],
  ['APIKEY'],
  ['API', 'KEY'],
  ['ACCESS', 'KEY'],
  ['SECRET', 'KEY'],
  ['PRIVATE', 'KEY'],
  ['SIGNING', 'KEY'],
  ['ENCRYPTION', 'KEY'],
  ['MASTER', 'KEY'],
  ['CREDENTIAL'],
  ['CREDENTIALS']
];
/** Only as the last word of a longer key: a bare PWD is the shell's working directory, a bare PASS a test verdict. */
const SECRET_KEY_SUFFIXES = ['PWD', 'PASS'];

function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter((word) => word !== '');
}

export function namesSecret(key: string): boolean {
  const words = keyWords(key);
  const last = words[words.length - 1];
  if (last === undefined) return false;
  if (words.length > 1 && SECRET_KEY_SUFFIXES.includes(last)) return true;
  return SECRET_KEY_ENDINGS.some((ending) => ending.length <= words.length && ending.every((word, i) => words[words.length - ending.length + i] === word));
}

/** Values that point at a secret instead of holding one: `${VAR}`, `$VAR`, `$(cmd)`, `{{ … }}`, `%VAR%`, `<password>`. */
const REFERENCE = /\$\{|\$\(|^\$[A-Za-z_]|\{\{|%[A-Za-z_][A-Za-z0-9_]*%|^<[^>]*>$|^(process\.env|import\.meta\.env|os\.environ)\b/;
const FILLER = /^(x+|\*+|\.+|-+|_+|#+|0+)$/i;
const PLACEHOLDER =
  /^(changeme|change[-_]?me|password|passwd|secret|token|null|nil|none|undefined|true|false|redacted|placeholder|todo|tbd|required|optional|string|number|boolean|example)$/i;
const INVITATION = /^(your|my|insert|enter|replace|put)[-_ ]/i;
/** Our own placeholder, so that redacting redacted text changes nothing. */
const REDACTED = /^\[REDACTED:[a-z0-9-]+\]/;

function standsIn(value: string): boolean {
  return REFERENCE.test(value) || FILLER.test(value) || PLACEHOLDER.test(value) || INVITATION.test(value) || REDACTED.test(value);
}

function holdsValue(value: string): boolean {
  return value.length >= 4 && !standsIn(value);
}

/**
 * A string literal in code is read more sceptically: code names secrets far more often than it holds them
 * (`token: 'github-token'` is an input's name, `secret: 'ANTHROPIC_API_KEY'` an environment variable's, `label: 'Your
 * password'` text for a person).
 */
function holdsLiteralValue(value: string): boolean {
  return holdsValue(value) && !/\s/.test(value) && !/^[A-Z][A-Z0-9_]*$/.test(value) && !/^[a-z]+([-_.][a-z]+)*$/.test(value);
}

type FileKind = 'env' | 'yaml' | 'code';

const ENV_FILE = /^\.env(\..+)?$|\.(env|sh|bash|zsh|properties|ini|cfg|conf|toml|npmrc)$|^(\.npmrc|dockerfile|containerfile)$/i;

/** Without a name the text is taken for code, the most sceptical reading, since prompts are mostly code. */
function fileKind(fileName: string | undefined): FileKind {
  if (fileName === undefined) return 'code';
  const base = path.basename(fileName);
  if (ENV_FILE.test(base)) return 'env';
  if (/\.ya?ml$/i.test(base)) return 'yaml';
  return 'code';
}

const QUOTED = String.raw`"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'`;

/** `KEY=value`, `export KEY="value"`, `db.password = value`: one assignment a line, as in .env, shell and .properties. */
const ENV_LINE = new RegExp(String.raw`^[ \t]*(?:export[ \t]+)?(?<key>[A-Za-z_][\w.-]*)[ \t]*=[ \t]*(?<value>${QUOTED}|[^\s"'#]\S*)`, 'dgm');
/**
 * A `.env` setting quoted inside code (a comment, a template literal, a shell line in a test): only in the shape .env
 * files have, an upper-case key with `=` and no space around it, then a value without spaces or `;` that ends the
 * word, so that a statement of the code itself (`API_TOKEN = load();`, `API_TOKEN=load();`) is never taken for one.
 */
const ENV_LINE_IN_CODE = new RegExp(String.raw`(?<![\w$.-])(?<key>[A-Z][A-Z0-9_]*)=(?<value>${QUOTED}|[^\s"'#;\x60]+)(?=\s|$)`, 'dgm');
/** `password: value`, `- api_key: value # comment`: a plain YAML scalar (quoted ones are LITERAL's). */
const YAML_LINE = /^[ \t]*(?:-[ \t]+)?(?<key>[A-Za-z_][\w.-]*)[ \t]*:[ \t]+(?<value>[^\s"'#&*!|>{[]\S*(?:[ \t]+[^\s#]\S*)*)[ \t]*(?:#.*)?\r?$/dgm;
/** `"password": "…"`, `apiKey: '…'`, `const DB_PASSWORD = "…"`, `token := "…"`: a key, a separator, a string literal. */
const LITERAL = /(?<![\w$.-])(?<q>["']?)(?<key>[A-Za-z_$][\w$.-]*)\k<q>[ \t]*(?::=|=>|:|=)[ \t]*(?<value>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`[^`\n]*`)/dg;

function unquote(raw: string): { value: string; offset: number } {
  const first = raw[0];
  if ((first === '"' || first === "'" || first === '`') && raw.length >= 2 && raw[raw.length - 1] === first) return { value: raw.slice(1, -1), offset: 1 };
  return { value: raw, offset: 0 };
}

function assignments(text: string, pattern: RegExp, accept: (value: string) => boolean): SecretFinding[] {
  const found: SecretFinding[] = [];
  for (const match of text.matchAll(pattern)) {
    const key = match.groups!['key']!;
    const raw = match.groups!['value']!;
    if (!namesSecret(key)) continue;
    const { value, offset } = unquote(raw);
    if (!accept(value)) continue;
    const start = match.indices!.groups!['value']![0] + offset;
    found.push({ kind: ASSIGNMENT_KIND, start, end: start + value.length });
  }
  return found;
}

/** Values assigned to keys that name a secret; only the value is reported, so the key still tells the model what it was. */
export function findSecretAssignments(text: string, fileName?: string): SecretFinding[] {
  const kind = fileKind(fileName);
  const found = assignments(text, LITERAL, holdsLiteralValue);
  if (kind === 'env') found.push(...assignments(text, ENV_LINE, holdsValue));
  else found.push(...assignments(text, ENV_LINE_IN_CODE, holdsLiteralValue));
  if (kind === 'yaml') found.push(...assignments(text, YAML_LINE, holdsValue));
  return found;
}

/**
 * scheme://user:password@host for any scheme. The user part may be empty (redis://:password@host); the password
 * runs to the last `@` before the host, since an unencoded `@` in a password is common enough in hand-written
 * strings.
 */
const URL_CREDENTIALS = /(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,30}:\/\/(?<user>[^\s:@/?#'"`]*):(?<password>[^\s/?#'"`]+)@(?=[A-Za-z0-9[])/dg;

/**
 * Passwords inside URLs; only the password is reported, so scheme, user and host stay readable. With the password
 * `x-oauth-basic` (GitHub's convention for a token in a git URL) the token is the user part, and that is reported.
 */
export function findUrlCredentials(text: string): SecretFinding[] {
  const found: SecretFinding[] = [];
  for (const match of text.matchAll(URL_CREDENTIALS)) {
    const part = match.groups!['password'] === 'x-oauth-basic' ? 'user' : 'password';
    const value = match.groups![part]!;
    if (value === '' || standsIn(value)) continue;
    const start = match.indices!.groups![part]![0];
    found.push({ kind: URL_CREDENTIALS_KIND, start, end: start + value.length });
  }
  return found;
}

export function findExtraSecrets(text: string, fileName?: string): SecretFinding[] {
  return [...findSecretAssignments(text, fileName), ...findUrlCredentials(text)];
}
