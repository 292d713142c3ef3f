import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { hasOwnCode } from '../analysis/moduleStatements.js';
import type { ChangedFile } from '../repo/ChangedFile.js';

export { hasOwnCode };

export interface TargetSelection {
  targets: string[];
  skipped: Array<{ file: string; reason: string }>;
}

const SOURCE_EXTENSIONS = new Set(['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs']);
const TEST_FILE = /(^|\/)(__tests__|__mocks__|test|tests|spec|e2e)\/|\.(test|spec|e2e)\.[cm]?[jt]sx?$/;
const NOT_OURS = /(^|\/)(node_modules|vendor|third_party|dist|build|out|coverage|\.next|__generated__|generated)\//;
const CONFIG_FILE = /(^|\/)[^/]*\.config\.[cm]?[jt]s$|(^|\/)\.[^/]*rc\.[cm]?[jt]s$/;

/**
 * Picks the changed files worth generating tests for: existing JavaScript/TypeScript sources
 * with code of their own. Everything else is listed with the reason it was left out, so the
 * report accounts for every changed file.
 */
export function selectTargets(repoDir: string, changed: readonly ChangedFile[]): TargetSelection {
  const targets: string[] = [];
  const skipped: TargetSelection['skipped'] = [];
  for (const { filename, status } of changed) {
    const reason = skipReason(repoDir, filename, status);
    if (reason) skipped.push({ file: filename, reason });
    else targets.push(filename);
  }
  targets.sort();
  return { targets, skipped };
}

function skipReason(repoDir: string, file: string, status: ChangedFile['status']): string | undefined {
  if (status === 'removed') return 'removed by the pull request';
  if (!SOURCE_EXTENSIONS.has(path.extname(file))) return 'not a JavaScript/TypeScript source file';
  if (/\.d\.[cm]?ts$/.test(file)) return 'type declarations only';
  if (/\.min\.js$/.test(file) || NOT_OURS.test(file)) return 'vendored, generated or build output';
  if (TEST_FILE.test(file)) return 'a test file itself';
  if (CONFIG_FILE.test(file)) return 'a tool configuration file';
  const full = path.join(repoDir, file);
  if (!existsSync(full)) return 'not present in the checkout (check out the pull request head before this step)';
  if (!hasOwnCode(readFileSync(full, 'utf8'))) return 'only re-exports or type declarations, nothing to execute';
  return undefined;
}
