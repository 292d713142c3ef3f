import { randomBytes } from 'node:crypto';

/**
 * The runner reads its log as a command channel: a line that starts (after blanks) with `::`
 * (`::error::`, `::add-mask::`, `::stop-commands::`…) or carries the legacy `##[` form anywhere
 * is executed, not shown. Text from a pull request, a model or a test run may hold such lines
 * (a file name with a newline is enough), so it is written between `::stop-commands::<token>`
 * and `::<token>::`, the runner's own way to print text verbatim. The token is random, so the
 * text cannot end the pause early.
 */
const COMMAND_LINE = /(^|[\r\n])[ \t]*::|##\[/;

export function mayHoldWorkflowCommand(text: string): boolean {
  return COMMAND_LINE.test(text);
}

/** `text` as log lines the runner shows verbatim and never executes. */
export function verbatimLogText(text: string, token: string = randomBytes(16).toString('hex')): string {
  if (!mayHoldWorkflowCommand(text)) return text;
  // The token only has to be absent from the text; a collision with 128 random bits is theoretical, but cheap to rule out.
  while (text.includes(token)) token = randomBytes(16).toString('hex');
  return `::stop-commands::${token}\n${text}\n::${token}::`;
}
