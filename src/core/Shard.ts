/**
 * One job's part of a run split across a job matrix (`shard: i/n`): the targets are divided
 * deterministically, so the n jobs of one pull request head together cover every target once.
 */
export interface ShardSpec {
  /** 1-based: the i of i/n. */
  index: number;
  count: number;
}

/** The most jobs a run may be split into (a GitHub matrix allows 256 jobs). */
export const MAX_SHARDS = 256;

export function shardLabel(shard: ShardSpec): string {
  return `${shard.index}/${shard.count}`;
}
