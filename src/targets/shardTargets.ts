import type { ShardSpec } from '../core/Shard.js';

/**
 * This shard's part of the run's targets. The targets are sorted (by UTF-16 code units, the same
 * on every machine and locale, whatever order the API listed the files in) and cut into `count`
 * contiguous blocks whose sizes differ by at most one; shard i takes block i.
 *
 * Contiguous blocks rather than round-robin or a hash: blocks are exactly as balanced as
 * round-robin, while a hash leaves shards uneven at the few targets a pull request has; and
 * neighbours in path order mostly share a package, so a package's baseline suite runs in as
 * few jobs as balance allows, never at balance's expense.
 */
export function shardTargets(targets: readonly string[], shard: ShardSpec): string[] {
  const sorted = [...targets].sort(compareCodeUnits);
  const start = Math.floor(((shard.index - 1) * sorted.length) / shard.count);
  const end = Math.floor((shard.index * sorted.length) / shard.count);
  return sorted.slice(start, end);
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
