import type { ComplianceSection } from '../core/Privacy.js';
import type { ConfinementEvent, IsolationInEffect } from '../core/Isolation.js';
/**
 * The record of one run: what was targeted, what the model produced, what was kept and why.
 * It is written as JSON (report-path), rendered as the job summary and the PR comment,
 * and is the single source for the action's outputs.
 */

import type { CoverageFigures } from '../core/CoverageFigures.js';
import type { GpuTelemetryFigures } from '../inference/gpuTelemetry.js';
import type { Tier } from '../core/Routing.js';
import type { BaselineRunFailure, BrokenTestFile, CaseRecord, RejectionStage } from '../core/verdicts.js';
import type { CostSection, ProviderTelemetry, RoutingSection } from '../routing/RoutingFigures.js';

export type CandidateStatus = 'accepted' | 'rejected';

export interface CandidateRecord {
  /** Source file the test targets, repo-relative, forward slashes. */
  targetFile: string;
  /** Where the test file is (or would have been) written, repo-relative. */
  testFile: string;
  status: CandidateStatus;
  rejection?: { stage: RejectionStage; reason: string };
  testsPassed: number;
  testsFailed: number;
  /** Each test case the file had, and what became of it (pruned cases are gone from the written file). */
  cases: CaseRecord[];
  /** Model answers the file went through: 1 + repairs. */
  attempts: number;
  /** Runs of the file in the test runner, repetitions included. */
  runs: number;
  /** Coverage of targetFile with the baseline suite alone, and with this candidate added. */
  coverageBefore: CoverageFigures;
  coverageAfter: CoverageFigures;
  promptTokens: number;
  completionTokens: number;
  /** Model time for this file, repairs included. */
  generationMs: number;
  /** What this file's answers cost (cloud tokens at the model's price, local inference time at local-cost-per-hour), repairs included. */
  costUsd: number;
  /** Who wrote the file as it was judged (after any fallback or escalation). */
  provider: string;
  model: string;
  tier: Tier;
  /** Set when the local model's file fell short and the remote model wrote this one instead. */
  escalation?: { fromProvider: string; fromModel: string; localRejection: { stage: RejectionStage; reason: string } };
  /**
   * False when an accepted file could not be run next to the repository's suite (the suite
   * timed out or crashed first): it passed every run alone, but its fit with the suite is unproven.
   */
  confirmedWithSuite?: boolean;
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
  /** The GPU the model ran on, its memory after loading, and how much of the model it holds; absent on CPU. */
  gpu?: { device: string; vramTotalBytes: number; vramFreeBytes: number; layersOffloaded: number; totalLayers: number };
  /** GPU utilisation and memory nvidia-smi sampled while the model was loaded; absent off CUDA or without nvidia-smi. */
  gpuTelemetry?: GpuTelemetryFigures;
  promptTokens: number;
  completionTokens: number;
  /** Completion tokens per second of generation wall time (aggregate over parallel sequences). */
  tokensPerSecond: number;
  /** Cloud spend in USD (the cost section has the whole account); 0 when every task ran locally. */
  costUsd: number;
  /** Set when the run used the project's generated demo model rather than a real one. */
  demoModelNotice?: string;
}

export interface DeliveryFigures {
  /** on-accepted as asked, and what was done (write when a commit or upload was not possible). */
  requested: 'write' | 'commit' | 'artifact';
  mode: 'write' | 'commit' | 'artifact';
  /** Repo-relative test files delivered. */
  files: string[];
  commit?: { sha: string; branch: string };
  artifact?: string;
}

export interface ValidationFigures {
  strategy: 'batched' | 'isolated';
  /** Further runs each file had to pass, shuffled, after its first. */
  repeatRuns: number;
  maxRepairs: number;
  /** Seed of the shuffled orders, so a run can be repeated. */
  seed: number;
  /** Test runner processes started, and file runs in them (repetitions included). */
  processes: number;
  fileRuns: number;
  durationMs: number;
}

