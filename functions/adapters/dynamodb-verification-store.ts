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
 * before the request is answered: the number's writes carry their request's
 * id and are repeated or fenced until their outcome is known (sends.ts,
 * checks.ts). The request then answers what happened: 503/5 only when nothing
 * changed, and 503/30 (OutcomeUnknownError), saying what may have changed,
 * when the table stayed unreachable.
 *
 * Each concern has its module under `dynamodb-store/`: sends (the number's item
 * and its undoing), checks, counters (sharded velocity limits) and idempotency.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DependencyUnavailableError, OutcomeUnknownError } from '../core/errors';
import type {
  CheckCodeInput,
  CheckCodeResult,
  IdempotencyClaim,
  IdempotencyRecord,
  RecordCodeInput,
  RecordCodeResult,
  SendRecord,
  VerificationStore,
} from '../core/ports';
import { checkOnNumber, type NumberCheck } from './dynamodb-store/checks';
import { countEach, refundEach, type CountedSlot } from './dynamodb-store/counters';
import * as idempotency from './dynamodb-store/idempotency';
import { recordOnNumber, revokeOnNumber, type NumberWrite } from './dynamodb-store/sends';
import { Table, TableWriteError } from './dynamodb-store/table';

export { numberKey } from './dynamodb-store/table';

/** What a 503 may leave behind, in the words its answer uses. */
const MAY_HAVE = {
  sendCounted:
    'The verification store did not confirm this send: no SMS was sent and no code recorded, but the request may count against a rate limit; it is safe to try again',
  sendRecorded:
    "The verification store did not confirm this send: no SMS was sent, but the request may count against this number's limit; it is safe to try again",
  checkCounted:
    "The verification store did not confirm this check: the code was not checked, but the request may count against the caller's check limit; it is safe to try again",
  checkUsed:
    'The verification store did not confirm this check: the code may have been used. Try again; if the code is then refused, send a new one',
} as const;
const UNAVAILABLE = 'The verification store is unavailable; try again shortly';
const CONTENDED = 'Too many concurrent requests for this number; try again shortly';

export class DynamoDbVerificationStore implements VerificationStore {
  private readonly table: Table;

  constructor(client: DynamoDBClient, tableName: string) {
    this.table = new Table(client, tableName);
  }

  async recordCode(input: RecordCodeInput): Promise<RecordCodeResult> {
    const sendId = randomUUID();
    const claim = input.idempotency;
    const [claimed, counts] = await Promise.allSettled([
      claim ? idempotency.claim(this.table, claim, sendId, input.now) : Promise.resolve(undefined),
      countEach(this.table, input.velocity, input.now),
    ]);
    const counted = counts.status === 'fulfilled' ? counts.value.counted : [];
    const heldByOther = claimed.status === 'fulfilled' ? claimed.value : undefined;
    const ownClaim = !claim
      ? undefined
      : claimed.status === 'rejected'
        ? { claim, sendId, known: false } // its answer was lost: it may stand, or still arrive
        : heldByOther === undefined
          ? { claim, sendId, known: true }
          : undefined;
    /** Gives back what this send took before its code was recorded; false when something may stay taken. */
    const undo = () => this.undo(counted, ownClaim);

    if (claimed.status === 'rejected' || counts.status === 'rejected') {
      const clean = await undo();
      const countLost = counts.status === 'rejected' && isUnknown(counts.reason);
      if (countLost || !clean) throw new OutcomeUnknownError(MAY_HAVE.sendCounted);
      throw notApplied(counts.status === 'rejected' ? counts.reason : (claimed as PromiseRejectedResult).reason);
    }
    if (heldByOther) {
      await undo();
      return { outcome: 'duplicate', record: heldByOther };
    }
    if ('exhausted' in counts.value) {
      await undo();
      return { outcome: 'limit-reached', limit: counts.value.exhausted };
    }

    let written: NumberWrite;
    try {
      written = await recordOnNumber(this.table, input, sendId);
    } catch (error) {
      const clean = await undo();
      if (isUnknown(error)) throw new OutcomeUnknownError(MAY_HAVE.sendRecorded);
      throw clean ? notApplied(error) : new OutcomeUnknownError(MAY_HAVE.sendCounted);
    }
    if (written.outcome !== 'recorded') {
      const clean = await undo();
      if (written.outcome === 'limit-reached') return { outcome: 'limit-reached', limit: 'number' };
      if (!clean) throw new OutcomeUnknownError(MAY_HAVE.sendCounted);
      throw new DependencyUnavailableError(written.outcome === 'contended' ? CONTENDED : UNAVAILABLE);
    }
    return {
      outcome: 'recorded',
      routeStreak: written.routeStreak,
      record: { e164: input.e164, codeDigest: input.codeDigest, sentAt: input.now, sendId, counted, idempotencyKey: claim?.key },
    };
  }

  async revokeCode(send: SendRecord): Promise<void> {
    // Independent undoings: each is right on its own, and a revocation must not stop halfway over one of them.
    const [number, counts] = await Promise.allSettled([revokeOnNumber(this.table, send), refundEach(this.table, send.counted)]);
    if (number.status === 'rejected') throw number.reason;
    if (counts.status === 'rejected') throw counts.reason;
    if (number.value === 'contended') throw new DependencyUnavailableError(CONTENDED);
  }

  async checkCode(input: CheckCodeInput): Promise<CheckCodeResult> {
    // The caller's counts come first: a caller over its limit gets no guess evaluated at all.
    let counted: CountedSlot[];
    try {
      const counts = await countEach(this.table, input.velocity, input.now);
      if ('exhausted' in counts) return { outcome: 'limit-reached', limit: counts.exhausted };
      counted = counts.counted;
    } catch (error) {
      throw isUnknown(error) ? new OutcomeUnknownError(MAY_HAVE.checkCounted) : notApplied(error);
    }

    let checked: NumberCheck;
    try {
      checked = await checkOnNumber(this.table, input, randomUUID());
    } catch (error) {
      if (isUnknown(error)) throw new OutcomeUnknownError(MAY_HAVE.checkUsed);
      const clean = await this.undo(counted);
      throw clean ? notApplied(error) : new OutcomeUnknownError(MAY_HAVE.checkCounted);
    }
    if (checked.outcome === 'not-checked' || checked.outcome === 'contended') {
      // Nothing was evaluated: the caller's count is given back, so that the 503 is true.
      if (!(await this.undo(counted))) throw new OutcomeUnknownError(MAY_HAVE.checkCounted);
      throw new DependencyUnavailableError(checked.outcome === 'contended' ? CONTENDED : UNAVAILABLE);
    }
    if (checked.outcome === 'verified') {
      // Limits of failed checks only (limit-by) counted this check in advance; it did not fail. A refund that does not
      // go through leaves the limit one stricter, which is safe.
      const given = input.velocity.flatMap((limit, i) => (limit.failuresOnly && counted[i] ? [counted[i]] : []));
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

  /** Gives back counts and a claim; true when all of it surely is given back. */
  private async undo(
    counted: readonly CountedSlot[],
    own?: { claim: IdempotencyClaim; sendId: string; known: boolean },
  ): Promise<boolean> {
    const outcomes = await Promise.allSettled([
      refundEach(this.table, counted),
      own && (own.known ? idempotency.release(this.table, own.claim.key, own.sendId) : idempotency.retire(this.table, own.claim, own.sendId)),
    ]);
    return outcomes.every((outcome) => outcome.status === 'fulfilled');
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
