import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTypeScript, type TypeScriptApi } from '../../../src/analysis/loadTypeScript.js';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * The compiler API the analysis tests run against, loaded the way the action loads it: this
 * project's own, or the one installed above AQE_TEST_TYPESCRIPT_DIR, to check an older compiler
 * (the analysis supports 4.0 and later).
 */
export async function projectTypeScript(): Promise<TypeScriptApi> {
  const from = process.env.AQE_TEST_TYPESCRIPT_DIR || PROJECT_ROOT;
  const ts = await loadTypeScript(from);
  if (!ts) throw new Error(`typescript is not installed above ${from}; run npm ci`);
  return ts;
}
