/** Names shared by action.yml and the code; action.yml is checked against these in the tests. */
export const Inputs = {
  GitHubToken: 'github-token',
  WorkingDirectory: 'working-directory',
  Model: 'model',
  Gpu: 'gpu',
  MaxParallel: 'max-parallel',
  ContextSize: 'context-size',
  MaxTokens: 'max-tokens',
  Threads: 'threads',
  TestTimeout: 'test-timeout',
  ReportPath: 'report-path',
  LlamaRuntime: 'llama-runtime',
  Comment: 'comment',
  BaseRef: 'base-ref',
  ReplayFile: 'replay-file',
  ReplayMode: 'replay-mode'
} as const;

export const Outputs = {
  TestsGenerated: 'tests-generated',
  TestsAccepted: 'tests-accepted',
  CoverageBefore: 'coverage-before',
  CoverageAfter: 'coverage-after',
  ReportPath: 'report-path'
} as const;

export const State = {
  ReportPath: 'report-path'
} as const;
