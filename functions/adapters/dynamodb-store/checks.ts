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
 * The same write carries the check's id as a write id and keeps its result
 * under that id, `checkResults<p>.<id> = if_not_exists(code.d, 1)` (-1:
 * verified, 1: wrong; guards.ts). Neither is erased by a send in between, so a
 * check whose answer was lost is repeated safely, and the repeat (or the
 * fence, when the table stays away) reads the first one's result instead of
 * counting a failure against a code the first one consumed.
 */
import type { CheckCodeInput, CheckCodeResult } from '../../core/ports';
import { checkResult, checkResultMaps, fence, hasCheckResultMap, hasWriteId, newWriteId, recordedCheckResult, writeGuard } from './guards';
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
  TableWriteError,
  type Item,
  type Table,
  type UpdateParams,
} from './table';

type CheckVariant = 'unlocked' | 'lock-expired';
const VERIFIED = -1;
const WRONG = 1;

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
export async function checkOnNumber(table: Table, input: CheckCodeInput): Promise<NumberCheck> {
  let variant: CheckVariant = 'unlocked';
  let checkId = newWriteId();
  // A fence that creates the item (there was none) keeps it only for as long as a late copy could come.
  const fenceCheck = () => fence(table, numberKey(input.e164), input.now, checkId, input.now + RETENTION_MARGIN_MS);
  for (let write = 0; write < MAX_WRITES; write++) {
    let outcome;
    try {
      outcome = await table.update(checkCodeUpdate(input, variant, checkId), { returnValues: 'UPDATED_NEW', repeat: 'guarded' });
    } catch (error) {
      if (!(error instanceof TableWriteError) || error.applied === 'no') throw error;
      const fenced = await fenceCheck();
      if (!fenced.applied) return { outcome: 'not-checked' };
      return earlierResult(fenced.item, checkId, input) ?? unknownOutcome();
    }
    const { written, item } = outcome;
    if (written) return resultOf(readNumber(item, NAMES['#failedChecks']) ?? 0, input);
    if (hasWriteId(item, input.now, checkId)) return earlierResult(item, checkId, input) ?? unknownOutcome();
    if (outcome.afterUnknown) {
      // Refused on the state, after an attempt whose answer was lost: that attempt may still apply, late, once the
      // state comes back to what it expects. Fence it before deciding anything; then go on under a new id.
      const fenced = await fenceCheck();
      if (fenced.applied) return earlierResult(fenced.item, checkId, input) ?? unknownOutcome();
      checkId = newWriteId();
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
    if (!hasCheckResultMap(item, input.now)) await addCheckResultMaps(table, input);
  }
  return { outcome: 'contended' };
}

/**
 * A code recorded by version 0.2 has no maps for check results (its sends made a single `checks` map): the first
 * check makes them, as a send of this version does, and drops the old map. It checks nothing, so whatever becomes
 * of it, the check has not applied.
 */
async function addCheckResultMaps(table: Table, input: CheckCodeInput): Promise<void> {
  await table
    .update(
      composeUpdate(keyOf(numberKey(input.e164)), checkResultMaps(input.now), {
        remove: ['#legacyChecks'],
        conditions: ['attribute_exists(#code)'],
        names: { ...pick(['#code']), '#legacyChecks': 'checks' },
      }),
      { repeat: 'guarded' },
    )
    .catch((error: unknown) => {
      throw error instanceof TableWriteError ? new TableWriteError('no', { cause: error.cause }) : error;
    });
}

/** The result an earlier attempt of this check recorded beside its write id. */
function earlierResult(item: Item | undefined, checkId: string, input: CheckCodeInput): CheckCodeResult | undefined {
  const recorded = recordedCheckResult(item, input.now, checkId);
  if (recorded === undefined) return undefined;
  if (recorded === VERIFIED) return { outcome: 'verified' };
  return { outcome: 'rejected', why: 'wrong-code', lockedNow: (readNumber(item, NAMES['#failedChecks']) ?? 0) >= input.maxFailedChecks };
}

/** The check applied, but its result is not where it must be: say so rather than guess. */
function unknownOutcome(): never {
  throw new TableWriteError('unknown', { cause: new Error('An applied check left no result') });
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
  return composeUpdate(
    keyOf(numberKey(input.e164)),
    {
      set: [`#failedChecks = if_not_exists(#code.#digest, ${base}) + :one`, '#lastCheckAt = :now'],
      remove: ['#code.#digest'],
      conditions: ['attribute_exists(#code)', '#codeExpiresAt > :now', lock],
      names: pick(['#failedChecks', '#code', '#codeExpiresAt', '#lastCheckAt'], { '#digest': input.codeDigest }),
      values: {
        ':one': n(1),
        ':now': n(input.now),
        ':max': n(input.maxFailedChecks),
        ...(variant === 'lock-expired' ? { ':zero': n(0), ':lockCutoff': n(input.now - input.lockMs) } : {}),
      },
    },
    checkResult(input.now, checkId, 'if_not_exists(#code.#digest, :wrong)'),
    { values: { ':wrong': n(WRONG) } },
    writeGuard(input.now, [checkId]),
  );
}
