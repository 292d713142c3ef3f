/**
 * Hostile code through the bundled action (node dist/index.js), as an attacker would try it:
 * model answers (fed by replay) and a test the pull request adds itself, with dummy secrets in
 * the job's environment, a checkout credential in .git/config as actions/checkout leaves it, a
 * listener on the job's loopback, and on-accepted: commit with a second git server the attacks
 * point the push at. One action run per isolation mode, shared by every assertion.
 *
 * With the namespaces (bubblewrap), nothing may get out: no secret anywhere, no write outside the
 * scratch copy, no survivor, no connection from a candidate, no push but to the event's
 * repository. With sandbox: off, only the fallback's own guarantees are held to.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { prepareExamplePullRequest, type ExamplePullRequest } from '../../src/cli/exampleRepo.js';
import { runProcess } from '../../src/process/runProcess.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { namespaces } from '../support/namespaces.js';
import { makeRunnerDirs, PACKAGE_ROOT, pullRequestPayload, runAction, type ActionRun, type RunnerDirs } from '../support/actionHarness.js';
import { startFakeGitHubApi, type FakeGitHubApi } from '../support/fakeGitHubApi.js';
import { expectValidExchanges } from '../support/expectValidExchanges.js';
import { startGitHttpServer, type GitHttpServer } from '../support/gitHttpServer.js';
import { hashTree } from '../support/hashTree.js';
import {
  asModelAnswer,
  ENV_CLEARING_SURVIVOR,
  fallbackEnvironmentCandidate,
  fallbackGitCandidate,
  forgeValue,
  GIT_HOOK_MARKERS,
  networkCandidate,
  processesCandidate,
  PROBE_PREFIX,
  pullRequestProbe,
  secretsCandidate,
  SURVIVOR_KINDS,
  TARGET_SOURCES,
  writesCandidate,
  type HostileTargets
} from '../support/hostileCode.js';
import {
  canaryNodeModules,
  checkoutCredential,
  dummySecrets,
  externalAddress,
  killCarrying,
  processesCarrying,
  secretsIn,
  secretsUnder,
  startListener,
  SECRET_VARIABLES,
  type DummySecrets,
  type Listener,
  type SecretSighting
} from '../support/hostileTraces.js';

const OWNER = 'aqe';
const REPO = 'example';
const AUTHOR = ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'commit.gpgsign=false'];
/** How long after the action exits a survivor would have written its marker (they write at 2 s). */
const MARKER_WAIT_MS = 3000;

const bwrap = namespaces;
const describeConfined = bwrap.usable ? describe : describe.skip;
const confinedTitle = bwrap.usable
  ? `hostile code with the namespaces (bubblewrap ${bwrap.version})`
  : `hostile code with the namespaces: SKIPPED, the namespaces cannot be made here (${bwrap.reason})`;

let api: FakeGitHubApi;
let nextPr = 70;

afterAll(async () => {
  await api?.close();
  expectValidExchanges(api);
});

/** Everything one hostile run set up and left behind. */
interface HostileRun {
  dirs: RunnerDirs;
  pr: ExamplePullRequest;
  targets: HostileTargets;
  secrets: DummySecrets & ReturnType<typeof checkoutCredential>;
  listener: Listener;
  externalListener: Listener | undefined;
  legit: GitHttpServer;
  hostile: GitHttpServer;
  legitBare: string;
  hostileBare: string;
  nodeModules: string;
  before: { tree: Map<string, string>; gitConfig: string; hooks: string[]; nodeModules: Map<string, string>; toolCache: Map<string, string> };
  run: ActionRun;
  /**
   * Processes carrying the attacks' token the moment the action exited, and the markers written after it exited
   * (within MARKER_WAIT_MS): a git hook's marker at all, a survivor's when it has a line stamped after the exit.
   */
  survivorsAtExit: Array<{ pid: number; cmdline: string }>;
  markers: string[];
  report: RunReport;
  cleanUp(): Promise<void>;
}

