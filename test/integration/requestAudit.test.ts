/**
 * The way every model request leaves the router (issue 12): the HybridRouter with the real AnthropicProvider against the
 * fake Messages API on 127.0.0.1 as the cloud, a replay file as the local model, and a real AuditLog in a temp dir.
 * Every claim is checked on what the fake server received: which secrets reached it (none, unless privacy is off), that
 * the code around them arrived byte for byte, and that each audit line's promptSha256 is the hash of exactly that.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../src/core/Logger.js';
import type { ModelPrice, PrivacyMode } from '../../src/core/Routing.js';
import { ReplayProvider, type ReplayEntry } from '../../src/inference/ReplayProvider.js';
import type { ChatRequest } from '../../src/inference/TextProvider.js';
import { AuditLog, promptSha256, readAuditLog, type ModelRequestEntry } from '../../src/privacy/AuditLog.js';
import { placeholder } from '../../src/privacy/redactSecrets.js';
import { createRemoteProvider } from '../../src/routing/createRemoteProvider.js';
import { HybridRouter, type RouteTask } from '../../src/routing/HybridRouter.js';
import { FAKE_SECRETS } from '../fixtures/secrets/fakeSecrets.js';
import {
  fakeTokenCount,
  startFakeAnthropicApi,
  type AnthropicReply,
  type FakeAnthropicApi,
  type RecordedAnthropicRequest
} from '../support/fakeAnthropicApi.js';
import { routingOptions } from '../support/routingOptions.js';

const KEY = 'sk-ant-audit-test-1a2b3c4d5e6f';
const MODEL = 'claude-audit-test';
const PRICE: ModelPrice = { inputPerMTok: 3, outputPerMTok: 15, cacheWritePerMTok: 3.75, cacheReadPerMTok: 0.3 };
const MAX_TOKENS = 300;
const OUTPUT_TOKENS = 7;
const SYSTEM = 'You write jest unit tests. Answer with one TypeScript file.';
const COMPLEX = [{ name: 'connect', complexity: 15, lines: 60 }];
const SIMPLE = [{ name: 'lerp', complexity: 1, lines: 3 }];

const MARKER = /%%SECRET:([a-z0-9-]+)%%/g;
const CORPUS = fileURLToPath(new URL('../fixtures/secrets/with-secrets/', import.meta.url));

function secretNamed(name: string): { kind: string; value: string } {
  const secret = FAKE_SECRETS[name];
  if (secret === undefined) throw new Error(`%%SECRET:${name}%% is not in test/fixtures/secrets/fakeSecrets.ts: add it there.`);
  return secret;
}

/** A template from the corpus as the repository holds it (secrets in), and as the cloud must get it (placeholders in). */
interface SecretText {
  raw: string;
  redacted: string;
  /** Every secret value the raw text holds. */
  values: string[];
  counts: Record<string, number>;
}

function fill(template: string): SecretText {
  const names = [...template.matchAll(MARKER)].map((m) => m[1]!);
  const counts: Record<string, number> = {};
  for (const name of names) counts[secretNamed(name).kind] = (counts[secretNamed(name).kind] ?? 0) + 1;
  return {
    raw: template.replace(MARKER, (_, name: string) => secretNamed(name).value),
    redacted: template.replace(MARKER, (_, name: string) => placeholder(secretNamed(name).kind)),
    values: names.map((n) => secretNamed(n).value),
    counts
  };
}

/**
 * The module under test: the corpus's storage.ts (an AWS key pair, an RSA private key, postgres, mongodb, redis and
 * amqp URLs with passwords, a basic-auth URL) with a GitHub token and the values a .env holds, written as code.
 */
let sourceTemplate: string;
/** The first prompt, which every repair round sends again unchanged: the cacheable prefix. */
let firstTemplate: string;
/** A repair round's failure text, after the prefix; the error quotes a connection string. */
const REPAIR_TEMPLATE = [
  '',
  'The test you wrote failed:',
  '  Error: connect ECONNREFUSED for %%SECRET:postgres-url-sslmode%%',
  '      at Pool.connect (src/config.ts:6:21)',
  'Fix the test.',
  ''
].join('\n');

