const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration such as "1h30m", "2.5s" or "250ms" into milliseconds. Units may repeat in
 * any order ("1m1m" is two minutes); a bare number is taken as milliseconds.
 */
export function parseDuration(text: string): number {
  const input = text.trim();
  if (input === '') {
    throw new SyntaxError('parseDuration: empty duration');
  }
  if (/^\d+(\.\d+)?$/.test(input)) {
    return Number(input);
  }
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = part.exec(input); match !== null; match = part.exec(input)) {
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    consumed = part.lastIndex;
  }
  if (consumed !== input.length) {
    throw new SyntaxError(`parseDuration: cannot read "${input.slice(consumed)}" in "${input}"`);
  }
  return total;
}

/** Whole seconds of a millisecond count, rounding half up. */
export function toSeconds(ms: number): number {
  return Math.round(ms / 1000);
}
