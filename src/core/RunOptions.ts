import type { PrivacyOptions } from './Privacy.js';
import type { RoutingOptions } from './Routing.js';
import type { ShardSpec } from './Shard.js';

/**
 * A run's options once checked (config/parseRunOptions.ts builds them from action inputs or CLI
 * flags). Apart from the parsing, so that the libraries that take options (inference) do not
 * depend on how they were read.
 */

export type GpuOption = 'auto' | 'cuda' | 'vulkan' | 'metal' | 'cpu';
export const GPU_OPTIONS: readonly GpuOption[] = ['auto', 'cuda', 'vulkan', 'metal', 'cpu'];

/** auto: the Actions cache on GitHub-hosted runners, the runner's tool cache on self-hosted ones. */
export type ModelCacheOption = 'none' | 'actions' | 'tool-cache' | 'auto';
export const MODEL_CACHE_OPTIONS: readonly ModelCacheOption[] = ['none', 'actions', 'tool-cache', 'auto'];

/**
 * How the code aqe runs (the pull request's tests and the candidates) is confined: `require` =
 * Linux namespaces or the run fails before any work; `auto` = namespaces where the runner allows
 * them, else the weaker fallback with a warning; `off` = the fallback only (environment
 * allow-list, private HOME and temp directory, every process ended with its run).
 */
export type SandboxOption = 'auto' | 'require' | 'off';
export const SANDBOX_OPTIONS: readonly SandboxOption[] = ['auto', 'require', 'off'];

/** Everything a run needs, validated; the action and the CLI both produce one of these. */
export interface RunOptions {
  /** Repository root (absolute). */
  repoDir: string;
  /**
   * An absolute local GGUF path, a remote model as given (https://…, hf:<owner>/<repo>:<quant>,
   * hf:<owner>/<repo>/<file>.gguf), 'demo' for the generated demo model, or '' = chosen by
   * hardware (or none needed when replaying).
   */
  model: string;
  /** Lowercase hex sha256 the model file must have; '' = not pinned. */
  modelSha256: string;
  /** Where downloaded models are kept between runs. */
  modelCache: ModelCacheOption;
  gpu: GpuOption;
  /** Parallel sequences; 0 = auto (from the back end, free memory and CPUs). */
  maxParallel: number;
  contextSize: number;
  maxTokens: number;
  /** 0 = chosen from the CPUs this process may use. */
  threads: number;
  testTimeoutMs: number;
  /** Runs a test file must pass after its first one, in shuffled order, to count as not flaky. */
  repeatRuns: number;
  /** Times a failing test file goes back to the model with its failure output. */
  maxRepairs: number;
  /**
   * Worker processes of each test-runner run; 0 = auto: candidate batches use one per CPU (at most one per
   * candidate), and the repository's suite runs as its own config says.
   */
  testWorkers: number;
  /** Where the JSON report is written (absolute). */
  reportPath: string;
  /** Directory holding (or to receive) the node-llama-cpp runtime; '' = find or install it. */
  llamaRuntime: string;
  comment: boolean;
  /**
   * report-artifact: after the report is written, upload the run artifact (the JSON report, its
   * schema, the audit log, the accepted tests and the rejected candidates with their failure output).
   */
  reportArtifact: boolean;
  /** When set, changed files come from `git diff <baseRef>...HEAD` instead of the host's API. */
  baseRef: string;
  /** A JSONL file of model answers: recorded from the model, or replayed instead of it. */
  replay: { mode: ReplayMode; file: string } | null;
  /** What happens to accepted tests: written into the working tree, committed and pushed, or uploaded as an artifact. */
  onAccepted: DeliveryMode;
  /**
   * Run on `pull_request_target` events. Off by default: that event gives the job a write token
   * and the repository's secrets while aqe runs the pull request's code.
   */
  allowPullRequestTarget: boolean;
  sandbox: SandboxOption;
  /**
   * Names of variables of aqe's own environment that the tests also get (test-env): the tests see
   * an allow-list, never the job's environment, so anything else they need must be named here.
   */
  testEnv: string[];
  /** Which provider answers each task, under which rules, prices and budget. */
  routing: RoutingOptions;
  /** What strict privacy lets through, whether it needs an OS layer, and where the audit log goes. */
  privacy: PrivacyOptions;
  /** This job's part of a run split across a job matrix (shard: i/n); null = every target. */
  shard: ShardSpec | null;
  /** When the finished run fails the job on its changed lines' coverage (reporting/coverageGates.ts). */
  coverageGates: CoverageGateOptions;
  /** otlp-endpoint and otlp-headers: where the run's metrics are sent over OTLP/HTTP once it ends; null = nowhere. */
  otlp: OtlpOptions | null;
}

export interface OtlpOptions {
  /** The full metrics URL (…/v1/metrics), http or https. */
  url: string;
  /** Sent with the export request; the values are secrets (API keys of a hosted collector). */
  headers: Record<string, string>;
}

export interface CoverageGateOptions {
  /** fail-below-coverage: the changed lines' coverage after the accepted tests must reach this percentage; null = off. */
  failBelow: number | null;
  /** fail-on-coverage-drop: fail when the changed lines' coverage after the accepted tests is below that of the suite alone. */
  failOnDrop: boolean;
}

export type ReplayMode = 'record' | 'replay';

/**
 * What happens to the tests a run accepted: `write` creates them in the working tree, `commit`
 * also commits them and pushes the commit to the pull request's branch, `artifact` hands them
 * over as a workflow artifact and leaves the working tree alone.
 */
export type DeliveryMode = 'write' | 'commit' | 'artifact';

export const DELIVERY_MODES: readonly DeliveryMode[] = ['write', 'commit', 'artifact'];