async function git(cwd: string, args: string[]): Promise<string> {
  // Hooks and monitor off: the attacks arm both in the working tree's config.
  const result = await runProcess({
    command: 'git',
    args: ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', ...args],
    cwd,
    env: { PATH: process.env.PATH, HOME: os.tmpdir(), GIT_CONFIG_NOSYSTEM: '1' },
    timeoutMs: 60_000
  });
  if (result.exitCode !== 0) throw new Error(`git ${args.join(' ')} in ${cwd} failed: ${result.stderr}`);
  return result.stdout.trim();
}

/** One hostile run: the sandbox input (default auto), whether the pull request brings its own probe, the model's answers by target. */
interface HostileRunOptions {
  prefix: string;
  sandbox?: 'off';
  withPullRequestProbe: boolean;
  answers: (t: HostileTargets) => Record<string, string>;
}

/** What a run starts with, and how to undo it all. */
interface Setup {
  dirs: RunnerDirs;
  listener: Listener;
  externalListener: Listener | undefined;
  secrets: HostileRun['secrets'];
  token: string;
  closers: Array<() => Promise<void>>;
  cleanUp: () => Promise<void>;
}

/** A hostile run, and whatever it left cleaned up when it cannot be finished. */
async function hostileRun(options: HostileRunOptions): Promise<HostileRun> {
  api ??= await startFakeGitHubApi();
  const dirs = await makeRunnerDirs(options.prefix);
  const listener = await startListener();
  const address = externalAddress();
  const externalListener = address ? await startListener(address) : undefined;
  const closers: Array<() => Promise<void>> = [() => listener.close(), async () => externalListener?.close()];
  const token = `aqe-hostile-${randomBytes(8).toString('hex')}`;
  const cleanUp = async (): Promise<void> => {
    killCarrying(token);
    for (const close of closers) await close().catch(() => undefined);
    // What a failed confinement let the attacks plant outside the run's root.
    for (const dir of ['/tmp', os.homedir()]) {
      for (const entry of readdirSync(dir).filter((f) => f.includes(token))) await rm(path.join(dir, entry), { force: true, recursive: true });
    }
    await rm(dirs.root, { recursive: true, force: true });
  };
  const setup: Setup = { dirs, listener, externalListener, secrets: { ...dummySecrets(), ...checkoutCredential() }, token, closers, cleanUp };
  try {
    return await attack(setup, options);
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/**
 * The example pull request with the attack targets added on its head, checked out on its branch
 * from a git server the way actions/checkout leaves it (origin, upstream, the token in an
 * extraheader), and the action run on it with every answer in `answers`.
 */
async function attack(setup: Setup, options: HostileRunOptions): Promise<HostileRun> {
  const { dirs, listener, externalListener, secrets, token, closers } = setup;
  const pr = await prepareExamplePullRequest(dirs.workspace);
  const files: Record<string, string> = { ...TARGET_SOURCES };
  const markerDir = path.join(dirs.root, 'markers');
  const toolCacheFile = path.join(dirs.toolCache, 'node', '20.0.0', 'x64', 'bin', 'node-shim');
  await mkdir(markerDir);
  await mkdir(path.dirname(toolCacheFile), { recursive: true });
  await writeFile(toolCacheFile, '#!/bin/sh\nexit 0\n');
  const githubEnv = path.join(dirs.root, 'github-env');
  const githubPath = path.join(dirs.root, 'github-path');
  await writeFile(githubEnv, '');
  await writeFile(githubPath, '');

  const legitRoot = path.join(dirs.root, 'remote');
  const hostileRoot = path.join(dirs.root, 'hostile-remote');
  const legitBare = path.join(legitRoot, OWNER, `${REPO}.git`);
  const hostileBare = path.join(hostileRoot, OWNER, `${REPO}.git`);
  for (const bare of [legitBare, hostileBare]) {
    await mkdir(bare, { recursive: true });
    await git(bare, ['init', '-q', '--bare', '-b', 'main']);
  }
  const legit = await startGitHttpServer(legitRoot, secrets['INPUT_GITHUB-TOKEN']);
  const hostile = await startGitHttpServer(hostileRoot, 'the-attacker-does-not-know-it');
  closers.push(
    () => legit.close(),
    () => hostile.close()
  );
  const targets: HostileTargets = {
    token,
    forgeParts: ['aqe_forged_', token.slice(-12)],
    repoDir: pr.repoDir,
    gitConfig: path.join(pr.repoDir, '.git', 'config'),
    fileCommandDir: dirs.root,
    githubEnv,
    githubPath,
    toolCache: dirs.toolCache,
    toolCacheFile,
    runnerTemp: dirs.temp,
    realHome: os.homedir(),
    markerDir,
    port: listener.port,
    // Without an interface but loopback, an address from TEST-NET-1 (RFC 5737): nothing answers there.
    external: externalListener ? { host: externalListener.host, port: externalListener.port } : { host: '192.0.2.1', port: 9 },
    hostileGitUrl: hostile.url,
    actionEntry: path.join(PACKAGE_ROOT, 'dist', 'index.js')
  };
  if (options.withPullRequestProbe) files['test/pr-probe.test.ts'] = pullRequestProbe(targets);
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(pr.repoDir, file)), { recursive: true });
    await writeFile(path.join(pr.repoDir, file), content);
  }
  await git(pr.repoDir, ['add', ...Object.keys(files)]);
  await git(pr.repoDir, [...AUTHOR, 'commit', '-q', '-m', 'Attack targets']);
  pr.headSha = await git(pr.repoDir, ['rev-parse', 'HEAD']);
  // actions/checkout with ref: the head branch, persist-credentials left on.
  await git(pr.repoDir, ['push', '-q', legitBare, `${pr.baseSha}:refs/heads/main`, `${pr.headSha}:refs/heads/feature`]);
  await git(pr.repoDir, ['branch', '-q', 'feature', pr.headSha]);
  await git(pr.repoDir, ['symbolic-ref', 'HEAD', 'refs/heads/feature']);
  await git(pr.repoDir, ['remote', 'add', 'origin', `${legit.url}/${OWNER}/${REPO}`]);
  await git(pr.repoDir, ['fetch', '-q', 'origin']);
  await git(pr.repoDir, ['branch', '-q', '--set-upstream-to=origin/feature', 'feature']);
  await git(pr.repoDir, ['config', `http.${legit.url}/.extraheader`, `AUTHORIZATION: basic ${secrets.CHECKOUT_HEADER}`]);
  const { dir: nodeModules } = canaryNodeModules(pr.repoDir, path.join(PACKAGE_ROOT, 'node_modules'));

  const replayFile = path.join(dirs.root, 'answers.jsonl');
  const answers = options.answers(targets);
  await writeFile(
    replayFile,
    Object.entries(answers)
      .map(([target, code]) => JSON.stringify({ target, response: { text: asModelAnswer(code) } }))
      .join('\n') + '\n'
  );
  const number = nextPr++;
  api.setPullFiles(
    OWNER,
    REPO,
    number,
    Object.keys(answers).map((filename) => ({ filename, status: 'added' as const }))
  );

  const before = {
    tree: hashTree(pr.repoDir, ['.git']),
    gitConfig: await readFile(targets.gitConfig, 'utf8'),
    hooks: readdirSync(path.join(pr.repoDir, '.git', 'hooks')).sort(),
    nodeModules: hashTree(nodeModules),
    toolCache: hashTree(dirs.toolCache)
  };
  // The token input goes in as the runner passes inputs (INPUT_GITHUB-TOKEN); the others are the job's environment.
  const jobSecrets = Object.fromEntries(SECRET_VARIABLES.filter((name) => !name.startsWith('INPUT_')).map((name) => [name, secrets[name]]));
  const run = await runAction(dirs, {
    inputs: {
      'github-token': secrets['INPUT_GITHUB-TOKEN'],
      'working-directory': 'ts-lib',
      model: '',
      'replay-file': replayFile,
      'report-path': path.join(dirs.root, 'report.json'),
      'on-accepted': 'commit',
      'repeat-runs': '1',
      'max-repairs': '0',
      'test-timeout': '60',
      ...(options.sandbox ? { sandbox: options.sandbox } : {})
    },
    event: pullRequestPayload({ owner: OWNER, repo: REPO, number, baseSha: pr.baseSha, headSha: pr.headSha }),
    apiUrl: api.url,
    timeoutMs: 240_000,
    extraEnv: { ...jobSecrets, GITHUB_ENV: githubEnv, GITHUB_PATH: githubPath, GITHUB_SERVER_URL: legit.url }
  });
  const exitedAt = Date.now();
  const survivorsAtExit = processesCarrying(token);
  await new Promise((resolve) => setTimeout(resolve, MARKER_WAIT_MS));
  const markers = markersWrittenAfter(markerDir, exitedAt);
  killCarrying(token);
  const reportText = await readFile(path.join(dirs.root, 'report.json'), 'utf8').catch(() => undefined);
  // Every assertion below reads what the run left: without a finished run they would prove nothing.
  if (reportText === undefined) {
    throw new Error(
      `The action did not finish a run, so nothing about the confinement can be judged:\nexit ${run.exitCode}\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-2000)}`
    );
  }
  const report = JSON.parse(reportText) as RunReport;
  return {
    dirs,
    pr,
    targets,
    secrets,
    listener,
    externalListener,
    legit,
    hostile,
    legitBare,
    hostileBare,
    nodeModules,
    before,
    run,
    survivorsAtExit,
    markers,
    report,
    cleanUp: setup.cleanUp
  };
}

