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
 * full, to another, so the limit stays exact: an event is refused only when
 * every shard is full.
 *
 * Why a refusal stays cheap: probing shard after shard would make each refused
 * event cost up to MAX_SHARDS writes for the rest of the window, exactly when an
 * attacker has used a limit up. So a shard that fills is recorded in the
 * window's `full` item (a set of shard numbers, written once per shard), and
 * when that set is complete every shard is marked `exhausted`. A refused write
 * returns its shard as it was: marked, the event is refused there and then (one
 * write); not yet marked, the `full` item names the shards still open, and only
 * those are tried. A container also remembers an exhausted limit (until its window
 * ends once it is marked, for EXHAUSTED_MEMO_MS before), so a stream of refused
 * requests costs no table request at all.
 *
 * A count whose answer was lost is counted again (a limit one stricter is
 * safe; one looser is not), and the count says so (`mayBeDoubled`); a refund
 * whose answer was lost is not given again (a refund applied twice would
 * loosen the limit). A refund into a window marked exhausted does not reopen
 * it: the limit is then stricter by those refunds, until the window ends.
 *
 * A prefix the conversion guard paused (functions/core/guard.ts) carries `pausedUntil` on its counter shards, written
 * off the request path (dynamodb-guard.ts): the count's own condition refuses it, so the pause costs no request.
 *
 * Items per limit, subject and window (key `velocity#<kind>#<subject>#<window number>#…`):
 *   …#<shard>   count, exhausted (once every shard is full), pausedUntil (ms: the guard's pause), expiresAt
 *   …#full      fullShards (number set), expiresAt
 */
import type { VelocityKind, VelocityLimit } from '../../core/ports';
import { keyOf, n, NAMES, pick, readNumber, RETENTION_MARGIN_MS, secondsOf, TableWriteError, type Table, type UpdateParams } from './table';

/** Most writes one shard is asked to take in a second when its whole quota is spent at once: half an item's 1 000. */
export const SHARD_QUOTA = 500;
export const MAX_SHARDS = 64;
/**
 * How long a container refuses a full limit without asking the table, when a refund elsewhere may reopen it (a
 * one-shard limit). A limit whose every shard is marked `exhausted` stays shut until its window ends (refunds do not
 * reopen it), and is remembered that long.
 */
export const EXHAUSTED_MEMO_MS = 1_000;

export function shardCount(limit: number): number {
  return Math.min(MAX_SHARDS, Math.max(1, Math.ceil(limit / SHARD_QUOTA)));
}

/** Shard `shard`'s share of `limit`: the shares of all shards add up to `limit`. */
export function shardQuota(limit: number, shards: number, shard: number): number {
  return Math.floor(limit / shards) + (shard < limit % shards ? 1 : 0);
}

/** Where one event was counted: the counter item's key. Refunding it gives exactly that count back. */
export type CountedSlot = string;

export type CountOutcome =
  /** `mayBeDoubled`: a count was repeated after its first answer was lost, so it may stand twice. */
  | { counted: CountedSlot[]; mayBeDoubled: boolean }
  | { exhausted: VelocityKind; counted: []; mayBeDoubled: false }
  /** The conversion guard paused the subject (a destination prefix) until then. */
  | { paused: VelocityKind; until: number; counted: []; mayBeDoubled: false };

/**
 * Limits this container found exhausted, per table and window: until when it refuses them without asking. Module
 * scope: it lives as long as the container, like the clients.
 */
const exhaustedMemos = new WeakMap<Table, Map<string, number>>();

function exhaustedMemo(table: Table): Map<string, number> {
  let memo = exhaustedMemos.get(table);
  if (!memo) exhaustedMemos.set(table, (memo = new Map()));
  return memo;
}

/**
 * Counts one event against every limit, at once. If one is exhausted, gives
 * back what the others counted and names it; if a write fails, gives back what
 * was counted and throws (a TableWriteError `unknown` when the failed count may
 * have been taken, or a count could not be given back).
 */
