/**
 * How a velocity limit is split into counter shards: the quotas add up to the
 * limit exactly (so the limit stays exact), and no shard is asked for more
 * than SHARD_QUOTA writes a second even if a window's whole limit is spent at once.
 */
import fc from 'fast-check';
import { MAX_SHARDS, SHARD_QUOTA, shardCount, shardQuota } from '../../functions/adapters/dynamodb-store/counters';

const quotas = (limit: number) => Array.from({ length: shardCount(limit) }, (_, shard) => shardQuota(limit, shardCount(limit), shard));

it('keeps small limits on one item', () => {
  expect(shardCount(1)).toBe(1);
  expect(shardCount(30)).toBe(1);
  expect(shardCount(SHARD_QUOTA)).toBe(1);
  expect(shardCount(SHARD_QUOTA + 1)).toBe(2);
});

it('splits a limit into quotas that add up to it exactly, none above SHARD_QUOTA until MAX_SHARDS is reached', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 10_000_000 }), (limit) => {
      const shares = quotas(limit);
      expect(shares.reduce((sum, share) => sum + share, 0)).toBe(limit);
      expect(shares.length).toBeLessThanOrEqual(MAX_SHARDS);
      expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
      if (shares.length < MAX_SHARDS) expect(Math.max(...shares)).toBeLessThanOrEqual(SHARD_QUOTA);
    }),
  );
});