let dir: string;
let api: FakeAnthropicApi;
let auditFile: string;
let routers: HybridRouter[];
let logLines: string[];
const logger: Logger = {
  info: (m) => logLines.push(m),
  warn: (m) => logLines.push(`warning: ${m}`),
  group: (_name, task) => task()
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aqe-request-audit-'));
  const storage = await readFile(join(CORPUS, 'storage.ts.txt'), 'utf8');
  sourceTemplate = [
    storage.trimEnd(),
    '',
    "export const octokit = new Octokit({ auth: '%%SECRET:github-classic%%' });",
    '',
    '// The values of .env.production, inlined for the container image.',
    "export const DB_PASSWORD = '%%SECRET:env-db-password%%';",
    "export const JWT_SECRET = '%%SECRET:env-jwt-secret%%';",
    "export const DJANGO_SECRET_KEY = '%%SECRET:env-secret-key%%';",
    ''
  ].join('\n');
  firstTemplate = `Write jest tests for src/config.ts.\n\n\`\`\`ts\n${sourceTemplate}\`\`\`\n`;
  // A corpus that shrank would make the test pass on less: every kind the brief names must be in the prompt.
  expect(Object.keys(fill(firstTemplate).counts).sort()).toEqual(
    ['aws', 'basicauth', 'database-connection-string', 'github', 'privatekey', 'secret-assignment', 'url-credentials'].sort()
  );
}, 30_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  api = await startFakeAnthropicApi({ apiKey: KEY, respond: () => ({ kind: 'message', text: 'export {};', usage: { output_tokens: OUTPUT_TOKENS } }) });
  auditFile = join(dir, `audit-${Date.now()}-${Math.random().toString(36).slice(2)}.jsonl`);
  routers = [];
  logLines = [];
});

afterEach(async () => {
  await Promise.all(routers.map((r) => r.dispose()));
  await api.close();
});

function makeRouter(privacy: PrivacyMode, replay: string, apiKey = KEY): HybridRouter {
  const remote = { kind: 'anthropic' as const, model: MODEL, apiKey, baseURL: api.url, timeoutMs: 5_000, maxRetries: 1 };
  const router = new HybridRouter(
    routingOptions({ privacy, remote, prices: { [MODEL]: PRICE } }),
    { local: async () => ({ provider: await ReplayProvider.open(replay, 8192) }), remote: () => createRemoteProvider(remote, 8192, 4) },
    logger,
    new AuditLog(auditFile)
  );
  routers.push(router);
  return router;
}

let replays = 0;
/** The local model: a replay file answering once for each target listed, in order. */
async function replayFile(targets: readonly string[]): Promise<string> {
  const file = join(dir, `replay-${++replays}.jsonl`);
  const entries: ReplayEntry[] = targets.map((target) => ({ target, response: { text: `// local answer for ${target}` } }));
  await writeFile(file, entries.map((e) => JSON.stringify(e)).join('\n'));
  return file;
}

function task(target: string, units: RouteTask['units']): RouteTask {
  return { target, units, estimatedPromptTokens: 2_000, maxTokens: MAX_TOKENS };
}

function chat(userText: string, cacheableUserPrefix?: string): ChatRequest & { cacheableUserPrefix?: string } {
  return {
    system: SYSTEM,
    user: userText,
    maxTokens: MAX_TOKENS,
    target: 'src/config.ts',
    ...(cacheableUserPrefix === undefined ? {} : { cacheableUserPrefix })
  };
}

interface TextBlock {
  type: string;
  text: string;
  cache_control?: { type: string };
}

/** What a Messages API body holds, as the server got it: the system text, the user text and the user blocks, if any. */
function received(request: RecordedAnthropicRequest): { system: string | undefined; user: string; blocks: TextBlock[] | undefined } {
  const body = request.body as { system?: TextBlock[]; messages: Array<{ role: string; content: string | TextBlock[] }> };
  expect(body.messages).toHaveLength(1);
  const content = body.messages[0]!.content;
  return {
    system: body.system?.map((b) => b.text).join(''),
    user: typeof content === 'string' ? content : content.map((b) => b.text).join(''),
    blocks: typeof content === 'string' ? undefined : content
  };
}

function modelRequests(): ModelRequestEntry[] {
  return readAuditLog(auditFile).filter((e): e is ModelRequestEntry => e.type === 'model-request');
}