export async function countEach(table: Table, limits: readonly VelocityLimit[], now: number): Promise<CountOutcome> {
  const memo = exhaustedMemo(table);
  const remembered = limits.find((limit) => (memo.get(windowKey(limit, now)) ?? 0) > now);
  if (remembered) return { exhausted: remembered.kind, counted: [], mayBeDoubled: false };

  const outcomes = await Promise.allSettled(limits.map((limit) => countOne(table, limit, now)));
  const counted: CountedSlot[] = [];
  let mayBeDoubled = false;
  for (const outcome of outcomes) {
    if (outcome.status !== 'fulfilled' || outcome.value === 'exhausted' || outcome.value === 'shut' || 'pausedUntil' in outcome.value) continue;
    counted.push(outcome.value.slot);
    mayBeDoubled ||= outcome.value.mayBeDoubled;
  }
  const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  const refusedBy = (i: number) => {
    const outcome = outcomes[i]!;
    return outcome.status === 'fulfilled' && (outcome.value === 'exhausted' || outcome.value === 'shut') ? outcome.value : undefined;
  };
  const exhaustedAt = limits.findIndex((_, i) => refusedBy(i) !== undefined);
  const exhausted = exhaustedAt >= 0 ? limits[exhaustedAt] : undefined;
  if (failure) {
    // The caller answers "nothing changed" for a failure that applied nothing, so a count left taken (a lost refund,
    // or a count that may stand twice) makes the failure one that may have changed something.
    const refunded = await refundEach(table, counted).then(() => true, () => false);
    if ((!refunded || mayBeDoubled) && !(failure.reason instanceof TableWriteError && failure.reason.applied === 'unknown')) {
      throw new TableWriteError('unknown', { cause: failure.reason });
    }
    throw failure.reason;
  }
  const pausedAt = outcomes.findIndex((outcome) => outcome.status === 'fulfilled' && typeof outcome.value === 'object' && 'pausedUntil' in outcome.value);
  if (pausedAt >= 0) {
    // Not remembered like a used-up limit: a verification may lift the pause at any time.
    await refundEach(table, counted).catch(() => undefined);
    const paused = (outcomes[pausedAt] as PromiseFulfilledResult<{ pausedUntil: number }>).value;
    return { paused: limits[pausedAt]!.kind, until: paused.pausedUntil, counted: [], mayBeDoubled: false };
  }
  if (exhausted) {
    for (const [key, until] of memo) if (until <= now) memo.delete(key); // a container lives long; its memo must not grow
    const until = refusedBy(exhaustedAt) === 'shut' ? windowEnd(exhausted, now) : Math.min(now + EXHAUSTED_MEMO_MS, windowEnd(exhausted, now));
    memo.set(windowKey(exhausted, now), until);
    await refundEach(table, counted).catch(() => undefined); // a refusal; a count left taken is only stricter
    return { exhausted: exhausted.kind, counted: [], mayBeDoubled: false };
  }
  return { counted, mayBeDoubled };
}

/** Gives back counted events; each refund is right on its own, so one failing does not stop the others. */
export async function refundEach(table: Table, slots: readonly CountedSlot[]): Promise<void> {
  const memo = exhaustedMemo(table);
  for (const slot of slots) memo.delete(slot.slice(0, slot.lastIndexOf('#')));
  const outcomes = await Promise.allSettled(slots.map((slot) => table.update(refundUpdate(slot), { repeat: 'once' })));
  const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failure) throw failure.reason;
}

/**
 * Counts one event in a shard with room, starting at a random one. A full shard sends the event to the shards the
 * window's `full` item does not name yet; 'exhausted' when every shard is full.
 */
