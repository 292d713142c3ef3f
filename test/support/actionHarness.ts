import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runProcess, type ProcessResult } from '../../src/process/runProcess.js';

export const PACKAGE_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

export interface ActionRun extends ProcessResult {
  outputs: Record<string, string>;
  summary: string;
  state: string;
}

export interface RunnerDirs {
  root: string;
  workspace: string;
  temp: string;
  toolCache: string;
}

export async function makeRunnerDirs(prefix: string): Promise<RunnerDirs> {
  const root = await mkdtemp(path.join(os.tmpdir(), prefix));
  const dirs = { root, workspace: path.join(root, 'workspace'), temp: path.join(root, 'runner-temp'), toolCache: path.join(root, 'tool-cache') };
  await Promise.all([mkdir(dirs.workspace), mkdir(dirs.temp), mkdir(dirs.toolCache)]);
  return dirs;
}

/** A pull_request webhook payload with the fields GitHub sends that the action reads. */
export function pullRequestPayload(o: {
  owner: string;
  repo: string;
  number: number;
  baseSha: string;
  headSha: string;
  title?: string;
  headRepo?: string;
}): unknown {
  const full = `${o.owner}/${o.repo}`;
  return {
    action: 'synchronize',
    number: o.number,
    pull_request: {
      number: o.number,
      title: o.title ?? 'A change',
      html_url: `https://github.com/${full}/pull/${o.number}`,
      base: { ref: 'main', sha: o.baseSha, repo: { full_name: full } },
      head: { ref: 'feature', sha: o.headSha, repo: { full_name: o.headRepo ?? full } }
    },
    repository: { full_name: full, name: o.repo, owner: { login: o.owner } }
  };
}

/** What an action run as the runner starts it needs: its environment and the files of its runner commands. */
export interface PreparedActionRun {
  files: { event: string; output: string; summary: string; state: string };
  env: NodeJS.ProcessEnv;
  /** The bundle to run with process.execPath. */
  script: string;
}

/**
 * Inputs every run this suite starts has unless a test gives its own. The suite runs two files at once on CI's 2
 * cores: a run whose test runner starts one worker per CPU (a ts-jest type-checker in each) fights the other file
 * for them, and one worker made the runs 35 to 40% faster under that load. One repetition (one process instead of
 * two) unless a test is about flakiness: the default of 5 is proven by validationScenario, the demo and the image.
 */
export const SUITE_RUN_INPUTS: Readonly<Record<string, string>> = { 'test-workers': '1', 'repeat-runs': '1' };
/** SUITE_RUN_INPUTS as the CLI's flags (each input has a flag of its name); a test's own flags after them win. */
export const SUITE_CLI_FLAGS: readonly string[] = Object.entries(SUITE_RUN_INPUTS).flatMap(([name, value]) => [`--${name}`, value]);

export interface ActionRunOptions {
  inputs: Record<string, string>;
  event?: unknown;
  eventName?: string;
  apiUrl?: string;
  entry?: string;
  extraEnv?: NodeJS.ProcessEnv;
}

/**
 * The environment the runner gives dist/<entry>: INPUT_* for the inputs, GITHUB_WORKSPACE,
 * the event in GITHUB_EVENT_PATH, and file commands for outputs, state and the job summary.
 */
export async function prepareActionRun(dirs: RunnerDirs, options: ActionRunOptions): Promise<PreparedActionRun> {
  const run = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const files = {
    event: path.join(dirs.root, `event-${run}.json`),
    output: path.join(dirs.root, `output-${run}`),
    summary: path.join(dirs.root, `summary-${run}.md`),
    state: path.join(dirs.root, `state-${run}`)
  };
  await Promise.all([writeFile(files.output, ''), writeFile(files.summary, ''), writeFile(files.state, '')]);
  if (options.event !== undefined) await writeFile(files.event, JSON.stringify(options.event));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: dirs.workspace,
    GITHUB_EVENT_NAME: options.eventName ?? 'pull_request',
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_REPOSITORY: 'aqe/example',
    RUNNER_TEMP: dirs.temp,
    RUNNER_TOOL_CACHE: dirs.toolCache,
    ...(options.event !== undefined ? { GITHUB_EVENT_PATH: files.event } : {}),
    ...(options.apiUrl ? { GITHUB_API_URL: options.apiUrl } : {}),
    ...options.extraEnv
  };
  for (const [name, value] of Object.entries({ ...SUITE_RUN_INPUTS, ...options.inputs })) env[`INPUT_${name.toUpperCase()}`] = value;
  return { files, env, script: path.join(PACKAGE_ROOT, 'dist', options.entry ?? 'index.js') };
}

/** Runs dist/<entry> as the runner does (prepareActionRun) and returns what it wrote. */
export async function runAction(dirs: RunnerDirs, options: ActionRunOptions & { timeoutMs?: number }): Promise<ActionRun> {
  const { files, env, script } = await prepareActionRun(dirs, options);
  const result = await runProcess({ command: process.execPath, args: [script], cwd: dirs.workspace, env, timeoutMs: options.timeoutMs ?? 300_000 });
  return {
    ...result,
    outputs: parseFileCommand(await readFile(files.output, 'utf8')),
    summary: await readFile(files.summary, 'utf8'),
    state: await readFile(files.state, 'utf8')
  };
}

/** Parses GITHUB_OUTPUT / GITHUB_STATE: `name<<DELIMITER\nvalue\nDELIMITER` blocks. */
export function parseFileCommand(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = lines[i]!.match(/^([^=<]+)<<(.+)$/);
    if (m) {
      const end = lines.indexOf(m[2]!, i + 1);
      values[m[1]!] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else if (lines[i]!.includes('=')) {
      const [k, ...v] = lines[i]!.split('=');
      values[k!] = v.join('=');
    }
  }
  return values;
}
