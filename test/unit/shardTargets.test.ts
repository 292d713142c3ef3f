import { describe, expect, it } from '@jest/globals';
import { parseShard } from '../../src/config/parseShard.js';
import { InputError } from '../../src/core/InputError.js';
import { shardTargets } from '../../src/targets/shardTargets.js';
import { thrown } from '../support/thrown.js';

/** Target lists of the shapes pull requests have: none, fewer than the shards, several packages, many. */
const TARGET_SETS: readonly string[][] = [
  [],
  ['src/a.ts'],
  ['src/math.ts', 'src/strings.ts'],
  ['packages/web/src/z.ts', 'packages/core/src/b.ts', 'packages/core/src/a.ts', 'src/index.ts', 'packages/web/src/y.ts'],
  Array.from({ length: 103 }, (_, i) => `packages/p${i % 7}/src/file${(i * 37) % 103}.ts`),
  // Upper-case sorts before lower-case by code unit, on every machine whatever its locale.
  ['src/Zeta.ts', 'src/alpha.ts', 'src/Émile.ts', 'src/beta.ts']
];

/** A fixed shuffle (a seeded LCG), so the "API order" differs from the sorted one and the test is repeatable. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('shardTargets', () => {
  it.each([1, 2, 3, 4, 7, 16, 256])('puts every target into exactly one of %i shards, balanced within one', (count) => {
    for (const targets of TARGET_SETS) {
      const shards = Array.from({ length: count }, (_, i) => shardTargets(targets, { index: i + 1, count }));
      expect(shards.flat().sort()).toEqual([...targets].sort());
      expect(new Set(shards.flat()).size).toBe(targets.length);
      const sizes = shards.map((s) => s.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('gives the same split whatever order the files were listed in', () => {
    for (const targets of TARGET_SETS) {
      for (const count of [2, 3, 5]) {
        for (let index = 1; index <= count; index++) {
          const reference = shardTargets(targets, { index, count });
          for (const seed of [1, 2, 3]) expect(shardTargets(shuffled(targets, seed), { index, count })).toEqual(reference);
        }
      }
    }
  });

  it('cuts the sorted list into contiguous blocks, so one package stays in as few shards as balance allows', () => {
    const targets = TARGET_SETS[3]!;
    expect([1, 2].map((index) => shardTargets(targets, { index, count: 2 }))).toEqual([
      ['packages/core/src/a.ts', 'packages/core/src/b.ts'],
      ['packages/web/src/y.ts', 'packages/web/src/z.ts', 'src/index.ts']
    ]);
    expect(shardTargets(TARGET_SETS[5]!, { index: 1, count: 2 })).toEqual(['src/Zeta.ts', 'src/alpha.ts']);
  });

  it('leaves a shard empty only when there are fewer targets than shards', () => {
    const shards = [1, 2, 3, 4].map((index) => shardTargets(['src/math.ts', 'src/strings.ts'], { index, count: 4 }));
    expect(shards.filter((s) => s.length === 0)).toHaveLength(2);
    expect(shardTargets(['a.ts', 'b.ts', 'c.ts', 'd.ts'], { index: 3, count: 4 })).toEqual(['c.ts']);
  });

  it('is the whole list for 1/1, and does not reorder or change its input', () => {
    const targets = ['src/b.ts', 'src/a.ts'];
    expect(shardTargets(targets, { index: 1, count: 1 })).toEqual(['src/a.ts', 'src/b.ts']);
    expect(targets).toEqual(['src/b.ts', 'src/a.ts']);
  });
});

describe('parseShard', () => {
  it('reads i/n, with spaces around the slash, and nothing as no shard', () => {
    expect(parseShard('shard', '2/4')).toEqual({ index: 2, count: 4 });
    expect(parseShard('shard', ' 1 / 1 ')).toEqual({ index: 1, count: 1 });
    expect(parseShard('shard', '256/256')).toEqual({ index: 256, count: 256 });
    expect(parseShard('shard', '')).toBeNull();
  });

  it.each([
    ['2', /^Input "shard": "2" is not a shard\. Write it as i\/n/],
    ['2 of 4', /"2 of 4" is not a shard/],
    ['-1/4', /"-1\/4" is not a shard/],
    ['1.5/4', /is not a shard/],
    ['0/4', /job 0 of 4 does not exist\. Number the jobs from 1 to 4 \(not from 0/],
    ['5/4', /job 5 of 4 does not exist/],
    ['1/0', /0 jobs is out of range/],
    ['1/257', /257 jobs is out of range.*n at most 256/],
    ['1/4\n::error::x', /"1\/4\\n::error::x" is not a shard/]
  ])('refuses %j, naming the input and how to write it', (text, message) => {
    expect(thrown(InputError, () => parseShard('shard', text)).message).toMatch(message);
  });

  it('names the flag it was given as', () => {
    expect(thrown(InputError, () => parseShard('--shard', '3')).message).toMatch(/^Input "--shard": /);
  });
});
