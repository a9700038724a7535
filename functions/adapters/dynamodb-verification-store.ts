/**
 * The verification store on one DynamoDB table: one item per phone number,
 * one per velocity-counter shard and window, one per idempotency key.
 *
 * Every rule is a condition on the write that changes state; nothing is read
 * first, and no write is a transaction. A send counts itself against every
 * velocity limit (and claims its idempotency key) in parallel single-item
 * writes, then records the code on the number's item; a refusal at any step
 * gives back what the earlier ones took. Items that many requests write (a
 * caller's counter, the deployment's ceiling) are kept out of transactions,
 * because DynamoDB cancels a transaction that meets another on an item, and
 * are sharded, because one item takes at most 1 000 writes a second. A check
 * is one UpdateItem on the number, after the caller's count when checks are
 * limited.
 *
 * Answers never lie about what changed. A write whose answer is lost (a
 * timeout, a reset connection, a 5xx) may have been applied, so it is settled
 * before the request is answered: the number's writes carry write ids that no
 * other request's write erases, and are repeated or fenced until their outcome
 * is known (guards.ts). An outcome that stays unknown travels with the request
 * (a count that may stand twice, a refund that did not go through), so the
 * answer is 503/5 only when nothing changed, and otherwise 503/30
 * (OutcomeUnknownError), saying what may have changed.
 *
 * Each concern has its module under `dynamodb-store/`: sends (the number's item
 * and its undoing), checks, counters (sharded velocity limits), idempotency,
 * and guards (write ids).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DependencyUnavailableError, OutcomeUnknownError, type UnknownOutcome } from '../core/errors';
import type {
  CheckCodeInput,
  CheckCodeResult,
  IdempotencyClaim,
  IdempotencyRecord,
  RecordCodeInput,
  RecordCodeResult,
  SendRecord,
  VerificationStore,
  VelocityKind,
  VelocityLimit,
} from '../core/ports';
import { checkOnNumber, type NumberCheck } from './dynamodb-store/checks';
import { countEach, refundEach, type CountedSlot } from './dynamodb-store/counters';
import { newWriteId } from './dynamodb-store/guards';
import * as idempotency from './dynamodb-store/idempotency';
import { recordOnNumber, revokeOnNumber, type NumberWrite } from './dynamodb-store/sends';
import { Table, TableWriteError } from './dynamodb-store/table';

export { numberKey } from './dynamodb-store/table';


/** What this request took before its code was recorded, and whether a count of it may stand twice. */
interface Taken {
  counted: readonly CountedSlot[];
  mayBeDoubled: boolean;
  claim?: { claim: IdempotencyClaim; claimId: string; now: number; known: boolean };
}

export class DynamoDbVerificationStore implements VerificationStore {
  private readonly table: Table;

  constructor(client: DynamoDBClient, tableName: string) {
    this.table = new Table(client, tableName);
  }

  async recordCode(input: RecordCodeInput): Promise<RecordCodeResult> {
    const sendId = newWriteId();
    const claim = input.idempotency;
    const [claimed, counts] = await Promise.allSettled([
      claim ? idempotency.claim(this.table, claim, sendId, input.now) : Promise.resolve(undefined),
      countEach(this.table, input.velocity, input.now),
    ]);
    const heldByOther = claimed.status === 'fulfilled' ? claimed.value : undefined;
    const taken: Taken = {
      counted: counts.status === 'fulfilled' ? counts.value.counted : [],
      mayBeDoubled: counts.status === 'fulfilled' && counts.value.mayBeDoubled,
      claim:
        !claim || heldByOther !== undefined
          ? undefined
          : // A claim whose answer was lost may stand, or still arrive: it is fenced rather than released.
            { claim, claimId: sendId, now: input.now, known: claimed.status === 'fulfilled' },
    };

    if (claimed.status === 'rejected' || counts.status === 'rejected') {
      const clean = await this.undo(taken);
      const countLost = counts.status === 'rejected' && isUnknown(counts.reason);
      if (countLost || !clean) throw new OutcomeUnknownError('send-counted');
      throw notApplied(counts.status === 'rejected' ? counts.reason : (claimed as PromiseRejectedResult).reason);
    }
    if (heldByOther) {
      await this.undo(taken);
      return { outcome: 'duplicate', record: heldByOther };
    }
    if ('exhausted' in counts.value) {
      await this.undo(taken);
      return { outcome: 'limit-reached', limit: counts.value.exhausted };
    }
    if ('paused' in counts.value) {
      await this.undo(taken);
      return { outcome: 'prefix-paused', limit: counts.value.paused, until: counts.value.until };
    }

    let written: NumberWrite;
    try {
      written = await recordOnNumber(this.table, input, sendId);
    } catch (error) {
      const clean = await this.undo(taken);
      if (isUnknown(error)) throw new OutcomeUnknownError('send-recorded');
      throw clean ? notApplied(error) : new OutcomeUnknownError('send-counted');
    }
    if (written.outcome !== 'recorded') {
      const clean = await this.undo(taken);
      if (written.outcome === 'limit-reached') return { outcome: 'limit-reached', limit: 'number' };
      if (written.outcome === 'locked') return { outcome: 'locked', lockedUntil: written.lockedUntil };
      if (!clean) throw new OutcomeUnknownError('send-counted');
      throw new DependencyUnavailableError(written.outcome === 'contended' ? 'number-contended' : 'store-unavailable');
    }
    return {
      outcome: 'recorded',
      routeStreak: written.routeStreak,
      record: {
        e164: input.e164,
        codeDigest: input.codeDigest,
        sentAt: input.now,
        sendId,
        recordWriteId: written.writeId,
        counted: taken.counted,
        countsMayBeDoubled: taken.mayBeDoubled,
        idempotencyKey: claim?.key,
      },
    };
  }

