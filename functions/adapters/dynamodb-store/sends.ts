/**
 * A send's write to the number's item, and its undoing when no route delivered.
 *
 * Item for +447400123456, key `number#+447400123456`:
 *   code             map { <digest of the current code>: -1 }   (empty once used)
 *   codeExpiresAt    ms  the code is refused from then on (TTL deletion lags, so it is never relied on)
 *   previousCode, previousCodeExpiresAt   the code the latest send replaced, kept until that send is
 *                    settled: if no route delivers the new code, the previous one comes back
 *   checks           map { <check id>: -1 verified | 1 wrong | 0 fenced } of the current code's checks (checks.ts)
 *   failedChecks     n   failed checks since the last success or lock expiry
 *   lastCheckAt      ms  time of the last counted check (the lock runs from the check that locked)
 *   sendCount        n   sends in the current limit window
 *   limitWindowStartedAt ms  first send of the current limit window
 *   lastSentAt       ms  previous send, for the route-switch window
 *   routeStreak      n   repeats within the route-switch window (0 for the first send)
 *   lastSendId, fencedSendId, revokedSendId, refundedSendId   the ids of the sends whose writes these were
 *   expiresAt        s   TTL: the item may be deleted after every window it serves has ended
 *
 * An update expression cannot branch, so the write assumes the number's state
 * and holds it in its condition. The first assumption, "no window yet or one
 * with room, and no streak", fits a first send and a returning one in a single
 * write; when the number is elsewhere (a repeat within the switch window, an
 * ended limit window) the failed condition returns the item and the second
 * write is exact.
 *
 * A write whose answer was lost must be settled before the send goes on:
 * the write carries its send's id and its condition refuses that id a second
 * time, so repeating it is safe and a refused repeat names the first. If the
 * table stays unreachable, a fence (the send's id as `fencedSendId`, which the
 * write's condition also refuses) makes sure a late copy can never apply, and
 * tells whether the first one had.
 */
import type { RecordCodeInput, SendRecord } from '../../core/ports';
import {
  keyOf,
  MAX_WRITES,
  n,
  NAMES,
  numberKey,
  pick,
  readNumber,
  secondsOf,
  TableWriteError,
  type Item,
  type Table,
  type UpdateParams,
} from './table';

/** What a send must assume about the number's state; a wrong guess fails the condition and is corrected. */
interface SendState {
  /** `open`: no window yet, or one that has room (counted on); `ended`: a new window starts with this send. */
  limitWindow: 'open' | 'ended';
  streak: { kind: 'fresh' } | { kind: 'continuing'; previous: number };
}

export type NumberWrite =
  | { outcome: 'recorded'; routeStreak: number }
  | { outcome: 'limit-reached' }
  /** The table did not answer; the fence proved the write never applied and never will. */
  | { outcome: 'not-recorded' }
  /** Too many concurrent sends changed the number under every write. */
  | { outcome: 'contended' };

/**
 * Records the code on the number's item.
 * @throws TableWriteError `unknown` when neither the write nor its fence could be confirmed.
 */
export async function recordOnNumber(table: Table, input: RecordCodeInput, sendId: string): Promise<NumberWrite> {
  let state: SendState = { limitWindow: 'open', streak: { kind: 'fresh' } };
  for (let write = 0; write < MAX_WRITES; write++) {
    let outcome;
    try {
      outcome = await table.update(recordCodeUpdate(input, state, sendId), { repeat: 'guarded' });
    } catch (error) {
      if (!(error instanceof TableWriteError) || error.applied === 'no') throw error;
      return fenceSend(table, input, sendId, error);
    }
    if (outcome.written) return { outcome: 'recorded', routeStreak: routeStreakOf(state) };
    if (outcome.item?.[NAMES['#lastSendId']]?.S === sendId) {
      // An earlier attempt of this write applied; its answer was lost.
      return { outcome: 'recorded', routeStreak: readNumber(outcome.item, NAMES['#routeStreak']) ?? 0 };
    }
    const actual = sendStateOf(outcome.item, input);
    if (actual === 'limit-reached') return { outcome: 'limit-reached' };
    state = actual;
  }
  return { outcome: 'contended' };
}

