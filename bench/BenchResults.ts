/** Everything one benchmark run measured; written as JSON and rendered as the table and the chart. */
export interface BenchResults {
  startedAt: string;
  durationMs: number;
  machine: {
    cpu: string;
    /** CPUs in the affinity mask, cgroup quota, physical cores (see src/inference/cpuThreads.ts). */
    availableParallelism: number;
    cgroupQuotaCpus?: number;
    physicalCores?: number;
    memoryBytes: number;
    /** 1-minute load averages when the run started and ended: other work on the machine skews every figure. */
    loadAverageStart: number;
    loadAverageEnd: number;
    node: string;
    nodeLlamaCpp: string;
    backend: string;
  };
  settings: { quick: boolean; tokensPerRequest: number; repeats: number; contextSize: number };
  model: { path: string; description: string; bytes: number; generatedMs: number };
  load: {
    /** The whole file read into one buffer of its size (page cache warm): what keeping the weights costs. */
    rawReadMs: number;
    rawReadBytesPerSecond: number;
    /** The file streamed through a reused 16 MB buffer: the page cache's copy rate. */
    streamReadMs: number;
    /** llama.cpp's loadModel (memory-mapped), page cache warm, best of three. */
    modelLoadMs: number;
    loadToReadRatio: number;
    /** LocalLlamaProvider.load: runtime start, model, context and chat template, as a run pays it. */
    providerLoadMs: number;
  };
  threads: {
    /** CPUs the process may use (see usableCpus): the most threads calibration tries. */
    usableCpus: number;
    /**
     * Per model size and machine condition: one sequence's decode tokens/s (prompt excluded, best of the repeats) at
     * each fixed count and with aqe's default (threads: 0, calibrated on the loaded model at each load, no cache).
     */
    byModel: Array<{ model: string; bytes: number; conditions: ThreadCondition[] }>;
  };
  parallel: {
    /** Thread count used for the parallel runs: the fastest of the sweep. */
    threads: number;
    points: Array<{
      sequences: number;
      api: 'complete' | 'chat';
      /** Aggregate tokens/s: all generated tokens / wall time from the first request to the last answer. */
      scheduler: number;
      direct: number;
      /** The same requests through the scheduler one after another (complete only). */
      sequential?: number;
      schedulerShareOfDirect: number;
    }>;
  };
  memory: {
    /** Peak RSS while one provider at a time was loaded (load and thread sweep): what a run costs. */
    peakRssBytes: number;
    /** Peak RSS of the whole benchmark, which maps the model twice (scheduler and direct side by side). */
    peakRssOverallBytes: number;
    readBandwidthBytesPerSecond: { oneThread: number; allThreads: number; threads: number };
    tensorBytes: number;
    weightBytesPerToken: number;
    /** Best bandwidth / bytes per token: no single sequence can decode faster. */
    decodeBoundTokensPerSecond: number;
    bestSingleSequenceTokensPerSecond: number;
    shareOfBound: number;
  };
  verdicts: string[];
}

/** `quiet`: the machine as it is; `loaded`: with a child process spinning on one core, as a run's test jobs load it. */
export interface ThreadCondition {
  condition: 'quiet' | 'loaded';
  points: Array<{ threads: number; tokensPerSecond: number; runs: number[] }>;
  default: {
    tokensPerSecond: number;
    runs: number[];
    /** The count each load chose, with its calibration figures and what calibrating took. */
    chosen: number[];
    descriptions: string[];
    calibrationMs: number[];
  };
  bestThreads: number;
  /** The default's best run over the best fixed count's best run: the choice and this condition's noise together. */
  defaultShareOfBest: number;
  /**
   * The fixed-count figure of the count each default load chose, over the best fixed count's, averaged over the loads:
   * how good the choice was, without the run-to-run noise of a second measurement of the same count.
   */
  chosenShareOfBest: number;
  /** 1-minute load average when this condition's measurements ended. */
  loadAverage: number;
}
