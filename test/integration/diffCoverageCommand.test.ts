/**
 * `aqe diff-coverage` on the example pull request: the example's own jest writes coverage in three formats in one run,
 * and each gives the same coverage of the changed lines; the gate fails below its threshold.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runDiffCoverage } from '../../src/cli/diffCoverageCommand.js';
import { runCli } from '../../src/cli/aqeCli.js';
import { prepareExamplePullRequest } from '../../src/cli/exampleRepo.js';
import { runProcess } from '../../src/process/runProcess.js';

let root: string;
let repoDir: string;
let baseSha: string;
let coverageDir: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'aqe-diff-coverage-'));
  ({ repoDir, baseSha } = await prepareExamplePullRequest(root));
  coverageDir = path.join(root, 'coverage');
  const run = await runProcess({
    command: process.execPath,
    args: [
      path.join(repoDir, 'node_modules/jest/bin/jest.js'),
      '--ci',
      '--coverage',
      `--coverageDirectory=${coverageDir}`,
      '--coverageReporters=json',
      '--coverageReporters=lcovonly',
      '--coverageReporters=cobertura',
      '--collectCoverageFrom=src/**/*.ts'
    ],
    cwd: repoDir,
    env: { ...process.env, NODE_OPTIONS: '' },
    timeoutMs: 120_000
  });
  expect(run.exitCode).toBe(0);
}, 180_000);

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('aqe diff-coverage', () => {
  it('gives the same changed-line coverage from istanbul JSON, lcov and Cobertura', async () => {
    const outcomes = await Promise.all(
      ['coverage-final.json', 'lcov.info', 'cobertura-coverage.xml'].map((f) =>
        runDiffCoverage({ repoDir, base: baseSha, head: 'HEAD', coverageFile: path.join(coverageDir, f) })
      )
    );
    expect(outcomes.map((o) => o.format)).toEqual(['istanbul-json', 'lcov', 'cobertura']);
    const [json] = outcomes;
    // The pull request adds lerp to math.ts (no test runs it) and strings.ts (no test loads it, so jest leaves it out).
    expect(json!.coverage.files.map((f) => f.file)).toEqual(['src/math.ts']);
    expect(json!.coverage.total.totalLines).toBeGreaterThan(0);
    expect(json!.coverage.total.coveredLines).toBeLessThan(json!.coverage.total.totalLines);
    expect(json!.coverage.files[0]!.uncoveredChangedLines.length).toBeGreaterThan(0);
    for (const other of outcomes.slice(1)) expect(other.coverage).toEqual(json!.coverage);
    expect(json!.markdown).toContain(`| \`src/math.ts\` | ${json!.coverage.total.coveredLines} / ${json!.coverage.total.totalLines} |`);
  }, 120_000);

  it('exits 1 below --fail-under, 0 without a gate, and 2 for a missing flag', async () => {
    const write = process.stdout.write.bind(process.stdout);
    const out: string[] = [];
    process.stdout.write = ((chunk: string) => out.push(String(chunk)) > 0) as typeof process.stdout.write;
    const errWrite = process.stderr.write.bind(process.stderr);
    const err: string[] = [];
    process.stderr.write = ((chunk: string) => err.push(String(chunk)) > 0) as typeof process.stderr.write;
    try {
      const file = path.join(coverageDir, 'lcov.info');
      expect(await runCli(['diff-coverage', '--repo', repoDir, '--base', baseSha, '--coverage', file, '--fail-under', '50'])).toBe(1);
      expect(out.join('')).toMatch(/\*\*fails\*\* the 50% gate/);
      expect(await runCli(['diff-coverage', '--repo', repoDir, '--base', baseSha, '--coverage', file])).toBe(0);
      expect(await runCli(['diff-coverage', '--repo', repoDir, '--coverage', file])).toBe(2);
      expect(err.join('')).toMatch(/Input "--base": no base revision was given/);
    } finally {
      process.stdout.write = write;
      process.stderr.write = errWrite;
    }
  }, 120_000);
});
