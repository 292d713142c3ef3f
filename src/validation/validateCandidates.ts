import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { CaseRecord } from '../core/verdicts.js';
import { type CandidateTest, recordCase, reject } from './CandidateTest.js';
import { condenseFailureText } from './condenseFailureText.js';
import { throwOnMachineFault } from './machineFaults.js';
import type { SuiteOutcome, TestCaseOutcome, TestRunner, TestRunResult } from './runners/TestRunner.js';
import type { TestSandbox } from '../sandbox/TestSandbox.js';
import type { ScratchCopy } from './ScratchCopy.js';
import type { ParsedTestCase, TestCaseEditor } from './TestCaseEditor.js';
import { runFailures } from './runFailures.js';
import { repetitionCopyName } from './testFileCopies.js';

export interface ValidationSettings {
  /** Extra runs a file must pass after its first (flakiness check). */
  repeatRuns: number;
  /** Times a failing file goes back to the model with its failure. */
  maxRepairs: number;
  /** Limit for one file's run (test-timeout). */
  testTimeoutMs: number;
  /** Runner worker processes for a batch. */
  workers: number;
  /**
   * batched: all candidates in one runner process per stage, coverage per test file;
   * isolated: one process per file per run (the naive way; kept for the benchmark and as the
   * fallback that pins down which file of a batch hung).
   */
  strategy: 'batched' | 'isolated';
  /** Base seed for shuffled repetitions; recorded so a run can be reproduced. */
  seed: number;
}

export interface ValidationContext {
  runner: TestRunner;
  sandbox: TestSandbox;
  scratch: ScratchCopy;
  /** Directory for the runner's output files. */
  workRoot: string;
  /** Source files whose coverage is measured (the targets). */
  coverageFiles: readonly string[];
  /** Existing test files of the repository (path and content), for duplicate checks. */
  existingTests: ReadonlyArray<{ file: string; code: string }>;
  editor?: TestCaseEditor;
  /** Asks the model to fix a file; resolves to the new code, or undefined when it gave none. */
  repair?: (candidate: CandidateTest, failure: string) => Promise<string | undefined>;
  log: (message: string) => void;
}

export interface ValidationStats {
  /** Test runner processes started. */
  processes: number;
  /** File runs (a file in a process), repetitions included. */
  fileRuns: number;
  durationMs: number;
}

/** Rounds of pruning flaky cases before a file is given up on. */
const MAX_STABILITY_ROUNDS = 3;
const FAILURE_TEXT_CAP = 6000;
const TIMED_OUT_CASE = /Exceeded timeout of \d+ ?ms|Test timed out in \d+ ?ms/i;

/**
 * Proves candidate test files in the scratch copy: each must build and pass, be pruned of the
 * cases that fail, lack assertions or repeat existing tests, survive repair rounds, and then pass
 * `repeatRuns` more times in shuffled order. Survivors end `stable` with the coverage they reach
 * on their own; everything else ends `rejected` with the stage and reason. Candidates already
 * rejected (no code from the model) are left as they are.
 */
export async function validateCandidates(candidates: CandidateTest[], ctx: ValidationContext, settings: ValidationSettings): Promise<ValidationStats> {
  const started = Date.now();
  const exec = new Executor(ctx, settings);
  let pending = candidates.filter((c) => c.state === 'pending');
  for (let round = 0; pending.length > 0; round++) {
    const outcomes = await exec.runOnce(pending, `first-${round}`);
    const failures: Array<{ candidate: CandidateTest; failure: string }> = [];
    for (const c of pending) {
      const failure = judgeFirstRun(c, outcomes.get(c.testFile), ctx, settings, exec.networkRefused.get(c.testFile));
      // Replaced each round: an earlier round's output belongs to code the repair has since replaced.
      c.failureOutput = failure;
      if (failure !== undefined) failures.push({ candidate: c, failure });
    }
    pending = await repairAll(failures, ctx, settings);
  }
  let proving = candidates.filter((c) => c.state === 'passing');
  for (let round = 0; proving.length > 0; round++) {
    const outcomes = await exec.runRepeated(proving, `repeat-${round}`);
    const again: CandidateTest[] = [];
    for (const c of proving) {
      const pruned = judgeRepetitions(c, outcomes.get(c.testFile), ctx);
      if (pruned && round + 1 < MAX_STABILITY_ROUNDS) again.push(c);
      else if (pruned) reject(c, 'flaky', `still had flaky cases after ${MAX_STABILITY_ROUNDS} rounds of pruning`);
    }
    proving = again;
  }
  for (const c of candidates) {
    if (c.state === 'rejected') await ctx.scratch.remove(c.testFile);
  }
  return { processes: exec.processes, fileRuns: exec.fileRuns, durationMs: Date.now() - started };
}

