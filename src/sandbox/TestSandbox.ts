import { randomBytes } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ConfinementEvent, IsolationInEffect } from '../core/Isolation.js';
import type { SandboxOption } from '../core/RunOptions.js';
import { type ProcessResult, runProcess, type StallCheck } from '../process/runProcess.js';
import { type BubblewrapProbe, filesystemArguments, findBubblewrap, namespaceArguments, probeBubblewrap } from './bubblewrap.js';
import { nodeInstallation } from './nodeInstallation.js';
import { networkEvidence, writeRefusedEvidence } from './confinementEvidence.js';
import { PROCESS_REAPER_SCRIPT, readReaperStatus } from './processReaper.js';
import { sandboxEnvironment } from './sandboxEnvironment.js';
import { enableNamespacesWithSudo } from './enableNamespacesWithSudo.js';
import { SandboxUnavailableError } from './SandboxUnavailableError.js';
import { type AuditLog, parseAuditLog } from '../privacy/AuditLog.js';
import { EGRESS_POLICY_ENV, type EgressPolicy } from '../privacy/egressGuard.js';

/** Whose code a run executes: the repository's own suite keeps the network, candidates never have it. */
export type SandboxedCode = 'suite' | 'candidates';

export interface SandboxSettings {
  option: SandboxOption;
  /** The run's private directory; the scratch copy, outputs, and the sandbox's HOME, temp and caches are inside it. */
  workRoot: string;
  /** The scratch copy: writable by every run. */
  scratchDir: string;
  /** The user's working tree: read-only. */
  repoDir: string;
  /** Real directories behind the scratch copy's node_modules links: read-only. */
  linkedDirs?: readonly string[];
  /** Variable names the user let through (test-env). */
  passThrough?: readonly string[];
  /** The environment aqe runs in; process.env when not given. */
  environment?: NodeJS.ProcessEnv;
  /** Where bwrap is; found on PATH when not given, and '' means none. */
  bubblewrap?: string;
  /** privacy strict: the repository's own suite gets no network either, like the candidates. */
  suiteOffline?: boolean;
  /** privacy strict: every Node process of every run loads the egress guard, and what it refuses goes to the audit. */
  egressGuard?: SandboxEgressGuard;
}

export interface SandboxEgressGuard {
  /** The bundled preload (dist/egressGuardPreload.js); copied into the sandbox, where the runs can read it. */
  preloadFile: string;
  /** The policy; its auditFile is replaced by one per run inside the run's own directory. */
  policy: EgressPolicy;
  /** Where the refused attempts the runs' guards saw are appended once each run is over. */
  audit: AuditLog;
}

export interface SandboxedRun {
  /** Which run, for the confinement events: "baseline", "first-0", "confirmation". */
  label: string;
  code: SandboxedCode;
  /** A script Node runs (the runner's entry), and its arguments. */
  script: string;
  args: readonly string[];
  cwd: string;
  /** Writable besides the scratch copy: the run's output directory. */
  writable: readonly string[];
  nodeOptions?: string;
  set?: Readonly<Record<string, string>>;
  timeoutMs: number;
  maxOutputBytes?: number;
  /** Stops the run early, as its time limit would (see ProcessSpec.stalled). */
  stalled?: StallCheck;
}

const GUARANTEES = {
  allowList: 'an environment built from an allow-list: no token, cloud key or runner file-command path reaches the tests',
  home: 'a HOME and temp directory of their own inside the run directory',
  reaped: 'every process a run starts is ended when its runner exits (survivors are counted in the report)'
};

/**
 * Every test-runner process aqe starts (baseline, candidates, repetitions, confirmation) starts
 * here. With bubblewrap it runs in its own user, mount, PID, IPC and UTS namespaces, on a
 * read-only filesystem where only the scratch copy, its output directory and a private HOME and
 * temp directory are writable, and with the real HOME, the runner's directories and file commands
 * hidden; candidates also get a network namespace with nothing but loopback. Without bubblewrap
 * the fallback still builds the environment from an allow-list, gives a private HOME and temp
 * directory, and ends every process of a run.
 */
export class TestSandbox {
  readonly events: ConfinementEvent[] = [];
  /** Why refused attempts of a run could not be added to the audit log, the first time it happened. */
  auditFailure: string | undefined;
  private runs = 0;
  private layout: { hidden: string[]; readOnly: string[] } | undefined;

