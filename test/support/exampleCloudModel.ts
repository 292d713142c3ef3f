import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { examplesDir } from '../../src/core/packageRoot.js';
import type { AnthropicReply, RecordedAnthropicRequest } from './fakeAnthropicApi.js';

/** What the fake cloud model writes for the example's math.ts: a test of lerp, which the demo model's answer (about strings.ts) lacks. */
export const LERP_ANSWER = [
  'Here is a jest test file for `src/math.ts`:',
  '',
  '```ts',
  "import { describe, expect, it } from '@jest/globals';",
  "import { lerp } from '../src/math';",
  '',
  "describe('lerp', () => {",
  "  it('interpolates between a and b', () => {",
  '    expect(lerp(0, 10, 0.5)).toBe(5);',
  '  });',
  '',
  "  it('clamps t to [0, 1]', () => {",
  '    expect(lerp(0, 10, 2)).toBe(10);',
  '    expect(lerp(0, 10, -1)).toBe(0);',
  '  });',
  '});',
  '```',
  ''
].join('\n');

/** The demo model's answer: the example's test of strings.ts. */
export function stringsAnswer(): Promise<string> {
  return readFile(path.join(examplesDir(), 'ts-lib.demo-answer.md'), 'utf8');
}

/** The user text of a recorded Messages API request (plain or in cache-marked blocks). */
export function promptText(request: RecordedAnthropicRequest): string {
  const body = request.body as { messages?: Array<{ content: string | Array<{ text?: string }> }> };
  return (body.messages ?? []).map((m) => (typeof m.content === 'string' ? m.content : m.content.map((b) => b.text ?? '').join(''))).join('\n');
}

/**
 * The fake cloud model for the example pull request: a good test for whichever file the prompt is
 * about, and a 400 for a prompt about anything else (a request the test did not expect).
 */
export async function exampleCloudModel(): Promise<(request: RecordedAnthropicRequest) => AnthropicReply> {
  const strings = await stringsAnswer();
  return (request) => {
    const user = promptText(request);
    if (user.includes('src/strings.ts')) return { kind: 'message', text: strings };
    if (user.includes('src/math.ts')) return { kind: 'message', text: LERP_ANSWER };
    return { kind: 'error', status: 400, type: 'invalid_request_error', message: 'unexpected prompt' };
  };
}
