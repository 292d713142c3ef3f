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
    /** chooseThreadCount for this machine and model. */
    defaultThreads: number;
    /** One sequence, decode tokens/s (prompt excluded), best of the repeats, per thread count. */
    points: Array<{ threads: number; tokensPerSecond: number; runs: number[] }>;
    bestThreads: number;
    defaultShareOfBest: number;
    /** The same for models around the small-model cut-over (64 MiB) of chooseThreadCount. */
    cutOver: Array<{ model: string; bytes: number; defaultThreads: number; points: Array<{ threads: number; tokensPerSecond: number }>; defaultShareOfBest: number }>;
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
