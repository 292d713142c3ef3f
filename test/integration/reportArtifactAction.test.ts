/**
 * report-artifact in the action: runMain in-process with an in-memory runner, the real pipeline,
 * jest and the replay provider on a small repository, and @actions/artifact's client, unmodified,
 * uploading to a stand-in for the runner's results service on 127.0.0.1. The uploaded zip is
 * opened and its entries compared with the run.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ActionRunner } from '../../src/action/ActionRunner.js';
import { runMain } from '../../src/action/runMain.js';
import { git } from '../../src/repo/git.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { makeRunnerDirs, PACKAGE_ROOT, pullRequestPayload, type RunnerDirs } from '../support/actionHarness.js';
import { type FakeResultsService, readZip, setProcessEnv, startFakeResultsService } from '../support/fakeResultsService.js';
import { newRecorded, type Recorded, recordingRunner } from '../support/recordingRunner.js';
import { reportSchemaPath } from '../support/reportSchema.js';

const AUTHOR = ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'commit.gpgsign=false'];
const PASSING = "const { add } = require('../src/add');\n\ntest('adds', () => {\n  expect(add(1, 2)).toBe(3);\n});\n";
const FAILING = "const { sub } = require('../src/sub');\n\ntest('subtracts', () => {\n  expect(sub(3, 1)).toBe(99);\n});\n";
const fence = (code: string): string => `\`\`\`js\n${code}\`\`\`\n`;
const PR = 7;

interface ActionResult {
  recorded: Recorded;
  infos: string[];
  warnings: string[];
  report: RunReport;
  reportText: string;
}

describe('the action uploads the run artifact', () => {
  let dirs: RunnerDirs;
  let service: FakeResultsService;
  let baseSha: string;
  let replayFile: string;
  let restoreEnv: () => void = () => undefined;

  beforeAll(async () => {
    dirs = await makeRunnerDirs('aqe-report-artifact-action-');
    service = await startFakeResultsService();
    const repo = dirs.workspace;
    await mkdir(path.join(repo, 'src'), { recursive: true });
    await writeFile(
      path.join(repo, 'package.json'),
      JSON.stringify({ name: 'js-lib', private: true, scripts: { test: 'jest' }, devDependencies: { jest: '*' } })
    );
    await writeFile(path.join(repo, '.gitignore'), 'node_modules\n');
    await writeFile(path.join(repo, 'src', 'add.js'), 'exports.add = (a, b) => a + b;\n');
    await writeFile(path.join(repo, 'src', 'sub.js'), 'exports.sub = (a, b) => a - b;\n');
    await git(repo, ['init', '-q', '-b', 'main']);
    await git(repo, ['add', '-A']);
    await git(repo, [...AUTHOR, 'commit', '-q', '-m', 'base']);
    baseSha = (await git(repo, ['rev-parse', 'HEAD'])).trim();
    await writeFile(path.join(repo, 'src', 'add.js'), 'exports.add = (a, b) => {\n  return a + b;\n};\n');
    await writeFile(path.join(repo, 'src', 'sub.js'), 'exports.sub = (a, b) => {\n  return a - b;\n};\n');
    await git(repo, [...AUTHOR, 'commit', '-q', '-am', 'change']);
    await symlink(path.join(PACKAGE_ROOT, 'node_modules'), path.join(repo, 'node_modules'), 'dir');
    replayFile = path.join(dirs.root, 'answers.jsonl');
    await writeFile(
      replayFile,
      [
        { target: 'src/add.js', response: { text: fence(PASSING) } },
        { target: 'src/sub.js', response: { text: fence(FAILING) } }
      ]
        .map((l) => JSON.stringify(l))
        .join('\n')
    );
  }, 60_000);

  afterAll(async () => {
    restoreEnv();
    await service?.close();
    if (dirs) await rm(dirs.root, { recursive: true, force: true });
  });

  /** One run of the action on the pull request; `runnerEnv` is what the runner adds for the artifact service. */
  async function action(name: string, inputs: Record<string, string>, runnerEnv: Record<string, string>): Promise<ActionResult> {
    const event = path.join(dirs.root, 'event.json');
    const headSha = (await git(dirs.workspace, ['rev-parse', 'HEAD'])).trim();
    await writeFile(event, JSON.stringify(pullRequestPayload({ owner: 'acme', repo: 'js-lib', number: PR, baseSha, headSha })));
    const recorded = newRecorded();
    const infos: string[] = [];
    const warnings: string[] = [];
    const runner: ActionRunner = { ...recordingRunner({}, recorded), info: (m) => infos.push(m), warning: (m) => warnings.push(m) };
    const reportPath = path.join(dirs.root, `${name}.json`);
    const all = {
      'github-token': 'test-token',
      comment: 'false',
      'replay-file': replayFile,
      'report-path': reportPath,
      'repeat-runs': '1',
      'max-repairs': '0',
      ...inputs
    };
    const withInputs: ActionRunner = { ...runner, getInput: (n) => all[n as keyof typeof all] ?? '' };
    // @actions/artifact reads the runner's variables from process.env; runMain decides from the env it is given.
    restoreEnv();
    restoreEnv = setProcessEnv(runnerEnv);
    await runMain(withInputs, {
      GITHUB_WORKSPACE: dirs.workspace,
      GITHUB_EVENT_PATH: event,
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_JOB: 'generate',
      RUNNER_TEMP: dirs.temp,
      ...runnerEnv
    });
    const reportText = await readFile(reportPath, 'utf8');
    return { recorded, infos, warnings, report: JSON.parse(reportText) as RunReport, reportText };
  }

  it('names it in the report-artifact output; the zip holds the report, the schema, the audit log and the test files', async () => {
    const runPage = { GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/js-lib', GITHUB_RUN_ID: '777' };
    const { recorded, report, reportText } = await action('uploaded', { 'base-ref': baseSha }, { ...service.env, ...runPage });
    expect(recorded.failed).toBeUndefined();
    expect(recorded.outputs['report-artifact']).toBe(`aqe-report-pr${PR}-generate`);
    expect(service.artifacts.map((a) => a.name)).toEqual([`aqe-report-pr${PR}-generate`]);
    const [accepted, rejected] = report.candidates;
    expect([accepted?.status, rejected?.status]).toEqual(['accepted', 'rejected']);
    const entries = readZip(service.artifacts[0]!.zip);
    expect(Object.keys(entries).sort()).toEqual(
      [
        'aqe-report.json',
        'run-report.schema.json',
        'audit.jsonl',
        `accepted/${accepted!.testFile}`,
        `rejected/${rejected!.testFile}`,
        `rejected/${rejected!.testFile}.failure.txt`
      ].sort()
    );
    expect(entries['aqe-report.json']).toBe(reportText);
    expect(entries['run-report.schema.json']).toBe(await readFile(reportSchemaPath(1), 'utf8'));
    expect(entries[`accepted/${accepted!.testFile}`]).toBe(PASSING);
    expect(entries[`rejected/${rejected!.testFile}`]).toBe(FAILING);
    expect(entries[`rejected/${rejected!.testFile}.failure.txt`]).toMatch(/^test file: .*\nstage: fails\n[\s\S]*Expected: 99/);
    // The summary links the run's page and the artifact under the id the service gave it.
    expect(recorded.summary).toContain('[job summary](https://github.com/acme/js-lib/actions/runs/777)');
    expect(recorded.summary).toContain(`run artifact [\`aqe-report-pr${PR}-generate\`](https://github.com/acme/js-lib/actions/runs/777/artifacts/4242)`);
  }, 300_000);

  it('skips it with a line in the log, and an empty output, where the runner offers no artifact service', async () => {
    const { recorded, infos, report } = await action('no-service', { 'base-ref': 'HEAD' }, {});
    expect(recorded.failed).toBeUndefined();
    expect(report.testsGenerated).toBe(0);
    expect(recorded.outputs['report-artifact']).toBe('');
    expect(infos).toContain(
      `report-artifact: no run artifact is uploaded, because this runner offers no artifact service (ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL are not set). The JSON report is at ${path.join(dirs.root, 'no-service.json')}.`
    );
  }, 120_000);

  it('uploads nothing and says nothing of it when report-artifact is false', async () => {
    const before = service.calls.length;
    const { recorded, infos } = await action('off', { 'base-ref': 'HEAD', 'report-artifact': 'false' }, service.env);
    expect(recorded.failed).toBeUndefined();
    expect(recorded.outputs['report-artifact']).toBe('');
    expect(service.calls.length).toBe(before);
    expect(infos.filter((m) => m.includes('artifact'))).toEqual([]);
  }, 120_000);

  it('turns a failed upload into a warning naming the artifact; the run still succeeds', async () => {
    const { recorded, warnings } = await action('failed-upload', { 'base-ref': 'HEAD' }, { ...service.env, ACTIONS_RUNTIME_TOKEN: 'not-a-token' });
    expect(recorded.failed).toBeUndefined();
    expect(recorded.outputs['report-artifact']).toBe('');
    expect(warnings).toEqual([
      expect.stringMatching(new RegExp(`^The run artifact aqe-report-pr${PR}-generate could not be uploaded: .+\\. The run itself is unaffected`))
    ]);
  }, 120_000);
});
