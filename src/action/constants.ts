/** Names shared by action.yml and the code; action.yml is checked against these in the tests. */
export const Inputs = {
  GitHubToken: 'github-token',
  WorkingDirectory: 'working-directory',
  Model: 'model',
  ModelSha256: 'model-sha256',
  ModelCache: 'model-cache',
  Gpu: 'gpu',
  MaxParallel: 'max-parallel',
  ContextSize: 'context-size',
  MaxTokens: 'max-tokens',
  Threads: 'threads',
  TestTimeout: 'test-timeout',
  RepeatRuns: 'repeat-runs',
  MaxRepairs: 'max-repairs',
  /** Worker processes of each test-runner run: auto, or at most N (the repository's suite included). */
  TestWorkers: 'test-workers',
  ReportPath: 'report-path',
  LlamaRuntime: 'llama-runtime',
  Comment: 'comment',
  /** Upload the run artifact (aqe-report-…) after the report is written. */
  ReportArtifact: 'report-artifact',
  BaseRef: 'base-ref',
  ReplayFile: 'replay-file',
  ReplayMode: 'replay-mode',
  OnAccepted: 'on-accepted',
  AllowPullRequestTarget: 'allow-pull-request-target',
  Sandbox: 'sandbox',
  TestEnv: 'test-env',
  RouterMode: 'router-mode',
  Privacy: 'privacy',
  SensitivePaths: 'sensitive-paths',
  ComplexityThreshold: 'complexity-threshold',
  SizeThreshold: 'size-threshold',
  Escalate: 'escalate',
  MaxCloudUsd: 'max-cloud-usd',
  LocalCostPerHour: 'local-cost-per-hour',
  CloudProvider: 'cloud-provider',
  AnthropicApiKey: 'anthropic-api-key',
  AnthropicBaseUrl: 'anthropic-base-url',
  CloudModel: 'cloud-model',
  SharedServerUrl: 'shared-server-url',
  SharedServerApiKey: 'shared-server-api-key',
  SharedServerModel: 'shared-server-model',
  CloudTimeout: 'cloud-timeout',
  CloudMaxRetries: 'cloud-max-retries',
  AllowedEndpoints: 'allowed-endpoints',
  PrivacyRequireIsolation: 'privacy-require-isolation',
  AuditLog: 'audit-log',
  /** OTLP/HTTP collector the run's metrics are sent to at its end (a base URL gets /v1/metrics); empty = none. */
  OtlpEndpoint: 'otlp-endpoint',
  /** key=value,… sent with the export (credentials of a hosted collector): masked in the log. */
  OtlpHeaders: 'otlp-headers',
  /** This job's part of a run split across a matrix: i/n. */
  Shard: 'shard',
  /** Fail the job when the changed lines' coverage after the accepted tests is below this percentage. */
  FailBelowCoverage: 'fail-below-coverage',
  FailOnCoverageDrop: 'fail-on-coverage-drop',
  /** Set in the job after the matrix: the shard reports to merge (paths or globs, one a line); no generation then. */
  MergeReports: 'merge-reports',
  /** generate, or comment-from-artifact: the workflow_run job of the fork setup, which only posts an uploaded report. */
  Mode: 'mode'
} as const;

export const Outputs = {
  TestsGenerated: 'tests-generated',
  TestsAccepted: 'tests-accepted',
  CoverageBefore: 'coverage-before',
  CoverageAfter: 'coverage-after',
  ReportPath: 'report-path',
  /** The accepted test files as delivered, one per line (repo-relative). */
  AcceptedFiles: 'accepted-files',
  ChangedLinesCoverageBefore: 'changed-lines-coverage-before',
  ChangedLinesCoverageAfter: 'changed-lines-coverage-after',
  /** llama.cpp's back end (cpu, cuda, vulkan, metal), or replay. */
  Backend: 'backend',
  GpuDevice: 'gpu-device',
  GpuLayers: 'gpu-layers',
  GpuVramMb: 'gpu-vram-mb',
  ModelLoadMs: 'model-load-ms',
  /** Requests sent to the remote provider (fallbacks and escalations included). */
  CloudRequests: 'cloud-requests',
  CloudCostUsd: 'cloud-cost-usd',
  /** What the local tasks' tokens would have cost on the cloud model. */
  CostAvoidedUsd: 'cost-avoided-usd',
  /** Connections the in-process egress guard refused (aqe's process and the Node processes it started). */
  EgressBlocked: 'egress-blocked',
  AuditLogPath: 'audit-log-path',
  /** The enforcement layers in effect under privacy strict, comma-separated; `none` otherwise. */
  PrivacyEnforcement: 'privacy-enforcement',
  /** The run artifact's name; empty when none was uploaded. */
  ReportArtifact: 'report-artifact'
} as const;

export const State = {
  ReportPath: 'report-path',
  /** Set only when the main step installed node-llama-cpp that the post step should put in the Actions cache. */
  RuntimeCacheKey: 'runtime-cache-key',
  RuntimeDir: 'runtime-dir',
  /** Set only when the main step downloaded a model the post step should cache: the cache kind, key and file. */
  ModelCacheKind: 'model-cache-kind',
  ModelCacheKey: 'model-cache-key',
  ModelPath: 'model-path',
  /** The egress firewall the main step installed (JSON), for the post step to remove when the main step could not. */
  EgressFirewall: 'egress-firewall'
} as const;
