import { compressRanges } from '../coverage/lineRanges.js';
import type { TestPlacement } from './TestLayout.js';

export interface PromptInput {
  framework: 'jest' | 'vitest';
  sourceFile: string;
  source: string;
  placement: TestPlacement;
  /** An existing test of the repository, shown as the style to follow. */
  example?: { file: string; content: string };
  /** Lines to cover first: the changed lines no test reaches (or all uncovered lines when changes are unknown). */
  uncoveredLines: readonly number[];
  /** Exported functions and methods the pull request changed, with how branchy each is. */
  changedUnits?: ReadonlyArray<{ name: string; signature: string; complexity: number }>;
  /** Signatures of what the file imports from the repository, so tests can build their inputs. */
  importSignatures?: string;
  /** Largest prompt the model's context leaves room for, in characters. */
  maxChars: number;
}

export interface Prompt {
  system: string;
  user: string;
}

const SYSTEM = [
  'You are a senior engineer who writes focused, deterministic unit tests.',
  'Answer with exactly one fenced code block holding a complete test file and nothing else.',
  'Test only behaviour visible in the given source; do not invent functions or options it does not have.',
  'Every test must assert something. No network, no timers left running, no reliance on the current date or random values.'
].join(' ');

/**
 * The request for one source file. Parts are added in order of value and the least valuable
 * (the style example, then the imported signatures, then the tail of the source) are cut first
 * when the context is small.
 */
export function buildPrompt(input: PromptInput): Prompt {
  const { placement } = input;
  const header = [
    `Write ${input.framework} tests for \`${input.sourceFile}\`.`,
    `The test file will be saved as \`${placement.testFile}\`; import the module under test from '${placement.importSpecifier}'.`,
    input.uncoveredLines.length > 0
      ? `These lines are not covered by the existing tests; cover them first: ${compressRanges(input.uncoveredLines)}.`
      : 'Cover every exported function, including error paths and edge cases.',
    ...(input.changedUnits && input.changedUnits.length > 0
      ? [
          `The pull request changed: ${input.changedUnits.map((u) => `\`${u.name}\``).join(', ')}. Test each of them, one case per branch${input.changedUnits.some((u) => u.complexity > 1) ? ' (complexity in brackets below)' : ''}:`,
          ...input.changedUnits.map((u) => `- ${u.signature}${u.complexity > 1 ? ` [${u.complexity}]` : ''}`)
        ]
      : []),
    importAdvice(input)
  ].join('\n');
  const sourceBlock = (text: string): string => `\nSource of \`${input.sourceFile}\`:\n\`\`\`${fenceLang(input.sourceFile)}\n${text}\n\`\`\`\n`;
  const exampleBlock = input.example
    ? `\nAn existing test in this repository (\`${input.example.file}\`), for style:\n\`\`\`${fenceLang(input.example.file)}\n${input.example.content}\n\`\`\`\n`
    : '';
  const importsBlock = input.importSignatures ? `\nSignatures of what it imports from the repository:\n\`\`\`ts\n${input.importSignatures}\n\`\`\`\n` : '';
  const budget = input.maxChars - SYSTEM.length - header.length;
  let source = input.source;
  let example = exampleBlock;
  let imports = importsBlock;
  if (sourceBlock(source).length + imports.length + example.length > budget) example = '';
  if (sourceBlock(source).length + imports.length > budget) imports = '';
  if (sourceBlock(source).length > budget) {
    source = `${source.slice(0, Math.max(0, budget - 200))}\n// … (truncated to fit the model's context)`;
  }
  return { system: SYSTEM, user: `${header}\n${sourceBlock(source)}${imports}${example}` };
}

/**
 * The follow-up after a candidate failed: the original request, the file the model wrote and
 * what went wrong, asking for the whole corrected file. Stateless (a fresh chat), so replay files
 * can key it by target like the first answer.
 */
export function buildRepairPrompt(original: Prompt, testFile: string, previousCode: string, failure: string): Prompt {
  const user = [
    original.user,
    `\nYour previous answer, saved as \`${testFile}\`:\n\`\`\`${fenceLang(testFile)}\n${previousCode}\n\`\`\``,
    `\nIt was run and did not pass:\n\`\`\`text\n${failure}\n\`\`\``,
    '\nWrite the corrected complete test file. Fix or drop the tests that failed; keep the ones that passed. Do not change what the source does: if a test expected behaviour the source does not have, test what the source really does.'
  ].join('\n');
  return { system: original.system, user };
}

function importAdvice(input: PromptInput): string {
  if (input.framework === 'vitest') {
    return input.example && !/from ['"]vitest['"]/.test(input.example.content)
      ? 'Use the vitest globals (describe, it, expect) as the existing tests do.'
      : "Import describe, it, expect (and vi when you need mocks) from 'vitest'.";
  }
  return input.example && /@jest\/globals/.test(input.example.content)
    ? "Import describe, it and expect from '@jest/globals' as the example does."
    : 'Use the jest globals (describe, it, expect) as the existing tests do.';
}

function fenceLang(file: string): string {
  return /\.[cm]?tsx?$/.test(file) ? 'ts' : 'js';
}
