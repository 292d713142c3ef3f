/**
 * Strict privacy's egress firewall (nft/iptables rules and a cgroup, src/sandbox/EgressFirewall.ts) must not outlive
 * the run that installed it, however that run ends. The bundled action (node dist/index.js) runs on the runner side of
 * two network namespaces (test/support/outsideHost.ts), where it can install the firewall, and:
 *
 * - fails after the firewall is in place (the pull request's own suite does not start): the main step removed it, and
 *   the post step (node dist/post.js with the state the main step saved) finds nothing left;
 * - is cancelled by SIGINT while the pull request's tests run: it exits 130 and removed it itself;
 * - is killed (SIGKILL) while the firewall holds and a detached grandchild of the pull request's test keeps trying to
 *   reach the outside host: the post step kills the grandchild, removes rules and cgroup, and the outside host
 *   received nothing the whole time;
 * - succeeds: the job summary and the pull request comment carry the compliance section, every text in it escaped.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { examplesDir } from '../../src/core/packageRoot.js';
import { formatCount } from '../../src/core/formatNumbers.js';
import type { ComplianceSection } from '../../src/core/Privacy.js';
import { DEMO_ANSWER_FILE } from '../../src/inference/model/demoModel.js';
import { readAuditLog, type RefusedConnectionEntry } from '../../src/privacy/AuditLog.js';
import type { ProcessResult } from '../../src/process/runProcess.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { makeRunnerDirs, parseFileCommand, prepareActionRun, pullRequestPayload, type PreparedActionRun, type RunnerDirs } from '../support/actionHarness.js';
import { EGRESS_OWN_TEST_FILE, EGRESS_SOURCE_FILE, egressGeneratedTest, egressOwnTest, egressSource } from '../support/egressAttempts.js';
import type { FakeGitHubApi } from '../support/fakeGitHubApi.js';
import { expectValidExchanges } from '../support/expectValidExchanges.js';
import { asModelAnswer } from '../support/hostileCode.js';
import { namespaces } from '../support/namespaces.js';
import {
  OUTSIDE_ADDRESS,
  OUTSIDE_TCP_PORTS,
  OUTSIDE_UDP_PORTS,
  outsideHostSupport,
  runnerSideCommandPid,
  type OutsideCounts,
  type OutsideHost
} from '../support/outsideHost.js';
import { isAlive } from '../support/processesGone.js';
import { examplePullRequestWith, outsideHostWithApi } from '../support/egressScenario.js';

const OWNER = 'aqe';
const REPO = 'example';
/**
 * A destination written as markup, with a space: the audit log keeps it percent-encoded (one token, so it is counted
 * like any other), and the summary and the comment must never show it raw.
 */
const MARKUP_HOST = '<img src=x onerror=alert(1)>.example';
const MARKUP_HOST_AUDITED = MARKUP_HOST.toLowerCase().replaceAll(' ', '%20');
const SIGINT_EXIT = 130;
/** How the compliance table names each layer: what a reader of the summary is told held. */
const LAYER_TEXT: Readonly<Record<ComplianceSection['enforcement'][number], string>> = {
  'in-process': 'in-process guard (aqe and every Node process it started)',
  firewall: 'firewall on aqe’s processes',
  'sandbox-network': 'sandbox network namespace (test runs)',
  'container-network-none': 'container without network'
};

const skipReason = !outsideHostSupport.usable
  ? `the two network namespaces cannot be made here (${outsideHostSupport.reason})`
  : !namespaces.usable
    ? `the sandbox's namespaces cannot be made here (${namespaces.reason})`
    : undefined;
const describeCleanup = skipReason === undefined ? describe : describe.skip;
const title = (what: string): string => (skipReason === undefined ? what : `${what}: SKIPPED, ${skipReason}`);

