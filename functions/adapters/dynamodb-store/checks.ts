/**
 * A check: one UpdateItem that counts and consumes at once.
 *
 * The code is stored as the key of a map, under its keyed digest, with the
 * value -1. A check with digest d runs
 * `SET failedChecks = if_not_exists(code.d, failedChecks) + 1 REMOVE code.d`:
 * a right code yields -1 + 1 = 0 (the count resets) and removes the code, so it
 * is accepted once; a wrong code adds one failure. The condition
 * `failedChecks < max` counts each check before it is evaluated, so concurrent
 * guesses can never be evaluated more than `max` times. The digest is an HMAC
 * with a secret key, so DynamoDB's lookup of a map key gives a caller no
 * timing signal about the code. A second write happens only for the first
 * check after a lock ran out (its count starts again from zero).
 *
 * The same write keeps its own result under its check's id,
 * `checks.<id> = if_not_exists(code.d, 1)` (-1: verified, 1: wrong), and its
 * condition refuses that id a second time. So a check whose answer was lost is
 * repeated safely, and the repeat reads the first one's result instead of
 * counting a failure against a code the first one consumed. If the table stays
 * unreachable, a fence (`checks.<id> = 0`) makes sure a late copy never
 * applies, and tells whether the first one had.
 */
import type { CheckCodeInput, CheckCodeResult } from '../../core/ports';
import { keyOf, MAX_WRITES, n, NAMES, numberKey, pick, readNumber, TableWriteError, type Item, type Table, type UpdateParams } from './table';

type CheckVariant = 'unlocked' | 'lock-expired';
const VERIFIED = -1;
const WRONG = 1;
const FENCED = 0;

export type NumberCheck =
  | CheckCodeResult
  /** The table did not answer; the fence proved the check never applied and never will. */
  | { outcome: 'not-checked' }
  /** Concurrent checks changed the number under every write. */
  | { outcome: 'contended' };

/**
 * Checks a code against the number's item.
 * @throws TableWriteError `unknown` when neither the check nor its fence could be confirmed.
 */
export async function checkOnNumber(table: Table, input: CheckCodeInput, checkId: string): Promise<NumberCheck> {
  let variant: CheckVariant = 'unlocked';
  for (let write = 0; write < MAX_WRITES; write++) {
    let outcome;
    try {
      outcome = await table.update(checkCodeUpdate(input, variant, checkId), { returnValues: 'UPDATED_NEW', repeat: 'guarded' });
    } catch (error) {
      if (!(error instanceof TableWriteError) || error.applied === 'no') throw error;
      return fenceCheck(table, input, checkId);
    }
    const { written, item } = outcome;
    if (written) return resultOf(readNumber(item, NAMES['#failedChecks']) ?? 0, input);
    const earlier = recordedResult(item, checkId, input);
    if (earlier) return earlier;
    if (item === undefined || item[NAMES['#code']]?.M === undefined) return { outcome: 'rejected', why: 'no-code' };
    if ((readNumber(item, NAMES['#codeExpiresAt']) ?? 0) <= input.now) return { outcome: 'rejected', why: 'expired' };
    if (item[NAMES['#checks']]?.M === undefined) {
      // A code recorded before checks kept their results: give the item its map, then check.
      await table.update(
        {
          Key: keyOf(numberKey(input.e164)),
          UpdateExpression: 'SET #checks = if_not_exists(#checks, :noChecks)',
          ExpressionAttributeNames: pick(['#checks']),
          ExpressionAttributeValues: { ':noChecks': { M: {} } },
        },
        { repeat: 'guarded' },
      );
      continue;
    }
    const failedChecks = readNumber(item, NAMES['#failedChecks']) ?? 0;
    if (failedChecks >= input.maxFailedChecks) {
      const lockedUntil = (readNumber(item, NAMES['#lastCheckAt']) ?? 0) + input.lockMs;
      if (lockedUntil > input.now) return { outcome: 'rejected', why: 'locked' };
      variant = 'lock-expired';
    } else {
      variant = 'unlocked'; // another check changed the item between our writes; evaluate again
    }
  }
  return { outcome: 'contended' };
}

/** Makes sure a check whose answer was lost never applies later, and finds out whether it already had. */
async function fenceCheck(table: Table, input: CheckCodeInput, checkId: string): Promise<NumberCheck> {
  let fence;
  try {
    fence = await table.update(
      {
        Key: keyOf(numberKey(input.e164)),
        UpdateExpression: 'SET #checks.#checkId = :fenced',
        ConditionExpression: 'attribute_exists(#checks) AND attribute_not_exists(#checks.#checkId)',
        ExpressionAttributeNames: pick(['#checks'], { '#checkId': checkId }),
        ExpressionAttributeValues: { ':fenced': n(FENCED) },
      },
      { repeat: 'guarded' },
    );
  } catch (error) {
    throw error instanceof TableWriteError ? new TableWriteError('unknown', { cause: error }) : error;
  }
  if (fence.written) return { outcome: 'not-checked' };
  // No map of checks (no code, or a new send reset it) leaves nothing a late copy could apply to.
  return recordedResult(fence.item, checkId, input) ?? { outcome: 'not-checked' };
}

/** The result an earlier attempt of this check recorded, if one did. */
function recordedResult(item: Item | undefined, checkId: string, input: CheckCodeInput): CheckCodeResult | undefined {
  const recorded = item?.[NAMES['#checks']]?.M?.[checkId]?.N;
  if (recorded === undefined || Number(recorded) === FENCED) return undefined;
  if (Number(recorded) === VERIFIED) return { outcome: 'verified' };
  return { outcome: 'rejected', why: 'wrong-code', lockedNow: (readNumber(item, NAMES['#failedChecks']) ?? 0) >= input.maxFailedChecks };
}

function resultOf(failedChecks: number, input: CheckCodeInput): CheckCodeResult {
  if (failedChecks === 0) return { outcome: 'verified' };
  return { outcome: 'rejected', why: 'wrong-code', lockedNow: failedChecks >= input.maxFailedChecks };
}

function checkCodeUpdate(input: CheckCodeInput, variant: CheckVariant, checkId: string): UpdateParams {
  // A right code reads the stored -1 (0 failures after the +1); a wrong one counts a failure on top of the
  // current count, or, once a lock has run out, on top of zero.
  const base = variant === 'unlocked' ? '#failedChecks' : ':zero';
  const lock =
    variant === 'unlocked' ? '#failedChecks < :max' : '#failedChecks >= :max AND #lastCheckAt <= :lockCutoff';
  return {
    Key: keyOf(numberKey(input.e164)),
    UpdateExpression:
      `SET #failedChecks = if_not_exists(#code.#digest, ${base}) + :one, #lastCheckAt = :now, ` +
      '#checks.#checkId = if_not_exists(#code.#digest, :wrong) REMOVE #code.#digest',
    ConditionExpression:
      `attribute_exists(#code) AND #codeExpiresAt > :now AND ${lock} ` +
      'AND attribute_exists(#checks) AND attribute_not_exists(#checks.#checkId)',
    ExpressionAttributeNames: pick(['#failedChecks', '#code', '#codeExpiresAt', '#lastCheckAt', '#checks'], {
      '#digest': input.codeDigest,
      '#checkId': checkId,
    }),
    ExpressionAttributeValues: {
      ':one': n(1),
      ':wrong': n(WRONG),
      ':now': n(input.now),
      ':max': n(input.maxFailedChecks),
      ...(variant === 'lock-expired' ? { ':zero': n(0), ':lockCutoff': n(input.now - input.lockMs) } : {}),
    },
  };
}