/** Makes sure a write whose answer was lost never applies later, and finds out whether it already had. */
async function fenceSend(table: Table, input: RecordCodeInput, sendId: string, lost: TableWriteError): Promise<NumberWrite> {
  const fence = await table
    .update(
      {
        Key: keyOf(numberKey(input.e164)),
        UpdateExpression: 'SET #fencedSendId = :sendId, #expiresAt = if_not_exists(#expiresAt, :expiresAt)',
        ConditionExpression: 'attribute_not_exists(#lastSendId) OR #lastSendId <> :sendId',
        ExpressionAttributeNames: pick(['#fencedSendId', '#lastSendId', '#expiresAt']),
        ExpressionAttributeValues: { ':sendId': { S: sendId }, ':expiresAt': secondsOf(input.retainUntil) },
      },
      { repeat: 'guarded' },
    )
    .catch((error: unknown) => {
      throw error instanceof TableWriteError ? new TableWriteError('unknown', { cause: lost }) : error;
    });
  if (fence.written) return { outcome: 'not-recorded' };
  return { outcome: 'recorded', routeStreak: readNumber(fence.item, NAMES['#routeStreak']) ?? 0 };
}

/**
 * Undoes a send no route delivered: its code stops being valid, the code it
 * replaced (if still there) is valid again with its own expiry, and the send
 * is given back to the number's limit, once. If a later send has replaced the
 * code meanwhile, the undelivered code is only struck from where that send
 * kept it, so that no path can make it valid again.
 */