/** All runs of one candidate in a repetition stage, and the coverage of its own file's run. */
interface RepeatedOutcome {
  runs: Array<SuiteOutcome | 'timeout' | undefined>;
  coverage?: TestRunResult['coverage'];
}

/** Starts runner processes: one per stage in batched mode, one per file run in isolated mode. */
class Executor {
  processes = 0;
  fileRuns = 0;
  /** Files whose failures showed a connection the sandbox refused, with the line that shows it. */
  readonly networkRefused = new Map<string, string>();
  private outputs = 0;

  constructor(
    private readonly ctx: ValidationContext,
    private readonly settings: ValidationSettings
  ) {}

  /** Runs each candidate once, without coverage (it is measured once the file is known to pass). */
  async runOnce(candidates: CandidateTest[], label: string): Promise<Map<string, SuiteOutcome | 'timeout' | undefined>> {
    for (const c of candidates) {
      await this.ctx.scratch.write(c.testFile, c.code);
      c.runs++;
    }
    const files = candidates.map((c) => c.testFile);
    const result = await this.runFiles(files, label, { coverage: false });
    return result.outcomes;
  }

  /** Runs each candidate's file plus `repeatRuns` copies, shuffled, with coverage of the file itself. */
  async runRepeated(candidates: CandidateTest[], label: string): Promise<Map<string, RepeatedOutcome>> {
    const copies = new Map<string, string[]>();
    for (const c of candidates) {
      await this.ctx.scratch.write(c.testFile, c.code);
      const names = Array.from({ length: this.settings.repeatRuns }, (_, k) => repetitionCopyName(c.testFile, k + 1));
      for (const name of names) await this.ctx.scratch.write(name, c.code);
      copies.set(c.testFile, names);
      c.runs += 1 + names.length;
    }
    try {
      const originals = candidates.map((c) => c.testFile);
      const allCopies = [...copies.values()].flat();
      const perFile = this.ctx.runner.capabilities.perFileCoverage && this.settings.strategy === 'batched';
      // Two shuffled processes: the files' own runs with half the copies, then the other half under another seed,
      // so repetitions see at least two different test orders besides the declared one of the first run.
      const half = Math.ceil(this.settings.repeatRuns / 2);
      const firstCopies = [...copies.values()].flatMap((names) => names.slice(0, half));
      const secondCopies = allCopies.filter((f) => !firstCopies.includes(f));
      const first = await this.runFiles(perFile ? [...originals, ...firstCopies] : firstCopies, `${label}-a`, {
        coverage: perFile,
        shuffleSeed: this.settings.seed
      });
      const second =
        secondCopies.length > 0 ? await this.runFiles(secondCopies, `${label}-b`, { coverage: false, shuffleSeed: this.settings.seed + 1 }) : undefined;
      const own = perFile ? first : await this.runFiles(originals, `${label}-coverage`, { coverage: true });
      // Coverage a batch could not attribute to its files (no per-file hand-over: the runner has
      // none, or it failed in this run) is measured one file at a time, never taken as none.
      for (const file of originals.filter((f) => own.unattributed.has(f))) {
        const coverage = (await this.runFiles([file], `${label}-coverage`, { coverage: true })).coverageByTestFile.get(file);
        if (coverage) own.coverageByTestFile.set(file, coverage);
      }
      const outcomes = new Map<string, RepeatedOutcome>();
      for (const c of candidates) {
        const runs = [c.testFile, ...copies.get(c.testFile)!].map((f) => own.outcomes.get(f) ?? first.outcomes.get(f) ?? second?.outcomes.get(f));
        outcomes.set(c.testFile, { runs, coverage: own.coverageByTestFile.get(c.testFile) });
      }
      return outcomes;
    } finally {
      for (const names of copies.values()) for (const name of names) await this.ctx.scratch.remove(name);
    }
  }