  private constructor(
    readonly isolation: IsolationInEffect,
    private readonly settings: SandboxSettings,
    private readonly bwrap: string | undefined,
    private readonly dirs: { home: string; tmp: string; cache: string; reaper: string; guard?: string }
  ) {}

  static async prepare(settings: SandboxSettings): Promise<TestSandbox> {
    const env = settings.environment ?? process.env;
    const probe = await probeIsolation(settings.option, settings.bubblewrap ?? findBubblewrap(env.PATH) ?? '', env);
    if (settings.option === 'require' && !probe.usable) throw new SandboxUnavailableError(probe.reason);
    const base = path.join(settings.workRoot, 'sandbox');
    const dirs = {
      home: path.join(base, 'home'),
      tmp: path.join(base, 'tmp'),
      cache: path.join(base, 'cache'),
      reaper: path.join(base, 'bin', 'aqe-reaper.cjs')
    };
    for (const dir of [dirs.home, dirs.tmp, dirs.cache, path.dirname(dirs.reaper)]) await mkdir(dir, { recursive: true });
    await writeFile(dirs.reaper, PROCESS_REAPER_SCRIPT, { mode: 0o444 });
    // The action's own checkout may sit under a HOME the runs cannot see; beside the reaper the file is read-only to them.
    const guard = settings.egressGuard ? path.join(path.dirname(dirs.reaper), 'aqe-egress-guard.mjs') : undefined;
    if (guard) await copyFile(settings.egressGuard!.preloadFile, guard);
    const isolation = describeIsolation(settings.option, probe, settings.suiteOffline === true);
    return new TestSandbox(isolation, settings, probe.usable ? probe.path : undefined, { ...dirs, ...(guard ? { guard } : {}) });
  }

  /** Candidates run in a network namespace of their own: a failure that shows a refused connection is the sandbox's doing. */
  get candidatesOffline(): boolean {
    return this.bwrap !== undefined;
  }

  /** Whether runs of this code have a network namespace with nothing but loopback. */
  offline(code: SandboxedCode): boolean {
    return this.bwrap !== undefined && (code === 'candidates' || this.settings.suiteOffline === true);
  }

  /**
   * Confinement events a run's failures show: a write to a read-only path, and for candidates
   * without network a connection refused. Returned too, so validation can judge by them.
   */
  recordFailures(label: string, code: SandboxedCode, failures: ReadonlyArray<{ testFile: string; text: string }>): ConfinementEvent[] {
    const found: ConfinementEvent[] = [];
    for (const { testFile, text } of failures) {
      const write = writeRefusedEvidence(text);
      if (write) found.push({ kind: 'write-refused', run: label, testFile, detail: write });
      const network = this.offline(code) ? networkEvidence(text) : undefined;
      if (network) found.push({ kind: 'network-refused', run: label, testFile, detail: network });
    }
    this.events.push(...found);
    return found;
  }

  /** A writable directory for one tool's cache (jest's transform cache), shared by the runs of this aqe run. */
  cacheDirectory(name: string): string {
    return path.join(this.dirs.cache, name);
  }

