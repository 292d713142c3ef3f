/**
 * The proof that strict privacy mode lets nothing leave the machine (issue 12): the bundled action
 * (node dist/index.js) runs on the runner side of two network namespaces, whose only way out is an
 * outside host that counts every frame, packet, connection and datagram it receives. The pull
 * request's source, its own test and the "generated" test (fed by replay) try fetch, http.get,
 * net.connect, tls.connect, UDP, DNS over UDP and over TCP, DNS-over-HTTPS and curl, all to the
 * outside host.
 *
 * Strict: the outside host receives nothing, the audit log names every attempt the in-process layer
 * saw, the run completes and its report, outputs and comment count them, and nothing the run set up
 * (firewall rules, cgroups) is left behind. Privacy off, the control: the same attempts reach the
 * outside host, so the strict run's zero is the confinement's doing, not a broken setup's.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ComplianceSection } from '../../src/core/Privacy.js';
import { readAuditLog, type RefusedConnectionEntry } from '../../src/privacy/AuditLog.js';
import type { ProcessResult } from '../../src/process/runProcess.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { makeRunnerDirs, parseFileCommand, prepareActionRun, pullRequestPayload, type RunnerDirs } from '../support/actionHarness.js';
import { EGRESS_OWN_TEST_FILE, EGRESS_SOURCE_FILE, egressGeneratedTest, egressOwnTest, egressSource, IN_PROCESS_REFUSALS } from '../support/egressAttempts.js';
import type { FakeGitHubApi } from '../support/fakeGitHubApi.js';
import { expectValidExchanges } from '../support/expectValidExchanges.js';
import { asModelAnswer } from '../support/hostileCode.js';
import { namespaces } from '../support/namespaces.js';
import { outsideHostSupport, OUTSIDE_TCP_PORTS, OUTSIDE_UDP_PORTS, type OutsideCounts, type OutsideHost } from '../support/outsideHost.js';
import { examplePullRequestWith, outsideHostWithApi } from '../support/egressScenario.js';

const OWNER = 'aqe';
const REPO = 'example';

const skipReason = !outsideHostSupport.usable
  ? `the two network namespaces cannot be made here (${outsideHostSupport.reason})`
  : !namespaces.usable
    ? `the sandbox's namespaces cannot be made here (${namespaces.reason})`
    : undefined;
const describeEgress = skipReason === undefined ? describe : describe.skip;
const title = (what: string): string => (skipReason === undefined ? what : `${what}: SKIPPED, ${skipReason}`);

/** Everything one run on the runner side left. */
interface EgressRun {
  dirs: RunnerDirs;
  number: number;
  result: ProcessResult;
  outputs: Record<string, string>;
  report: RunReport & { compliance?: ComplianceSection };
  counts: OutsideCounts;
}

let outside: OutsideHost | undefined;
let api: FakeGitHubApi | undefined;
let nextPr = 120;
const runnerDirs: RunnerDirs[] = [];

/** The outside host and the fake GitHub API (reached from the runner side through a forwarder), made once for the file. */
async function environment(): Promise<{ outside: OutsideHost; api: FakeGitHubApi }> {
  if (!outside) ({ outside, api } = await outsideHostWithApi(api));
  return { outside, api: api! };
}

