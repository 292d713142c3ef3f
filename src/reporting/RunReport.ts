/**
 * The record of one run: what was targeted, what the model produced, what was kept and why.
 * It is written as JSON (report-path), rendered as the job summary and the PR comment,
 * and is the single source for the action's outputs.
 */

export type CandidateStatus = 'accepted' | 'rejected';

/** Why a candidate was turned away; the stage tells the reader where it failed. */
export type RejectionStage =
  | 'generation' // the model failed or produced no usable code
  | 'compile' // the test file does not compile / the suite could not run
  | 'fails' // one or more test cases failed
  | 'no-tests' // the file ran but declared no test cases
  | 'no-coverage-gain' // passed, but covers nothing the baseline did not
  | 'duplicate' // same content as another candidate or an existing test
  | 'timeout' // killed at the test time limit
  | 'suite-conflict'; // passes alone, fails alongside the repository's suite

export interface CoverageFigures {
  /** Line coverage in percent (0-100), rounded to 2 decimals; null when nothing was measured. */
  linesPct: number | null;
  coveredLines: number;
  totalLines: number;
}

export interface CandidateRecord {
  /** Source file the test targets, repo-relative, forward slashes. */
  targetFile: string;
  /** Where the test file is (or would have been) written, repo-relative. */
  testFile: string;
  status: CandidateStatus;
  rejection?: { stage: RejectionStage; reason: string };
  testsPassed: number;
  testsFailed: number;
  /** Coverage of targetFile with the baseline suite alone, and with this candidate added. */
  coverageBefore: CoverageFigures;
  coverageAfter: CoverageFigures;
  promptTokens: number;
  completionTokens: number;
  generationMs: number;
  validationMs: number;
  provider: string;
  model: string;
}

export interface InferenceFigures {
  provider: string;
  model: string;
  /** Human-readable hardware line, e.g. "CPU, 2 threads" or "CUDA: NVIDIA H100 (80 GiB)". */
  hardware: string;
  backend: string;
  threads: number;
  parallelSequences: number;
  contextSize: number;
  modelLoadMs: number;
  promptTokens: number;
  completionTokens: number;
  /** Completion tokens per second of generation wall time (aggregate over parallel sequences). */
  tokensPerSecond: number;
  /** Cloud spend in USD; 0 for local inference. */
  costUsd: number;
  /** Set when the run used the project's generated demo model rather than a real one. */
  demoModelNotice?: string;
}

export interface RunReport {
  schemaVersion: 1;
  tool: { name: string; version: string };
  startedAt: string;
  durationMs: number;
  repository: string;
  pullRequest: { number: number; title: string; baseSha: string; headSha: string; url?: string } | null;
  changedFiles: string[];
  /** Changed files that were targeted, and the ones skipped with why. */
  targets: string[];
  skipped: Array<{ file: string; reason: string }>;
  baseline: { testsPassed: number; testsFailed: number; suiteFailed: boolean; durationMs: number };
  coverageBefore: CoverageFigures;
  coverageAfter: CoverageFigures;
  candidates: CandidateRecord[];
  testsGenerated: number;
  testsAccepted: number;
  inference: InferenceFigures;
  warnings: string[];
}
