import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RawInputs } from '../config/parseRunOptions.js';
import { InputError } from '../core/InputError.js';
import type { RouterMode } from '../core/Routing.js';
import type { RunReport } from '../reporting/RunReport.js';
import { type AbComparison, compareRuns } from './abComparison.js';

/** One side of `aqe eval --ab`: which provider answers every target. */
export type EvalSide = { kind: 'local' } | { kind: 'cloud' } | { kind: 'replay'; file: string };

/** `local`, `cloud` or `replay:FILE`, as given to --a / --b. */
export function parseEvalSide(flag: '--a' | '--b', text: string, cwd: string): EvalSide {
  if (text === 'local' || text === 'cloud') return { kind: text };
  const replay = /^replay:(.+)$/.exec(text);
  if (replay) return { kind: 'replay', file: path.resolve(cwd, replay[1]!) };
  throw new InputError(
    flag,
    `"${text}" is not a provider to evaluate`,
    'Use local (the local model), cloud (the configured cloud or shared-server model) or replay:FILE (answers from a replay file)'
  );
}

export function sideLabel(side: EvalSide): string {
  return side.kind === 'replay' ? `replay:${path.basename(side.file)}` : side.kind;
}

/**
 * The inputs for one side's run: the routing mode that sends every target to that side, answers
 * from the replay file for a replay side, and accepted tests handed to a side's own artifact
 * folder, so an evaluation never writes into the repository.
 */
export function sideInputs(base: RawInputs, side: EvalSide, reportPath: string): RawInputs {
  const mode: RouterMode = side.kind === 'cloud' ? 'cloud-only' : 'local-only';
  const raw: RawInputs = { ...base, 'router-mode': mode, 'on-accepted': 'artifact', 'report-path': reportPath, escalate: 'false' };
  if (side.kind === 'replay') {
    raw['replay-file'] = side.file;
    raw['replay-mode'] = 'replay';
  } else if (base['replay-mode'] !== 'record') {
    // A replay file given for the whole evaluation would answer the local side too; only a replay side reads one.
    delete raw['replay-file'];
  }
  return raw;
}

/**
 * Runs the same targets through both sides, one after the other, and compares their verdicts.
 * `runSide` runs one whole pipeline with the given inputs and resolves to its report.
 */
export async function evaluateAb(
  sides: readonly [EvalSide, EvalSide],
  base: RawInputs,
  workDir: string,
  runSide: (raw: RawInputs, label: string) => Promise<RunReport>
): Promise<{ comparison: AbComparison; reportPath: string }> {
  const labels = sides.map(sideLabel);
  if (labels[0] === labels[1]) throw new InputError('--b', `both sides are ${labels[0]}`, 'Compare two different providers, e.g. --a local --b cloud');
  const reports: RunReport[] = [];
  for (const [i, side] of sides.entries()) {
    reports.push(await runSide(sideInputs(base, side, path.join(workDir, `eval-${i === 0 ? 'a' : 'b'}.json`)), labels[i]!));
  }
  const comparison = compareRuns({ label: labels[0]!, report: reports[0]! }, { label: labels[1]!, report: reports[1]! });
  const reportPath = path.join(workDir, 'eval-ab.json');
  await writeFile(reportPath, `${JSON.stringify(comparison, null, 2)}\n`);
  return { comparison, reportPath };
}
