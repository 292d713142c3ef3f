import { InputError } from '../core/InputError.js';
import { MAX_SHARDS, type ShardSpec } from '../core/Shard.js';

const FIX = `Write it as i/n, the job's number and the number of jobs, e.g. 2/4; in a matrix: shard: \${{ matrix.shard }}/4 with shard: [1, 2, 3, 4] (n at most ${MAX_SHARDS})`;

/** The shard input: '' = the whole run (null); else "i/n" with 1 <= i <= n <= 256. */
export function parseShard(input: string, text: string): ShardSpec | null {
  const t = text.trim();
  if (t === '') return null;
  const m = /^(\d{1,6})\s*\/\s*(\d{1,6})$/.exec(t);
  if (!m) throw new InputError(input, `"${JSON.stringify(t.length > 40 ? `${t.slice(0, 40)}…` : t).slice(1, -1)}" is not a shard`, FIX);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > MAX_SHARDS) throw new InputError(input, `${count} jobs is out of range`, FIX);
  if (index < 1 || index > count) {
    throw new InputError(
      input,
      `job ${index} of ${count} does not exist`,
      `Number the jobs from 1 to ${count} (not from 0: GitHub's strategy.job-index cannot be used), e.g. shard: [${Array.from({ length: Math.min(count, 4) }, (_, i) => i + 1).join(', ')}${count > 4 ? ', …' : ''}] in the matrix`
    );
  }
  return { index, count };
}
