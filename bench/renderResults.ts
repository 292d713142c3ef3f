import type { BenchResults, ThreadCondition } from './BenchResults.js';

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(bytes < 1e8 ? 1 : 0)} MB`;
const gbps = (bytesPerSecond: number): string => `${(bytesPerSecond / 1e9).toFixed(1)} GB/s`;
const tps = (n: number): string => n.toFixed(n < 10 ? 2 : 1);
const pct = (share: number): string => `${Math.round(share * 100)}%`;

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('   ')}`.trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The human-readable report printed at the end of a run. */
export function renderTable(r: BenchResults): string {
  const m = r.machine;
  const cpus = [
    `${m.availableParallelism} CPUs`,
    m.cgroupQuotaCpus !== undefined ? `cgroup quota ${m.cgroupQuotaCpus}` : '',
    m.physicalCores !== undefined ? `${m.physicalCores} physical cores` : ''
  ]
    .filter(Boolean)
    .join(', ');
  const out: string[] = [
    `aqe inference benchmark, ${r.startedAt} (${(r.durationMs / 1000).toFixed(0)} s)`,
    `Machine: ${m.cpu}, ${cpus}, ${mb(m.memoryBytes)} RAM; load average ${m.loadAverageStart.toFixed(2)} at start, ${m.loadAverageEnd.toFixed(2)} at end`,
    `node ${m.node}, node-llama-cpp ${m.nodeLlamaCpp}, backend ${m.backend}`,
    `Model: ${r.model.description} (${mb(r.model.bytes)}${r.model.generatedMs > 0 ? `, generated in ${(r.model.generatedMs / 1000).toFixed(1)} s` : ''})`,
    `Greedy decoding, ${r.settings.tokensPerRequest} tokens per request, best of ${r.settings.repeats}${r.settings.quick ? ' (--quick)' : ''}`,
    '',
    'Model load (page cache warm)',
    table(
      ['step', 'ms', 'note'],
      [
        ['read the whole file into memory', r.load.rawReadMs.toFixed(0), gbps(r.load.rawReadBytesPerSecond)],
        ['stream it through a 16 MB buffer', r.load.streamReadMs.toFixed(0), 'the page cache copy rate, a floor no load reaches'],
        ['llama.cpp loadModel (mmap)', r.load.modelLoadMs.toFixed(0), `${r.load.loadToReadRatio.toFixed(2)}x the raw read`],
        ['LocalLlamaProvider.load', r.load.providerLoadMs.toFixed(0), 'runtime, model, context, chat template']
      ]
    ),
    '',
    `Thread choice: one sequence's decode tokens/s at each fixed count and with the default (threads: 0, calibrated on the loaded model at each load); ${r.machine.availableParallelism} CPUs, ${r.threads.usableCpus} usable; "loaded" = a busy loop on one core`,
    table(
      ['model', 'size', 'condition', ...threadColumns(r).map((t) => `${t} thr`), 'default', 'chose', 'calibration', 'chosen/best', 'default run/best'],
      r.threads.byModel.flatMap((m) =>
        m.conditions.map((c) => [
          m.model,
          mb(m.bytes),
          c.condition,
          ...threadColumns(r).map((t) => {
            const p = c.points.find((x) => x.threads === t);
            return p ? tps(p.tokensPerSecond) : '-';
          }),
          tps(c.default.tokensPerSecond),
          c.default.chosen.join(', '),
          c.default.calibrationMs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', '),
          pct(c.chosenShareOfBest),
          pct(c.defaultShareOfBest)
        ])
      )
    ),
    '',
    'How each default load chose (calibration figures):',
    ...r.threads.byModel.flatMap((m) => m.conditions.flatMap((c) => c.default.descriptions.map((d) => `  ${m.model}, ${c.condition}: ${d}`))),
    '',
    `Parallel sequences in one context (${r.parallel.threads} thread${r.parallel.threads === 1 ? '' : 's'}), aggregate tokens/s`,
    table(
      ['sequences', 'api', 'aqe scheduler', 'node-llama-cpp direct', 'one at a time', 'scheduler/direct'],
      r.parallel.points.map((p) => [
        String(p.sequences),
        p.api,
        tps(p.scheduler),
        tps(p.direct),
        p.sequential !== undefined ? tps(p.sequential) : '-',
        pct(p.schedulerShareOfDirect)
      ])
    ),
    '',
    'Memory',
    table(
      ['figure', 'value'],
      [
        ['peak RSS, one provider loaded', mb(r.memory.peakRssBytes)],
        ['peak RSS, whole benchmark (model mapped twice)', mb(r.memory.peakRssOverallBytes)],
        [
          `read bandwidth, 1 / ${r.memory.readBandwidthBytesPerSecond.threads} threads`,
          `${gbps(r.memory.readBandwidthBytesPerSecond.oneThread)} / ${gbps(r.memory.readBandwidthBytesPerSecond.allThreads)}`
        ],
        ['weights read per decoded token', mb(r.memory.weightBytesPerToken)],
        ['decode bound = bandwidth / bytes per token', `${tps(r.memory.decodeBoundTokensPerSecond)} tokens/s`],
        ['best measured single-sequence decode', `${tps(r.memory.bestSingleSequenceTokensPerSecond)} tokens/s (${pct(r.memory.shareOfBound)} of the bound)`]
      ]
    ),
    '',
    ...r.verdicts.map((v) => `* ${v}`)
  ];
  return out.join('\n');
}