let outside: OutsideHost | undefined;
let api: FakeGitHubApi | undefined;
let nextPr = 220;
const runnerDirs: RunnerDirs[] = [];
/** Started runs, so afterAll can end one a failed test left running (the namespaces' close ends the rest). */
const started: ChildProcess[] = [];

afterAll(async () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  // close() kills, by pid, whatever still runs in the namespaces: a grandchild or runner a failed test left behind.
  await outside?.close();
  await api?.close();
  expectValidExchanges(api);
  for (const dirs of runnerDirs) await rm(dirs.root, { recursive: true, force: true });
});

/** The outside host and the fake GitHub API (reached from the runner side through a forwarder), made once for the file. */
async function environment(): Promise<{ outside: OutsideHost; api: FakeGitHubApi }> {
  if (!outside) ({ outside, api } = await outsideHostWithApi(api));
  return { outside, api: api! };
}

interface StrictRunSetup {
  /** Files the pull request adds or changes on top of the example's patch, committed on its head. */
  files: (dirs: RunnerDirs) => Record<string, string>;
  /** What the pull request changes, as the API lists it, and the replayed model answer for its one target. */
  target: { file: string; answer: string };
  inputs?: Record<string, string>;
}

interface PreparedStrictRun {
  dirs: RunnerDirs;
  number: number;
  reportPath: string;
  prepared: PreparedActionRun;
}

/** The example pull request plus `files`, and the runner's environment for a strict run of the action on it. */
async function prepareStrictRun(prefix: string, setup: StrictRunSetup): Promise<PreparedStrictRun> {
  const env = await environment();
  const dirs = await makeRunnerDirs(prefix);
  runnerDirs.push(dirs);
  const files = setup.files(dirs);
  const pr = await examplePullRequestWith(dirs.workspace, files, 'The scenario');
  const headSha = pr.headSha;

  const replayFile = path.join(dirs.root, 'answers.jsonl');
  await writeFile(replayFile, `${JSON.stringify({ target: setup.target.file, response: { text: setup.target.answer } })}\n`);
  const number = nextPr++;
  env.api.setPullFiles(OWNER, REPO, number, [
    { filename: setup.target.file, status: 'added' },
    ...Object.keys(files)
      .filter((f) => f !== setup.target.file)
      .map((filename) => ({ filename, status: 'added' as const }))
  ]);
  const reportPath = path.join(dirs.root, 'report.json');
  const prepared = await prepareActionRun(dirs, {
    inputs: {
      'github-token': 'aqe-cleanup-test-token',
      'working-directory': 'ts-lib',
      model: '',
      'replay-file': replayFile,
      'report-path': reportPath,
      'repeat-runs': '1',
      'max-repairs': '0',
      'test-timeout': '120',
      privacy: 'strict',
      ...setup.inputs
    },
    event: pullRequestPayload({ owner: OWNER, repo: REPO, number, baseSha: pr.baseSha, headSha }),
    apiUrl: env.api.url
  });
  return { dirs, number, reportPath, prepared };
}

/** A run started on the runner side, for a test to signal mid-run. */
interface StartedRun {
  wrapper: ChildProcess;
  output: () => string;
  ended: Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

function startStrictRun(run: PreparedStrictRun): StartedRun {
  const wrapper = outside!.startInRunnerNamespace(process.execPath, [run.prepared.script], run.prepared.env, { cwd: run.dirs.workspace });
  started.push(wrapper);
  let stdout = '';
  let stderr = '';
  wrapper.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  wrapper.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const ended = new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve, reject) => {
    wrapper.on('error', reject);
    wrapper.on('close', (exitCode, signal) => resolve({ exitCode, signal, stdout, stderr }));
  });
  return { wrapper, output: () => stdout, ended };
}

