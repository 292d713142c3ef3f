/**
 * Pulls the test file out of a model's answer. Models wrap code in fences, add prose before and
 * after, emit several blocks, or stop mid-block at the token limit; each of those still yields
 * the code when there is any.
 */
export function extractCode(answer: string): string | undefined {
  const blocks = fencedBlocks(answer);
  const scored = blocks.map((code) => ({ code, score: testLikeness(code) * 1_000_000 + code.length })).sort((a, b) => b.score - a.score);
  const best = scored[0]?.code ?? unfenced(answer);
  if (best === undefined) return undefined;
  const code = best.replace(/\s+$/, '');
  return testLikeness(code) > 0 ? `${code}\n` : undefined;
}

const FENCE = /^[ \t]*(`{3,}|~{3,})[ \t]*([\w+-]*)[^\n]*$/gm;
const CODE_LANGS = new Set(['', 'ts', 'typescript', 'tsx', 'js', 'javascript', 'jsx', 'mjs', 'cjs', 'mts', 'cts']);

function fencedBlocks(answer: string): string[] {
  const blocks: string[] = [];
  const fences = [...answer.matchAll(FENCE)];
  let i = 0;
  while (i < fences.length) {
    const open = fences[i]!;
    const lang = (open[2] ?? '').toLowerCase();
    const start = open.index! + open[0].length + 1;
    const close = fences.slice(i + 1).findIndex((f) => f[1]!.startsWith(open[1]!) && (f[2] ?? '') === '');
    if (close === -1) {
      // Unterminated: the answer was cut at the token limit; keep what is there.
      if (CODE_LANGS.has(lang)) blocks.push(answer.slice(start));
      break;
    }
    const closing = fences[i + 1 + close]!;
    if (CODE_LANGS.has(lang)) blocks.push(answer.slice(start, closing.index));
    i += close + 2;
  }
  return blocks;
}

/** No fences: drop prose lines before the first line that starts code. */
function unfenced(answer: string): string | undefined {
  const lines = answer.split('\n');
  const first = lines.findIndex((l) =>
    /^\s*(import\b|const\b|let\b|var\b|describe\s*\(|test\s*\(|it\s*\(|\/\/|\/\*|'use strict'|"use strict"|jest\.mock\s*\(|vi\.mock\s*\()/.test(l)
  );
  if (first === -1) return undefined;
  return lines.slice(first).join('\n');
}

/** Counts test declarations; zero means the text cannot be a test file. */
function testLikeness(code: string): number {
  return (code.match(/\b(it|test|describe)(\.each\([^)]*\))?\s*\(/g) ?? []).length;
}