/** The example pull request plus the egress module and its own test, run by the action on the runner side. */
async function egressRun(prefix: string, inputs: Record<string, string>): Promise<EgressRun> {
  const env = await environment();
  const dirs = await makeRunnerDirs(prefix);
  runnerDirs.push(dirs);
  const files = { [EGRESS_SOURCE_FILE]: egressSource(), [EGRESS_OWN_TEST_FILE]: egressOwnTest() };
  const pr = await examplePullRequestWith(dirs.workspace, files, 'Reach the outside host every way there is');
  const headSha = pr.headSha;

  const replayFile = path.join(dirs.root, 'answers.jsonl');
  await writeFile(replayFile, `${JSON.stringify({ target: EGRESS_SOURCE_FILE, response: { text: asModelAnswer(egressGeneratedTest()) } })}\n`);
  const number = nextPr++;
  env.api.setPullFiles(OWNER, REPO, number, [
    { filename: EGRESS_SOURCE_FILE, status: 'added' },
    { filename: EGRESS_OWN_TEST_FILE, status: 'added' }
  ]);
  const reportPath = path.join(dirs.root, 'report.json');
  const prepared = await prepareActionRun(dirs, {
    inputs: {
      'github-token': 'aqe-egress-test-token',
      'working-directory': 'ts-lib',
      model: '',
      'replay-file': replayFile,
      'report-path': reportPath,
      'repeat-runs': '1',
      'max-repairs': '0',
      'test-timeout': '60',
      ...inputs
    },
    event: pullRequestPayload({ owner: OWNER, repo: REPO, number, baseSha: pr.baseSha, headSha }),
    apiUrl: env.api.url
  });
  // Only what the run itself sends is counted: setup (the forwarder, the links coming up) is behind us.
  await env.outside.reset();
  const result = await env.outside.runInRunnerNamespace(process.execPath, [prepared.script], prepared.env, { cwd: dirs.workspace, timeoutMs: 150_000 });
  const counts = await env.outside.counts();
  const reportText = await readFile(reportPath, 'utf8').catch(() => undefined);
  // Every assertion reads what the run left: without a finished run they would prove nothing.
  if (reportText === undefined) {
    throw new Error(
      `The action did not finish a run (no report at ${reportPath}):\nexit ${result.exitCode}\n${result.stdout.slice(-4000)}\n${result.stderr.slice(-2000)}`
    );
  }
  return {
    dirs,
    number,
    result,
    outputs: parseFileCommand(await readFile(prepared.files.output, 'utf8')),
    report: JSON.parse(reportText) as EgressRun['report'],
    counts
  };
}

const errorsOf = (run: EgressRun): string[] => run.result.stdout.split('\n').filter((line) => line.startsWith('::error::'));
const logOf = (run: EgressRun): string => `exit ${run.result.exitCode}\n${run.result.stdout.slice(-6000)}\n${run.result.stderr.slice(-2000)}`;
const zeroCounts = (ports: readonly number[]): Record<string, number> => Object.fromEntries(ports.map((port) => [String(port), 0]));

afterAll(async () => {
  await outside?.close();
  await api?.close();
  expectValidExchanges(api);
  for (const dirs of runnerDirs) await rm(dirs.root, { recursive: true, force: true });
});