async function until<T>(what: string, check: () => T | undefined, withinMs: number, log: () => string): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${withinMs} ms waiting for ${what}. Log so far:\n${log().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The firewall the run's log says it installed. */
interface InstalledFirewall {
  tool: string;
  cgroup: string;
  id: string;
}

const FIREWALL_LINE = /Egress firewall in effect \(([^,]+), cgroup (\/sys\/fs\/cgroup\/aqe-egress-([0-9a-f]+))\)/;

function firewallOf(log: string): InstalledFirewall | undefined {
  const m = FIREWALL_LINE.exec(log);
  return m ? { tool: m[1]!, cgroup: m[2]!, id: m[3]! } : undefined;
}

/** What of aqe's firewall exists on the runner side now. */
interface Leftovers {
  nftTables: string[];
  iptablesRules: string[];
  cgroup: boolean;
  cgroupMembers: number[];
  processes: Array<{ pid: number; cmdline: string }>;
}

const PATH_ONLY = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH });

async function runnerSide(command: string, args: string[]): Promise<ProcessResult> {
  const result = await outside!.runInRunnerNamespace(command, args, PATH_ONLY());
  if (result.exitCode !== 0) throw new Error(`${command} ${args.join(' ')} on the runner side failed (exit ${result.exitCode}): ${result.stderr}`);
  return result;
}

async function leftovers(cgroup: string): Promise<Leftovers> {
  const tables = await runnerSide('nft', ['list', 'tables']);
  // iptables-nft and iptables-legacy keep their rules apart: either may hold aqe's chain and its OUTPUT jump.
  const saved = await runnerSide('sh', [
    '-c',
    'for t in iptables-save ip6tables-save iptables-legacy-save ip6tables-legacy-save; do command -v "$t" >/dev/null && "$t" 2>/dev/null; done; true'
  ]);
  const members = await runnerSide('sh', ['-c', `test -d ${cgroup} && cat ${cgroup}/cgroup.procs || true`]);
  const exists = await runnerSide('sh', ['-c', `test -e ${cgroup} && echo left || true`]);
  return {
    nftTables: tables.stdout.split('\n').filter((l) => l.includes('aqe_egress')),
    iptablesRules: saved.stdout.split('\n').filter((l) => l.includes('AQE-EGRESS')),
    cgroup: exists.stdout.trim() === 'left',
    cgroupMembers: members.stdout
      .split('\n')
      .filter((l) => /^\d+$/.test(l))
      .map(Number),
    processes: outside!.strayRunnerProcesses()
  };
}

const NOTHING_LEFT: Leftovers = { nftTables: [], iptablesRules: [], cgroup: false, cgroupMembers: [], processes: [] };

/** Every value the run saved with the state file command, in order: the runner hands the post step the last of each. */
function savedStates(text: string): Array<{ name: string; value: string }> {
  const saved: Array<{ name: string; value: string }> = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^=<]+)<<(.+)$/.exec(lines[i]!);
    if (!m) continue;
    const end = lines.indexOf(m[2]!, i + 1);
    saved.push({ name: m[1]!, value: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return saved;
}

/** node dist/post.js on the runner side, given state the way the runner gives it (STATE_<name>). */
async function runPostStep(dirs: RunnerDirs, state: Record<string, string>): Promise<ProcessResult> {
  const prepared = await prepareActionRun(dirs, {
    inputs: {},
    entry: 'post.js',
    extraEnv: Object.fromEntries(Object.entries(state).map(([name, value]) => [`STATE_${name}`, value]))
  });
  return outside!.runInRunnerNamespace(process.execPath, [prepared.script], prepared.env, { cwd: dirs.workspace, timeoutMs: 60_000 });
}

const linesStarting = (log: string, prefix: string): string[] => log.split('\n').filter((l) => l.startsWith(prefix));
const logOf = (r: { exitCode: number | null; stdout: string; stderr: string }): string =>
  `exit ${r.exitCode}\n${r.stdout.slice(-6000)}\n${r.stderr.slice(-2000)}`;
const zeroCounts = (ports: readonly number[]): Record<string, number> => Object.fromEntries(ports.map((port) => [String(port), 0]));
const NOTHING_RECEIVED: OutsideCounts = { frames: 0, packets: 0, tcp: zeroCounts(OUTSIDE_TCP_PORTS), udp: zeroCounts(OUTSIDE_UDP_PORTS) };

const demoTarget = async (): Promise<StrictRunSetup['target']> => ({
  file: 'src/strings.ts',
  answer: await readFile(path.join(examplesDir(), DEMO_ANSWER_FILE), 'utf8')
});

/** Files named `name` under dir, not following node_modules (the scratch copy links the repository's). */
function findFiles(dir: string, name: string, depth = 5): string[] {
  if (depth < 0 || !existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isFile() && e.name === name) return [full];
    return e.isDirectory() && e.name !== 'node_modules' ? findFiles(full, name, depth - 1) : [];
  });
}