/** No request the server got (messages and count_tokens alike) holds any of the values, raw or JSON-escaped. */
async function expectNoneReceived(values: readonly string[]): Promise<void> {
  expect(api.requests.length).toBeGreaterThan(0);
  for (const request of api.requests) {
    const wire = JSON.stringify(request.body);
    for (const value of values) {
      expect(wire).not.toContain(JSON.stringify(value).slice(1, -1));
      expect(wire).not.toContain(value);
    }
  }
  // Nor does the audit, which holds hashes and counts only.
  const audit = await readFile(auditFile, 'utf8');
  for (const value of values) expect(audit).not.toContain(JSON.stringify(value).slice(1, -1));
}

function sum(...counts: Record<string, number>[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const c of counts) for (const [kind, n] of Object.entries(c)) total[kind] = (total[kind] ?? 0) + n;
  return total;
}

describe('request audit: privacy balanced, a prompt full of secrets to the cloud', () => {
  it('sends the first prompt and its repair with every secret replaced and the code around them intact, the cache marker on the redacted prefix', async () => {
    const first = fill(firstTemplate);
    const repair = fill(REPAIR_TEMPLATE);
    const router = makeRouter('balanced', await replayFile([]));
    const routed = await router.route(task('src/config.ts', COMPLEX));
    expect(routed.decision).toMatchObject({ tier: 'cloud', rule: 'complexity' });

    await routed.provider.chat(chat(first.raw, first.raw));
    await routed.provider.chat(chat(first.raw + repair.raw, first.raw));

    await expectNoneReceived([...first.values, ...repair.values]);
    const [one, two] = api.messageRequests().map(received);
    expect(api.messageRequests()).toHaveLength(2);
    // Byte for byte: the text the server got is the template with each secret's placeholder, and nothing else changed.
    expect(one).toEqual({ system: SYSTEM, user: first.redacted, blocks: [{ type: 'text', text: first.redacted, cache_control: { type: 'ephemeral' } }] });
    expect(two).toEqual({
      system: SYSTEM,
      user: first.redacted + repair.redacted,
      blocks: [
        { type: 'text', text: first.redacted, cache_control: { type: 'ephemeral' } },
        { type: 'text', text: repair.redacted }
      ]
    });
    expect(first.redacted).toContain(placeholder('privatekey'));
  });

  it('audits each request once: tier cloud, the origin, the rule, tokens as billed, the redactions by kind, and the hash of what the server got', async () => {
    const first = fill(firstTemplate);
    const repair = fill(REPAIR_TEMPLATE);
    const router = makeRouter('balanced', await replayFile([]));
    const routed = await router.route(task('src/config.ts', COMPLEX));
    await routed.provider.chat(chat(first.raw, first.raw));
    await routed.provider.chat(chat(first.raw + repair.raw, first.raw));

    const got = api.messageRequests();
    const lines = modelRequests();
    expect(lines).toHaveLength(got.length);
    expect(lines).toEqual(
      got.map((request, i) => {
        const { system, user } = received(request);
        return {
          type: 'model-request',
          time: expect.any(String),
          target: 'src/config.ts',
          tier: 'cloud',
          rule: 'complexity',
          provider: 'anthropic',
          model: MODEL,
          endpoint: new URL(api.url).origin,
          promptTokens: fakeTokenCount(request.body),
          completionTokens: OUTPUT_TOKENS,
          outcome: 'answered',
          redactions: i === 0 ? first.counts : sum(first.counts, repair.counts),
          promptSha256: promptSha256(system, user)
        };
      })
    );
    // The hash is of the redacted text, not the repository's: an auditor holding the source can tell the two apart.
    expect(lines[0]!.promptSha256).not.toBe(promptSha256(SYSTEM, first.raw));
  });

  it('sends a request whose cacheable prefix ends inside a secret uncached, whole and redacted', async () => {
    const first = fill(firstTemplate);
    const repair = fill(REPAIR_TEMPLATE);
    const token = secretNamed('github-classic').value;
    const whole = first.raw + repair.raw;
    const cut = whole.slice(0, whole.indexOf(token) + 12);
    const router = makeRouter('balanced', await replayFile([]));
    const routed = await router.route(task('src/config.ts', COMPLEX));

    await routed.provider.chat(chat(whole, cut));

    await expectNoneReceived([...first.values, ...repair.values, token.slice(0, 12)]);
    const [sent] = api.messageRequests().map(received);
    // No cache block holding half a token, and no request refused for a marker that is no longer a prefix.
    expect(sent).toEqual({ system: SYSTEM, user: first.redacted + repair.redacted, blocks: undefined });
    expect(modelRequests()).toMatchObject([{ tier: 'cloud', outcome: 'answered', redactions: sum(first.counts, repair.counts) }]);
  });
});

