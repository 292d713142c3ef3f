import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runMain } from '../../src/action/runMain.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { metricsReport } from '../reporting/metricsReport.js';
import { makeRunnerDirs, pullRequestPayload, type RunnerDirs } from '../support/actionHarness.js';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver.js';
import { newRecorded, recordingRunner, type Recorded } from '../support/recordingRunner.js';

const fixture = metricsReport();
const PR = fixture.pullRequest!;
const TOKEN = 'otlp-s3cret-Ab12';

/** Shard `index` of 2 of the fixture's run: cart.ts in the first, price.ts in the second. */
function shardReport(index: number): RunReport {
  const target = index === 1 ? 'src/cart.ts' : 'src/price.ts';
  const candidates = fixture.candidates.filter((c) => c.targetFile === target);
  return metricsReport({
    targets: [target],
    candidates,
    testsGenerated: 1,
    testsAccepted: candidates.filter((c) => c.status === 'accepted').length,
    shard: { index, count: 2, packages: [{ packageDir: '', baseline: fixture.baseline }] }
  });
}

/** The action's merge job (merge-reports: no model needed) exporting the merged report to an OTLP receiver on loopback. */
describe('the action with otlp-endpoint', () => {
  let receiver: OtlpReceiver;
  let dirs: RunnerDirs;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    dirs = await makeRunnerDirs('aqe-otlp-action-');
    for (const i of [1, 2]) {
      await mkdir(path.join(dirs.workspace, 'shards', `aqe-report-${i}`), { recursive: true });
      await writeFile(path.join(dirs.workspace, 'shards', `aqe-report-${i}`, 'aqe-report.json'), JSON.stringify(shardReport(i)));
    }
  });
  afterAll(async () => {
    await receiver?.close();
    if (dirs) await rm(dirs.root, { recursive: true, force: true });
  });
  beforeEach(() => {
    receiver.behaviour = 'ok';
    receiver.exports.length = 0;
  });

  async function mergeAction(inputs: Record<string, string>): Promise<Recorded & { secrets: string[]; warnings: string[]; infos: string[] }> {
    const event = path.join(dirs.root, 'event.json');
    await writeFile(
      event,
      JSON.stringify(pullRequestPayload({ owner: 'acme', repo: 'shop', number: PR.number, baseSha: PR.baseSha, headSha: PR.headSha, title: PR.title }))
    );
    const recorded = newRecorded();
    const secrets: string[] = [];
    const warnings: string[] = [];
    const infos: string[] = [];
    const base = recordingRunner(
      {
        'merge-reports': 'shards/*/aqe-report.json',
        'report-path': path.join(dirs.root, 'merged.json'),
        comment: 'false',
        'github-token': 'test-token',
        ...inputs
      },
      recorded
    );
    const runner = {
      ...base,
      setSecret: (s: string) => void secrets.push(s),
      info: (m: string) => void infos.push(m),
      warning: (m: string, place?: Parameters<typeof base.warning>[1]) => {
        warnings.push(m);
        base.warning(m, place);
      }
    };
    await runMain(runner, { GITHUB_WORKSPACE: dirs.workspace, GITHUB_EVENT_PATH: event, GITHUB_EVENT_NAME: 'pull_request', RUNNER_TEMP: dirs.temp });
    return { ...recorded, secrets, warnings, infos };
  }

  it('sends the merged report’s metrics with the headers, and masks the header values first', async () => {
    const run = await mergeAction({ 'otlp-endpoint': receiver.url, 'otlp-headers': `Authorization=Bearer%20${TOKEN},X-Scope-OrgID=acme` });
    expect(run.failed).toBeUndefined();
    expect(run.secrets).toEqual(expect.arrayContaining([`Bearer%20${TOKEN}`, `Bearer ${TOKEN}`, 'acme']));
    expect(receiver.exports).toHaveLength(1);
    const [received] = receiver.exports;
    expect(received!.path).toBe('/v1/metrics');
    expect(received!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(received!.resource).toMatchObject({ 'service.name': 'aqe', 'aqe.repository': 'acme/shop', 'aqe.pull_request.number': PR.number });
    // The figures are the merged report's, the one the job wrote and commented with.
    const merged = JSON.parse(await readFile(path.join(dirs.root, 'merged.json'), 'utf8')) as RunReport;
    const value = (name: string, attrs: Record<string, string> = {}) =>
      received!.points.find((p) => p.name === name && Object.entries(attrs).every(([k, v]) => p.attributes[k] === v))?.value;
    expect(value('aqe.tests.generated')).toBe(merged.testsGenerated);
    expect(value('aqe.tests.accepted')).toBe(merged.testsAccepted);
    expect(value('aqe.coverage', { 'aqe.coverage.scope': 'changed_lines', 'aqe.stage': 'after' })).toBe(merged.changedLinesAfter!.linesPct);
    expect(value('aqe.inference.throughput')).toBe(merged.inference.tokensPerSecond);
    expect(value('aqe.run.duration')).toBe(merged.durationMs);
    expect(value('aqe.egress.refused')).toBe(merged.compliance!.refused);
    expect(run.infos.some((m) => m.startsWith(`Metrics: ${received!.points.length} points sent to ${receiver.url}/v1/metrics`))).toBe(true);
    expect([...run.infos, ...run.warnings].join('\n')).not.toContain(TOKEN);
  });

  it('warns, and still succeeds, when the collector fails', async () => {
    receiver.behaviour = 'fail';
    const run = await mergeAction({ 'otlp-endpoint': receiver.url, 'otlp-headers': `Authorization=Bearer%20${TOKEN}` });
    expect(run.failed).toBeUndefined();
    expect(run.outputs['tests-generated']).toBe('2');
    const warning = run.warnings.find((w) => w.startsWith("Could not send the run's metrics"));
    expect(warning).toContain('HTTP 500');
    expect(warning).not.toContain(TOKEN);
  });

  it('fails before any work under privacy strict when the collector is not on allowed-endpoints', async () => {
    const run = await mergeAction({ privacy: 'strict', 'otlp-endpoint': receiver.url });
    expect(run.failed).toMatch(/^Input "privacy": privacy is strict, and otlp-endpoint sends the run's metrics to http:\/\/127\.0\.0\.1:\d+/);
    expect(run.summary).toBe('');
    expect(receiver.exports).toHaveLength(0);
  });

  it('exports under privacy strict to a collector on allowed-endpoints', async () => {
    const run = await mergeAction({ privacy: 'strict', 'otlp-endpoint': receiver.url, 'allowed-endpoints': `127.0.0.1:${receiver.port}` });
    expect(run.failed).toBeUndefined();
    expect(receiver.exports).toHaveLength(1);
  });
});
