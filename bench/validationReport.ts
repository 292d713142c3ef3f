import type { CandidateVerdict } from './validationVerdicts.js';

/** One strategy's fastest run over all candidates (see --rounds). */
export interface StrategyFigures {
  strategy: 'batched' | 'isolated';
  /** validateCandidates from call to return, as this process saw it. */
  wallMs: number;
  /** Wall time of every run of this strategy, one per round, in round order. */
  wallMsPerRound: number[];
  /** Test runner processes started (ValidationStats.processes). */
  processes: number;
  /** File runs, repetitions included (ValidationStats.fileRuns). */
  fileRuns: number;
  perCandidateMs: number;
  /** The untimed baseline run of the example's own suite that warmed this strategy's fresh jest cache. */
  warmUpMs: number;
  stable: number;
  rejected: number;
  verdicts: CandidateVerdict[];
}

/** Everything one validation benchmark run measured; written as JSON and rendered as the table and the chart. */
export interface ValidationBenchResults {
  startedAt: string;
  durationMs: number;
  machine: {
    cpu: string;
    availableParallelism: number;
    memoryBytes: number;
    /** 1-minute load averages when the run started and ended: other work on the machine skews every figure. */
    loadAverageStart: number;
    loadAverageEnd: number;
    node: string;
    jest: string;
  };
  settings: {
    quick: boolean;
    candidates: number;
    repeatRuns: number;
    maxRepairs: number;
    testTimeoutMs: number;
    workers: number;
    seed: number;
    rounds: number;
    editor: 'analysis' | 'none';
    example: string;
    targets: string[];
    /** Candidate files that carry one failing case to prune. */
    withFailingCase: number;
  };
  strategies: StrategyFigures[];
  /** Isolated time per candidate over batched time per candidate. */
  speedUp: number;
  /** The speed-up issue 4 asks for. */
  speedUpTarget: number;
  /** Differences between the runs' verdicts, and from the verdicts the files were built to get; empty when all agree. */
  mismatches: string[];
}

