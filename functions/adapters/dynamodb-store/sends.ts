/**
 * A send's write to the number's item, and its undoing when no route delivered.
 *
 * Item for +447400123456, key `number#+447400123456`:
 *   code             map { <digest of the current code>: -1 }   (empty once used)
 *   codeExpiresAt    ms  the code is refused from then on (TTL deletion lags, so it is never relied on)
 *   codeSendId       the id of the send the code came from: the table's stream tells, off the request path, which
 *                    send's code was used or replaced (functions/adapters/dynamodb-store/number-changes.ts)
 *   previousCode, previousCodeExpiresAt, previousCodeSendId   the code the latest send replaced, kept until that send is
 *                    settled: if no route delivers the new code, the previous one comes back
 *   failedChecks     n   failed checks since the last success or lock expiry
 *   lastCheckAt      ms  time of the last counted check (the lock runs from the check that locked)
 *   sendCount        n   sends in the current limit window
 *   limitWindowStartedAt ms  first send of the current limit window
 *   lastSentAt       ms  previous send, for the route-switch window
 *   routeStreak      n   repeats within the route-switch window (0 for the first send)
 *   writeIds0..3     string sets: the ids of recent writes (guards.ts)
 *   checkResults0..3 maps { <check id>: -1 verified | 1 wrong } of recent checks (guards.ts, checks.ts)
 *   expiresAt        s   TTL: the item may be deleted after every window it serves has ended
 *
 * An update expression cannot branch, so the write assumes the number's state
 * and holds it in its condition. The first assumption, "no window yet or one
 * with room, and no streak", fits a first send and a returning one in a single
 * write; when the number is elsewhere (a repeat within the switch window, an
 * ended limit window) the failed condition returns the item and the second
 * write is exact.
 *
 * A write whose answer was lost must be settled before the send goes on: the
 * write carries its send's id as a write id (guards.ts), so repeating it is
 * safe and a refused repeat proves the first applied. If the table stays
 * unreachable, a fence makes sure a late copy can never apply and tells
 * whether the first one had, whatever other sends wrote meanwhile.
 */
import type { RecordCodeInput, SendRecord } from '../../core/ports';
import { checkResultMaps, fence, hasWriteId, newWriteId, writeGuard } from './guards';
import {
  composeUpdate,
  keyOf,
  MAX_WRITES,
  n,
  NAMES,
  numberKey,
  pick,
  readNumber,
  RETENTION_MARGIN_MS,
  secondsOf,
  TableWriteError,
  type Item,
  type Table,
  type UpdateParams,
  type UpdateParts,
} from './table';

/** What a send must assume about the number's state; a wrong guess fails the condition and is corrected. */
interface SendState {
  /** `open`: no window yet, or one that has room (counted on); `ended`: a new window starts with this send. */
  limitWindow: 'open' | 'ended';
  streak: { kind: 'fresh' } | { kind: 'continuing'; previous: number };
}

export type NumberWrite =
  /** `writeId`: the id the record was written under (a fenced attempt's id can never write again). */
  | { outcome: 'recorded'; routeStreak: number; writeId: string }
  | { outcome: 'limit-reached' }
  | { outcome: 'locked'; lockedUntil: number }
  /** The table did not answer; the fence proved the write never applied and never will. */
  | { outcome: 'not-recorded' }
  /** Too many concurrent sends changed the number under every write. */
  | { outcome: 'contended' };

/** The write ids of one send's steps on the number: the record itself, its revocation, and its refund. */
const revokeIdOf = (send: SendRecord) => `${send.recordWriteId}/revoke`;
const refundIdOf = (send: SendRecord) => `${send.recordWriteId}/refund`;

/** Until when the number's item must be kept: every window this send opens or extends, and a lock its code may cause. */
export function retainUntil(input: Pick<RecordCodeInput, 'now' | 'codeExpiresAt' | 'limitWindowMs' | 'lockMs'>): number {
  return Math.max(input.now + input.limitWindowMs, input.codeExpiresAt + input.lockMs) + RETENTION_MARGIN_MS;
}