function threadColumns(r: BenchResults): number[] {
  return [...new Set(r.threads.byModel.flatMap((m) => m.conditions.flatMap((c) => c.points.map((p) => p.threads))))].sort((a, b) => a - b);
}

/** The main model's quiet measurements: the chart's decode panel. */
function mainQuiet(r: BenchResults): ThreadCondition | undefined {
  return r.threads.byModel.find((m) => m.bytes === r.model.bytes)?.conditions.find((c) => c.condition === 'quiet');
}

const escapeXml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Bar {
  label: string;
  value: number;
  color: string;
}

/** One bar chart panel: groups of bars with a value axis from 0 and the value printed on each bar. */
function barPanel(
  x: number,
  y: number,
  width: number,
  height: number,
  title: string,
  unit: string,
  groups: ReadonlyArray<{ label: string; bars: Bar[] }>,
  line?: { value: number; label: string }
): string {
  const max = Math.max(1e-9, line?.value ?? 0, ...groups.flatMap((g) => g.bars.map((b) => b.value))) * 1.15;
  const plotTop = y + 30;
  const plotHeight = height - 60;
  const groupWidth = width / Math.max(1, groups.length);
  const parts = [`<text x="${x}" y="${y + 14}" font-size="14" font-weight="bold">${escapeXml(title)}</text>`];
  parts.push(`<line x1="${x}" y1="${plotTop + plotHeight}" x2="${x + width}" y2="${plotTop + plotHeight}" stroke="#444"/>`);
  parts.push(`<text x="${x}" y="${plotTop - 4}" font-size="10" fill="#666">${escapeXml(unit)}</text>`);
  groups.forEach((group, gi) => {
    const barWidth = Math.min(48, (groupWidth - 16) / Math.max(1, group.bars.length));
    const start = x + gi * groupWidth + (groupWidth - barWidth * group.bars.length) / 2;
    group.bars.forEach((bar, bi) => {
      const h = (bar.value / max) * plotHeight;
      const bx = start + bi * barWidth;
      parts.push(
        `<rect x="${bx.toFixed(1)}" y="${(plotTop + plotHeight - h).toFixed(1)}" width="${(barWidth - 3).toFixed(1)}" height="${h.toFixed(1)}" fill="${bar.color}"><title>${escapeXml(`${group.label} ${bar.label}: ${tps(bar.value)} ${unit}`)}</title></rect>`
      );
      parts.push(
        `<text x="${(bx + (barWidth - 3) / 2).toFixed(1)}" y="${(plotTop + plotHeight - h - 3).toFixed(1)}" font-size="9" text-anchor="middle">${tps(bar.value)}</text>`
      );
    });
    parts.push(
      `<text x="${(x + gi * groupWidth + groupWidth / 2).toFixed(1)}" y="${plotTop + plotHeight + 14}" font-size="11" text-anchor="middle">${escapeXml(group.label)}</text>`
    );
  });
  if (line) {
    const ly = plotTop + plotHeight - (line.value / max) * plotHeight;
    parts.push(`<line x1="${x}" y1="${ly.toFixed(1)}" x2="${x + width}" y2="${ly.toFixed(1)}" stroke="#c0392b" stroke-dasharray="5,4"/>`);
    parts.push(`<text x="${x + width}" y="${(ly - 4).toFixed(1)}" font-size="10" text-anchor="end" fill="#c0392b">${escapeXml(line.label)}</text>`);
  }
  return parts.join('\n');
}