  /**
   * One batch, or one process per file in isolated mode. Files a batch left without a result (it
   * hit its time limit or crashed) are run again alone, so one hanging file costs its own limit
   * and never the others' verdicts.
   */
  private async runFiles(
    files: string[],
    label: string,
    options: { coverage: boolean; shuffleSeed?: number }
  ): Promise<{
    outcomes: Map<string, SuiteOutcome | 'timeout' | undefined>;
    coverageByTestFile: Map<string, TestRunResult['coverage']>;
    unattributed: Set<string>;
  }> {
    const outcomes = new Map<string, SuiteOutcome | 'timeout' | undefined>();
    const coverageByTestFile = new Map<string, TestRunResult['coverage']>();
    /** Files that ran with coverage in a batch that gave no coverage per file. */
    const unattributed = new Set<string>();
    const take = (result: TestRunResult, asked: string[]): void => {
      for (const suite of result.suites) if (asked.includes(suite.file)) outcomes.set(suite.file, suite);
      for (const [file, coverage] of result.coverageByTestFile ?? []) coverageByTestFile.set(file, coverage);
      if (asked.length === 1 && !result.coverageByTestFile && outcomes.has(asked[0]!)) coverageByTestFile.set(asked[0]!, result.coverage);
      else if (options.coverage && !result.coverageByTestFile) for (const f of asked.filter((x) => outcomes.has(x))) unattributed.add(f);
    };
    if (this.settings.strategy === 'batched' && files.length > 1) {
      const batch = await this.run(files, label, options, this.batchLimit(files.length));
      take(batch, files);
    }
    for (const file of files.filter((f) => !outcomes.has(f))) {
      const alone = await this.run([file], `${label}-${this.outputs}`, options, this.settings.testTimeoutMs);
      take(alone, [file]);
      if (!outcomes.has(file)) outcomes.set(file, alone.timedOut ? 'timeout' : runnerFailure(file, alone));
    }
    return { outcomes, coverageByTestFile, unattributed };
  }

  private async run(files: string[], label: string, options: { coverage: boolean; shuffleSeed?: number }, timeoutMs: number): Promise<TestRunResult> {
    const outputDir = path.join(this.ctx.workRoot, 'validation', `${String(this.outputs++).padStart(3, '0')}-${label}`);
    await mkdir(outputDir, { recursive: true });
    this.processes++;
    this.fileRuns += files.length;
    const result = await this.ctx.runner.run({
      sandbox: this.ctx.sandbox,
      code: 'candidates',
      label,
      rootDir: this.ctx.scratch.dir,
      testFiles: files,
      coverageFiles: options.coverage ? this.ctx.coverageFiles : [],
      perFileCoverage: options.coverage && files.length > 1,
      timeoutMs,
      // A batch whose files have all ended but those that outlived one file's limit need not wait for its own.
      ...(files.length > 1 ? { stallMs: this.settings.testTimeoutMs } : {}),
      outputDir,
      testCaseTimeoutMs: caseTimeout(this.settings.testTimeoutMs),
      workers: this.settings.strategy === 'batched' ? this.settings.workers : 1,
      ...(options.shuffleSeed !== undefined ? { shuffleSeed: options.shuffleSeed } : {})
    });
    await throwOnMachineFault(result, [outputDir, this.ctx.scratch.dir]);
    for (const event of this.ctx.sandbox.recordFailures(label, 'candidates', runFailures(result))) {
      if (event.kind === 'network-refused' && event.testFile && !this.networkRefused.has(event.testFile)) this.networkRefused.set(event.testFile, event.detail);
    }
    return result;
  }

  /** A batch may take as long as its files would, spread over the workers, plus one file's full limit. */
  private batchLimit(files: number): number {
    const perFile = Math.min(this.settings.testTimeoutMs, 20_000);
    return this.settings.testTimeoutMs + Math.ceil(files / Math.max(1, this.settings.workers)) * perFile;
  }
}

/** One case may use a quarter of the file's limit (at least 5 s), so a stuck await fails alone. */
function caseTimeout(fileLimitMs: number): number {
  return Math.max(5000, Math.min(60_000, Math.floor(fileLimitMs / 4)));
}