/**
 * Records the code on the number's item.
 * @throws TableWriteError `unknown` when neither the write nor its fence could be confirmed.
 */
export async function recordOnNumber(table: Table, input: RecordCodeInput, sendId: string): Promise<NumberWrite> {
  let state: SendState = { limitWindow: 'open', streak: { kind: 'fresh' } };
  let writeId = newWriteId();
  // The streak of a write whose answer was lost is read back from the item; a later send may have moved it on, which
  // changes only the route this send starts with, or whether it falls back to a call (both counted by their limits).
  const recordedEarlier = (item: Item | undefined): NumberWrite => ({
    outcome: 'recorded',
    routeStreak: readNumber(item, NAMES['#routeStreak']) ?? 0,
    writeId,
  });
  for (let write = 0; write < MAX_WRITES; write++) {
    let outcome;
    try {
      outcome = await table.update(recordCodeUpdate(input, state, writeId, sendId), { repeat: 'guarded' });
    } catch (error) {
      if (!(error instanceof TableWriteError) || error.applied === 'no') throw error;
      const fenced = await fence(table, numberKey(input.e164), input.now, writeId, retainUntil(input));
      return fenced.applied ? recordedEarlier(fenced.item) : { outcome: 'not-recorded' };
    }
    if (outcome.written) return { outcome: 'recorded', routeStreak: routeStreakOf(state), writeId };
    // An earlier attempt of this write applied; its answer was lost.
    if (hasWriteId(outcome.item, input.now, writeId)) return recordedEarlier(outcome.item);
    if (outcome.afterUnknown) {
      // Refused on the state, after an attempt whose answer was lost: that attempt may still apply, late, once the
      // state comes back to what it expects. Fence it before deciding anything; then go on under a new id.
      const fenced = await fence(table, numberKey(input.e164), input.now, writeId, retainUntil(input));
      if (fenced.applied) return recordedEarlier(fenced.item);
      writeId = newWriteId();
    }
    const actual = sendStateOf(outcome.item, input);
    if (actual === 'limit-reached') return { outcome: 'limit-reached' };
    if ('lockedUntil' in actual) return { outcome: 'locked', lockedUntil: actual.lockedUntil };
    state = actual;
  }
  return { outcome: 'contended' };
}

/**
 * Undoes a send no route delivered: its code stops being valid, the code it
 * replaced (if still there) is valid again with its own expiry, and the send
 * is given back to the number's limit, once. If a later send has replaced the
 * code meanwhile, the undelivered code is only struck from where that send
 * kept it, so that no path can make it valid again.
 *
 * Each step carries its own write id (the send's id with `/revoke` or
 * `/refund`), so a repeated step is refused and recognised, also when the code
 * it puts back is the same as the one it removes.
 */
export async function revokeOnNumber(table: Table, send: SendRecord): Promise<'revoked' | 'contended'> {
  const key = keyOf(numberKey(send.e164));
  let refunded = false;
  for (let write = 0; write < MAX_WRITES; write++) {
    const restored = await table.update(restoreUpdate(send, !refunded), { repeat: 'guarded' });
    if (restored.written) return 'revoked';
    const item = restored.item;
    if (hasWriteId(item, send.sentAt, revokeIdOf(send))) return 'revoked'; // an earlier attempt restored it
    // The send's count is there to give back only while the window it was counted in goes on: a later send may have
    // started a new one (and been undone, so that this code is current again).
    refunded ||= hasWriteId(item, send.sentAt, refundIdOf(send)) || !countStillInWindow(item, send);
    if (item?.[NAMES['#code']]?.M?.[send.codeDigest] !== undefined) continue; // still current: restore, without the count
    if (!refunded) {
      // A later send replaced the code in the same limit window: the count is still ours to give back.
      const refund = await table.update(composeUpdate(key, writeGuard(send.sentAt, [refundIdOf(send)]), refundInWindow(send)), {
        repeat: 'guarded',
      });
      refunded = refund.written || hasWriteId(refund.item, send.sentAt, refundIdOf(send));
    }
    if (item?.[NAMES['#previousCode']]?.M?.[send.codeDigest] === undefined) return 'revoked';
    const struck = await table.update(
      {
        Key: key,
        UpdateExpression: 'REMOVE #previousCode.#digest',
        ConditionExpression: 'attribute_exists(#previousCode.#digest)',
        ExpressionAttributeNames: pick(['#previousCode'], { '#digest': send.codeDigest }),
      },
      { repeat: 'guarded' },
    );
    if (struck.written) return 'revoked';
    // The code moved again (another undone send restored it): look once more.
  }
  return 'contended';
}