function legend(x: number, y: number, items: ReadonlyArray<{ label: string; color: string }>): string {
  return items
    .map(
      (item, i) =>
        `<rect x="${x + i * 170}" y="${y}" width="10" height="10" fill="${item.color}"/><text x="${x + i * 170 + 14}" y="${y + 9}" font-size="11">${escapeXml(item.label)}</text>`
    )
    .join('\n');
}

const COLORS = { scheduler: '#2e86de', direct: '#10ac84', sequential: '#aaaaaa', threads: '#5f27cd', best: '#ee5253' };

/** The results as an SVG: decode speed by thread count against the bandwidth bound, and parallel throughput. */
export function renderSvg(r: BenchResults): string {
  const width = 900;
  const height = 640;
  const complete = r.parallel.points.filter((p) => p.api === 'complete');
  const chat = r.parallel.points.filter((p) => p.api === 'chat');
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="20" y="24" font-size="14" font-weight="bold">${escapeXml(`aqe inference benchmark: ${r.model.description}, ${mb(r.model.bytes)}`)}</text>`,
    `<text x="20" y="42" font-size="11" fill="#555">${escapeXml(`${r.machine.cpu}, ${r.machine.availableParallelism} CPUs, load avg ${r.machine.loadAverageStart.toFixed(2)}-${r.machine.loadAverageEnd.toFixed(2)}; ${r.settings.tokensPerRequest} tokens/request, best of ${r.settings.repeats}; ${r.startedAt}`)}</text>`,
    barPanel(
      20,
      60,
      380,
      260,
      'One sequence, quiet: decode tokens/s by threads',
      'tokens/s',
      [
        ...(mainQuiet(r)?.points ?? []).map((p) => ({
          label: `${p.threads} thr`,
          bars: [{ label: 'decode', value: p.tokensPerSecond, color: COLORS.threads }]
        })),
        ...(mainQuiet(r)
          ? [
              {
                label: `default (${mainQuiet(r)!.default.chosen.join(', ')})`,
                bars: [{ label: 'decode', value: mainQuiet(r)!.default.tokensPerSecond, color: COLORS.direct }]
              }
            ]
          : [])
      ],
      { value: r.memory.decodeBoundTokensPerSecond, label: `bandwidth bound ${tps(r.memory.decodeBoundTokensPerSecond)}` }
    ),
    barPanel(
      440,
      60,
      440,
      260,
      'Default threads: chosen count, share of the best fixed count (quiet | loaded)',
      '% of best',
      r.threads.byModel.map((m) => ({
        label: mb(m.bytes),
        bars: m.conditions.map((c) => ({
          label: `${c.condition} chosen/best`,
          value: c.chosenShareOfBest * 100,
          color: c.chosenShareOfBest >= 0.9 ? COLORS.direct : COLORS.best
        }))
      })),
      { value: 90, label: '90%' }
    ),
    barPanel(
      20,
      350,
      chat.length > 0 ? 520 : 860,
      250,
      `Parallel sequences, complete(): aggregate tokens/s (${r.parallel.threads} thr)`,
      'tokens/s',
      complete.map((p) => ({
        label: `${p.sequences} seq`,
        bars: [
          { label: 'aqe scheduler', value: p.scheduler, color: COLORS.scheduler },
          { label: 'node-llama-cpp direct', value: p.direct, color: COLORS.direct },
          ...(p.sequential !== undefined ? [{ label: 'one at a time', value: p.sequential, color: COLORS.sequential }] : [])
        ]
      }))
    ),
    ...(chat.length > 0
      ? [
          barPanel(
            580,
            350,
            300,
            250,
            'Parallel sequences, chat()',
            'tokens/s',
            chat.map((p) => ({
              label: `${p.sequences} seq`,
              bars: [
                { label: 'aqe scheduler', value: p.scheduler, color: COLORS.scheduler },
                { label: 'LlamaChatSession direct', value: p.direct, color: COLORS.direct }
              ]
            }))
          )
        ]
      : []),
    legend(20, 615, [
      { label: 'aqe scheduler', color: COLORS.scheduler },
      { label: 'node-llama-cpp direct', color: COLORS.direct },
      { label: 'one at a time', color: COLORS.sequential },
      { label: 'decode, one sequence', color: COLORS.threads }
    ]),
    '</svg>'
  ];
  return `${parts.join('\n')}\n`;
}
