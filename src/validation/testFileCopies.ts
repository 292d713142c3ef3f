import path from 'node:path';

/**
 * Name of the k-th repetition copy of a test file, next to it (so its relative imports and
 * mocks resolve the same) and still matching the usual test patterns:
 * `src/a.aqe.test.ts` → `src/a.aqe.r2.test.ts`; `__tests__/a.ts` → `__tests__/a.r2.ts`.
 */
export function repetitionCopyName(testFile: string, k: number): string {
  const dir = path.posix.dirname(testFile);
  const base = path.posix.basename(testFile);
  const marker = base.search(/\.(test|spec)\.[cm]?[jt]sx?$/);
  const cut = marker >= 0 ? marker : base.search(/\.[cm]?[jt]sx?$/);
  const name = cut >= 0 ? `${base.slice(0, cut)}.r${k}${base.slice(cut)}` : `${base}.r${k}`;
  return dir === '.' ? name : `${dir}/${name}`;
}