  async revokeCode(send: SendRecord): Promise<void> {
    // Independent undoings: each is right on its own, and a revocation must not stop halfway over one of them.
    const [number, counts] = await Promise.allSettled([revokeOnNumber(this.table, send), refundEach(this.table, send.counted)]);
    const undone = number.status === 'fulfilled' && number.value === 'revoked' && counts.status === 'fulfilled' && !send.countsMayBeDoubled;
    if (!undone) {
      const cause = number.status === 'rejected' ? number.reason : counts.status === 'rejected' ? counts.reason : undefined;
      throw new OutcomeUnknownError('send-not-undone', { cause });
    }
  }

  async countEvents(limits: readonly VelocityLimit[], now: number): Promise<{ exhausted: VelocityKind } | { counted: readonly string[] }> {
    const counts = await countEach(this.table, limits, now);
    if ('exhausted' in counts) return { exhausted: counts.exhausted };
    // A call to a paused prefix is as refused as one past its limit: the fallback texts instead.
    if ('paused' in counts) return { exhausted: counts.paused };
    return { counted: counts.counted };
  }

  async refundEvents(counted: readonly string[]): Promise<void> {
    await refundEach(this.table, counted);
  }

  async checkCode(input: CheckCodeInput): Promise<CheckCodeResult> {
    // The caller's counts come first: a caller over its limit gets no guess evaluated at all.
    let taken: Taken;
    try {
      const counts = await countEach(this.table, input.velocity, input.now);
      if ('exhausted' in counts) return { outcome: 'limit-reached', limit: counts.exhausted };
      if ('paused' in counts) return { outcome: 'limit-reached', limit: counts.paused }; // checks count no prefix
      taken = counts;
    } catch (error) {
      throw isUnknown(error) ? new OutcomeUnknownError('check-counted') : notApplied(error);
    }
    const refusedUnchecked = async (error: unknown): Promise<never> => {
      // Nothing was evaluated: the caller's count is given back, so that a 503/5 is true.
      if (!(await this.undo(taken))) throw new OutcomeUnknownError('check-counted');
      throw error;
    };

    let checked: NumberCheck;
    try {
      checked = await checkOnNumber(this.table, input);
    } catch (error) {
      if (isUnknown(error)) throw new OutcomeUnknownError('check-used');
      return refusedUnchecked(notApplied(error));
    }
    if (checked.outcome === 'not-checked' || checked.outcome === 'contended') {
      return refusedUnchecked(new DependencyUnavailableError(checked.outcome === 'contended' ? 'number-contended' : 'store-unavailable'));
    }
    if (checked.outcome === 'verified') {
      // Limits of failed checks only (limit-by) counted this check in advance; it did not fail. A refund that does not
      // go through leaves the limit one stricter, which is safe.
      const given = input.velocity.flatMap((limit, i) => (limit.failuresOnly && taken.counted[i] ? [taken.counted[i]] : []));
      if (given.length > 0) await refundEach(this.table, given).catch(() => undefined);
    }
    return checked;
  }

  async completeIdempotency(send: SendRecord, sealedAnswer: string): Promise<void> {
    if (send.idempotencyKey === undefined) return;
    await idempotency.complete(this.table, send.idempotencyKey, send.sendId, sealedAnswer);
  }

  async releaseIdempotency(send: SendRecord): Promise<void> {
    if (send.idempotencyKey === undefined) return;
    await idempotency.release(this.table, send.idempotencyKey, send.sendId);
  }

  readIdempotency(key: string, now: number): Promise<IdempotencyRecord | undefined> {
    return idempotency.read(this.table, key, now);
  }

  /**
   * Gives back counts and a claim. True only when all of it surely is given back: not when a refund or the claim's
   * release failed, nor when a count may stand twice (one refund then leaves one behind).
   */
  private async undo({ counted, mayBeDoubled, claim }: Taken): Promise<boolean> {
    const outcomes = await Promise.allSettled([
      refundEach(this.table, counted),
      claim &&
        (claim.known
          ? idempotency.release(this.table, claim.claim.key, claim.claimId)
          : idempotency.retire(this.table, claim.claim, claim.claimId, claim.now)),
    ]);
    return !mayBeDoubled && outcomes.every((outcome) => outcome.status === 'fulfilled');
  }
}

/** A write that may have been applied. */
function isUnknown(error: unknown): boolean {
  return error instanceof TableWriteError && error.applied === 'unknown';
}

/** The answer for a write that surely did not apply: its table failure (503/5), or the error itself. */
function notApplied(error: unknown): unknown {
  return error instanceof TableWriteError ? error.cause : error;
}

export type { UnknownOutcome };