const logOf = (h: HostileRun): string => `exit ${h.run.exitCode}\n${h.run.stdout.slice(-6000)}\n${h.run.stderr.slice(-2000)}`;

/** What a probe case of `role` said, as the report recorded it (its failure reason). */
function probeSaid(h: HostileRun, role: string): string | undefined {
  const reasons = h.report.candidates?.flatMap((c) => [c.rejection?.reason ?? '', ...c.cases.map((k) => k.reason ?? '')]) ?? [];
  return reasons.find((r) => r.includes(`${PROBE_PREFIX} ${role} `));
}

/** Every place a secret could have got to that the job keeps or shows: texts of the run, files under its root, /tmp, HOME, the git servers. */
async function secretSightings(h: HostileRun): Promise<SecretSighting[]> {
  const texts: Array<[string, string]> = [
    ['action stdout', h.run.stdout],
    ['action stderr', h.run.stderr],
    ['outputs', JSON.stringify(h.run.outputs)],
    ['step summary', h.run.summary],
    ['state', h.run.state],
    ['listener', [...h.listener.received, ...(h.externalListener?.received ?? [])].join('\n')],
    ['PR comments', JSON.stringify([...api.comments.values()])],
    ['legit remote history', await git(h.legitBare, ['log', '-p', '--all'])],
    ['hostile remote history', await git(h.hostileBare, ['log', '-p', '--all']).catch(() => '')]
  ];
  const found = texts.flatMap(([where, text]) => secretsIn(text, h.secrets, where));
  // The checkout's credential sits in its .git/config: there, and only there, it belongs.
  found.push(...secretsUnder(h.dirs.root, h.secrets, [{ file: h.targets.gitConfig, secret: 'CHECKOUT_HEADER' }]));
  for (const dir of ['/tmp', os.homedir()]) {
    for (const entry of readdirSync(dir).filter((f) => f.includes(h.targets.token)))
      found.push(...secretsUnder(path.join(dir, entry), h.secrets), { where: path.join(dir, entry), secret: '(a file planted by the attack)' });
  }
  return found;
}

