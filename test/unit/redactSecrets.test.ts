import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findSecretAssignments, findUrlCredentials, namesSecret } from '../../src/privacy/extraSecretMatchers.js';
import { placeholder, redactSecrets } from '../../src/privacy/redactSecrets.js';
import { FAKE_SECRETS, fakeChars } from '../fixtures/secrets/fakeSecrets.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CORPUS = path.join(ROOT, 'test', 'fixtures', 'secrets');
const MARKER = /%%SECRET:([a-z0-9-]+)%%/g;

/** Corpus files end in .txt so that neither tsc, Prettier nor a secret scanner reads them as what they hold. */
function corpus(folder: string): { file: string; fileName: string; text: string }[] {
  const dir = path.join(CORPUS, folder);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((file) => ({ file, fileName: file.slice(0, -'.txt'.length), text: readFileSync(path.join(dir, file), 'utf8') }));
}

function secretNamed(name: string): { kind: string; value: string } {
  const secret = FAKE_SECRETS[name];
  if (secret === undefined) throw new Error(`The corpus names %%SECRET:${name}%%, which test/fixtures/secrets/fakeSecrets.ts does not define: add it there.`);
  return secret;
}

/** A whole-file finding replaces everything: secretlint's gcp rule reports a service-account key file as one secret. */
const WHOLE_FILE: Readonly<Record<string, string>> = { 'service-account.json.txt': 'gcp' };

interface Case {
  file: string;
  fileName: string;
  input: string;
  expected: string;
  counts: Record<string, number>;
  values: string[];
}

function buildCase(file: string, fileName: string, template: string): Case {
  const names = [...template.matchAll(MARKER)].map((m) => m[1]!);
  const input = template.replace(MARKER, (_, name: string) => secretNamed(name).value);
  const whole = WHOLE_FILE[file];
  const counts: Record<string, number> = {};
  for (const kind of whole === undefined ? names.map((n) => secretNamed(n).kind) : [whole]) counts[kind] = (counts[kind] ?? 0) + 1;
  const expected = whole === undefined ? template.replace(MARKER, (_, name: string) => placeholder(secretNamed(name).kind)) : placeholder(whole);
  return { file, fileName, input, expected, counts, values: names.map((n) => secretNamed(n).value) };
}

const CASES = corpus('with-secrets').map(({ file, fileName, text }) => buildCase(file, fileName, text));

describe('redactSecrets on the corpus of fake secrets', () => {
  it.each(CASES.map((c) => [c.file, c] as const))('%s: every secret is replaced by its placeholder and counted by kind', async (_, c) => {
    const result = await redactSecrets(c.input, c.fileName);
    for (const value of c.values.filter((v) => v.length >= 8)) expect(result.text).not.toContain(value);
    expect(result.text).toBe(c.expected);
    expect(result.redactions).toEqual(c.counts);
  });

  it('covers the kinds the privacy mode promises, from secretlint and from the extra matchers', () => {
    const kinds = new Set(CASES.flatMap((c) => Object.keys(c.counts)));
    const promised = ['aws', 'github', 'slack', 'npm', 'privatekey', 'basicauth', 'openai', 'anthropic', 'gcp', 'database-connection-string'];
    const more = ['stripe', 'gitlab', 'sendgrid', 'huggingface', 'secret-assignment', 'url-credentials'];
    expect([...kinds].sort()).toEqual([...promised, ...more].sort());
    expect(CASES.reduce((n, c) => n + c.values.length, 0)).toBeGreaterThanOrEqual(45);
  });

  it('redacts nothing more when run again on its own output', async () => {
    for (const c of CASES) {
      const once = await redactSecrets(c.input, c.fileName);
      const twice = await redactSecrets(once.text, c.fileName);
      expect({ file: c.file, text: twice.text, redactions: twice.redactions }).toEqual({ file: c.file, text: once.text, redactions: {} });
    }
  });
});

