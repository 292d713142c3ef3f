/**
 * The validation stage judged end to end: hand-written model answers (replay file, keyed by target) go through the
 * real pipeline on the example repository, whose pull request is extended with more modules so that each answer
 * shows one way a generated test goes wrong. Every test file runs under the example's own jest (ts-jest) in a
 * scratch copy; nothing is mocked.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RawInputs } from '../../src/config/parseRunOptions.js';
import { examplesDir } from '../../src/core/packageRoot.js';
import { prepareExamplePullRequest } from '../../src/cli/exampleRepo.js';
import { git } from '../../src/repo/git.js';
import type { CandidateRecord, RunReport } from '../../src/reporting/RunReport.js';
import { runProcess } from '../../src/process/runProcess.js';
import { hashTree } from '../support/hashTree.js';
import { runPipelineOnReplay } from '../support/replayPipeline.js';

const AUTHOR = ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'commit.gpgsign=false'];

/** Modules the extended pull request adds, each with a test that goes wrong in its own way. */
const MODULES: Record<string, string> = {
  'src/temperature.ts': 'export function celsiusToFahrenheit(celsius: number): number {\n  return (celsius * 9) / 5 + 32;\n}\n',
  'src/ids.ts':
    "export function nextId(prefix: string, last: number): string {\n  if (last < 0) {\n    throw new RangeError('last must not be negative');\n  }\n  return `${prefix}-${last + 1}`;\n}\n",
  'src/vat.ts': 'export function withVat(net: number, rate = 0.2): number {\n  return Math.round(net * (1 + rate) * 100) / 100;\n}\n',
  'src/port.ts':
    'export function parsePort(text: string): number {\n  const n = Number(text);\n  if (!Number.isInteger(n) || n < 1 || n > 65535) {\n    throw new Error(`invalid port: ${text}`);\n  }\n  return n;\n}\n',
  'src/range.ts':
    "export function range(start: number, end: number, step = 1): number[] {\n  if (step <= 0) {\n    throw new RangeError('step must be positive');\n  }\n  const out: number[] = [];\n  for (let i = start; i < end; i += step) {\n    out.push(i);\n  }\n  return out;\n}\n"
};

const fence = (code: string): string => `Here is the test file:\n\n\`\`\`ts\n${code}\`\`\`\n`;

function answers(counterFile: string): Record<string, string[]> {
  return {
    'src/strings.ts': [readFileSync(path.join(examplesDir(), 'ts-lib.demo-answer.md'), 'utf8')],
    // Only clamp, which the existing suite already covers line for line and branch for branch.
    'src/math.ts': [
      fence(
        "import { expect, it } from '@jest/globals';\nimport { clamp } from '../src/math';\n\nit('keeps values inside the range', () => {\n  expect(clamp(5, 0, 10)).toBe(5);\n});\n\nit('raises values below the range', () => {\n  expect(clamp(-1, 0, 10)).toBe(0);\n});\n"
      )
    ],
    'src/temperature.ts': [
      fence(
        "import { expect, it } from '@jest/globals';\nimport { celsiusToFahrenheit } from '../src/temperature';\n\nit('converts boiling water', () => {\n  expect(celsiusToFahrenheit(100)).toBe(210);\n});\n"
      )
    ],
    // Passes on the first run and then on one run in three: state shared through a file, as real flaky tests share it
    // through a database, a port or the clock.
    'src/ids.ts': [
      fence(
        `import { expect, it } from '@jest/globals';\nimport { readFileSync, writeFileSync } from 'fs';\nimport { nextId } from '../src/ids';\n\nit('numbers ids after the last one', () => {\n  let runs = 0;\n  try {\n    runs = Number(readFileSync(${JSON.stringify(counterFile)}, 'utf8'));\n  } catch {\n    runs = 0;\n  }\n  writeFileSync(${JSON.stringify(counterFile)}, String(runs + 1));\n  expect(nextId('order', runs % 3 === 0 ? 41 : 40)).toBe('order-42');\n});\n`
      )
    ],
    'src/vat.ts': [
      fence(
        "import { it } from '@jest/globals';\nimport { withVat } from '../src/vat';\n\nit('adds VAT', () => {\n  withVat(100);\n});\n\nit('handles a custom rate', () => {\n  withVat(100, 0.07);\n});\n"
      )
    ],
    'src/port.ts': [
      fence(
        "import { expect, it } from '@jest/globals';\nimport { parsePort } from '../src/port';\n\nit('accepts a port number', () => {\n  expect(parsePort(8080)).toBe(8080);\n});\n"
      )
    ],
    'src/range.ts': [
      fence(
        "import { describe, expect, it } from '@jest/globals';\nimport { range } from '../src/range';\n\ndescribe('range', () => {\n  it('counts up to the end, excluding it', () => {\n    expect(range(0, 3)).toEqual([0, 1, 2]);\n  });\n\n  it('steps by the given step', () => {\n    expect(range(0, 5, 2)).toEqual([0, 2, 4, 6]);\n  });\n\n  it('rejects a step that is not positive', () => {\n    expect(() => range(0, 3, 0)).toThrow('step must be positive');\n  });\n});\n"
      )
    ]
  };
}

