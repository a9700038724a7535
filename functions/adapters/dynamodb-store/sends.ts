/**
 * A send's write to the number's item, and its undoing when no route delivered.
 *
 * Item for +447400123456, key `number#+447400123456`:
 *   code             map { <digest of the current code>: -1 }   (empty once used)
 *   codeExpiresAt    ms  the code is refused from then on (TTL deletion lags, so it is never relied on)
 *   previousCode, previousCodeExpiresAt   the code the latest send replaced, kept until that send is
 *                    settled: if no route delivers the new code, the previous one comes back
 *   failedChecks     n   failed checks since the last success or lock expiry
 *   lastCheckAt      ms  time of the last counted check (the lock runs from the check that locked)
 *   sendCount        n   sends in the current limit window
 *   limitWindowStartedAt ms  first send of the current limit window
 *   lastSentAt       ms  previous send, for the route-switch window
 *   routeStreak      n   repeats within the route-switch window (0 for the first send)
 *   expiresAt        s   TTL: the item may be deleted after every window it serves has ended
 *
 * An update expression cannot branch, so the write assumes the number's state
 * and holds it in its condition. The first assumption, "no window yet or one
 * with room, and no streak", fits a first send and a returning one in a single
 * write; when the number is elsewhere (a repeat within the switch window, an
 * ended limit window) the failed condition returns the item and the second
 * write is exact.
 */
import { DependencyUnavailableError } from '../../core/errors';
import type { RecordCodeInput } from '../../core/ports';
import { keyOf, MAX_WRITES, n, NAMES, numberKey, pick, readNumber, secondsOf, type Item, type Table, type UpdateParams } from './table';

/** What a send must assume about the number's state; a wrong guess fails the condition and is corrected. */
interface SendState {
  /** `open`: no window yet, or one that has room (counted on); `ended`: a new window starts with this send. */
  limitWindow: 'open' | 'ended';
  streak: { kind: 'fresh' } | { kind: 'continuing'; previous: number };
}

export type NumberWrite = { outcome: 'recorded'; routeStreak: number } | { outcome: 'limit-reached' };

export async function recordOnNumber(table: Table, input: RecordCodeInput): Promise<NumberWrite> {
  let state: SendState = { limitWindow: 'open', streak: { kind: 'fresh' } };
  for (let write = 0; write < MAX_WRITES; write++) {
    const { written, item } = await table.update(recordCodeUpdate(input, state));
    if (written) return { outcome: 'recorded', routeStreak: state.streak.kind === 'fresh' ? 0 : state.streak.previous + 1 };
    const actual = sendStateOf(item, input);
    if (actual === 'limit-reached') return { outcome: 'limit-reached' };
    state = actual;
  }
  throw new DependencyUnavailableError('Too many concurrent requests for this number; try again shortly');
}

/**
 * Undoes a send no route delivered: its code stops being valid, the code it
 * replaced (if still there) is valid again with its own expiry, and the send
 * is given back to the number's limit. If a later send has replaced the code
 * meanwhile, the undelivered code is only struck from where that send kept it,
 * so that no path can make it valid again.
 */
export async function revokeOnNumber(table: Table, e164: string, codeDigest: string, sentAt: number): Promise<void> {
  let refunded = false;
  for (let write = 0; write < MAX_WRITES; write++) {
    const restored = await table.update(restoreUpdate(e164, codeDigest, !refunded));
    if (restored.written) return;
    const item = restored.item;
    if (!refunded && (readNumber(item, NAMES['#windowStart']) ?? Infinity) <= sentAt && (readNumber(item, NAMES['#sendCount']) ?? 0) > 0) {
      // A later send replaced the code in the same limit window: the count is still ours to give back.
      await table.update({
        Key: keyOf(numberKey(e164)),
        UpdateExpression: 'SET #sendCount = #sendCount - :one',
        ConditionExpression: '#windowStart <= :sentAt AND #sendCount > :zero',
        ExpressionAttributeNames: pick(['#sendCount', '#windowStart']),
        ExpressionAttributeValues: { ':one': n(1), ':zero': n(0), ':sentAt': n(sentAt) },
      });
      refunded = true;
    }
    if (item?.[NAMES['#previousCode']]?.M?.[codeDigest] === undefined) return;
    const struck = await table.update({
      Key: keyOf(numberKey(e164)),
      UpdateExpression: 'REMOVE #previousCode.#digest',
      ConditionExpression: 'attribute_exists(#previousCode.#digest)',
      ExpressionAttributeNames: pick(['#previousCode'], { '#digest': codeDigest }),
    });
    if (struck.written) return;
    // The code moved again (another undone send restored it): look once more.
  }
  throw new DependencyUnavailableError('Too many concurrent requests for this number; try again shortly');
}

/** The number's update for a send, on conditions that hold the state the store expects. */
function recordCodeUpdate(input: RecordCodeInput, state: SendState): UpdateParams {
  const set = [
    '#previousCode = if_not_exists(#code, :noCode)',
    '#previousCodeExpiresAt = if_not_exists(#codeExpiresAt, :zero)',
    '#code = :code',
    '#codeExpiresAt = :codeExpiresAt',
    '#lastSentAt = :now',
    '#failedChecks = if_not_exists(#failedChecks, :zero)',
    '#expiresAt = :expiresAt',
  ];
  const conditions: string[] = [];
  const values: Item = {
    ':noCode': { M: {} },
    ':code': { M: { [input.codeDigest]: n(-1) } },
    ':codeExpiresAt': n(input.codeExpiresAt),
    ':now': n(input.now),
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
      '#lastSentAt',
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
function restoreUpdate(e164: string, codeDigest: string, refund: boolean): UpdateParams {
  return {
    Key: keyOf(numberKey(e164)),
    UpdateExpression:
      'SET #code = if_not_exists(#previousCode, :noCode), #codeExpiresAt = if_not_exists(#previousCodeExpiresAt, :zero), ' +
      `#previousCode = :noCode, #previousCodeExpiresAt = :zero${refund ? ', #sendCount = #sendCount - :one' : ''}`,
    // The code is still the current one, so no send came after it: the count it took is in this window.
    ConditionExpression: 'attribute_exists(#code.#digest)',
    ExpressionAttributeNames: pick(
      ['#code', '#codeExpiresAt', '#previousCode', '#previousCodeExpiresAt', ...(refund ? (['#sendCount'] as const) : [])],
      { '#digest': codeDigest },
    ),
    ExpressionAttributeValues: { ':noCode': { M: {} }, ':zero': n(0), ...(refund ? { ':one': n(1) } : {}) },
  };
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
