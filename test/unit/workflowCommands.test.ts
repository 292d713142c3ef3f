import { describe, expect, it } from '@jest/globals';
import { mayHoldWorkflowCommand, verbatimLogText } from '../../src/core/workflowCommands.js';
import { commandsTheRunnerWouldRun } from '../support/runnerCommands.js';

describe('verbatimLogText', () => {
  it('leaves ordinary text alone', () => {
    expect(verbatimLogText('skipped src/a.ts: a test file itself')).toBe('skipped src/a.ts: a test file itself');
  });

  it.each([
    ['a newline then ::error::', 'skipped src/evil\n::error::pwned.ts: not present'],
    ['leading blanks', 'x\n   ::add-mask::secret'],
    ['a carriage return', 'x\r::group::fake'],
    ['the legacy form anywhere', 'file ##[error]boom.ts'],
    ['a stop-commands of its own', 'x\n::stop-commands::abc\n::error::late']
  ])('pauses commands around text with %s, so none of it runs', (_, text) => {
    expect(mayHoldWorkflowCommand(text)).toBe(true);
    expect(commandsTheRunnerWouldRun(text).length).toBeGreaterThan(0);
    const out = verbatimLogText(text, 'tok');
    // Only our own pause runs, and the group after the text is still seen as one.
    expect(commandsTheRunnerWouldRun(`::group::before\n${out}\n::endgroup::`)).toEqual(['group', 'stop-commands', 'endgroup']);
    // The text itself is shown unchanged.
    expect(out).toContain(text);
  });

  it('picks another token when the text holds the one it was given', () => {
    const text = 'x\n::tok::\n::error::boom';
    const out = verbatimLogText(text, 'tok');
    expect(out.startsWith('::stop-commands::tok\n')).toBe(false);
    expect(commandsTheRunnerWouldRun(out)).toEqual(['stop-commands']);
  });
});