describeEgress(title('privacy: strict on the runner side of two namespaces'), () => {
  let run: EgressRun;
  let refused: RefusedConnectionEntry[];

  beforeAll(async () => {
    run = await egressRun('aqe-egress-strict-', { privacy: 'strict' });
    const auditPath = run.outputs['audit-log-path'] ?? '';
    refused = auditPath ? readAuditLog(auditPath).filter((e): e is RefusedConnectionEntry => e.type === 'refused-connection') : [];
  }, 200_000);

  it('runs to the end and reports, the pull request comment included', () => {
    expect({ exitCode: run.result.exitCode, errors: errorsOf(run) }).toEqual({ exitCode: 0, errors: [] });
    expect(api!.comments.get(run.number)?.length ?? 0).toBe(1);
  });

  it('sends the outside host nothing: no frame, no packet, no connection, no datagram', () => {
    expect(run.counts).toEqual({ frames: 0, packets: 0, tcp: zeroCounts(OUTSIDE_TCP_PORTS), udp: zeroCounts(OUTSIDE_UDP_PORTS) });
  });

  it('lists every attempt the in-process layer saw in the audit log', () => {
    expect(run.outputs['audit-log-path'] ?? logOf(run)).toMatch(/^\//);
    const seen = refused.map((e) => ({ protocol: e.protocol, destination: e.destination }));
    // At least twice each: once from the pull request's own suite (the baseline), once or more from the generated test.
    for (const { attempt, protocol, destination } of IN_PROCESS_REFUSALS) {
      const times = seen.filter((e) => e.protocol === protocol && e.destination === destination).length;
      expect([attempt, `${protocol} ${destination}`, times >= 2]).toEqual([attempt, `${protocol} ${destination}`, true]);
    }
  });

  it('counts the refusals in the report’s compliance section and the outputs', () => {
    const compliance = run.report.compliance;
    // The section's `refused` and the output count what the in-process layer refused; other layers' lines are apart.
    const inProcess = refused.filter((e) => e.layer === 'in-process').length;
    expect(inProcess).toBeGreaterThan(0);
    expect(compliance).toMatchObject({ privacy: 'strict', refused: inProcess, auditLog: run.outputs['audit-log-path'] });
    expect({ enforcement: compliance?.enforcement, sandbox: run.report.isolation?.reason }).toEqual({
      enforcement: expect.arrayContaining(['in-process', 'sandbox-network']),
      sandbox: undefined
    });
    const byProtocol = Object.values(compliance?.refusedByProtocol ?? {}).reduce((sum, n) => sum + n, 0);
    expect(byProtocol).toBe(inProcess);
    expect(run.outputs['egress-blocked']).toBe(String(inProcess));
    expect((run.outputs['privacy-enforcement'] ?? '').split(',')).toEqual(expect.arrayContaining(['in-process', 'sandbox-network']));
  });

  it('leaves no process, firewall rule or cgroup of its own behind on the runner side', async () => {
    // A namespace bubblewrap made lives as long as a process in it: none left means none of them is left either.
    expect(outside!.strayRunnerProcesses()).toEqual([]);
    const ruleset = await outside!.runInRunnerNamespace('nft', ['list', 'ruleset'], { PATH: process.env.PATH });
    expect({ exitCode: ruleset.exitCode, ruleset: ruleset.stdout.trim() }).toEqual({ exitCode: 0, ruleset: '' });
    // iptables-legacy keeps its rules apart from nftables: none of them may be left either.
    const legacy = await outside!.runInRunnerNamespace('sh', ['-c', 'command -v iptables-legacy-save >/dev/null && iptables-legacy-save || true'], {
      PATH: process.env.PATH
    });
    expect(legacy.stdout.split('\n').filter((line) => line.startsWith('-A'))).toEqual([]);
    // The cgroup hierarchy is the machine's: other tests' cgroups may exist meanwhile, so this run's own is looked up by name.
    const made = /Egress firewall in effect \([^,]+, cgroup (\/sys\/fs\/cgroup\/aqe-egress-[0-9a-f]+)\)/.exec(run.result.stdout)?.[1];
    expect(made).toBeDefined();
    const cgroups = await outside!.runInRunnerNamespace('sh', ['-c', `test -e ${made} && echo left || true`], { PATH: process.env.PATH });
    expect(cgroups.stdout.trim()).toBe('');
  });
});

describeEgress(title('privacy: off on the runner side of two namespaces (the control)'), () => {
  let run: EgressRun;

  beforeAll(async () => {
    run = await egressRun('aqe-egress-off-', { privacy: 'off' });
  }, 200_000);

  it('runs to the end and reports', () => {
    expect({ exitCode: run.result.exitCode, errors: errorsOf(run) }).toEqual({ exitCode: 0, errors: [] });
    expect(api!.comments.get(run.number)?.length ?? 0).toBe(1);
  });

  it('reaches the outside host every way the pull request’s own suite tries', () => {
    expect(run.counts.packets).toBeGreaterThan(0);
    expect(run.counts.frames).toBeGreaterThanOrEqual(run.counts.packets);
    // At least one connection per attempt: fetch, net.connect and curl to 8080, tls.connect and DNS-over-HTTPS to 443.
    const expected: Record<string, number> = { '53': 1, '80': 1, '443': 2, '8080': 3 };
    for (const port of OUTSIDE_TCP_PORTS) {
      expect([`tcp ${port}`, (run.counts.tcp[String(port)] ?? 0) >= expected[String(port)]!]).toEqual([`tcp ${port}`, true]);
    }
    // The datagram and the resolver's query.
    for (const port of OUTSIDE_UDP_PORTS) expect([`udp ${port}`, (run.counts.udp[String(port)] ?? 0) > 0]).toEqual([`udp ${port}`, true]);
  });
});