export async function revokeOnNumber(table: Table, send: SendRecord): Promise<'revoked' | 'contended'> {
  const key = keyOf(numberKey(send.e164));
  let refunded = false;
  for (let write = 0; write < MAX_WRITES; write++) {
    const restored = await table.update(restoreUpdate(send, !refunded), { repeat: 'guarded' });
    if (restored.written) return 'revoked';
    const item = restored.item;
    if (item?.[NAMES['#revokedSendId']]?.S === send.sendId) return 'revoked'; // an earlier attempt restored it
    if (item?.[NAMES['#refundedSendId']]?.S === send.sendId) refunded = true;
    if (!refunded && (readNumber(item, NAMES['#windowStart']) ?? Infinity) <= send.sentAt && (readNumber(item, NAMES['#sendCount']) ?? 0) > 0) {
      // A later send replaced the code in the same limit window: the count is still ours to give back.
      const refund = await table.update(
        {
          Key: key,
          UpdateExpression: 'SET #sendCount = #sendCount - :one, #refundedSendId = :sendId',
          ConditionExpression:
            '#windowStart <= :sentAt AND #sendCount > :zero AND (attribute_not_exists(#refundedSendId) OR #refundedSendId <> :sendId)',
          ExpressionAttributeNames: pick(['#sendCount', '#windowStart', '#refundedSendId']),
          ExpressionAttributeValues: { ':one': n(1), ':zero': n(0), ':sentAt': n(send.sentAt), ':sendId': { S: send.sendId } },
        },
        { repeat: 'guarded' },
      );
      refunded = refund.written || refund.item?.[NAMES['#refundedSendId']]?.S === send.sendId;
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

/** The number's update for a send, on conditions that hold the state the store expects. */
function recordCodeUpdate(input: RecordCodeInput, state: SendState, sendId: string): UpdateParams {
  const set = [
    '#previousCode = if_not_exists(#code, :noCode)',
    '#previousCodeExpiresAt = if_not_exists(#codeExpiresAt, :zero)',
    '#code = :code',
    '#codeExpiresAt = :codeExpiresAt',
    '#checks = :noChecks',
    '#lastSentAt = :now',
    '#lastSendId = :sendId',
    '#failedChecks = if_not_exists(#failedChecks, :zero)',
    '#expiresAt = :expiresAt',
  ];
  // Never twice for one send: a repeat after a lost answer, or a late copy after the send was fenced.
  const conditions = [
    '(attribute_not_exists(#lastSendId) OR #lastSendId <> :sendId)',
    '(attribute_not_exists(#fencedSendId) OR #fencedSendId <> :sendId)',
  ];
  const values: Item = {
    ':noCode': { M: {} },
    ':noChecks': { M: {} },
    ':code': { M: { [input.codeDigest]: n(-1) } },
    ':codeExpiresAt': n(input.codeExpiresAt),
    ':now': n(input.now),
    ':sendId': { S: sendId },
    ':zero': n(0),
    ':one': n(1),
    ':expiresAt': secondsOf(input.retainUntil),
    ':windowCutoff': n(input.now - input.limitWindowMs),
    ':switchCutoff': n(input.now - input.routeSwitchWindowMs),
  };

  if (state.limitWindow === 'open') {
    conditions.push('(attribute_not_exists(#windowStart) OR (#windowStart > :windowCutoff AND #sendCount < :limit))');
    set.push('#sendCount = if_not_exists(#sendCount, :zero) + :one', '#windowStart = if_not_exists(#windowStart, :now)');
    values[':limit'] = n(input.limit);
  } else {
    conditions.push('#windowStart <= :windowCutoff');
    set.push('#sendCount = :one', '#windowStart = :now');
  }

  if (state.streak.kind === 'fresh') {
    conditions.push('(attribute_not_exists(#lastSentAt) OR #lastSentAt <= :switchCutoff)');
    set.push('#routeStreak = :zero');
  } else {
    conditions.push('#lastSentAt > :switchCutoff AND #routeStreak = :previousStreak');
    set.push('#routeStreak = :streak');
    values[':previousStreak'] = n(state.streak.previous);
    values[':streak'] = n(state.streak.previous + 1);
  }

  return {
    Key: keyOf(numberKey(input.e164)),
    UpdateExpression: `SET ${set.join(', ')}`,
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: pick([
      '#code',
      '#codeExpiresAt',
      '#previousCode',
      '#previousCodeExpiresAt',
      '#checks',
      '#lastSentAt',
      '#lastSendId',
      '#fencedSendId',
      '#failedChecks',
      '#expiresAt',
      '#windowStart',
      '#sendCount',
      '#routeStreak',
    ]),
    ExpressionAttributeValues: values,
  };
}

/** Puts the replaced code back, if the undelivered one is still the current code. */
function restoreUpdate(send: SendRecord, refund: boolean): UpdateParams {
  return {
    Key: keyOf(numberKey(send.e164)),
    UpdateExpression:
      'SET #code = if_not_exists(#previousCode, :noCode), #codeExpiresAt = if_not_exists(#previousCodeExpiresAt, :zero), ' +
      `#previousCode = :noCode, #previousCodeExpiresAt = :zero, #revokedSendId = :sendId${refund ? ', #sendCount = #sendCount - :one' : ''}`,
    // The code is still the current one, so no send came after it: the count it took is in this window, and is
    // given back here unless an earlier write of this revocation already did.
    ConditionExpression: `attribute_exists(#code.#digest)${refund ? ' AND (attribute_not_exists(#refundedSendId) OR #refundedSendId <> :sendId)' : ''}`,
    ExpressionAttributeNames: pick(
      ['#code', '#codeExpiresAt', '#previousCode', '#previousCodeExpiresAt', '#revokedSendId', ...(refund ? (['#sendCount', '#refundedSendId'] as const) : [])],
      { '#digest': send.codeDigest },
    ),
    ExpressionAttributeValues: { ':noCode': { M: {} }, ':zero': n(0), ':sendId': { S: send.sendId }, ...(refund ? { ':one': n(1) } : {}) },
  };
}

function routeStreakOf(state: SendState): number {
  return state.streak.kind === 'fresh' ? 0 : state.streak.previous + 1;
}

/** The number's real state, from the item a failed condition returned. */
function sendStateOf(item: Item | undefined, input: RecordCodeInput): SendState | 'limit-reached' {
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
