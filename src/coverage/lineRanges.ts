/** [3,4,5,9] → "3-5, 9" */
export function compressRanges(lines: readonly number[]): string {
  const parts: string[] = [];
  let start = lines[0];
  let prev = lines[0];
  for (const n of [...lines.slice(1), Number.NaN]) {
    if (n === prev! + 1) {
      prev = n;
      continue;
    }
    parts.push(start === prev ? `${start}` : `${start}-${prev}`);
    start = prev = n;
  }
  return lines.length === 0 ? '' : parts.join(', ');
}
