import { realpathSync } from 'node:fs';
import path from 'node:path';

/** Node's installation prefix (shown read-only), and the Actions runner's directory when Node is the runner's own (hidden: it holds the runner's credentials). */
export function nodeInstallation(): { prefix: string; runnerRoot?: string } {
  let real = process.execPath;
  try {
    real = realpathSync(process.execPath);
  } catch {
    // keep the path as given
  }
  const prefix = path.dirname(path.dirname(real));
  const match = /^(.*)\/externals\/node\d+$/.exec(prefix);
  return match?.[1] ? { prefix, runnerRoot: match[1] } : { prefix };
}
