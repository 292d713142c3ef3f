import type { GpuOption } from '../src/core/RunOptions.js';

/** What one `npm run bench` run measures; see README.md, "Benchmark". */
export interface BenchOptions {
  /** A real GGUF to measure instead of the generated random-weights model. */
  modelPath?: string;
  /** A smaller generated model and fewer points: a smoke run in a minute or two. */
  quick: boolean;
  /** Tokens decoded per request (greedy); every run decodes the same number. */
  tokens: number;
  /** Measurements per point; the best counts (other processes only ever slow a run down). */
  repeats: number;
  gpu: GpuOption;
  /** Where the cached models and the results go. */
  outDir: string;
}

const USAGE = `Usage: npm run bench -- [--quick] [--model FILE.gguf] [--tokens N] [--repeats N] [--gpu cpu|auto|cuda|vulkan|metal] [--out DIR]

Measures llama.cpp inference through aqe's provider on this machine: model load vs raw file read, decode
tokens/s per thread count (and whether aqe's default thread count is the fastest), aggregate tokens/s of
1-8 parallel sequences through aqe's scheduler vs node-llama-cpp driven directly vs one at a time, peak
RSS, and the memory-bandwidth bound on decoding. Without --model it generates (once, cached under .bench/)
a random-weights llama GGUF of realistic shape. Results: a table on stdout, JSON and an SVG chart in --out.`;

export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const options: BenchOptions = { quick: false, tokens: 0, repeats: 0, gpu: 'cpu', outDir: '.bench' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined || next.startsWith('--')) throw new Error(`${arg} needs a value.\n\n${USAGE}`);
      return next;
    };
    const count = (): number => {
      const text = value();
      const n = Number(text);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${arg} must be a positive integer, got "${text}".`);
      return n;
    };
    if (arg === '--quick') options.quick = true;
    else if (arg === '--model') options.modelPath = value();
    else if (arg === '--tokens') options.tokens = count();
    else if (arg === '--repeats') options.repeats = count();
    else if (arg === '--out') options.outDir = value();
    else if (arg === '--gpu') {
      const gpu = value();
      if (!['auto', 'cuda', 'vulkan', 'metal', 'cpu'].includes(gpu)) throw new Error(`--gpu must be auto, cuda, vulkan, metal or cpu, got "${gpu}".`);
      options.gpu = gpu as GpuOption;
    } else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`Unknown option ${arg}.\n\n${USAGE}`);
  }
  if (options.tokens === 0) options.tokens = options.quick ? 32 : 64;
  if (options.repeats === 0) options.repeats = options.quick ? 1 : 2;
  return options;
}