/** A run that produced nothing for the file: its runner error stands in for the suite's message. */
function runnerFailure(file: string, result: TestRunResult): SuiteOutcome {
  return {
    file,
    status: 'error',
    message: result.runnerError ?? 'the test runner did not pick the file up (check testMatch/roots in the jest config, or include in the vitest config)',
    tests: []
  };
}

/**
 * Judges a file's first run. Cases that fail, do not assert or repeat an existing test are
 * pruned; a file left with nothing is a failure, which goes back to the model when repairs
 * remain. Returns the failure text to repair from, or undefined when settled.
 */
function judgeFirstRun(
  c: CandidateTest,
  outcome: SuiteOutcome | 'timeout' | undefined,
  ctx: ValidationContext,
  settings: ValidationSettings,
  networkRefused: string | undefined
): string | undefined {
  if (outcome === 'timeout' || outcome === undefined) {
    reject(c, 'timeout', `did not finish within ${Math.round(settings.testTimeoutMs / 1000)} s (test-timeout); a test may wait forever or loop`);
    return undefined;
  }
  if (networkRefused !== undefined && outcome.status !== 'passed') {
    // A unit test must not need the network; no repair can give it one.
    c.cases = outcome.tests.map((t) => ({ name: t.name, verdict: t.status === 'passed' ? 'kept' : t.status === 'skipped' ? 'skipped' : 'fails' }));
    reject(c, 'network', `needs the network, which candidates never have: ${networkRefused}`);
    return undefined;
  }
  if (outcome.status === 'error') {
    const message = outcome.message || 'the file could not be compiled or loaded';
    c.cases = [];
    reject(c, 'compile', firstLines(message));
    return `The test file could not be compiled or loaded:\n${cap(message)}`;
  }
  if (outcome.status === 'failed' && !outcome.tests.some((t) => t.status === 'failed')) {
    // Every test passed, yet the file failed: a failing hook, or an error thrown after a test ended.
    c.cases = outcome.tests.map((t) => ({ name: t.name, verdict: t.status === 'passed' ? 'kept' : 'skipped' }));
    reject(c, 'fails', `the file fails outside its tests (a hook or an error after a test): ${firstLines(outcome.message, 3)}`);
    return `Every test passed but the file failed outside them (a beforeAll/afterAll hook, or an error thrown after a test ended):\n${cap(outcome.message)}`;
  }
  const parsed = ctx.editor?.parse(c.testFile, c.code);
  const duplicateLines = new Map((ctx.editor?.duplicates(c.testFile, c.code, ctx.existingTests) ?? []).map((d) => [d.line, d.duplicateOf]));
  c.cases = [];
  for (const test of outcome.tests) recordCase(c, caseVerdict(test, findCase(parsed, test), duplicateLines));
  const kept = c.cases.filter((k) => k.verdict === 'kept');
  const failing = outcome.tests.filter((t) => t.status === 'failed');
  if (kept.length === 0) {
    const stage = failing.length === 0 ? dominantVerdict(c.cases) : c.cases.some((k) => k.verdict === 'fails') ? 'fails' : 'timeout';
    reject(c, stage, describeRejection(c, outcome));
    return failing.length > 0 || stage === 'no-assertion' ? failureText(outcome, c) : undefined;
  }
  const drop = c.cases.filter((k) => k.verdict !== 'kept');
  if (drop.length > 0) {
    const pruned = prune(c, outcome, parsed, ctx.editor);
    if (pruned === undefined) {
      reject(
        c,
        drop[0]!.verdict === 'no-assertion' || drop[0]!.verdict === 'duplicate' ? drop[0]!.verdict : 'fails',
        `${describeRejection(c, outcome)}; the failing cases could not be removed on their own`
      );
      return failureText(outcome, c);
    }
    c.code = pruned;
  }
  c.state = 'passing';
  c.rejection = undefined;
  return undefined;
}