  async run(spec: SandboxedRun): Promise<ProcessResult> {
    const marker = `${process.pid}-${++this.runs}-${randomBytes(6).toString('hex')}`;
    const statusFile = path.join(spec.writable[0] ?? this.dirs.tmp, `.aqe-reaper-${marker}.json`);
    const namespaces = this.bwrap !== undefined;
    const tmp = namespaces ? '/tmp' : path.join(this.dirs.tmp, marker);
    if (!namespaces) await mkdir(tmp, { recursive: true });
    const guard = this.guardFor(spec, marker);
    const nodeOptions = [spec.nodeOptions, guard?.nodeOptions].filter(Boolean).join(' ');
    const env = sandboxEnvironment(this.settings.environment ?? process.env, {
      home: this.dirs.home,
      tmpDir: tmp,
      marker,
      ...(nodeOptions ? { nodeOptions } : {}),
      ...(spec.set || guard ? { set: { ...spec.set, ...guard?.set } } : {}),
      ...(this.settings.passThrough ? { passThrough: this.settings.passThrough } : {})
    });
    const reaped = [process.execPath, this.dirs.reaper, statusFile, namespaces ? '-' : marker, process.execPath, spec.script, ...spec.args];
    const [command, ...args] = namespaces ? [this.bwrap!, ...this.bubblewrapArguments(spec), '--chdir', spec.cwd, '--', ...reaped] : reaped;
    try {
      const result = await runProcess({
        command: command!,
        args,
        cwd: spec.cwd,
        env,
        timeoutMs: spec.timeoutMs,
        ...(spec.maxOutputBytes ? { maxOutputBytes: spec.maxOutputBytes } : {}),
        ...(spec.stalled ? { stalled: spec.stalled } : {})
      });
      const status = await readReaperStatus(statusFile);
      if (status && status.survivors > 0) {
        this.events.push({ kind: 'survivors-killed', run: spec.label, count: status.survivors, detail: status.names.join(', ') });
      }
      return result;
    } finally {
      if (guard) await this.collectRefused(guard.auditFile);
      await rm(statusFile, { force: true }).catch(() => undefined);
      if (!namespaces) await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /** The guard's preload and a policy whose audit file is the run's own: a writable file the run's code can also write. */
  private guardFor(spec: SandboxedRun, marker: string): { nodeOptions: string; set: Record<string, string>; auditFile: string } | undefined {
    const guard = this.settings.egressGuard;
    if (!guard || !this.dirs.guard) return undefined;
    const auditFile = path.join(spec.writable[0] ?? this.dirs.tmp, `.aqe-egress-${marker}.jsonl`);
    return {
      nodeOptions: `--import=${pathToFileURL(this.dirs.guard).href}`,
      set: { [EGRESS_POLICY_ENV]: JSON.stringify({ ...guard.policy, auditFile }) },
      auditFile
    };
  }

  /**
   * The run's refused attempts into the audit. The run's code could write that file too, so only refused-connection
   * lines are taken (a forged model request or run line is dropped), and each is validated as any audit line is.
   */
  private async collectRefused(file: string): Promise<void> {
    const text = await readFile(file, 'utf8').catch(() => '');
    await rm(file, { force: true }).catch(() => undefined);
    try {
      for (const entry of parseAuditLog(text).entries) {
        if (entry.type === 'refused-connection') this.settings.egressGuard!.audit.append(entry);
      }
    } catch (error) {
      // The run itself is over and judged on its own; a disk too full for the audit is the report's to say.
      this.auditFailure ??= (error as Error).message;
    }
  }

  private bubblewrapArguments(spec: SandboxedRun): string[] {
    this.layout ??= this.runLayout();
    const readOnly = [
      ...this.layout.readOnly,
      // The runner and everything it loads: it may be hoisted above the repository or installed elsewhere.
      ...installationOf(spec.script)
    ];
    const writable = [this.settings.scratchDir, ...spec.writable, this.dirs.home, this.dirs.cache];
    return [
      ...namespaceArguments(this.offline(spec.code) ? 'none' : 'shared'),
      ...filesystemArguments({ hidden: this.layout.hidden, readOnly, writable, protectedFiles: [path.dirname(this.dirs.reaper)] })
    ];
  }

  /** What every run of this sandbox hides and shows read-only, worked out once. */
  private runLayout(): { hidden: string[]; readOnly: string[] } {
    const env = this.settings.environment ?? process.env;
    const fileCommands = ['GITHUB_ENV', 'GITHUB_PATH', 'GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY', 'GITHUB_EVENT_PATH'].flatMap((name) =>
      env[name] ? [path.dirname(env[name])] : []
    );
    const node = nodeInstallation();
    const hidden = [
      '/tmp',
      '/var/tmp',
      // Sockets of the machine's services (docker.sock gives root) and per-user secrets.
      '/run',
      ...(env.HOME && !isSystemDirectory(env.HOME) ? [env.HOME] : []),
      ...(env.RUNNER_TEMP ? [env.RUNNER_TEMP] : []),
      ...fileCommands,
      ...(node.runnerRoot ? [node.runnerRoot] : []),
      // actions/checkout leaves the token in .git/config (persist-credentials); the copy has no .git of its own.
      ...gitDirectories(this.settings.repoDir)
    ];
    const readOnly = [
      this.settings.repoDir,
      ...(this.settings.linkedDirs ?? []),
      node.prefix,
      ...(env.RUNNER_TOOL_CACHE ? [env.RUNNER_TOOL_CACHE] : []),
      // The resolver's configuration lives here on systemd machines; the suite's network needs it.
      '/run/systemd/resolve'
    ];
    return { hidden, readOnly };
  }
}

/** Probes once per bwrap path: every package and the preflight ask the same question. */
const probes = new Map<string, Promise<IsolationProbe>>();

/** bubblewrap's probe, and what aqe did to the runner to make it pass (on GitHub-hosted runners only). */
export type IsolationProbe = BubblewrapProbe & { setup?: string[] };

/**
 * Whether namespaces can be had. `bwrap` is the path found on PATH ('' = none); where the first
 * probe fails on a GitHub-hosted runner, aqe sets the runner up with sudo and probes again.
 */
export function probeIsolation(option: SandboxOption, bwrap: string, env: NodeJS.ProcessEnv = process.env): Promise<IsolationProbe> {
  if (option === 'off') return Promise.resolve({ usable: false, reason: 'sandbox is off' });
  let probe = probes.get(bwrap);
  if (!probe) {
    probe = (async (): Promise<IsolationProbe> => {
      const first = await probeBubblewrap(bwrap === '' ? undefined : bwrap);
      if (first.usable) return first;
      const setup = await enableNamespacesWithSudo({ env, isRoot: process.getuid?.() === 0 });
      if (setup.length === 0) return first;
      return { ...(await probeBubblewrap(findBubblewrap(env.PATH))), setup };
    })();
    probes.set(bwrap, probe);
  }
  return probe;
}

function describeIsolation(option: SandboxOption, probe: IsolationProbe, suiteOffline: boolean): IsolationInEffect {
  const setup = probe.setup ? { setup: probe.setup } : {};
  if (probe.usable) {
    return {
      kind: 'namespaces',
      requested: option,
      tool: `bubblewrap ${probe.version}`,
      ...setup,
      guarantees: [
        GUARANTEES.allowList,
        "a PID namespace of their own: the action's processes, and their environment and memory, cannot be seen",
        'a read-only filesystem: only the scratch copy, the run’s output directory and a private HOME, temp and cache directory are writable; the real HOME, the runner’s temp and file-command directories and /run are hidden',
        suiteOffline ? "no network for candidates or the repository's own suite (loopback only)" : 'no network for candidates (loopback only)',
        GUARANTEES.reaped
      ],
      gaps: [
        ...(suiteOffline ? [] : ["the repository's own suite keeps the network"]),
        'runs of one aqe run share the scratch copy, so a candidate can change what a later one sees'
      ]
    };
  }
  return {
    kind: 'fallback',
    requested: option,
    reason: probe.reason,
    ...setup,
    guarantees: [GUARANTEES.allowList, GUARANTEES.home, GUARANTEES.reaped],
    gaps: [
      "the tests can read the environment of the action's own process through /proc, including its inputs (the GitHub token), and the checkout's .git/config, which holds the token when actions/checkout persists credentials",
      'the tests can write anywhere the runner user can: the working tree, node_modules, the tool cache, /tmp and the runner’s file commands',
      'candidates can reach the network',
      'a process that leaves its process group and clears its environment can outlive the run'
    ]
  };
}

/** The outermost node_modules holding a script (the runner's entry), or the script's folder when none does. */
function installationOf(script: string): string[] {
  let real = script;
  try {
    real = realpathSync(script);
  } catch {
    return [];
  }
  const parts = real.split(path.sep);
  const at = parts.indexOf('node_modules');
  return [at > 0 ? parts.slice(0, at + 1).join(path.sep) : path.dirname(real)];
}

/** The .git of the repository and of any repository around it (working-directory may be a subfolder). */
function gitDirectories(repoDir: string): string[] {
  const found: string[] = [];
  for (let dir = path.resolve(repoDir); ; dir = path.dirname(dir)) {
    found.push(path.join(dir, '.git'));
    if (path.dirname(dir) === dir) return found;
  }
}

const SYSTEM_DIRECTORIES = new Set(['/', '/usr', '/bin', '/sbin', '/lib', '/lib64', '/etc', '/opt', '/var', '/srv', '/home', '/nix']);

/** A HOME like "/" or "/usr" (containers, system users) cannot be hidden without hiding the system. */
function isSystemDirectory(dir: string): boolean {
  return SYSTEM_DIRECTORIES.has(path.resolve(dir));
}