function countStillInWindow(item: Item | undefined, send: SendRecord): boolean {
  return (readNumber(item, NAMES['#windowStart']) ?? Infinity) <= send.sentAt && (readNumber(item, NAMES['#sendCount']) ?? 0) > 0;
}

/** Gives the send's count back, only within the window it was counted in. */
function refundInWindow(send: SendRecord): UpdateParts {
  return {
    set: ['#sendCount = #sendCount - :one'],
    conditions: ['#windowStart <= :sentAt', '#sendCount > :zero'],
    names: pick(['#sendCount', '#windowStart']),
    values: { ':one': n(1), ':zero': n(0), ':sentAt': n(send.sentAt) },
  };
}

/** The number's update for a send, on conditions that hold the state the store expects. */
function recordCodeUpdate(input: RecordCodeInput, state: SendState, writeId: string, sendId: string): UpdateParams {
  const record: UpdateParts = {
    // A locked number gets no new code: it could not be verified before the lock runs out.
    conditions: ['(attribute_not_exists(#failedChecks) OR #failedChecks < :maxFailedChecks OR #lastCheckAt <= :lockCutoff)'],
    set: [
      '#previousCode = if_not_exists(#code, :noCode)',
      '#previousCodeExpiresAt = if_not_exists(#codeExpiresAt, :zero)',
      '#previousCodeSendId = if_not_exists(#codeSendId, :noSend)',
      '#code = :code',
      '#codeExpiresAt = :codeExpiresAt',
      '#codeSendId = :sendId',
      '#lastSentAt = :now',
      '#failedChecks = if_not_exists(#failedChecks, :zero)',
      '#expiresAt = :expiresAt',
    ],
    names: pick([
      '#code',
      '#codeExpiresAt',
      '#codeSendId',
      '#previousCode',
      '#previousCodeExpiresAt',
      '#previousCodeSendId',
      '#lastSentAt',
      '#failedChecks',
      '#lastCheckAt',
      '#expiresAt',
    ]),
    values: {
      ':sendId': { S: sendId },
      ':noSend': { S: '' },
      ':maxFailedChecks': n(input.maxFailedChecks),
      ':lockCutoff': n(input.now - input.lockMs),
      ':noCode': { M: {} },
      ':code': { M: { [input.codeDigest]: n(-1) } },
      ':codeExpiresAt': n(input.codeExpiresAt),
      ':now': n(input.now),
      ':zero': n(0),
      ':expiresAt': secondsOf(retainUntil(input)),
    },
  };
  const window: UpdateParts =
    state.limitWindow === 'open'
      ? {
          conditions: ['(attribute_not_exists(#windowStart) OR (#windowStart > :windowCutoff AND #sendCount < :limit))'],
          set: ['#sendCount = if_not_exists(#sendCount, :zero) + :one', '#windowStart = if_not_exists(#windowStart, :now)'],
          values: { ':limit': n(input.limit), ':one': n(1), ':windowCutoff': n(input.now - input.limitWindowMs) },
        }
      : {
          conditions: ['#windowStart <= :windowCutoff'],
          set: ['#sendCount = :one', '#windowStart = :now'],
          values: { ':one': n(1), ':windowCutoff': n(input.now - input.limitWindowMs) },
        };
  const streak: UpdateParts =
    state.streak.kind === 'fresh'
      ? {
          conditions: ['(attribute_not_exists(#lastSentAt) OR #lastSentAt <= :switchCutoff)'],
          set: ['#routeStreak = :zero'],
          values: { ':switchCutoff': n(input.now - input.routeSwitchWindowMs) },
        }
      : {
          conditions: ['#lastSentAt > :switchCutoff AND #routeStreak = :previousStreak'],
          set: ['#routeStreak = :streak'],
          values: {
            ':switchCutoff': n(input.now - input.routeSwitchWindowMs),
            ':previousStreak': n(state.streak.previous),
            ':streak': n(state.streak.previous + 1),
          },
        };
  return composeUpdate(
    keyOf(numberKey(input.e164)),
    record,
    { ...window, names: pick(['#windowStart', '#sendCount']) },
    { ...streak, names: pick(['#routeStreak', '#lastSentAt']) },
    // Not twice for one send, whatever other requests write: a repeat after a lost answer, or a late copy after the
    // send was fenced, finds the send's write id.
    writeGuard(input.now, [writeId]),
    checkResultMaps(input.now),
  );
}