function caseVerdict(test: TestCaseOutcome, parsed: ParsedTestCase | undefined, duplicateLines: Map<number, string>): CaseRecord {
  if (test.status === 'skipped') return { name: test.name, verdict: 'skipped', reason: 'skipped or todo' };
  if (test.status === 'failed') {
    const timedOut = TIMED_OUT_CASE.test(test.failureMessage);
    return { name: test.name, verdict: timedOut ? 'timeout' : 'fails', reason: firstLines(test.failureMessage, 2) };
  }
  if (parsed && !parsed.hasAssertion) return { name: test.name, verdict: 'no-assertion', reason: 'passes without asserting anything' };
  const duplicateOf = parsed ? duplicateLines.get(parsed.line) : undefined;
  if (duplicateOf) return { name: test.name, verdict: 'duplicate', reason: `repeats ${duplicateOf}` };
  return { name: test.name, verdict: 'kept' };
}

function findCase(parsed: ParsedTestCase[] | undefined, test: TestCaseOutcome): ParsedTestCase | undefined {
  if (!parsed) return undefined;
  if (test.line !== undefined) {
    const byLine = parsed.find((p) => test.line! >= p.line && test.line! <= p.endLine);
    if (byLine) return byLine;
  }
  return parsed.find((p) => p.title === test.title && p.ancestors.join(' ') === test.ancestors.join(' '));
}

/** Removes the cases that were not kept; undefined when any of them cannot be found in the source. */
function prune(c: CandidateTest, outcome: SuiteOutcome, parsed: ParsedTestCase[] | undefined, editor: TestCaseEditor | undefined): string | undefined {
  if (!editor || !parsed) return undefined;
  const dropped = new Set(c.cases.filter((k) => k.verdict !== 'kept').map((k) => k.name));
  const keptNames = new Set(c.cases.filter((k) => k.verdict === 'kept').map((k) => k.name));
  const toRemove: ParsedTestCase[] = [];
  for (const test of outcome.tests.filter((t) => dropped.has(t.name))) {
    const found = findCase(parsed, test);
    if (!found) return undefined;
    // it.each rows share one call: a row that failed takes its passing siblings with it.
    if (!toRemove.includes(found)) toRemove.push(found);
  }
  for (const test of outcome.tests.filter((t) => keptNames.has(t.name))) {
    const found = findCase(parsed, test);
    if (found && toRemove.includes(found)) recordCase(c, { name: test.name, verdict: 'fails', reason: 'removed with a failing row of the same table' });
  }
  if (!c.cases.some((k) => k.verdict === 'kept')) return undefined;
  return editor.remove(c.testFile, c.code, toRemove);
}

/**
 * Judges the repetition runs: a case that failed in any of them is flaky and is pruned. Returns
 * true when the file changed and must be proven again; otherwise the file is settled (stable
 * with its coverage, or rejected).
 */
function judgeRepetitions(c: CandidateTest, outcome: RepeatedOutcome | undefined, ctx: ValidationContext): boolean {
  const runs = outcome?.runs ?? [];
  if (runs.some((r) => r === 'timeout' || r === undefined)) {
    reject(c, 'flaky', 'passed once, then did not finish within the time limit in a repeated run');
    return false;
  }
  const suites = runs as SuiteOutcome[];
  const broken = suites.find((s) => s.status === 'error');
  if (broken) {
    reject(c, 'flaky', `passed once, then could not load in a repeated run: ${firstLines(broken.message, 2)}`);
    return false;
  }
  const fileLevel = suites.find((s) => s.status === 'failed' && !s.tests.some((t) => t.status === 'failed'));
  if (fileLevel) {
    reject(c, 'flaky', `passed once, then failed outside its tests in a repeated run: ${firstLines(fileLevel.message, 2)}`);
    return false;
  }
  const flaky = new Map<string, { failed: number; message: string }>();
  for (const suite of suites) {
    for (const t of suite.tests.filter((x) => x.status === 'failed')) {
      const entry = flaky.get(t.name) ?? { failed: 0, message: t.failureMessage };
      entry.failed++;
      flaky.set(t.name, entry);
    }
  }
  if (flaky.size === 0) {
    c.state = 'stable';
    c.coverage = outcome?.coverage;
    return false;
  }
  for (const [name, { failed, message }] of flaky) {
    recordCase(c, { name, verdict: 'flaky', reason: `failed ${failed} of ${suites.length + 1} runs: ${firstLines(message, 1)}` });
  }
  const own = suites[0]!;
  const parsed = ctx.editor?.parse(c.testFile, c.code);
  const pruned = prune(c, { ...own, tests: own.tests.map((t) => (flaky.has(t.name) ? { ...t, status: 'failed' } : t)) }, parsed, ctx.editor);
  if (pruned === undefined) {
    reject(c, 'flaky', describeFlaky(c));
    return false;
  }
  c.code = pruned;
  return true;
}