/** The tree after the run is the tree before plus the accepted test files, byte for byte. */
function treeChanges(h: HostileRun): { changed: string[]; added: string[]; removed: string[] } {
  const after = hashTree(h.pr.repoDir, ['.git']);
  const accepted = new Set((h.run.outputs['accepted-files'] ?? '').split('\n').filter(Boolean));
  return {
    changed: [...h.before.tree].filter(([f, hash]) => after.has(f) && after.get(f) !== hash).map(([f]) => f),
    added: [...after.keys()].filter((f) => !h.before.tree.has(f) && !accepted.has(f)),
    removed: [...h.before.tree.keys()].filter((f) => !after.has(f))
  };
}

/** The commit the event's repository received on the pull request's branch: its parent and the files it adds. */
async function pushedCommit(h: HostileRun): Promise<{ sha: string; parent: string; files: string[] }> {
  const sha = await git(h.legitBare, ['rev-parse', 'refs/heads/feature']);
  const parent = await git(h.legitBare, ['rev-parse', `${sha}^`]).catch(() => '');
  const files = (await git(h.legitBare, ['diff', '--name-only', `${h.pr.headSha}`, sha]).catch(() => '')).split('\n').filter(Boolean);
  return { sha, parent, files };
}

describeConfined(confinedTitle, () => {
  let h: HostileRun;

  beforeAll(async () => {
    h = await hostileRun({
      prefix: 'aqe-hostile-ns-',
      withPullRequestProbe: true,
      answers: (t) => ({
        'src/secrets.ts': secretsCandidate(t),
        'src/paths.ts': writesCandidate(t),
        'src/jobs.ts': processesCandidate(t, 'processes'),
        'src/endpoint.ts': networkCandidate(t)
      })
    });
  }, 300_000);

  afterAll(async () => {
    await h?.cleanUp();
  });

  it('runs to the end, confined by the namespaces, and says so in the report and the log', () => {
    expect({ exitCode: h.run.exitCode, errors: h.run.stdout.split('\n').filter((l) => l.startsWith('::error::')) }).toEqual({ exitCode: 0, errors: [] });
    expect(h.report.isolation).toMatchObject({ kind: 'namespaces', requested: 'auto', tool: expect.stringMatching(/^bubblewrap /) });
    expect(h.run.stdout).toMatch(/Tests run confined by bubblewrap/);
  });

  it('ran every attack: the probes of the candidates reached the report, the pull request’s probe reached the listener', () => {
    for (const role of ['secrets', 'writes', 'processes'])
      expect([role, probeSaid(h, role) ?? logOf(h)]).toEqual([role, expect.stringContaining(PROBE_PREFIX)]);
    const baseline = h.listener.received.filter((r) => r.startsWith(`${PROBE_PREFIX} baseline `));
    expect(baseline.length).toBeGreaterThan(0);
    // Each probe saw only its own PID namespace: not the action, whose environment holds every secret.
    for (const said of [...baseline, probeSaid(h, 'secrets')]) expect(said).toMatch(/saw-action=no pids=\d+ environ=\d+ cmdline=\d+/);
  });

  it('lets no secret out: not from the environment, /proc or the checkout, by a candidate or the pull request’s own test', async () => {
    expect(await secretSightings(h)).toEqual([]);
  });

  it('never names a secret variable the tests could read, in what the probes found', () => {
    const said = [probeSaid(h, 'secrets') ?? '', ...h.listener.received].join('\n');
    for (const name of [
      'GITHUB_TOKEN',
      'INPUT_GITHUB-TOKEN',
      'ACTIONS_RUNTIME_TOKEN',
      'ACTIONS_ID_TOKEN_REQUEST',
      'ACTIONS_CACHE_URL',
      'ANTHROPIC_API_KEY',
      'NPM_TOKEN',
      'extraheader'
    ]) {
      expect([name, said.includes(name)]).toEqual([name, false]);
    }
  });

  it('keeps the working tree as it was, but for the accepted test files', () => {
    expect(treeChanges(h)).toEqual({ changed: [], added: [], removed: [] });
    expect((h.run.outputs['accepted-files'] ?? '').split('\n').sort()).toEqual(['test/jobs.test.ts', 'test/paths.test.ts', 'test/secrets.test.ts']);
  });

  it('keeps the checkout’s git config and hooks as they were', async () => {
    expect(await readFile(h.targets.gitConfig, 'utf8')).toBe(h.before.gitConfig);
    expect(readdirSync(path.join(h.pr.repoDir, '.git', 'hooks')).sort()).toEqual(h.before.hooks);
  });

  it('keeps node_modules, reached through the scratch copy’s link, as it was', () => {
    expect(hashTree(h.nodeModules)).toEqual(h.before.nodeModules);
  });

  it('keeps the tool cache, the runner’s temp directory, HOME and /tmp free of anything planted', () => {
    expect(hashTree(h.dirs.toolCache)).toEqual(h.before.toolCache);
    const planted = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith('planted-') || f.startsWith('loot-')) : []);
    expect(planted(h.dirs.temp)).toEqual([]);
    expect(planted(h.dirs.root)).toEqual([]);
    expect(planted(h.targets.markerDir)).toEqual([]);
    expect(readdirSync('/tmp').filter((f) => f.includes(h.targets.token))).toEqual([]);
    expect(readdirSync(os.homedir()).filter((f) => f.includes(h.targets.token))).toEqual([]);
  });

  it('keeps every file command of the runner as the action wrote it', async () => {
    const forged = forgeValue(h.targets);
    expect(await readFile(h.targets.githubEnv, 'utf8')).toBe('');
    expect(await readFile(h.targets.githubPath, 'utf8')).toBe('');
    expect(JSON.stringify(h.run.outputs)).not.toContain(forged);
    expect(h.run.outputs['tests-accepted']).toBe('3');
    expect(h.run.summary).not.toContain(forged);
    expect(h.run.state).not.toContain(forged);
  });

  it('leaves no process alive after the action exits, however it was started, and no marker written later', () => {
    expect(h.survivorsAtExit).toEqual([]);
    expect(h.markers).toEqual([]);
    // The attacks did start them (the probes report each start), and the report counts what was killed.
    const started = probeSaid(h, 'processes') ?? '';
    for (const kind of [...SURVIVOR_KINDS, ENV_CLEARING_SURVIVOR]) expect(started).toContain(`survivor-${kind}=ok`);
    const killed = (h.report.isolation?.events ?? []).filter((e) => e.kind === 'survivors-killed');
    expect(killed.map((e) => e.run)).toEqual(expect.arrayContaining(['baseline']));
    expect(killed.some((e) => e.run !== 'baseline')).toBe(true);
  });

  it('gives candidates no network: the listeners heard only the pull request’s own suite', () => {
    expect(h.listener.received.filter((r) => !r.startsWith(`${PROBE_PREFIX} baseline `))).toEqual([]);
    expect(h.listener.connections()).toBe(h.listener.received.length);
    expect(h.externalListener?.connections() ?? 0).toBe(0);
    // Loopback is their own (nobody listens there), and no other address has a route.
    for (const role of ['secrets', 'writes', 'processes']) expect(probeSaid(h, role)).toMatch(/network=econnrefused\/(enetunreach|ehostunreach) /);
  });

  it('rejects the candidate that needs the network, at the network stage', () => {
    const network = h.report.candidates.find((c) => c.targetFile === 'src/endpoint.ts');
    expect(network).toMatchObject({ status: 'rejected', rejection: { stage: 'network', reason: expect.stringMatching(/ENETUNREACH|EHOSTUNREACH/) } });
    expect(h.report.isolation?.events).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'network-refused', testFile: 'test/endpoint.test.ts' })])
    );
  });

  it('pushes the accepted tests to the event’s repository, and nothing reaches the server the attacks named', async () => {
    const pushed = await pushedCommit(h);
    expect(h.report.delivery).toMatchObject({ mode: 'commit', commit: { sha: pushed.sha, branch: 'feature' } });
    expect(pushed.parent).toBe(h.pr.headSha);
    expect(pushed.files.sort()).toEqual(['test/jobs.test.ts', 'test/paths.test.ts', 'test/secrets.test.ts']);
    expect(h.hostile.requests).toEqual([]);
    expect(h.legit.requests.filter((r) => r.service === 'receive-pack').every((r) => r.authorization.length === 1)).toBe(true);
  });
});