describe('request audit: what is never redacted', () => {
  it('privacy off: the secrets reach the cloud as they are, and the request is audited all the same', async () => {
    const first = fill(firstTemplate);
    const router = makeRouter('off', await replayFile([]));
    const routed = await router.route(task('src/config.ts', COMPLEX));
    await routed.provider.chat(chat(first.raw, first.raw));

    const [request] = api.messageRequests();
    const sent = received(request!);
    expect(sent.user).toBe(first.raw);
    for (const value of first.values) expect(sent.user).toContain(value);
    expect(modelRequests()).toEqual([
      expect.objectContaining({
        tier: 'cloud',
        endpoint: new URL(api.url).origin,
        outcome: 'answered',
        redactions: {},
        promptSha256: promptSha256(SYSTEM, first.raw)
      })
    ]);
  });

  it('a local request is audited as in-process, with the prompt as it was: the local model sends nothing anywhere', async () => {
    const first = fill(firstTemplate);
    const router = makeRouter('balanced', await replayFile(['src/config.ts']));
    const routed = await router.route(task('src/config.ts', SIMPLE));
    expect(routed.decision).toMatchObject({ tier: 'local', rule: 'default' });

    const answer = await routed.provider.chat(chat(first.raw, first.raw));

    expect(api.requests).toHaveLength(0);
    expect(modelRequests()).toEqual([
      {
        type: 'model-request',
        time: expect.any(String),
        target: 'src/config.ts',
        tier: 'local',
        rule: 'default',
        provider: 'replay',
        model: expect.any(String),
        endpoint: 'in-process',
        promptTokens: answer.usage.promptTokens,
        completionTokens: answer.usage.completionTokens,
        outcome: 'answered',
        redactions: {},
        promptSha256: promptSha256(SYSTEM, first.raw)
      }
    ]);
  });
});

describe('request audit: a cloud request that fails', () => {
  it('gets a failed line with what the server got, and its fallback to the local model a line of its own', async () => {
    const first = fill(firstTemplate);
    const router = makeRouter('balanced', await replayFile(['src/config.ts']));
    // maxRetries 1: two attempts, both answered 500.
    const failure: AnthropicReply = { kind: 'error', status: 500, type: 'api_error', message: 'boom', headers: { 'retry-after-ms': '10' } };
    api.reply(failure, failure);
    const routed = await router.route(task('src/config.ts', COMPLEX));

    const answer = await routed.provider.chat(chat(first.raw, first.raw));

    expect(answer).toMatchObject({ provider: 'replay', text: '// local answer for src/config.ts' });
    const attempts = api.messageRequests();
    expect(attempts).toHaveLength(2);
    await expectNoneReceived(first.values);
    const hashes = new Set(attempts.map((r) => received(r)).map((r) => promptSha256(r.system, r.user)));
    expect(hashes.size).toBe(1);
    const lines = modelRequests();
    expect(lines).toEqual([
      expect.objectContaining({
        tier: 'cloud',
        rule: 'complexity',
        endpoint: new URL(api.url).origin,
        outcome: 'failed',
        completionTokens: 0,
        redactions: first.counts,
        promptSha256: [...hashes][0]
      }),
      expect.objectContaining({
        tier: 'local',
        rule: 'fallback',
        endpoint: 'in-process',
        outcome: 'answered',
        redactions: {},
        promptSha256: promptSha256(SYSTEM, first.raw)
      })
    ]);
    expect(lines[0]!.promptTokens).toBeGreaterThan(0);
  });

  it('audits a request whose token count failed: counting sent the whole (redacted) prompt already', async () => {
    const first = fill(firstTemplate);
    // A key the server refuses: count_tokens answers 401, which is not retried.
    const router = makeRouter('balanced', await replayFile(['src/config.ts']), 'a-key-the-server-refuses');
    const routed = await router.route(task('src/config.ts', COMPLEX));

    const answer = await routed.provider.chat(chat(first.raw));

    expect(answer).toMatchObject({ provider: 'replay' });
    expect(api.requests.map((r) => r.path)).toEqual(['/v1/messages/count_tokens']);
    await expectNoneReceived(first.values);
    expect(modelRequests().map((l) => [l.tier, l.outcome, l.rule, l.redactions])).toEqual([
      ['cloud', 'failed', 'complexity', first.counts],
      ['local', 'answered', 'fallback', {}]
    ]);
  });
});
