/**
 * The run artifact of a real run: the pipeline, jest and the replay provider are real, on a small
 * JavaScript repository whose pull request changes two files; the model's test for one passes and
 * is accepted, its test for the other fails and is rejected. The CLI's uploader (a folder) receives
 * the artifact, and its files are checked against the run.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DirectoryArtifactUploader } from '../../src/delivery/DirectoryArtifactUploader.js';
import { git } from '../../src/repo/git.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { PACKAGE_ROOT } from '../support/actionHarness.js';
import { runPipelineOnReplay } from '../support/replayPipeline.js';
import { reportProblems, reportSchemaPath } from '../support/reportSchema.js';
import { filesUnder } from '../support/filesUnder.js';

const AUTHOR = ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'commit.gpgsign=false'];
const PASSING = "const { add } = require('../src/add');\n\ntest('adds', () => {\n  expect(add(1, 2)).toBe(3);\n});\n";
const FAILING = "const { sub } = require('../src/sub');\n\ntest('subtracts', () => {\n  expect(sub(3, 1)).toBe(99);\n});\n";
const fence = (code: string): string => `\`\`\`js\n${code}\`\`\`\n`;

let root: string;
let report: RunReport;
const uploaded: string[] = [];
let artifact: string;
let auditLog: string;
const EARLIER_RUN = { type: 'run', time: '2020-01-01T00:00:00.000Z', event: 'start', privacy: 'off', enforcement: [] };

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'aqe-run-artifact-'));
  const repo = path.join(root, 'js-lib');
  await mkdir(path.join(repo, 'src'), { recursive: true });
  await writeFile(
    path.join(repo, 'package.json'),
    JSON.stringify({ name: 'js-lib', private: true, scripts: { test: 'jest' }, devDependencies: { jest: '*' } })
  );
  await writeFile(path.join(repo, 'src', 'add.js'), 'exports.add = (a, b) => a + b;\n');
  await writeFile(path.join(repo, 'src', 'sub.js'), 'exports.sub = (a, b) => a - b;\n');
  await git(repo, ['init', '-q', '-b', 'main']);
  await git(repo, ['add', '-A']);
  await git(repo, [...AUTHOR, 'commit', '-q', '-m', 'base']);
  await writeFile(path.join(repo, 'src', 'add.js'), 'exports.add = (a, b) => {\n  return a + b;\n};\n');
  await writeFile(path.join(repo, 'src', 'sub.js'), 'exports.sub = (a, b) => {\n  return a - b;\n};\n');
  await git(repo, [...AUTHOR, 'commit', '-q', '-am', 'change']);
  await symlink(path.join(PACKAGE_ROOT, 'node_modules'), path.join(repo, 'node_modules'), 'dir');

  auditLog = path.join(root, 'audit.jsonl');
  await writeFile(auditLog, `${JSON.stringify(EARLIER_RUN)}\n`);
  const artifacts = path.join(root, 'artifacts');
  artifact = path.join(artifacts, 'aqe-report-pr1');
  report = await runPipelineOnReplay({
    repoDir: repo,
    baseSha: (await git(repo, ['rev-parse', 'HEAD~1'])).trim(),
    headSha: 'HEAD',
    root,
    answers: { 'src/add.js': fence(PASSING), 'src/sub.js': fence(FAILING) },
    inputs: { 'repeat-runs': '1', 'max-repairs': '0', 'audit-log': auditLog },
    repository: 'js-lib',
    runArtifact: { name: 'aqe-report-pr1', uploader: new DirectoryArtifactUploader(artifacts), uploaded: ({ name }) => uploaded.push(name) }
  });
}, 300_000);

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('the run artifact of a run with one accepted and one rejected test', () => {
  it('is uploaded once, after the report, with the report, its schema, the audit log and both test files', async () => {
    expect(report.candidates.map((c) => [c.targetFile, c.status, c.rejection?.stage])).toEqual([
      ['src/add.js', 'accepted', undefined],
      ['src/sub.js', 'rejected', 'fails']
    ]);
    const [accepted, rejected] = report.candidates.map((c) => c.testFile);
    expect(uploaded).toEqual(['aqe-report-pr1']);
    expect(await filesUnder(artifact)).toEqual(
      [`accepted/${accepted}`, 'aqe-report.json', 'audit.jsonl', `rejected/${rejected}`, `rejected/${rejected}.failure.txt`, 'run-report.schema.json'].sort()
    );
  });

  it('holds the JSON report as written, valid against the schema beside it', async () => {
    const text = await readFile(path.join(artifact, 'aqe-report.json'), 'utf8');
    expect(text).toBe(await readFile(path.join(root, 'report.json'), 'utf8'));
    expect(await readFile(path.join(artifact, 'run-report.schema.json'), 'utf8')).toBe(await readFile(reportSchemaPath(report.schemaVersion), 'utf8'));
    expect(reportProblems(JSON.parse(text), path.join(artifact, 'run-report.schema.json'))).toEqual([]);
  });

  it('holds the accepted test as delivered, and the rejected one as judged with its verdict and jest output', async () => {
    const [accepted, rejected] = report.candidates;
    expect(await readFile(path.join(artifact, 'accepted', accepted!.testFile), 'utf8')).toBe(PASSING);
    expect(await readFile(path.join(root, 'js-lib', accepted!.testFile), 'utf8')).toBe(PASSING);
    expect(await readFile(path.join(artifact, 'rejected', rejected!.testFile), 'utf8')).toBe(FAILING);
    const failure = await readFile(path.join(artifact, 'rejected', `${rejected!.testFile}.failure.txt`), 'utf8');
    expect(failure.startsWith(`test file: ${rejected!.testFile}\nstage: fails\nreason: ${rejected!.rejection!.reason}\n\nfailure output:\n`)).toBe(true);
    // jest's own assertion output, as the model would have been shown it for a repair.
    expect(failure).toContain('Test "subtracts" failed:');
    expect(failure).toMatch(/Expected: 99\s+Received: 2/);
  });

  it("holds this run's audit entries, one JSON object a line", async () => {
    const lines = (await readFile(path.join(artifact, 'audit.jsonl'), 'utf8')).trimEnd().split('\n');
    const entries = lines.map((l) => JSON.parse(l) as { type: string; time: string });
    // The earlier run's line, already in the log, is not this run's.
    expect(entries.map((e) => e.time)).not.toContain(EARLIER_RUN.time);
    expect(entries[0]).toMatchObject({ type: 'run', event: 'start', privacy: 'balanced' });
    const requests = report.compliance!.requests;
    expect(entries.filter((e) => e.type === 'model-request')).toHaveLength(requests.local + requests.cloud);
    expect(await readFile(auditLog, 'utf8')).toContain(JSON.stringify(EARLIER_RUN));
  });
});
