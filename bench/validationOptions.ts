/** What one `npm run bench:validation` run measures; see README.md, "Validation benchmark". */
export interface ValidationBenchOptions {
  /** Candidate test files validated by each strategy. */
  candidates: number;
  /** Extra runs each file must pass after its first (ValidationSettings.repeatRuns). */
  repeatRuns: number;
  /** jest workers of a batch (ValidationSettings.workers); 0 = os.availableParallelism(). */
  workers: number;
  /** Runs of each strategy, alternating which goes first; the fastest counts (other processes only ever slow a run down). */
  rounds: number;
  /** Base seed of the shuffled repetitions; the same for both strategies. */
  seed: number;
  /** Prune failing cases with the TypeScript analysis editor (as runs with typescript installed do); off: files with a failing case are rejected whole. */
  editor: boolean;
  /** Fewer candidates and repetitions: a smoke run in a couple of minutes. */
  quick: boolean;
  /** Leave the temporary example repository and scratch copies on disk for inspection. */
  keep: boolean;
  /** Where the results go. */
  outDir: string;
}

const USAGE = `Usage: npm run bench:validation -- [--quick] [--candidates N] [--repeat-runs N] [--workers N] [--rounds N] [--seed N] [--no-editor] [--keep] [--out DIR]

Validates the same generated test files for the example pull request (examples/ts-lib) twice with
validateCandidates: 'batched' (one jest process per stage for all candidates, coverage per test file)
and 'isolated' (one jest process per file per run), and reports wall time, processes started, file runs,
time per candidate and the speed-up, after checking that both strategies reach the same verdicts.
Exits non-zero when they do not. --rounds N runs each strategy N times, alternating which goes first (load on
a shared machine drifts), and reports the fastest run of each. Results: a table on stdout, JSON and an SVG chart in --out (.bench).`;

export function parseValidationBenchOptions(argv: readonly string[]): ValidationBenchOptions {
  const options: ValidationBenchOptions = {
    candidates: 0,
    repeatRuns: 0,
    workers: 0,
    rounds: 1,
    seed: 4242,
    editor: true,
    quick: false,
    keep: false,
    outDir: '.bench'
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined || next.startsWith('--')) throw new Error(`${arg} needs a value.\n\n${USAGE}`);
      return next;
    };
    const integer = (minimum: number): number => {
      const text = value();
      const n = Number(text);
      if (!Number.isInteger(n) || n < minimum) throw new Error(`${arg} must be an integer of at least ${minimum}, got "${text}".`);
      return n;
    };
    if (arg === '--quick') options.quick = true;
    else if (arg === '--candidates') options.candidates = integer(1);
    else if (arg === '--repeat-runs') options.repeatRuns = integer(1);
    else if (arg === '--workers') options.workers = integer(1);
    else if (arg === '--rounds') options.rounds = integer(1);
    else if (arg === '--seed') options.seed = integer(0);
    else if (arg === '--no-editor') options.editor = false;
    else if (arg === '--keep') options.keep = true;
    else if (arg === '--out') options.outDir = value();
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`Unknown option ${arg}.\n\n${USAGE}`);
  }
  if (options.candidates === 0) options.candidates = options.quick ? 4 : 8;
  if (options.repeatRuns === 0) options.repeatRuns = options.quick ? 2 : 5;
  return options;
}
