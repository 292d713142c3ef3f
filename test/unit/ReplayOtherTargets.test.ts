import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { ReplayProvider, type ReplayEntry } from '../../src/inference/ReplayProvider.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aqe-replay-targets-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function open(
  name: string,
  lines: Array<ReplayEntry | { promptKey: string; promptTokens: number }>
): Promise<{ file: string; provider: ReplayProvider }> {
  const file = path.join(dir, name);
  await writeFile(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  return { file, provider: await ReplayProvider.open(file) };
}

describe('ReplayProvider.otherTargetsWarning', () => {
  it('says nothing when every line answers for a target (file#unit counts as its file)', async () => {
    const { provider } = await open('fine.jsonl', [
      { target: 'src/a.ts', response: { text: 'a' } },
      { target: 'src/a.ts#lerp', response: { text: 'a2' } },
      { key: 'k1', target: 'pkg/src/b.ts', response: { text: 'b' } },
      { promptKey: 'p', promptTokens: 12 }
    ]);
    expect(provider.otherTargetsWarning(['src/a.ts', 'pkg/src/b.ts'])).toBeUndefined();
  });

  it("lists, once, the lines for files that are not targets, with their line numbers and the run's targets", async () => {
    const { file, provider } = await open('typo.jsonl', [
      { target: 'src/strings.ts', response: { text: 'ok' } },
      { promptKey: 'p', promptTokens: 3 },
      { target: 'src/string.ts', response: { text: 'typo' } },
      { target: 'src/string.ts', response: { text: 'typo repair' } },
      { key: 'k', target: 'src/old.ts#unit', response: { text: 'recorded for another change' } }
    ]);
    expect(provider.otherTargetsWarning(['src/strings.ts', 'src/math.ts'])).toBe(
      `replay-file: 3 lines of ${file} answer for files that are not targets of this run and are ignored: "src/string.ts" (lines 3, 4), "src/old.ts" (line 5). ` +
        'A line\'s "target" must be a changed source file this run generates tests for, relative to working-directory (this run\'s: "src/strings.ts", "src/math.ts").'
    );
  });

  it('keeps a long list short', async () => {
    const lines = Array.from({ length: 14 }, (_, i) => ({ target: `src/f${i}.ts`, response: { text: 'x' } }));
    const { provider } = await open('many.jsonl', lines);
    const warning = provider.otherTargetsWarning(['src/other.ts'])!;
    expect(warning).toContain('"src/f9.ts" (line 10) and 4 more.');
    expect(warning).not.toContain('src/f10.ts');
  });

  it('quotes targets so that odd characters in a hand-written file stay visible and inert', async () => {
    const { provider } = await open('odd.jsonl', [{ target: 'src/a.ts\n::error::x', response: { text: 'x' } }]);
    const warning = provider.otherTargetsWarning(['src/a.ts'])!;
    expect(warning).toContain('"src/a.ts\\n::error::x" (line 1)');
    expect(warning).not.toContain('\n');
  });
});