describe('redactSecrets on text without secrets', () => {
  it.each(corpus('near-misses').map((c) => [c.file, c] as const))('%s comes back byte for byte', async (_, { fileName, text }) => {
    const result = await redactSecrets(text, fileName);
    expect(result.redactions).toEqual({});
    expect(result.text).toBe(text);
  });

  it('leaves every source file of this repository (src/**/*.ts) as it was', async () => {
    const files = readdirSync(path.join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => path.join('src', f));
    expect(files.length).toBeGreaterThan(100);
    const changed: string[] = [];
    for (const file of files) {
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      const result = await redactSecrets(text, file);
      if (result.text !== text || Object.keys(result.redactions).length > 0) changed.push(`${file}: ${JSON.stringify(result.redactions)}`);
    }
    expect(changed).toEqual([]);
  });
});

describe('redactSecrets, case by case', () => {
  const aws = FAKE_SECRETS['aws-secret-access-key']!.value;
  const github = FAKE_SECRETS['github-classic']!.value;

  it('replaces the whole AWS secret access key, not the 40 characters from the start of its key name that secretlint reports', async () => {
    const result = await redactSecrets(`const config = {\n  AWS_SECRET_ACCESS_KEY: "${aws}",\n};\n`, 'config.ts');
    expect(result.text).toBe('const config = {\n  AWS_SECRET_ACCESS_KEY: "[REDACTED:aws]",\n};\n');
    expect(result.redactions).toEqual({ aws: 1 });
  });

  it('ignores secretlint-disable comments: the text being sent does not get to choose what is kept out of it', async () => {
    const text = `/* secretlint-disable */\nconst a = '${github}';\n// secretlint-disable-line\nconst b = '${FAKE_SECRETS['npm-token']!.value}'; // secretlint-disable-line\n`;
    const result = await redactSecrets(text, 'tokens.ts');
    expect(result.text).toBe(
      `/* secretlint-disable */\nconst a = '[REDACTED:github]';\n// secretlint-disable-line\nconst b = '[REDACTED:npm]'; // secretlint-disable-line\n`
    );
  });

  it('keeps offsets right after a byte-order mark, which secretlint strips before it counts', async () => {
    const result = await redactSecrets(`\uFEFFGITHUB_TOKEN=${github}\nDB_PASSWORD=${FAKE_SECRETS['env-db-password']!.value}\n`, '.env');
    expect(result.text).toBe('\uFEFFGITHUB_TOKEN=[REDACTED:github]\nDB_PASSWORD=[REDACTED:secret-assignment]\n');
  });

  it('reads .env and YAML files with CRLF line ends', async () => {
    const password = FAKE_SECRETS['yaml-db-password']!.value;
    expect((await redactSecrets(`A=1\r\nDB_PASSWORD=${password}\r\nB=2\r\n`, '.env')).text).toBe('A=1\r\nDB_PASSWORD=[REDACTED:secret-assignment]\r\nB=2\r\n');
    expect((await redactSecrets(`db:\r\n  password: ${password}\r\n  port: 5432\r\n`, 'app.yml')).text).toBe(
      'db:\r\n  password: [REDACTED:secret-assignment]\r\n  port: 5432\r\n'
    );
  });

  it('counts one placeholder where secretlint and an extra matcher find the same secret, under secretlint’s kind', async () => {
    const result = await redactSecrets(`export GITHUB_TOKEN="${github}"\n`, 'deploy.sh');
    expect(result).toEqual({ text: 'export GITHUB_TOKEN="[REDACTED:github]"\n', redactions: { github: 1 } });
  });

  it('counts each placeholder it writes, by kind, and none it did not write', async () => {
    const text = `a=${github} b=${github}\nc: ${FAKE_SECRETS['huggingface-token']!.value}\nprose: [REDACTED:github] was here\n`;
    const result = await redactSecrets(text);
    expect(result.text).toBe('a=[REDACTED:github] b=[REDACTED:github]\nc: [REDACTED:huggingface]\nprose: [REDACTED:github] was here\n');
    expect(result.redactions).toEqual({ github: 2, huggingface: 1 });
  });

  it('takes text without a file name for code: quoted values, and .env lines quoted in it, but never a statement of the code', async () => {
    const password = FAKE_SECRETS['env-db-password']!.value;
    expect((await redactSecrets(`DB_PASSWORD=${password}\n`)).text).toBe('DB_PASSWORD=[REDACTED:secret-assignment]\n');
    expect((await redactSecrets(`// set DB_PASSWORD=${password} first\n`)).text).toBe('// set DB_PASSWORD=[REDACTED:secret-assignment] first\n');
    expect((await redactSecrets(`  # DB_PASSWORD=${password}\n`)).text).toBe('  # DB_PASSWORD=[REDACTED:secret-assignment]\n');
    expect((await redactSecrets(`const env = \`\nDB_PASSWORD=${password}\n\`;\n`)).text).toBe('const env = `\nDB_PASSWORD=[REDACTED:secret-assignment]\n`;\n');
    expect((await redactSecrets(`DB_PASSWORD=${password}\n`, '.env.local')).text).toBe('DB_PASSWORD=[REDACTED:secret-assignment]\n');
    expect((await redactSecrets(`const DB_PASSWORD = '${password}';\n`)).text).toBe(`const DB_PASSWORD = '[REDACTED:secret-assignment]';\n`);
    for (const statement of ['API_TOKEN = loadToken();\n', 'API_TOKEN=loadToken();\n', 'MAX_TOKENS=2048\n', 'SECRET=process.env.SECRET\n']) {
      expect((await redactSecrets(statement)).text).toBe(statement);
    }
  });

  it('is not fooled by a placeholder written into a secret', async () => {
    const url = FAKE_SECRETS['postgres-url']!.value;
    const result = await redactSecrets(`DATABASE_URL=${url}?application_name=[REDACTED:aws]&sslmode=require\n`, '.env');
    expect(result).toEqual({ text: 'DATABASE_URL=[REDACTED:database-connection-string]\n', redactions: { 'database-connection-string': 1 } });
  });

  it('reads nothing from disk for a .p12 name and finds secrets in its text as in any other', async () => {
    const result = await redactSecrets(`token ${github}\n`, path.join(ROOT, 'does-not-exist', 'key.p12'));
    expect(result.text).toBe('token [REDACTED:github]\n');
  });

  it('returns the very string it was given when there is nothing to redact', async () => {
    const text = `const id = '${fakeChars('uuid-ish', 32, '0123456789abcdef')}';\n`;
    expect((await redactSecrets(text, 'id.ts')).text).toBe(text);
    expect(await redactSecrets('', 'empty.ts')).toEqual({ text: '', redactions: {} });
  });
});

