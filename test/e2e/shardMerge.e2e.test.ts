import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../src/cli/aqeCli.js';
import { prepareExamplePullRequest } from '../../src/cli/exampleRepo.js';
import { runReportCli } from '../../src/cli/reportCommand.js';
import { examplesDir } from '../../src/core/packageRoot.js';
import { DEMO_ANSWER_FILE } from '../../src/inference/model/demoModel.js';
import { STICKY_COMMENT_MARKER } from '../../src/reporting/renderMarkdown.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { SUITE_CLI_FLAGS } from '../support/actionHarness.js';

/** A lerp test with a wrong expectation: rejected at the fails stage, so the merge has a rejection to carry too. */
const WRONG_LERP =
  "```ts\nimport { describe, expect, it } from '@jest/globals';\nimport { lerp } from '../src/math';\n\ndescribe('lerp', () => {\n  it('finds the midpoint', () => {\n    expect(lerp(0, 10, 0.5)).toBe(6);\n  });\n});\n```\n";

/**
 * What a merged report may differ in from the unsharded run's, and why:
 * - timings (startedAt, durationMs, every *Ms and per-second figure, the phases' ms): each job has its own clock;
 * - costUsd: local compute is priced from its time (local-cost-per-hour), so it is a timing too;
 * - validation.processes and fileRuns: each job batches its own candidates into its own runner processes;
 * - compliance.auditLog: each run appends to its own audit log file, a path;
 * - shard: the shards' reports have it, the merged and the unsharded report do not.
 */
function comparable(report: RunReport): unknown {
  // Local cost is measured inference time × price, so it and the total it enters are timings too.
  const timing = /(^|[a-z])(Ms|At)$|^durationMs$|^tokensPerSecond$|^latencyMs$|^ms$|^costUsd$|^totalUsd$/;
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => !timing.test(key))
        .map(([key, v]) => [key, strip(v)])
    );
  };
  const { shard: _shard, ...rest } = report;
  const stripped = strip(rest) as Record<string, Record<string, unknown>>;
  if (stripped.validation) stripped.validation = { ...stripped.validation, processes: 'per job', fileRuns: 'per job' };
  if (stripped.compliance) stripped.compliance = { ...stripped.compliance, auditLog: 'per run' };
  return stripped;
}

/** `aqe run` (in-process, from src) on a fresh checkout of the example pull request, answered from the same replay file. */
describe('a run split into shards and merged', () => {
  let root: string;
  let answers: string;
  const reports: Record<string, RunReport> = {};

  async function aqeRun(name: string, shard?: string): Promise<void> {
    const pr = await prepareExamplePullRequest(path.join(root, name));
    const reportPath = path.join(root, `${name}.json`);
    const code = await runCli([
      'run',
      '--repo',
      pr.repoDir,
      '--base',
      pr.baseSha,
      '--head',
      pr.headSha,
      ...SUITE_CLI_FLAGS,
      '--replay-file',
      answers,
      // One verdict per file, no repetitions or repairs: the split, not the validation, is under test here.
      '--repeat-runs',
      '0',
      '--max-repairs',
      '0',
      '--report',
      reportPath,
      '--audit-log',
      path.join(root, `${name}-audit.jsonl`),
      ...(shard ? ['--shard', shard] : [])
    ]);
    expect([name, code]).toEqual([name, 0]);
    reports[name] = JSON.parse(await readFile(reportPath, 'utf8')) as RunReport;
  }

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'aqe-shard-e2e-'));
    answers = path.join(root, 'answers.jsonl');
    const strings = await readFile(path.join(examplesDir(), DEMO_ANSWER_FILE), 'utf8');
    await writeFile(
      answers,
      [
        { target: 'src/strings.ts', response: { text: strings } },
        { target: 'src/math.ts', response: { text: WRONG_LERP } }
      ]
        .map((e) => `${JSON.stringify(e)}\n`)
        .join('')
    );
    // Side by side, as a matrix runs them: each run has its own checkout, scratch copy and report.
    await Promise.all([aqeRun('whole'), aqeRun('shard-1', '1/2'), aqeRun('shard-2', '2/2')]);
  }, 240_000);

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('gives each shard one of the two targets, and lists the other shard’s target nowhere', () => {
    expect(reports.whole!.targets).toEqual(['src/math.ts', 'src/strings.ts']);
    for (const [name, target] of [
      ['shard-1', 'src/math.ts'],
      ['shard-2', 'src/strings.ts']
    ] as const) {
      const r = reports[name]!;
      expect(r.shard).toMatchObject({ index: Number(name.slice(-1)), count: 2 });
      expect(r.targets).toEqual([target]);
      expect(r.candidates.map((c) => c.targetFile)).toEqual([target]);
      expect(r.skipped.map((s) => s.file)).toEqual(['src/index.ts']);
    }
  });

  it('merges the shard reports into the unsharded run’s report, and renders its Markdown', async () => {
    const out = path.join(root, 'merged.json');
    const comment = path.join(root, 'comment.md');
    const code = await runReportCli(['--merge', path.join(root, 'shard-*.json'), '--out', out, '--comment', comment]);
    expect(code).toBe(0);
    const merged = JSON.parse(await readFile(out, 'utf8')) as RunReport;
    expect(comparable(merged)).toEqual(comparable(reports.whole!));
    expect(merged.testsAccepted).toBe(1);
    const markdown = await readFile(comment, 'utf8');
    expect(markdown.startsWith(STICKY_COMMENT_MARKER)).toBe(true);
    expect(markdown).toContain('1 of 2 generated tests accepted');
  });

  it('refuses to merge with a shard missing, exit 2, naming it', async () => {
    const stderr: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => stderr.push(String(chunk)) > 0) as typeof process.stderr.write;
    let code: number;
    try {
      code = await runReportCli(['--merge', path.join(root, 'shard-2.json')]);
    } finally {
      process.stderr.write = write;
    }
    expect(code).toBe(2);
    expect(stderr.join('')).toMatch(/^aqe: Input "--merge": 1 of the 2 shards have no report: 1\/2\./);
  });
});