/**
 * Puts the replaced code back, if the undelivered one is still the current code, and gives the count back unless
 * that is done or no longer in its window (a later send that started a new window may have been undone since).
 */
function restoreUpdate(send: SendRecord, refund: boolean): UpdateParams {
  const ids = refund ? [revokeIdOf(send), refundIdOf(send)] : [revokeIdOf(send)];
  return composeUpdate(
    keyOf(numberKey(send.e164)),
    writeGuard(send.sentAt, ids),
    {
      set: [
        '#code = if_not_exists(#previousCode, :noCode)',
        '#codeExpiresAt = if_not_exists(#previousCodeExpiresAt, :zero)',
        '#codeSendId = if_not_exists(#previousCodeSendId, :noSend)',
        '#previousCode = :noCode',
        '#previousCodeExpiresAt = :zero',
        '#previousCodeSendId = :noSend',
      ],
      conditions: ['attribute_exists(#code.#digest)'],
      names: pick(['#code', '#codeExpiresAt', '#codeSendId', '#previousCode', '#previousCodeExpiresAt', '#previousCodeSendId'], {
        '#digest': send.codeDigest,
      }),
      values: { ':noCode': { M: {} }, ':zero': n(0), ':noSend': { S: '' } },
    },
    ...(refund ? [refundInWindow(send)] : []),
  );
}

function routeStreakOf(state: SendState): number {
  return state.streak.kind === 'fresh' ? 0 : state.streak.previous + 1;
}

/** The number's real state, from the item a failed condition returned. */
function sendStateOf(item: Item | undefined, input: RecordCodeInput): SendState | 'limit-reached' | { lockedUntil: number } {
  const lockedUntil = (readNumber(item, NAMES['#lastCheckAt']) ?? 0) + input.lockMs;
  if ((readNumber(item, NAMES['#failedChecks']) ?? 0) >= input.maxFailedChecks && lockedUntil > input.now) return { lockedUntil };
  const windowStart = readNumber(item, NAMES['#windowStart']);
  const windowEnded = windowStart !== undefined && windowStart <= input.now - input.limitWindowMs;
  if (!windowEnded && windowStart !== undefined && (readNumber(item, NAMES['#sendCount']) ?? 0) >= input.limit) {
    return 'limit-reached';
  }
  const lastSentAt = readNumber(item, NAMES['#lastSentAt']);
  const streakContinues = lastSentAt !== undefined && lastSentAt > input.now - input.routeSwitchWindowMs;
  return {
    limitWindow: windowEnded ? 'ended' : 'open',
    streak: streakContinues
      ? { kind: 'continuing', previous: readNumber(item, NAMES['#routeStreak']) ?? 0 }
      : { kind: 'fresh' },
  };
}