describe('hostile code with sandbox: off (the fallback)', () => {
  let h: HostileRun;

  beforeAll(async () => {
    h = await hostileRun({
      prefix: 'aqe-hostile-off-',
      sandbox: 'off',
      withPullRequestProbe: false,
      answers: (t) => ({
        'src/secrets.ts': fallbackEnvironmentCandidate(t),
        'src/paths.ts': fallbackGitCandidate(t),
        'src/jobs.ts': processesCandidate(t, 'fallback-processes')
      })
    });
  }, 300_000);

  afterAll(async () => {
    await h?.cleanUp();
  });

  it('runs to the end and reports the fallback, with what it does not confine, in the report, the log and the summary', () => {
    expect({ exitCode: h.run.exitCode, errors: h.run.stdout.split('\n').filter((l) => l.startsWith('::error::')) }).toEqual({ exitCode: 0, errors: [] });
    expect(h.report.isolation).toMatchObject({ kind: 'fallback', requested: 'off' });
    expect(h.report.isolation?.gaps.length).toBeGreaterThan(0);
    expect(h.run.stdout).toMatch(/sandbox is off: .*Not confined: /);
    expect(h.run.summary).toMatch(/fallback only/);
  });

  it('gives the tests an environment without a secret, and a HOME and temp directory of their own', () => {
    const said = probeSaid(h, 'fallback-env');
    // Nothing between "loot:" and the next finding: no variable of its environment looked like a secret.
    expect(said ?? logOf(h)).toMatch(new RegExp(`${PROBE_PREFIX} fallback-env network=\\S+ home=\\S+ tmpdir=\\S+ loot: loot-in-cwd=ok`));
    const home = said!.match(/home=(\S+)/)![1]!;
    const tmpdir = said!.match(/tmpdir=(\S+)/)![1]!;
    expect(home).not.toBe(os.homedir());
    expect(home.startsWith(h.dirs.temp + path.sep)).toBe(true);
    expect(tmpdir.startsWith(h.dirs.temp + path.sep)).toBe(true);
  });

  it('lets no secret of the environment out', async () => {
    expect(await secretSightings(h)).toEqual([]);
  });

  it('ends every process that kept the run’s environment, setsid and detached included, and no marker is written later', () => {
    const started = probeSaid(h, 'fallback-processes') ?? logOf(h);
    for (const kind of SURVIVOR_KINDS) expect(started).toContain(`survivor-${kind}=ok`);
    expect(h.survivorsAtExit).toEqual([]);
    expect(h.markers.filter((m) => m.startsWith('fallback-processes-'))).toEqual([]);
    expect((h.report.isolation?.events ?? []).some((e) => e.kind === 'survivors-killed' && e.run !== 'baseline')).toBe(true);
  });

  it('pushes to the event’s repository even though a candidate did rewrite .git/config, and runs none of the hooks it armed', async () => {
    // The fallback does not protect the working tree: the rewrite went through.
    const config = await readFile(h.targets.gitConfig, 'utf8');
    expect(config).toContain(`pushurl = ${h.hostile.url}/aqe/example`);
    expect(config).toContain('fsmonitor');
    const pushed = await pushedCommit(h);
    expect(h.report.delivery).toMatchObject({ mode: 'commit', commit: { sha: pushed.sha, branch: 'feature' } });
    expect(pushed.parent).toBe(h.pr.headSha);
    expect(pushed.files.sort()).toEqual(['test/jobs.test.ts', 'test/paths.test.ts', 'test/secrets.test.ts']);
    expect(h.hostile.requests).toEqual([]);
    expect(h.markers.filter((m) => GIT_HOOK_MARKERS.some((k) => m === `git-${k}`))).toEqual([]);
  });
});

/** Markers that prove activity after `exitedAt`: a file with no time stamps (a hook ran), or a survivor's line stamped later. */
function markersWrittenAfter(markerDir: string, exitedAt: number): string[] {
  return readdirSync(markerDir)
    .filter((name) => {
      const stamps = readFileSync(path.join(markerDir, name), 'utf8')
        .split('\n')
        .map((line) => /^(\d{13}) /.exec(line)?.[1])
        .filter((stamp): stamp is string => stamp !== undefined)
        .map(Number);
      return stamps.length === 0 || stamps.some((stamp) => stamp > exitedAt);
    })
    .sort();
}