async function countOne(
  table: Table,
  limit: VelocityLimit,
  now: number,
): Promise<{ slot: CountedSlot; mayBeDoubled: boolean } | { pausedUntil: number } | 'exhausted' | 'shut'> {
  const shards = shardCount(limit.limit);
  const open = new Set(Array.from({ length: shards }, (_, shard) => shard).filter((shard) => shardQuota(limit.limit, shards, shard) > 0));
  // An attempt whose answer was lost may have counted this event already, on a shard that then refused the repeat.
  let uncertain = false;
  while (open.size > 0) {
    const shard = [...open][Math.floor(Math.random() * open.size)]!;
    const slot = `${windowKey(limit, now)}#${shard}`;
    const quota = shardQuota(limit.limit, shards, shard);
    const outcome = await table.update(countUpdate(slot, quota, windowEnd(limit, now), now), { repeat: 'conservative', returnValues: 'UPDATED_NEW' });
    if (outcome.written) {
      if (shards > 1 && readNumber(outcome.item, NAMES['#count']) === quota) {
        // This event filled the shard: say so, so that later events go elsewhere at once. Not recording it costs only
        // the refused write of a later event, which then records it itself.
        await markFull(table, limit, now, shard).catch(() => undefined);
      }
      return { slot, mayBeDoubled: uncertain || (outcome.afterUnknown ?? false) };
    }
    uncertain ||= outcome.afterUnknown ?? false;
    // Paused by the conversion guard: every shard of the subject's window is, and no shard is full for it.
    const pausedUntil = readNumber(outcome.item, 'pausedUntil');
    if (pausedUntil !== undefined && pausedUntil > now) return { pausedUntil };
    // A refusal, even one that may leave a count of this event behind: that only makes the limit stricter.
    // A shard marked exhausted: every shard is, and no refund reopens them before the window ends.
    if (outcome.item?.exhausted?.BOOL === true) return 'shut';
    if (shards === 1) return 'exhausted';
    open.delete(shard);
    const full = await markFull(table, limit, now, shard).catch((error: unknown) => {
      // Recording a full shard changes no count: this event was counted nowhere, unless a lost answer did it.
      throw error instanceof TableWriteError ? new TableWriteError(uncertain ? 'unknown' : 'no', { cause: error.cause }) : error;
    });
    for (const fullShard of full) open.delete(fullShard);
  }
  return 'exhausted';
}

/**
 * Adds a full shard to the window's `full` item and answers every shard it names; when that makes the set complete,
 * marks every shard `exhausted` (once per window), so that a refused event anywhere learns it in one write.
 */
async function markFull(table: Table, limit: VelocityLimit, now: number, shard: number): Promise<number[]> {
  const window = windowKey(limit, now);
  const { item } = await table.update(
    {
      Key: keyOf(`${window}#full`),
      UpdateExpression: 'ADD #fullShards :shard SET #expiresAt = :expiresAt',
      ExpressionAttributeNames: { '#fullShards': 'fullShards', ...pick(['#expiresAt']) },
      ExpressionAttributeValues: { ':shard': { NS: [String(shard)] }, ':expiresAt': secondsOf(windowEnd(limit, now) + RETENTION_MARGIN_MS) },
    },
    { repeat: 'guarded', returnValues: 'UPDATED_NEW' },
  );
  const full = (item?.fullShards?.NS ?? [String(shard)]).map(Number);
  const shards = shardCount(limit.limit);
  const withQuota = Array.from({ length: shards }, (_, i) => i).filter((i) => shardQuota(limit.limit, shards, i) > 0);
  if (withQuota.every((i) => full.includes(i))) {
    await Promise.allSettled(
      withQuota.map((i) =>
        table.update(
          {
            Key: keyOf(`${window}#${i}`),
            UpdateExpression: 'SET #exhausted = :true',
            ConditionExpression: 'attribute_exists(#count)',
            ExpressionAttributeNames: { '#exhausted': 'exhausted', ...pick(['#count']) },
            ExpressionAttributeValues: { ':true': { BOOL: true } },
          },
          { repeat: 'guarded' },
        ),
      ),
    );
  }
  return full;
}

function countUpdate(slot: CountedSlot, quota: number, windowEnds: number, now: number): UpdateParams {
  return {
    Key: keyOf(slot),
    UpdateExpression: 'ADD #count :one SET #expiresAt = :expiresAt',
    // A window marked exhausted stays closed, also to a shard that a refund gave room again; a paused one until then.
    ConditionExpression:
      '(attribute_not_exists(#count) OR #count < :quota) AND attribute_not_exists(#exhausted) AND (attribute_not_exists(#pausedUntil) OR #pausedUntil <= :now)',
    ExpressionAttributeNames: { ...pick(['#count', '#expiresAt']), '#exhausted': 'exhausted', '#pausedUntil': 'pausedUntil' },
    ExpressionAttributeValues: { ':one': n(1), ':quota': n(quota), ':expiresAt': secondsOf(windowEnds + RETENTION_MARGIN_MS), ':now': n(now) },
  };
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

function windowKey(limit: VelocityLimit, now: number): string {
  return `velocity#${limit.kind}#${limit.subject}#${Math.floor(now / limit.windowMs)}`;
}

function windowEnd(limit: VelocityLimit, now: number): number {
  return (Math.floor(now / limit.windowMs) + 1) * limit.windowMs;
}