const roots: string[] = [];
afterAll(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

/** The example pull request, extended by a commit adding MODULES; the pipeline runs on it with the given answers. */
async function runScenario(answersByTarget: Record<string, string[]>, raw: RawInputs) {
  const root = await mkdtemp(path.join(os.tmpdir(), 'aqe-scenario-'));
  roots.push(root);
  const pr = await prepareExamplePullRequest(path.join(root, 'repos'));
  for (const [file, content] of Object.entries(MODULES)) await writeFile(path.join(pr.repoDir, file), content);
  await git(pr.repoDir, ['add', ...Object.keys(MODULES)]);
  await git(pr.repoDir, [...AUTHOR, 'commit', '-q', '-m', 'More modules']);
  const headSha = (await git(pr.repoDir, ['rev-parse', 'HEAD'])).trim();
  const before = hashTree(pr.repoDir, ['.git']);
  const report = await runPipelineOnReplay({
    repoDir: pr.repoDir,
    baseSha: pr.baseSha,
    headSha,
    root,
    answers: answersByTarget,
    inputs: raw,
    repository: 'examples/ts-lib'
  });
  return { report, repoDir: pr.repoDir, before, after: hashTree(pr.repoDir, ['.git']) };
}

const byTarget = (report: RunReport, target: string): CandidateRecord => report.candidates.find((c) => c.targetFile === target)!;

describe('validation of generated tests', () => {
  let scenario: Awaited<ReturnType<typeof runScenario>>;

  beforeAll(async () => {
    // Relative: the tests run in the scratch copy, the only place all runs of a file can share a file (each run's
    // temp directory is its own).
    scenario = await runScenario(answers('flaky-counter.txt'), { 'max-repairs': '0', 'repeat-runs': '5' });
  }, 600_000);

  it('keeps exactly the correct test and the good cases of the mixed file', () => {
    const { report } = scenario;
    expect(report.candidates.map((c) => [c.targetFile, c.status, c.rejection?.stage])).toEqual([
      ['src/ids.ts', 'rejected', 'flaky'],
      ['src/math.ts', 'rejected', 'no-coverage-gain'],
      ['src/port.ts', 'rejected', 'compile'],
      ['src/range.ts', 'accepted', undefined],
      ['src/strings.ts', 'accepted', undefined],
      ['src/temperature.ts', 'rejected', 'fails'],
      ['src/vat.ts', 'rejected', 'no-assertion']
    ]);
    // Hand-written answers keyed by target, served by the replay provider through the real pipeline.
    expect(report.inference.provider).toBe('replay');
    expect(report.testsGenerated).toBe(7);
    expect(report.testsAccepted).toBe(2);
    expect(report.validation).toMatchObject({ strategy: 'batched', repeatRuns: 5, maxRepairs: 0 });
    // The changed lines of the targets: more of them are covered after, and never more than there are.
    const { changedLinesBefore: before, changedLinesAfter: after } = report;
    expect(after!.totalLines).toBe(before!.totalLines);
    expect(after!.coveredLines).toBeGreaterThan(before!.coveredLines);
    expect(after!.coveredLines).toBeLessThanOrEqual(after!.totalLines);
  });

  it('gives each rejection its reason', () => {
    const { report } = scenario;
    expect(byTarget(report, 'src/temperature.ts').rejection!.reason).toMatch(/^1 of 1 tests failed: "converts boiling water": .*Expected: 210/);
    expect(byTarget(report, 'src/port.ts').rejection!.reason).toMatch(/TS2345|not assignable to parameter of type 'string'/);
    expect(byTarget(report, 'src/vat.ts').rejection!.reason).toBe('2 of 2 tests assert nothing');
    expect(byTarget(report, 'src/vat.ts').cases.map((c) => c.verdict)).toEqual(['no-assertion', 'no-assertion']);
    // Its first case repeats an existing test word for word and is pruned; the rest passes but adds nothing.
    expect(byTarget(report, 'src/math.ts').cases.map((c) => c.verdict)).toEqual(['duplicate', 'kept']);
    expect(byTarget(report, 'src/math.ts').rejection!.reason).toBe(
      'covers no changed line or branch of src/math.ts that the existing tests do not already cover'
    );
    const ids = byTarget(report, 'src/ids.ts');
    expect(ids.rejection!.reason).toMatch(/passed once and then failed in repeated, shuffled runs: "numbers ids after the last one" \(failed \d of 7 runs/);
    expect(ids.cases).toEqual([expect.objectContaining({ name: 'numbers ids after the last one', verdict: 'flaky' })]);
    expect(ids.runs).toBe(7);
  });

  it('prunes the failing case of the mixed file and writes only what passed', async () => {
    const { report, repoDir } = scenario;
    const range = byTarget(report, 'src/range.ts');
    expect(range.cases).toEqual([
      { name: 'range counts up to the end, excluding it', verdict: 'kept' },
      expect.objectContaining({ name: 'range steps by the given step', verdict: 'fails' }),
      { name: 'range rejects a step that is not positive', verdict: 'kept' }
    ]);
    expect(range.testsPassed).toBe(2);
    const written = await readFile(path.join(repoDir, range.testFile), 'utf8');
    expect(written).toContain("it('counts up to the end, excluding it'");
    expect(written).toContain("it('rejects a step that is not positive'");
    expect(written).not.toContain('steps by the given step');
    // The delivered file passes on its own under the repository's jest.
    const run = await runProcess({
      command: process.execPath,
      args: [path.join(repoDir, 'node_modules/jest/bin/jest.js'), '--ci', range.testFile],
      cwd: repoDir,
      timeoutMs: 120_000,
      env: { ...process.env, NODE_OPTIONS: '' }
    });
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toMatch(/Tests:\s+2 passed, 2 total/);
  });

  it('changes nothing the user wrote and adds only the accepted files', () => {
    const { before, after, report } = scenario;
    const added = [...after.keys()].filter((f) => !before.has(f)).sort();
    expect(added).toEqual(
      report.candidates
        .filter((c) => c.status === 'accepted')
        .map((c) => c.testFile)
        .sort()
    );
    for (const [file, hash] of before) expect([file, after.get(file)]).toEqual([file, hash]);
  });
});

describe('repair and time limits', () => {
  it('repairs a failing file from the failure output and kills a test that never returns', async () => {
    const fixed = fence(
      "import { expect, it } from '@jest/globals';\nimport { celsiusToFahrenheit } from '../src/temperature';\n\nit('converts boiling water', () => {\n  expect(celsiusToFahrenheit(100)).toBe(212);\n});\n\nit('converts freezing water', () => {\n  expect(celsiusToFahrenheit(0)).toBe(32);\n});\n"
    );
    const hangs = fence(
      "import { expect, it } from '@jest/globals';\nimport { withVat } from '../src/vat';\n\nit('adds VAT', () => {\n  while (withVat(100) > 0) {\n    // never ends, and blocks the event loop so no per-test timer can fire\n  }\n  expect(true).toBe(true);\n});\n"
    );
    const all = answers(path.join(os.tmpdir(), 'unused'));
    const started = Date.now();
    const { report } = await runScenario(
      { 'src/temperature.ts': [all['src/temperature.ts']![0]!, fixed], 'src/vat.ts': [hangs], 'src/range.ts': all['src/range.ts']! },
      { 'max-repairs': '1', 'test-timeout': '12', 'repeat-runs': '2' }
    );
    const temperature = byTarget(report, 'src/temperature.ts');
    expect(temperature).toMatchObject({ status: 'accepted', attempts: 2 });
    expect(temperature.cases.map((c) => [c.name, c.verdict])).toEqual([
      ['converts boiling water', 'kept'],
      ['converts freezing water', 'kept']
    ]);
    const vat = byTarget(report, 'src/vat.ts');
    expect(vat.status).toBe('rejected');
    expect(vat.rejection).toEqual({ stage: 'timeout', reason: 'did not finish within 12 s (test-timeout); a test may wait forever or loop' });
    // Targets without an answer fail clearly in replay and are reported, not fatal.
    expect(byTarget(report, 'src/ids.ts').rejection).toMatchObject({ stage: 'generation' });
    expect(byTarget(report, 'src/range.ts').status).toBe('accepted');
    // The hang costs one file's limit past the last file that ended beside it (the batch stops at the stall) and one
    // isolated run, not the batch's whole limit or one limit per file.
    expect(Date.now() - started).toBeLessThan(240_000);
  }, 600_000);
});