const seconds = (ms: number): string => (ms / 1000).toFixed(ms < 10_000 ? 2 : 1);

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('   ')}`.trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The human-readable report printed at the end of a run. */
export function renderValidationTable(r: ValidationBenchResults): string {
  const m = r.machine;
  const s = r.settings;
  const batched = r.strategies.find((x) => x.strategy === 'batched');
  const out: string[] = [
    `aqe validation benchmark, ${r.startedAt} (${seconds(r.durationMs)} s)`,
    `Machine: ${m.cpu}, ${m.availableParallelism} CPUs, ${(m.memoryBytes / 1e9).toFixed(1)} GB RAM; load average ${m.loadAverageStart.toFixed(2)} at start, ${m.loadAverageEnd.toFixed(2)} at end; node ${m.node}, jest ${m.jest}`,
    `${s.candidates} candidate files for ${s.example} (${s.targets.join(', ')}), ${s.withFailingCase} with a failing case to prune; repeatRuns ${s.repeatRuns}, maxRepairs ${s.maxRepairs}, testTimeoutMs ${s.testTimeoutMs}, workers ${s.workers}, seed ${s.seed}, editor ${s.editor}${s.quick ? ' (--quick)' : ''}${s.rounds > 1 ? `; fastest of ${s.rounds} rounds, alternating which strategy goes first` : ''}`,
    '',
    table(
      [
        'strategy',
        'wall s',
        'processes',
        'file runs',
        's / candidate',
        'stable',
        'rejected',
        'warm-up s (untimed)',
        ...(s.rounds > 1 ? ['wall s per round'] : [])
      ],
      r.strategies.map((x) => [
        x.strategy,
        seconds(x.wallMs),
        String(x.processes),
        String(x.fileRuns),
        seconds(x.perCandidateMs),
        String(x.stable),
        String(x.rejected),
        seconds(x.warmUpMs),
        ...(s.rounds > 1 ? [x.wallMsPerRound.map(seconds).join(' / ')] : [])
      ])
    ),
    '',
    `* Speed-up (isolated s/candidate ÷ batched s/candidate): ${r.speedUp.toFixed(1)}x: ${r.speedUp >= r.speedUpTarget ? 'meets' : 'MISSES'} the ${r.speedUpTarget}x target${
      // Batched mode pays a fixed start-up per stage (jest workers each load ts-jest) that few, short files do not amortise.
      s.quick ? ' (--quick is a smoke run: too few candidates and repetitions to judge the target; run without it)' : ''
    }.`
  ];
  if (batched)
    out.push(
      `* Per-candidate verdicts (batched): ${batched.verdicts.map((v) => `${v.testFile} ${v.state}${v.rejectionStage ? ` (${v.rejectionStage})` : ''}, ${v.keptCases.length}/${v.cases.length} kept`).join('; ')}`
    );
  if (r.mismatches.length === 0)
    out.push(
      `* Verdicts: ${s.rounds > 1 ? `all ${s.rounds * 2} runs` : 'both strategies'} agree on every candidate (state, case verdicts, kept cases, runs, pruned code, coverage), and match how the files were built.`
    );
  else out.push('', '!!! VERDICT MISMATCH !!!', ...r.mismatches.map((p) => `  - ${p}`));
  return out.join('\n');
}

const escapeXml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const COLORS: Record<StrategyFigures['strategy'], string> = { batched: '#2e86de', isolated: '#aaaaaa' };

/** One panel of horizontal bars, one per strategy. */
function barPanel(
  x: number,
  y: number,
  width: number,
  title: string,
  bars: ReadonlyArray<{ label: string; value: number; text: string; color: string }>
): string {
  const labelWidth = 80;
  const barHeight = 26;
  const max = Math.max(1e-9, ...bars.map((b) => b.value));
  const parts = [`<text x="${x}" y="${y}" font-size="12" font-weight="bold">${escapeXml(title)}</text>`];
  bars.forEach((b, i) => {
    const top = y + 12 + i * (barHeight + 8);
    const length = Math.max(1, ((width - labelWidth - 90) * b.value) / max);
    parts.push(`<text x="${x}" y="${top + 17}" font-size="11">${escapeXml(b.label)}</text>`);
    parts.push(`<rect x="${x + labelWidth}" y="${top}" width="${length.toFixed(1)}" height="${barHeight}" fill="${b.color}"/>`);
    parts.push(`<text x="${(x + labelWidth + length + 6).toFixed(1)}" y="${top + 17}" font-size="11">${escapeXml(b.text)}</text>`);
  });
  return parts.join('\n');
}

/** The results as an SVG: time per candidate and processes started, per strategy. */
export function renderValidationSvg(r: ValidationBenchResults): string {
  const width = 760;
  const height = 300;
  const s = r.settings;
  const bars = (value: (x: StrategyFigures) => number, text: (x: StrategyFigures) => string) =>
    r.strategies.map((x) => ({ label: x.strategy, value: value(x), text: text(x), color: COLORS[x.strategy] }));
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="20" y="24" font-size="14" font-weight="bold">${escapeXml(`aqe validation benchmark: batched is ${r.speedUp.toFixed(1)}x faster per candidate (target ${r.speedUpTarget}x)`)}</text>`,
    `<text x="20" y="42" font-size="11" fill="#555">${escapeXml(`${s.candidates} candidates, repeatRuns ${s.repeatRuns}, ${s.workers} workers, editor ${s.editor}; ${r.machine.cpu}, ${r.machine.availableParallelism} CPUs, load avg ${r.machine.loadAverageStart.toFixed(2)}-${r.machine.loadAverageEnd.toFixed(2)}; ${r.startedAt}`)}</text>`,
    barPanel(
      20,
      76,
      width - 40,
      'Seconds per candidate (wall time / candidates)',
      bars(
        (x) => x.perCandidateMs / 1000,
        (x) => `${seconds(x.perCandidateMs)} s`
      )
    ),
    barPanel(
      20,
      176,
      width - 40,
      'Test runner processes started',
      bars(
        (x) => x.processes,
        (x) => `${x.processes} (${x.fileRuns} file runs)`
      )
    ),
    `<text x="20" y="${height - 14}" font-size="11" fill="${r.mismatches.length === 0 ? '#10ac84' : '#c0392b'}">${escapeXml(r.mismatches.length === 0 ? 'Verdicts agree between strategies.' : `VERDICT MISMATCH: ${r.mismatches.length} difference(s), see the JSON.`)}</text>`,
    '</svg>'
  ];
  return `${parts.join('\n')}\n`;
}
