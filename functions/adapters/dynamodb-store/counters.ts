/**
 * Velocity counters: at most `limit` events per subject in each fixed window,
 * one conditional write per event, and never inside a transaction.
 *
 * Why not in a transaction: DynamoDB cancels a transaction whose item is part of
 * another transaction in progress (Developer Guide, "Transaction conflict
 * handling"), and a team's backend is one caller, so its counter (and the
 * deployment's ceiling) is in every concurrent send. Plain conditional updates
 * of one item are serialised by DynamoDB instead of refused, so a burst waits
 * a few milliseconds rather than failing.
 *
 * Why shards: one item takes at most 1 000 write units a second (the per-partition
 * limit). A limit is split into `ceil(limit / SHARD_QUOTA)` shards (at most
 * MAX_SHARDS), whose quotas add up to the limit exactly, so a window's whole
 * limit can be spent within one second without any item taking more than
 * SHARD_QUOTA writes. An event goes to a random shard and, when that one is
 * full, to the next, so the limit stays exact: an event is refused only when
 * every shard has refused it. The price is one write per full shard tried,
 * paid only once the window's limit is nearly spent.
 *
 * A count whose answer was lost is counted again (a limit one stricter is
 * safe; one looser is not), and a refund whose answer was lost is not given
 * again (a refund applied twice would loosen the limit).
 *
 * Item per limit, subject, window and shard, key
 * `velocity#<kind>#<subject>#<window number>#<shard>`: count, expiresAt.
 */
import type { VelocityKind, VelocityLimit } from '../../core/ports';
import { keyOf, n, pick, RETENTION_MARGIN_MS, secondsOf, TableWriteError, type Table, type UpdateParams } from './table';

/** Most writes one shard is asked to take in a second when its whole quota is spent at once: half an item's 1 000. */
export const SHARD_QUOTA = 500;
export const MAX_SHARDS = 64;

export function shardCount(limit: number): number {
  return Math.min(MAX_SHARDS, Math.max(1, Math.ceil(limit / SHARD_QUOTA)));
}

/** Shard `shard`'s share of `limit`: the shares of all shards add up to `limit`. */
export function shardQuota(limit: number, shards: number, shard: number): number {
  return Math.floor(limit / shards) + (shard < limit % shards ? 1 : 0);
}

/** Where one event was counted: the counter item's key. Refunding it gives exactly that count back. */
export type CountedSlot = string;

export type CountOutcome = { counted: CountedSlot[] } | { exhausted: VelocityKind; counted: [] };

/**
 * Counts one event against every limit, at once. If one is exhausted, gives
 * back what the others counted and names it; if a write fails, gives back what
 * was counted and throws (a TableWriteError `unknown` when the failed count may
 * have been taken, or a count could not be given back).
 */
export async function countEach(table: Table, limits: readonly VelocityLimit[], now: number): Promise<CountOutcome> {
  const outcomes = await Promise.allSettled(limits.map((limit) => countOne(table, limit, now)));
  const counted = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' && outcome.value ? [outcome.value] : []));
  const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  const exhausted = limits.find((_, i) => outcomes[i]!.status === 'fulfilled' && outcomes[i]!.value === undefined);
  if (failure) {
    // The caller answers "nothing changed" for a failure that applied nothing, so a count left taken by a lost refund
    // makes the failure one that may have changed something.
    const refunded = await refundEach(table, counted).then(() => true, () => false);
    if (!refunded && !(failure.reason instanceof TableWriteError && failure.reason.applied === 'unknown')) {
      throw new TableWriteError('unknown', { cause: failure.reason });
    }
    throw failure.reason;
  }
  if (exhausted) {
    await refundEach(table, counted).catch(() => undefined); // a refusal; a count left taken is only stricter
    return { exhausted: exhausted.kind, counted: [] };
  }
  return { counted };
}

/** Gives back counted events; each refund is right on its own, so one failing does not stop the others. */
export async function refundEach(table: Table, slots: readonly CountedSlot[]): Promise<void> {
  const outcomes = await Promise.allSettled(slots.map((slot) => table.update(refundUpdate(slot), { repeat: 'once' })));
  const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failure) throw failure.reason;
}

/** Counts one event in a shard with room, starting at a random one; undefined when every shard is full. */
async function countOne(table: Table, limit: VelocityLimit, now: number): Promise<CountedSlot | undefined> {
  const window = Math.floor(now / limit.windowMs);
  const windowEnds = (window + 1) * limit.windowMs;
  const shards = shardCount(limit.limit);
  const first = Math.floor(Math.random() * shards);
  for (let tried = 0; tried < shards; tried++) {
    const shard = (first + tried) % shards;
    const quota = shardQuota(limit.limit, shards, shard);
    if (quota === 0) continue;
    const slot = `velocity#${limit.kind}#${limit.subject}#${window}#${shard}`;
    const { written } = await table.update(
      {
      Key: keyOf(slot),
      UpdateExpression: 'ADD #count :one SET #expiresAt = :expiresAt',
      ConditionExpression: 'attribute_not_exists(#count) OR #count < :quota',
      ExpressionAttributeNames: pick(['#count', '#expiresAt']),
      ExpressionAttributeValues: { ':one': n(1), ':quota': n(quota), ':expiresAt': secondsOf(windowEnds + RETENTION_MARGIN_MS) },
      },
      { repeat: 'conservative' },
    );
    if (written) return slot;
  }
  return undefined;
}

function refundUpdate(slot: CountedSlot): UpdateParams {
  return {
    Key: keyOf(slot),
    UpdateExpression: 'ADD #count :minusOne',
    ConditionExpression: '#count > :zero',
    ExpressionAttributeNames: pick(['#count']),
    ExpressionAttributeValues: { ':minusOne': n(-1), ':zero': n(0) },
  };
}
