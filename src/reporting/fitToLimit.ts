/**
 * GitHub caps what a report may weigh (65,536 characters per comment, 1 MiB per job summary).
 * Rather than cutting the markdown blindly, a renderer is asked for progressively less
 * per-file detail until its output fits; only if even the leanest rendering is too big is
 * the text cut, by the caller, as a last resort.
 */

export interface DetailLevel {
  /** 0 for the full rendering; anything higher means something was left out and the reader should be told. */
  index: number;
  /** Rows per per-file table or list (files, rejections, skipped, warnings); Infinity for all. */
  maxItems: number;
  /** Free-text reasons are cut to this many characters. */
  maxReasonChars: number;
  /** False drops the per-file sections altogether, leaving the totals and a pointer to the JSON report. */
  perFileSections: boolean;
}

/**
 * The order in which detail is given up: first the length of reasons (cheap to lose), then
 * half the rows at a time, then the per-file sections themselves.
 */
export function detailLadder(itemCount: number, reasonCaps: readonly number[]): DetailLevel[] {
  if (reasonCaps.length === 0) throw new Error('detailLadder needs at least one reason cap');
  const levels: Array<Omit<DetailLevel, 'index'>> = reasonCaps.map((cap) => ({
    maxItems: Infinity,
    maxReasonChars: cap,
    perFileSections: true
  }));
  const shortest = reasonCaps[reasonCaps.length - 1];
  for (let rows = Math.floor(itemCount / 2); rows >= 1; rows = Math.floor(rows / 2)) {
    levels.push({ maxItems: rows, maxReasonChars: shortest, perFileSections: true });
  }
  levels.push({ maxItems: 0, maxReasonChars: shortest, perFileSections: false });
  return levels.map((level, index) => ({ ...level, index }));
}

export interface FitResult {
  text: string;
  level: DetailLevel;
  fits: boolean;
}

/**
 * Renders at each level in turn and returns the first that fits. When none does, returns the
 * leanest rendering with `fits: false` so the caller can apply its own hard cut (it knows
 * what must survive, e.g. the sticky-comment marker).
 */
export function renderToFit(levels: readonly DetailLevel[], render: (level: DetailLevel) => string, fits: (text: string) => boolean): FitResult {
  let last: FitResult | undefined;
  for (const level of levels) {
    const text = render(level);
    if (fits(text)) return { text, level, fits: true };
    last = { text, level, fits: false };
  }
  if (!last) throw new Error('renderToFit needs at least one level');
  return last;
}
