import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InputError } from '../core/InputError.js';
import { verbatimLogText } from '../core/workflowCommands.js';

/**
 * What the subcommands with flags of their own (model, gpu, report) share: their arguments are
 * parsed apart from `aqe run`'s, a bad one is a usage error (exit 2) that names it, and what
 * they print is safe to print whatever it holds.
 */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs, strict, with --help; a flag it does not know is an InputError naming the command. */
export function parseCommandArgs<T extends Options>(command: string, argv: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: { ...options, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    throw new InputError(`aqe ${command}`, (error as Error).message.replace(/\.$/, ''), `Run aqe ${command} --help for its flags`);
  }
}

/**
 * Runs a subcommand and turns what it throws into the exit code: 2 for the user's input
 * (InputError), 1 for anything else (a download that failed, a file that cannot be read).
 */
export async function runCommand(task: () => Promise<number>): Promise<number> {
  try {
    return await task();
  } catch (error) {
    process.stderr.write(`aqe: ${printable(error instanceof Error ? error.message : String(error))}\n`);
    return error instanceof InputError ? EXIT_USAGE : EXIT_FAILURE;
  }
}

/** Writes to stdout; inside a GitHub Actions step no line of it can act as a workflow command. */
export function writeOut(text: string): void {
  process.stdout.write(process.env.GITHUB_ACTIONS === 'true' ? verbatimLogText(text) : text);
}

/** Text from a file or a server, without the control characters a terminal would act on. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