export interface BaselineFigures {
  testsPassed: number;
  testsFailed: number;
  /** A test failed, a test file did not load, or the suite did not run to its end. */
  suiteFailed: boolean;
  durationMs: number;
  brokenTestFiles: BrokenTestFile[];
  runFailures: BaselineRunFailure[];
  /**
   * False when the coverage before was measured from a broken baseline (files that did not load,
   * a suite that did not finish): it is then lower than the suite's real coverage.
   */
  coverageComplete: boolean;
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
  baseline: BaselineFigures;
  /** Line coverage of the targeted files, before and after the accepted tests. */
  coverageBefore: CoverageFigures;
  coverageAfter: CoverageFigures;
  /** Line coverage of the lines the pull request changed in the targeted files (whole files where the diff is unknown). */
  changedLinesBefore?: CoverageFigures;
  changedLinesAfter?: CoverageFigures;
  /** Changed executable lines still run by no test after the accepted ones, ascending, per target file (repo-relative); files with none are left out. */
  uncoveredChangedLines?: Array<{ file: string; lines: number[] }>;
  candidates: CandidateRecord[];
  testsGenerated: number;
  testsAccepted: number;
  inference: InferenceFigures;
  /** Where accepted tests went; absent when nothing was generated. */
  delivery?: DeliveryFigures;
  /** How candidates were proven; absent when nothing was generated. */
  validation?: ValidationFigures;
  /** What confined the tests aqe ran, and what the confinement saw; absent when no test ran. */
  isolation?: IsolationInEffect & { events: ConfinementEvent[] };
  /** Which provider answered each target, and why; absent when nothing was generated. */
  routing?: RoutingSection;
  /** What each provider did: requests, tokens, latency, errors, retries, fallbacks, cost. */
  telemetry?: ProviderTelemetry[];
  /** What the run cost, what it avoided, and the budget; absent when nothing was generated. */
  cost?: CostSection;
  /** The privacy mode, what enforced it, and what the audit log holds of this run. */
  compliance?: ComplianceSection;
  /** Set when the run was cancelled (SIGINT/SIGTERM): nothing was delivered, and the figures are those of what had finished. */
  cancelled?: CancelledRun;
  /** Set when the run was one job of a matrix (shard: i/n): targets, candidates and figures are this shard's part only. */
  shard?: ShardSection;
  /** The coverage gates the run was asked to apply, and their verdicts; absent when none was set. */
  gates?: CoverageGateVerdict[];
  /**
   * Wall time per phase, in the order they run, each summed over the packages (and, merged, over the
   * shards); a phase that did not run is left out. The phases (RUN_PHASES in phaseTimes.ts):
   * - targets: reading the pull request's changes and choosing the files to test (git, the API)
   * - setup: the scratch copy, the sandbox's probe, strict privacy's drop, the TypeScript compiler for analysis
   * - baseline: each package's existing suite alone
   * - model loading: routing each target, the local model loaded on first use
   * - generation: the model writing a test file per target
   * - validation: the candidates proven in the scratch copy, repairs included
   * - escalation: files the local model got wrong, written again by the remote one and proven
   * - acceptance: the coverage check and the final run of the suite with the accepted tests
   * - delivery: the accepted tests written, committed or uploaded
   */
  phases?: PhaseTime[];
  warnings: string[];
}

/** Milliseconds of wall time one phase took. A reader keeps a phase name it does not know (a later version's). */
export interface PhaseTime {
  phase: string;
  ms: number;
}

/** One coverage gate's verdict. not-applicable: nothing to measure (no changed executable lines), which passes. */
export interface CoverageGateVerdict {
  gate: 'fail-below-coverage' | 'fail-on-coverage-drop';
  status: 'passed' | 'failed' | 'not-applicable';
  /** The percentage a fail-below-coverage gate asked for. */
  threshold?: number;
  /** Changed-lines coverage in percent with the suite alone, and with the accepted tests; null when not measured. */
  before: number | null;
  after: number | null;
  message: string;
}

/** Which part of a sharded run a report holds, and what a merge needs that the report's totals do not keep. */
export interface ShardSection {
  /** 1-based: the i of i/n. */
  index: number;
  count: number;
  /**
   * The baseline of each package this shard ran. A package whose targets fall into several shards
   * runs its suite in each of them, and a merge must count that suite once.
   */
  packages: Array<{ packageDir: string; baseline: BaselineFigures }>;
}

export interface CancelledRun {
  signal: string;
  /** The stage under way, e.g. "validation of the root package (jest)". */
  during: string;
  /** Candidates of the package under way that had no verdict yet, and how far they had got (absent from `candidates`). */
  unfinished: Array<{ targetFile: string; testFile?: string; state: string }>;
}
