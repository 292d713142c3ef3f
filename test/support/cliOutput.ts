/**
 * Runs a CLI entry in this process and keeps what it wrote to stdout and stderr (also passed on
 * nowhere), so a test reads the exit code and the text the user would see.
 */
export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

export async function captureCli(run: () => Promise<number>): Promise<CliOutcome> {
  const out: string[] = [];
  const err: string[] = [];
  const writeOut = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  const originalError = console.error;
  process.stdout.write = ((chunk: string | Uint8Array) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => (err.push(String(chunk)), true)) as typeof process.stderr.write;
  // consoleLogger writes through console.error, which jest routes around process.stderr.
  console.error = (...parts: unknown[]) => void err.push(`${parts.map(String).join(' ')}\n`);
  try {
    const code = await run();
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    console.error = originalError;
  }
}
