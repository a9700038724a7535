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
 */
import { DependencyUnavailableError } from '../../core/errors';
import type { CheckCodeInput, CheckCodeResult } from '../../core/ports';
import { keyOf, MAX_WRITES, n, NAMES, numberKey, pick, readNumber, type Table, type UpdateParams } from './table';

type CheckVariant = 'unlocked' | 'lock-expired';

export async function checkOnNumber(table: Table, input: CheckCodeInput): Promise<CheckCodeResult> {
  let variant: CheckVariant = 'unlocked';
  for (let write = 0; write < MAX_WRITES; write++) {
    const { written, item } = await table.update(checkCodeUpdate(input, variant), 'UPDATED_NEW');
    if (written) {
      const failedChecks = readNumber(item, NAMES['#failedChecks']) ?? 0;
      if (failedChecks === 0) return { outcome: 'verified' };
      return { outcome: 'rejected', why: 'wrong-code', lockedNow: failedChecks >= input.maxFailedChecks };
    }
    if (item === undefined || item[NAMES['#code']]?.M === undefined) return { outcome: 'rejected', why: 'no-code' };
    if ((readNumber(item, NAMES['#codeExpiresAt']) ?? 0) <= input.now) return { outcome: 'rejected', why: 'expired' };
    const failedChecks = readNumber(item, NAMES['#failedChecks']) ?? 0;
    if (failedChecks >= input.maxFailedChecks) {
      const lockedUntil = (readNumber(item, NAMES['#lastCheckAt']) ?? 0) + input.lockMs;
      if (lockedUntil > input.now) return { outcome: 'rejected', why: 'locked' };
      variant = 'lock-expired';
    } else {
      variant = 'unlocked'; // another check changed the item between our writes; evaluate again
    }
  }
  throw new DependencyUnavailableError('Too many concurrent requests for this number; try again shortly');
}

function checkCodeUpdate(input: CheckCodeInput, variant: CheckVariant): UpdateParams {
  // A right code reads the stored -1 (0 failures after the +1); a wrong one counts a failure on top of the
  // current count, or, once a lock has run out, on top of zero.
  const base = variant === 'unlocked' ? '#failedChecks' : ':zero';
  const lock =
    variant === 'unlocked' ? '#failedChecks < :max' : '#failedChecks >= :max AND #lastCheckAt <= :lockCutoff';
  return {
    Key: keyOf(numberKey(input.e164)),
    UpdateExpression: `SET #failedChecks = if_not_exists(#code.#digest, ${base}) + :one, #lastCheckAt = :now REMOVE #code.#digest`,
    ConditionExpression: `attribute_exists(#code) AND #codeExpiresAt > :now AND ${lock}`,
    ExpressionAttributeNames: pick(['#failedChecks', '#code', '#codeExpiresAt', '#lastCheckAt'], {
      '#digest': input.codeDigest,
    }),
    ExpressionAttributeValues: {
      ':one': n(1),
      ':now': n(input.now),
      ':max': n(input.maxFailedChecks),
      ...(variant === 'lock-expired' ? { ':zero': n(0), ':lockCutoff': n(input.now - input.lockMs) } : {}),
    },
  };
}