describeCleanup(title('a strict run that fails after its firewall is in place'), () => {
  let run: PreparedStrictRun;
  let end: Awaited<StartedRun['ended']>;
  let firewall: InstalledFirewall | undefined;

  beforeAll(async () => {
    run = await prepareStrictRun('aqe-cleanup-failed-', {
      files: () => ({ 'jest.config.js': "throw new Error('config needs SECRET_SAUCE');\n" }),
      target: await demoTarget(),
      inputs: { comment: 'false' }
    });
    end = await startStrictRun(run).ended;
    firewall = firewallOf(end.stdout);
  }, 200_000);

  it('fails as a suite that does not start fails, after installing the firewall and removing it again', () => {
    expect({ exitCode: end.exitCode, errors: linesStarting(end.stdout, '::error::') }).toEqual({
      exitCode: 1,
      errors: [expect.stringMatching(/did not start, so no generated test could be judged: .*config needs SECRET_SAUCE/)]
    });
    expect(firewall ?? logOf(end)).toMatchObject({ cgroup: expect.stringMatching(/^\/sys\/fs\/cgroup\/aqe-egress-/) });
    expect(end.stdout).toContain(`Egress firewall: removed the cgroup ${firewall!.cgroup}.`);
  });

  it('leaves no rule, cgroup or process of its own on the runner side', async () => {
    expect(await leftovers(firewall!.cgroup)).toEqual(NOTHING_LEFT);
  });

  it('leaves the post step nothing to remove, with the state it saved and with the installation it first recorded', async () => {
    const saved = savedStates(await readFile(run.prepared.files.state, 'utf8'));
    const recorded = saved.filter((s) => s.name === 'egress-firewall').map((s) => s.value);
    // Saved when installed, cleared when removed: the post step is told there is nothing.
    expect(recorded).toEqual([expect.stringContaining(`"id":"${firewall!.id}"`), '']);
    for (const state of [parseFileCommand(await readFile(run.prepared.files.state, 'utf8')), { 'egress-firewall': recorded[0]! }]) {
      const post = await runPostStep(run.dirs, state);
      expect({
        exitCode: post.exitCode,
        warnings: linesStarting(post.stdout, '::warning::'),
        firewall: post.stdout.split('\n').filter((l) => l.includes('Egress firewall'))
      }).toEqual({ exitCode: 0, warnings: [], firewall: [] });
    }
    expect(await leftovers(firewall!.cgroup)).toEqual(NOTHING_LEFT);
  }, 130_000);
});

