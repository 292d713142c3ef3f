import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { appendFile, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { prepareExamplePullRequest, type ExamplePullRequest } from '../../src/cli/exampleRepo.js';
import type { ComplianceSection } from '../../src/core/Privacy.js';
import { readAuditLog, type ModelRequestEntry } from '../../src/privacy/AuditLog.js';
import { placeholder } from '../../src/privacy/redactSecrets.js';
import { runProcess } from '../../src/process/runProcess.js';
import { STICKY_COMMENT_MARKER } from '../../src/reporting/renderMarkdown.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { resolvePrice } from '../../src/routing/priceTable.js';
import { makeRunnerDirs, pullRequestPayload, runAction, type ActionRun, type RunnerDirs } from '../support/actionHarness.js';
import { FAKE_SECRETS } from '../fixtures/secrets/fakeSecrets.js';
import { exampleCloudModel, promptText } from '../support/exampleCloudModel.js';
import { fakeTokenCount, startFakeAnthropicApi, type FakeAnthropicApi } from '../support/fakeAnthropicApi.js';
import { startFakeGitHubApi, type FakeGitHubApi } from '../support/fakeGitHubApi.js';
import { expectValidExchanges } from '../support/expectValidExchanges.js';

const API_KEY = 'sk-ant-test-e2e-0123456789';
const MODEL = 'claude-sonnet-4-5';
/** A token the pull request commits in strings.ts, the file the cloud writes the test for (privacy balanced, the default). */
const TOKEN = FAKE_SECRETS['github-classic']!.value;
const TOKEN_LINE = `export const RELEASE_TOKEN = '${TOKEN}';`;

/** One more commit on the pull request's head: strings.ts gains a hard-coded token. Returns the new head. */
async function commitToken(repoDir: string): Promise<string> {
  await appendFile(path.join(repoDir, 'src', 'strings.ts'), `\n${TOKEN_LINE}\n`);
  const git = async (args: string[]): Promise<string> => {
    const r = await runProcess({ command: 'git', args, cwd: repoDir, timeoutMs: 60_000 });
    if (r.exitCode !== 0) throw new Error(`git ${args.join(' ')} failed in ${repoDir}: ${r.stderr}`);
    return r.stdout.trim();
  };
  await git(['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'commit.gpgsign=false', 'commit', '-q', '-am', 'Release token']);
  return git(['rev-parse', 'HEAD']);
}

/**
 * The action as the runner starts it, in hybrid-auto, on the example pull request: the demo model
 * in real llama.cpp is the local tier, the real Anthropic SDK talks to a fake Messages API on
 * loopback as the cloud tier. complexity-threshold 2 sends strings.ts (truncate has complexity 3)
 * to the cloud and keeps math.ts (lerp: 1) local; the demo model's answer for math.ts tests
 * strings.ts instead, adds nothing to math.ts, and so is escalated once to the cloud. strings.ts
 * also holds a hard-coded GitHub token, which privacy balanced (the default) redacts on the way out.
 */
describe('hybrid routing end to end', () => {
  const owner = 'aqe';
  const repo = 'example';
  const number = 11;
  let github: FakeGitHubApi;
  let cloud: FakeAnthropicApi;
  let dirs: RunnerDirs;
  let pr: ExamplePullRequest;
  let run: ActionRun;
  let report: RunReport & { compliance?: ComplianceSection };
  let headSha: string;

  beforeAll(async () => {
    github = await startFakeGitHubApi();
    cloud = await startFakeAnthropicApi({ apiKey: API_KEY, respond: await exampleCloudModel() });
    dirs = await makeRunnerDirs('aqe-hybrid-');
    pr = await prepareExamplePullRequest(dirs.workspace);
    headSha = await commitToken(pr.repoDir);
    github.setPullFiles(owner, repo, number, [
      { filename: 'src/index.ts', status: 'modified' },
      { filename: 'src/math.ts', status: 'modified' },
      { filename: 'src/strings.ts', status: 'added' }
    ]);
    const event = pullRequestPayload({ owner, repo, number, baseSha: pr.baseSha, headSha, title: pr.title });
    run = await runAction(dirs, {
      inputs: {
        'report-path': path.join(dirs.root, 'report.json'),
        'audit-log': path.join(dirs.root, 'audit.jsonl'),
        'github-token': 'test-token',
        'working-directory': 'ts-lib',
        model: 'demo',
        'max-parallel': '2',
        'context-size': '4096',
        'repeat-runs': '2',
        'router-mode': 'hybrid-auto',
        'complexity-threshold': '2',
        'anthropic-api-key': API_KEY,
        'anthropic-base-url': cloud.url,
        'cloud-model': MODEL
      },
      event,
      apiUrl: github.url
    });
    report = JSON.parse(await readFile(path.join(dirs.root, 'report.json'), 'utf8')) as RunReport;
  }, 600_000);

  afterAll(async () => {
    await github?.close();
    expectValidExchanges(github);
    await cloud?.close();
    if (dirs) await rm(dirs.root, { recursive: true, force: true });
  });

  it('succeeds', () => {
    expect({ exitCode: run.exitCode, stderr: run.stderr }).toEqual({ exitCode: 0, stderr: '' });
  });

  it('sends exactly the tasks the rules select to the cloud: strings.ts by complexity, math.ts by escalation', () => {
    const decisions = report.routing!.decisions.map((d) => [d.target, d.phase, d.tier, d.rule]);
    expect(decisions).toEqual(
      expect.arrayContaining([
        ['src/strings.ts', 'initial', 'cloud', 'complexity'],
        ['src/math.ts', 'initial', 'local', 'default'],
        ['src/math.ts', 'escalation', 'cloud', 'escalation']
      ])
    );
    expect(decisions).toHaveLength(3);
    const sent = cloud.messageRequests().map((r) => (promptText(r).includes('src/strings.ts') ? 'strings' : 'math'));
    expect(sent.sort()).toEqual(['math', 'strings']);
    // Every request went with the key, to the model asked for, and was priced before it was sent.
    for (const r of cloud.messageRequests()) expect((r.body as { model: string }).model).toBe(MODEL);
    expect(cloud.requests.filter((r) => r.path.startsWith('/v1/messages/count_tokens'))).toHaveLength(2);
  });

  it('keeps both cloud-written tests and says which came from an escalation', () => {
    const byTarget = new Map(report.candidates.map((c) => [c.targetFile, c]));
    expect(byTarget.get('src/strings.ts')).toMatchObject({ status: 'accepted', tier: 'cloud', provider: 'anthropic', model: MODEL });
    expect(byTarget.get('src/math.ts')).toMatchObject({
      status: 'accepted',
      tier: 'cloud',
      escalation: { fromProvider: 'local', localRejection: { stage: 'no-coverage-gain' } }
    });
    expect(report.routing).toMatchObject({ tasks: { local: 0, cloud: 2 }, escalations: { total: 1, accepted: 1 } });
  });

  it('reports cost figures that follow from the token counts the server billed and the price table', () => {
    const { price } = resolvePrice(MODEL, {});
    const billed = cloud.messageRequests().map((r) => ({
      file: promptText(r).includes('src/strings.ts') ? 'src/strings.ts' : 'src/math.ts',
      input: fakeTokenCount(r.body),
      output: 1
    }));
    const usd = (b: { input: number; output: number }): number => (b.input * price.inputPerMTok + b.output * price.outputPerMTok) / 1e6;
    const expected = billed.reduce((sum, b) => sum + usd(b), 0);
    // Each file carries the cost of its own request.
    for (const b of billed) expect(report.candidates.find((c) => c.targetFile === b.file)!.costUsd).toBeCloseTo(usd(b), 9);
    expect(report.cost!.cloud.requests).toBe(2);
    expect(report.cost!.cloud.promptTokens).toBe(billed.reduce((n, b) => n + b.input, 0));
    expect(report.cost!.cloud.costUsd).toBeCloseTo(expected, 9);
    expect(report.cost!.budget).toMatchObject({ maxUsd: null, exhausted: false });
    expect(Number(run.outputs['cloud-requests'])).toBe(2);
    expect(Number(run.outputs['cloud-cost-usd'])).toBeCloseTo(expected, 6);
    // The local model answered math.ts once: what those tokens would have cost in the cloud is the avoided cost.
    const local = report.telemetry!.find((t) => t.tier === 'local')!;
    const avoided = (local.promptTokens * price.inputPerMTok + local.completionTokens * price.outputPerMTok) / 1e6;
    expect(report.cost!.avoided!.costUsd).toBeCloseTo(avoided, 6);
    expect(Number(run.outputs['cost-avoided-usd'])).toBeCloseTo(avoided, 6);
  });

  it('shows the routing and cost sections in the comment and the summary', () => {
    const comment = github.comments.get(number)?.[0]?.body ?? '';
    expect(comment.startsWith(STICKY_COMMENT_MARKER)).toBe(true);
    for (const text of [comment, run.summary]) {
      expect(text).toContain('Routing');
      expect(text).toContain('0 local, 2 cloud');
      expect(text).toContain('complexity');
      expect(text).toContain('escalation');
      expect(text).toContain('Cost');
      expect(text).toContain(MODEL);
    }
    // The key is masked for the runner first, and otherwise never reaches the log, the summary or the comment.
    const [mask, ...log] = run.stdout.split('\n').filter((l) => l.includes(API_KEY));
    expect(mask).toBe(`::add-mask::${API_KEY}`);
    expect(log).toEqual([]);
    for (const text of [comment, run.summary, run.stderr]) expect(text).not.toContain(API_KEY);
  });

  it('redacts the token from every request the cloud got, and counts it in the report, the audit and the summary', () => {
    expect(cloud.requests.length).toBeGreaterThan(0);
    for (const r of cloud.requests) expect(JSON.stringify(r.body)).not.toContain(TOKEN);
    // Not vacuous: strings.ts did reach the cloud, with the placeholder where the token was and its line otherwise intact.
    const strings = cloud.messageRequests().filter((r) => promptText(r).includes('src/strings.ts'));
    expect(strings).toHaveLength(1);
    expect(promptText(strings[0]!)).toContain(`export const RELEASE_TOKEN = '${placeholder('github')}';`);

    const cloudLines = readAuditLog(path.join(dirs.root, 'audit.jsonl')).filter(
      (e): e is ModelRequestEntry => e.type === 'model-request' && e.tier === 'cloud'
    );
    expect(cloudLines).toHaveLength(cloud.messageRequests().length);
    expect(cloudLines.find((l) => l.target === 'src/strings.ts')?.redactions).toEqual({ github: 1 });
    const total = cloudLines.reduce((n, l) => n + (l.redactions.github ?? 0), 0);
    expect(report.compliance).toMatchObject({ privacy: 'balanced', redactions: { github: total }, requests: { cloud: cloudLines.length } });
    expect(Object.keys(report.compliance!.redactions)).toEqual(['github']);

    expect(run.summary).toContain('### 🛡️ Compliance');
    expect(run.summary).toMatch(new RegExp(`\\| Secrets redacted \\| github ${total} \\|`));
    for (const text of [run.summary, run.stdout, run.stderr, github.comments.get(number)?.[0]?.body ?? '']) expect(text).not.toContain(TOKEN);
  });
});