describe('the extra matchers', () => {
  it.each([
    ['DB_PASSWORD', true],
    ['dbPassword', true],
    ['db.password', true],
    ['x-api-key', true],
    ['APIKey', true],
    ['SECRET_KEY', true],
    ['clientSecret', true],
    ['_authToken', true],
    ['DB_PWD', true],
    ['REDIS_PASS', true],
    ['PASSWORD_MIN_LENGTH', false],
    ['maxTokens', false],
    ['tokenCount', false],
    ['private_key_id', false],
    ['PUBLIC_KEY', false],
    ['secretName', false],
    ['PWD', false],
    ['PASS', false],
    ['CACHE_KEY', false]
  ])('takes the key %s for a secret: %s', (key, expected) => {
    expect(namesSecret(key)).toBe(expected);
  });

  it('report only the value of an assignment and only the password of a URL', () => {
    const text = `const apiKey = "k3y-${'Z'.repeat(3)}9x";\nconst url = 'redis://default:s3cr3t-pw@cache:6379';\n`;
    const spans = (found: { start: number; end: number; kind: string }[]): string[] => found.map((f) => `${f.kind}:${text.slice(f.start, f.end)}`);
    expect(spans(findSecretAssignments(text, 'a.ts'))).toEqual(['secret-assignment:k3y-ZZZ9x']);
    expect(spans(findUrlCredentials(text))).toEqual(['url-credentials:s3cr3t-pw']);
  });

  it('scan long runs of dotted names (minified code) in linear time', () => {
    // Starting a key after every dot made this quadratic: 40 KB took a second, 200 KB half a minute.
    const minified = `${'a.'.repeat(100_000)}token = 's3cr3t-${'Q'.repeat(8)}';`;
    const started = performance.now();
    expect(findSecretAssignments(minified, 'bundle.js')).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('take the token, not the password, from a URL whose password is x-oauth-basic', () => {
    const token = fakeChars('oauth-user', 40, '0123456789abcdef');
    const text = `https://${token}:x-oauth-basic@git.acme-corp.io/acme/lib.git`;
    expect(findUrlCredentials(text).map((f) => text.slice(f.start, f.end))).toEqual([token]);
  });
});
