import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { extractUnits } from '../analysis/extractUnits.js';
import type { TypeScriptApi } from '../analysis/loadTypeScript.js';
import { summarizeImports } from '../analysis/summarizeImports.js';
import type { CoverageData } from '../coverage/CoverageData.js';
import type { TargetFocus } from '../generation/generateCandidates.js';
import type { RouteTask } from '../routing/HybridRouter.js';

/** Answers a source file is sent to the model with, in characters, besides the source (instructions, example, signatures). */
const PROMPT_OVERHEAD_CHARS = 6000;

/**
 * What the prompt for a target concentrates on: the changed lines the suite leaves uncovered,
 * the changed units with their complexity, and the signatures of what the file imports.
 */
export async function focusOn(
  target: string,
  repoDir: string,
  changedLines: number[] | undefined,
  baseline: CoverageData,
  typescript: TypeScriptApi | undefined
): Promise<{ focus: TargetFocus; sourceChars: number }> {
  const uncovered = baseline.uncoveredLines(target);
  const changed = changedLines ? new Set(changedLines) : undefined;
  // A file no test loads has no baseline data: every changed line is uncovered.
  const focus: TargetFocus = { uncoveredLines: baseline.counts(target) ? uncovered.filter((l) => !changed || changed.has(l)) : (changedLines ?? []) };
  const text = await readFile(path.join(repoDir, target), 'utf8').catch(() => undefined);
  if (text === undefined || !typescript) return { focus, sourceChars: text?.length ?? 0 };
  const units = extractUnits(typescript, target, text, changedLines).filter((u) => u.changed && u.exported && u.kind !== 'class');
  focus.changedUnits = units.map((u) => ({ name: u.name, signature: u.signature, complexity: u.complexity, lines: u.linesOfCode }));
  const imports = summarizeImports(typescript, path.join(repoDir, target), text, { rootDir: repoDir });
  if (imports.text) focus.importSignatures = imports.text;
  return { focus, sourceChars: text.length };
}

/**
 * What the router decides a target by: its changed units (complexity, size) and a first estimate of
 * the prompt (the exact count is taken on the request itself, before any money is committed).
 */
export function routeTaskOf(target: string, focus: TargetFocus, sourceChars: number, maxTokens: number): RouteTask {
  return {
    target,
    units: (focus.changedUnits ?? []).map((u) => ({ name: u.name, complexity: u.complexity, lines: u.lines })),
    estimatedPromptTokens: Math.ceil((sourceChars + PROMPT_OVERHEAD_CHARS) / 3),
    maxTokens
  };
}