async function repairAll(
  failures: Array<{ candidate: CandidateTest; failure: string }>,
  ctx: ValidationContext,
  settings: ValidationSettings
): Promise<CandidateTest[]> {
  const repairable = failures.filter(({ candidate }) => ctx.repair && candidate.attempts <= settings.maxRepairs);
  const repaired = await Promise.all(
    repairable.map(async ({ candidate, failure }) => {
      let code: string | undefined;
      try {
        code = await ctx.repair!(candidate, failure);
      } catch (error) {
        ctx.log(`  repair of ${candidate.testFile} failed: ${(error as Error).message}`);
        candidate.rejection!.reason += `; the repair request failed: ${firstLines((error as Error).message, 1)}`;
        return undefined;
      }
      candidate.attempts++;
      if (code === undefined) {
        candidate.rejection!.reason += '; the repair answer held no test code';
        return undefined;
      }
      ctx.log(`  ${candidate.testFile}: repaired (attempt ${candidate.attempts})`);
      candidate.code = code;
      candidate.cases = [];
      candidate.state = 'pending';
      candidate.rejection = undefined;
      return candidate;
    })
  );
  return repaired.filter((c): c is CandidateTest => c !== undefined);
}

function dominantVerdict(cases: CaseRecord[]): 'no-assertion' | 'duplicate' | 'no-tests' {
  if (cases.some((k) => k.verdict === 'no-assertion')) return 'no-assertion';
  if (cases.some((k) => k.verdict === 'duplicate')) return 'duplicate';
  return 'no-tests';
}

function describeRejection(c: CandidateTest, outcome: SuiteOutcome): string {
  const count = (v: string): number => c.cases.filter((k) => k.verdict === v).length;
  const total = outcome.tests.length;
  if (total === 0) return 'the file declares no test that runs';
  const parts: string[] = [];
  const failed = c.cases.filter((k) => k.verdict === 'fails' || k.verdict === 'timeout');
  if (failed.length > 0) {
    const names = failed.slice(0, 3).map((k) => `"${k.name}": ${k.reason ?? ''}`);
    parts.push(`${failed.length} of ${total} tests failed: ${names.join('; ')}${failed.length > 3 ? '; …' : ''}`);
  }
  if (count('no-assertion') > 0) parts.push(`${count('no-assertion')} of ${total} tests assert nothing`);
  if (count('duplicate') > 0) parts.push(`${count('duplicate')} of ${total} tests repeat existing tests`);
  if (count('skipped') > 0) parts.push(`${count('skipped')} of ${total} tests are skipped`);
  return parts.join('; ');
}

function describeFlaky(c: CandidateTest): string {
  const flaky = c.cases.filter((k) => k.verdict === 'flaky');
  return `${flaky.length} test(s) passed once and then failed in repeated, shuffled runs: ${flaky
    .slice(0, 3)
    .map((k) => `"${k.name}" (${k.reason})`)
    .join('; ')}`;
}

/** What the model is shown when asked to repair: the failures, capped. */
function failureText(outcome: SuiteOutcome, c: CandidateTest): string {
  const lines: string[] = [];
  for (const t of outcome.tests.filter((x) => x.status === 'failed')) lines.push(`Test "${t.name}" failed:\n${t.failureMessage}`);
  for (const k of c.cases.filter((x) => x.verdict === 'no-assertion'))
    lines.push(`Test "${k.name}" asserts nothing: every test must check a result with expect.`);
  if (outcome.message && lines.length === 0) lines.push(outcome.message);
  return cap(lines.join('\n\n'));
}

function cap(text: string): string {
  return condenseFailureText(text, FAILURE_TEXT_CAP);
}

function firstLines(text: string, count = 6): string {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '')
    .slice(0, count)
    .join(' ⏎ ')
    .slice(0, 600);
}