describeCleanup(title('a strict run cancelled by SIGINT while the pull request’s tests run'), () => {
  let run: PreparedStrictRun;
  let end: Awaited<StartedRun['ended']>;
  let firewall: InstalledFirewall;
  let held: Leftovers;

  beforeAll(async () => {
    const token = `aqe-cleanup-${randomBytes(6).toString('hex')}`;
    run = await prepareStrictRun('aqe-cleanup-cancelled-', {
      // The pull request's own suite, the baseline, is under way once the marker is in the scratch copy; it never ends.
      files: () => ({
        'test/waits.test.ts': [
          "import { it } from '@jest/globals';",
          "import { writeFileSync } from 'fs';",
          '',
          "it('waits for ever', () => {",
          `  writeFileSync(process.cwd() + '/${token}.marker', String(process.pid));`,
          '  return new Promise(() => undefined);',
          '}, 600_000);',
          ''
        ].join('\n')
      }),
      target: await demoTarget(),
      inputs: { comment: 'false', 'test-timeout': '300' }
    });
    const action = startStrictRun(run);
    await until('the waiting test’s marker in the scratch copy', () => findFiles(run.dirs.temp, `${token}.marker`)[0], 120_000, action.output);
    firewall = await until('the firewall line in the log', () => firewallOf(action.output()), 5_000, action.output);
    held = await leftovers(firewall.cgroup);
    const main = runnerSideCommandPid(action.wrapper.pid!);
    if (main === undefined) throw new Error(`The action's process (the child of ${action.wrapper.pid}) is not to be found`);
    // The runner cancels a job with SIGINT to the step's process.
    process.kill(main, 'SIGINT');
    end = await action.ended;
  }, 200_000);

  it('had the firewall in place while the tests ran', () => {
    expect({ tables: held.nftTables.length + held.iptablesRules.length > 0, cgroup: held.cgroup, members: held.cgroupMembers.length > 0 }).toEqual({
      tables: true,
      cgroup: true,
      members: true
    });
  });

  it('exits with the cancel code, having removed the rules and the cgroup itself', async () => {
    expect({ exitCode: end.exitCode, log: end.exitCode === SIGINT_EXIT ? '' : logOf(end) }).toEqual({ exitCode: SIGINT_EXIT, log: '' });
    expect(end.stdout).toContain('SIGINT received: cancelling the run');
    expect(end.stdout).toContain(`Egress firewall: removed the cgroup ${firewall.cgroup}.`);
    expect(end.stdout).not.toContain('The egress firewall could not be removed now');
    const saved = savedStates(await readFile(run.prepared.files.state, 'utf8')).filter((s) => s.name === 'egress-firewall');
    expect(saved.map((s) => s.value).at(-1)).toBe('');
    // The runners the cancel stopped leave a moment after the exit.
    await until(
      'the runner side to be empty',
      () => (outside!.strayRunnerProcesses().length === 0 ? true : undefined),
      5_000,
      () => JSON.stringify(outside!.strayRunnerProcesses())
    ).catch(() => undefined);
    expect(await leftovers(firewall.cgroup)).toEqual(NOTHING_LEFT);
  });
});

/** What the lingering grandchild wrote about itself. */
interface Heartbeat {
  pid: number;
  attempts: number;
  outcomes: Record<string, number>;
}

/**
 * A Node program, without aqe's guard (its environment is PATH alone), that tries the outside host by TCP and UDP every
 * 100 ms and writes what each attempt came to: only the firewall stands between it and the outside host.
 */
function lingeringProgram(heartbeatFile: string): string {
  return `
const net = require('net');
const dgram = require('dgram');
const fs = require('fs');
const file = ${JSON.stringify(heartbeatFile)};
const state = { pid: process.pid, attempts: 0, outcomes: {} };
const note = (outcome) => {
  state.outcomes[outcome] = (state.outcomes[outcome] || 0) + 1;
  fs.writeFileSync(file + '.tmp', JSON.stringify(state));
  fs.renameSync(file + '.tmp', file);
};
setInterval(() => {
  state.attempts += 1;
  const socket = net.connect({ host: ${JSON.stringify(OUTSIDE_ADDRESS)}, port: 8080 });
  socket.setTimeout(150, () => { socket.destroy(); note('tcp-timeout'); });
  socket.on('connect', () => { socket.destroy(); note('tcp-connected'); });
  socket.on('error', (error) => note('tcp-' + (error.code || 'error')));
  const udp = dgram.createSocket('udp4');
  udp.on('error', () => undefined);
  udp.send('aqe', 9999, ${JSON.stringify(OUTSIDE_ADDRESS)}, (error) => { note(error ? 'udp-' + (error.code || 'error') : 'udp-sent'); udp.close(); });
}, 100);
`;
}

function readHeartbeat(file: string): Heartbeat | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Heartbeat;
  } catch {
    return undefined;
  }
}

describeCleanup(title('a strict run killed (SIGKILL) while its firewall holds, then the post step'), () => {
  let heartbeatFile: string;
  let firewall: InstalledFirewall;
  let held: Leftovers;
  let grandchild: Heartbeat;
  let mainPid: number;
  let afterKill: { signal: NodeJS.Signals | null; mainAlive: boolean; strays: number[] };
  let attemptsAfterKill: Heartbeat;
  let post: ProcessResult;
  let counts: OutsideCounts;

  beforeAll(async () => {
    const prepared = await prepareStrictRun('aqe-cleanup-killed-', {
      files: (dirs) => {
        heartbeatFile = path.join(dirs.root, 'grandchild.json');
        return {
          // Without the sandbox the test runs in aqe's cgroup and network: its grandchild is the firewall's to hold.
          'test/lingers.test.ts': [
            "import { it } from '@jest/globals';",
            "import { spawn } from 'child_process';",
            '',
            "it('leaves a process behind and waits', () => {",
            `  const child = spawn(process.execPath, ['-e', ${JSON.stringify(lingeringProgram(heartbeatFile))}], {`,
            "    detached: true, stdio: 'ignore', env: { PATH: process.env.PATH }",
            '  });',
            '  child.unref();',
            '  return new Promise(() => undefined);',
            '}, 600_000);',
            ''
          ].join('\n')
        };
      },
      target: await demoTarget(),
      inputs: { comment: 'false', sandbox: 'off', 'test-timeout': '300' }
    });
    // Everything the run sends from here on is counted: setup is behind us.
    await outside!.reset();
    const action = startStrictRun(prepared);
    const log = action.output;
    grandchild = await until(
      'the grandchild’s third attempt',
      () => ((readHeartbeat(heartbeatFile)?.attempts ?? 0) >= 3 ? readHeartbeat(heartbeatFile) : undefined),
      120_000,
      log
    );
    firewall = await until('the firewall line in the log', () => firewallOf(log()), 5_000, log);
    held = await leftovers(firewall.cgroup);
    const main = runnerSideCommandPid(action.wrapper.pid!);
    if (main === undefined) throw new Error(`The action's process (the child of ${action.wrapper.pid}) is not to be found`);
    mainPid = main;
    process.kill(mainPid, 'SIGKILL');
    const ended = await action.ended;
    // The grandchild goes on trying after the main step is gone: what holds it now is the firewall alone.
    attemptsAfterKill = await until(
      'three more attempts after the kill',
      () => {
        const beat = readHeartbeat(heartbeatFile);
        return beat && beat.attempts >= grandchild.attempts + 3 ? beat : undefined;
      },
      10_000,
      log
    );
    afterKill = { signal: ended.signal, mainAlive: isAlive(mainPid), strays: outside!.strayRunnerProcesses().map((p) => p.pid) };
    post = await runPostStep(prepared.dirs, parseFileCommand(await readFile(prepared.prepared.files.state, 'utf8')));
    counts = await outside!.counts();
  }, 200_000);

  it('had the rules and the cgroup in place, the grandchild in it, when the main step was killed', () => {
    expect({
      rules: held.nftTables.length + held.iptablesRules.length > 0,
      cgroup: held.cgroup,
      grandchildInCgroup: held.cgroupMembers.includes(grandchild.pid),
      mainInCgroup: held.cgroupMembers.includes(mainPid)
    }).toEqual({ rules: true, cgroup: true, grandchildInCgroup: true, mainInCgroup: true });
    // Killed, the main step removed nothing: the grandchild was still there for the post step.
    expect({ signal: afterKill.signal, mainAlive: afterKill.mainAlive, grandchildLeft: afterKill.strays.includes(grandchild.pid) }).toEqual({
      signal: 'SIGKILL',
      mainAlive: false,
      grandchildLeft: true
    });
  });

  it('the post step kills what is left in the cgroup and removes rules and cgroup', async () => {
    expect({ exitCode: post.exitCode, warnings: linesStarting(post.stdout, '::warning::') }).toEqual({ exitCode: 0, warnings: [] });
    const steps = post.stdout.split('\n').filter((l) => l.startsWith('Egress firewall: '));
    expect(steps).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^Egress firewall: killed \\d+ process(es)? left in ${firewall.cgroup} \\(`)),
        `Egress firewall: removed the cgroup ${firewall.cgroup}.`
      ])
    );
    expect(isAlive(grandchild.pid)).toBe(false);
    expect(await leftovers(firewall.cgroup)).toEqual(NOTHING_LEFT);
  });

  it('let nothing reach the outside host the whole time, though the grandchild kept trying', () => {
    expect(counts).toEqual(NOTHING_RECEIVED);
    expect(attemptsAfterKill.attempts).toBeGreaterThanOrEqual(grandchild.attempts + 3);
    const outcomes = Object.keys(attemptsAfterKill.outcomes);
    // A drop in the output hook fails a datagram's send with EPERM: the firewall stopped it, not a missing route
    // (ENETUNREACH). TCP retransmits a dropped SYN instead of failing, so its attempts end in the program's timeout.
    expect(outcomes.filter((o) => o.startsWith('udp-'))).toEqual(['udp-EPERM']);
    expect(outcomes.filter((o) => o.startsWith('tcp-') && o !== 'tcp-timeout' && o !== 'tcp-EPERM')).toEqual([]);
  });
});

describeCleanup(title('a strict run that succeeds: the compliance section in the summary and the comment'), () => {
  let run: PreparedStrictRun;
  let end: Awaited<StartedRun['ended']>;
  let report: RunReport & { compliance?: ComplianceSection };
  let summary: string;
  let comment: string;
  let refused: RefusedConnectionEntry[];
  let auditPath: string;
  /** From the section's heading to the next one (the footer is not part of it). */
  const summarySection = (): string => {
    const from = summary.indexOf('### 🛡️ Compliance');
    const to = summary.indexOf('\n<sub>', from);
    return from < 0 ? '' : summary.slice(from, to < 0 ? undefined : to);
  };
  const commentSection = (): string => {
    const from = comment.indexOf('<details>\n<summary>🛡️ Compliance');
    return from < 0 ? '' : comment.slice(from, comment.indexOf('</details>', from) + '</details>'.length);
  };

  beforeAll(async () => {
    run = await prepareStrictRun('aqe-cleanup-succeeded-', {
      files: () => ({
        [EGRESS_SOURCE_FILE]: egressSource(),
        [EGRESS_OWN_TEST_FILE]: egressOwnTest(),
        'test/markup.test.ts': [
          "import { expect, it } from '@jest/globals';",
          "import * as net from 'net';",
          '',
          "it('tries a destination written as markup and settles', async () => {",
          '  const outcome = await new Promise<string>((resolve) => {',
          '    try {',
          `      const socket = net.connect({ host: ${JSON.stringify(MARKUP_HOST)}, port: 80 });`,
          "      socket.on('connect', () => { socket.destroy(); resolve('connected'); });",
          "      socket.on('error', (error: NodeJS.ErrnoException) => resolve(String(error.code ?? error.name)));",
          '    } catch (error) {',
          "      resolve('threw');",
          '    }',
          '  });',
          '  expect(outcome.length).toBeGreaterThan(0);',
          '}, 20000);',
          ''
        ].join('\n')
      }),
      target: { file: EGRESS_SOURCE_FILE, answer: asModelAnswer(egressGeneratedTest()) }
    });
    end = await startStrictRun(run).ended;
    const reportText = await readFile(run.reportPath, 'utf8').catch(() => undefined);
    if (reportText === undefined) throw new Error(`The action did not finish a run (no report at ${run.reportPath}):\n${logOf(end)}`);
    report = JSON.parse(reportText) as typeof report;
    summary = await readFile(run.prepared.files.summary, 'utf8');
    comment = api!.comments.get(run.number)?.[0]?.body ?? '';
    const outputs = parseFileCommand(await readFile(run.prepared.files.output, 'utf8'));
    auditPath = outputs['audit-log-path'] ?? '';
    refused = auditPath ? readAuditLog(auditPath).filter((e): e is RefusedConnectionEntry => e.type === 'refused-connection') : [];
  }, 200_000);

  it('runs to the end with the firewall, and leaves nothing of it behind', async () => {
    expect({ exitCode: end.exitCode, errors: linesStarting(end.stdout, '::error::') }).toEqual({ exitCode: 0, errors: [] });
    const firewall = firewallOf(end.stdout);
    expect(firewall ?? logOf(end)).toMatchObject({ cgroup: expect.any(String) });
    // The sandbox's reason rides along: a namespace that could not be made here says why in the failure.
    expect({ enforcement: report.compliance?.enforcement, sandbox: report.isolation?.reason }).toEqual({
      enforcement: expect.arrayContaining(['in-process', 'firewall', 'sandbox-network']),
      sandbox: undefined
    });
    expect(await leftovers(firewall!.cgroup)).toEqual(NOTHING_LEFT);
  });

  it('puts the compliance table in the job summary: mode strict, the layers, the report’s refused count', () => {
    const compliance = report.compliance!;
    expect(compliance.refused).toBeGreaterThan(0);
    const section = summarySection();
    expect(section).toMatch(/^### 🛡️ Compliance\n\n\|.*\|\n\| --- \| --- \|\n/);
    expect(section).toContain('| Mode | `strict` |');
    const enforcement = /^\| Enforcement \| (.*) \|$/m.exec(section)?.[1] ?? '';
    expect(enforcement.split('; ')).toEqual(compliance.enforcement.map((layer) => LAYER_TEXT[layer]));
    expect(section).toMatch(new RegExp(`^\\| Refused connections \\| ${formatCount(compliance.refused)} \\(`, 'm'));
    // The count is every refusal the audit log holds, read line by line here: none of them may be dropped on the way.
    const lines = readFileSync(auditPath, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { type?: unknown });
    expect(compliance.refused).toBe(lines.filter((entry) => entry.type === 'refused-connection').length);
  });

  it('puts the compliance details block in the pull request comment, with the same count', () => {
    expect(comment).toContain(`<details>\n<summary>🛡️ Compliance: privacy strict · ${formatCount(report.compliance!.refused)} connection(s) refused</summary>`);
    expect(comment).toContain('| Mode | `strict` |');
  });

  it('escapes every text there: a destination written as markup is in the audit log, never raw in the summary or the comment', () => {
    expect(refused.some((e) => e.destination === `${MARKUP_HOST_AUDITED}:80`)).toBe(true);
    for (const [where, section] of [
      ['summary', summarySection()],
      ['comment', commentSection()]
    ] as const) {
      // The only markup in the section is the renderer's own: the details block and line breaks.
      const tags = section.match(/<[^>]*>?/g) ?? [];
      expect([where, tags.filter((t) => !/^<\/?(details|summary|br)>$/.test(t))]).toEqual([where, []]);
      expect([where, section.includes('Refused connections')]).toEqual([where, true]);
    }
    for (const [where, text] of [
      ['summary', summary],
      ['comment', comment]
    ] as const) {
      expect([where, text.includes('<img')]).toEqual([where, false]);
    }
  });
});
