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
 * Each concern has its module under `dynamodb-store/`: sends (the number's item
 * and its undoing), checks, counters (sharded velocity limits) and idempotency.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type {
  CheckCodeInput,
  CheckCodeResult,
  IdempotencyRecord,
  RecordCodeInput,
  RecordCodeResult,
  RevokeCodeInput,
  VerificationStore,
} from '../core/ports';
import { checkOnNumber } from './dynamodb-store/checks';
import { countEach, refundEach } from './dynamodb-store/counters';
import * as idempotency from './dynamodb-store/idempotency';
import { recordOnNumber, revokeOnNumber } from './dynamodb-store/sends';
import { Table } from './dynamodb-store/table';

export { numberKey } from './dynamodb-store/table';

export class DynamoDbVerificationStore implements VerificationStore {
  private readonly table: Table;

  constructor(client: DynamoDBClient, tableName: string) {
    this.table = new Table(client, tableName);
  }

  async recordCode(input: RecordCodeInput): Promise<RecordCodeResult> {
    const claim = input.idempotency;
    const [claimed, counts] = await Promise.allSettled([
      claim ? idempotency.claim(this.table, claim, input.now) : Promise.resolve(undefined),
      countEach(this.table, input.velocity, input.now),
    ]);
    const counted = counts.status === 'fulfilled' ? counts.value.counted : [];
    const heldByOther = claimed.status === 'fulfilled' ? claimed.value : undefined;
    const weClaimed = claim !== undefined && claimed.status === 'fulfilled' && heldByOther === undefined;
    /** Gives back what this send took so far: it is refused, or failed, before its code was recorded. */
    const undo = async () => {
      await Promise.all([refundEach(this.table, counted), weClaimed ? idempotency.release(this.table, claim.key) : undefined]);
    };

    if (claimed.status === 'rejected' || counts.status === 'rejected') {
      await undo().catch(() => undefined);
      throw claimed.status === 'rejected' ? claimed.reason : (counts as PromiseRejectedResult).reason;
    }
    if (heldByOther) {
      await undo();
      return { outcome: 'duplicate', record: heldByOther };
    }
    if ('exhausted' in counts.value) {
      await undo();
      return { outcome: 'limit-reached', limit: counts.value.exhausted };
    }

    let written;
    try {
      written = await recordOnNumber(this.table, input);
    } catch (error) {
      await undo().catch(() => undefined);
      throw error;
    }
    if (written.outcome === 'limit-reached') {
      await undo();
      return { outcome: 'limit-reached', limit: 'number' };
    }
    return {
      outcome: 'recorded',
      routeStreak: written.routeStreak,
      revocation: { e164: input.e164, codeDigest: input.codeDigest, sentAt: input.now, counted },
    };
  }

  async revokeCode(input: RevokeCodeInput): Promise<void> {
    // Independent undoings: each is right on its own, and a revocation must not stop halfway over one of them.
    const outcomes = await Promise.allSettled([
      revokeOnNumber(this.table, input.e164, input.codeDigest, input.sentAt),
      refundEach(this.table, input.counted),
    ]);
    const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failure) throw failure.reason;
  }

  async checkCode(input: CheckCodeInput): Promise<CheckCodeResult> {
    // The caller's counts come first: a caller over its limit gets no guess evaluated at all.
    const counts = await countEach(this.table, input.velocity, input.now);
    if ('exhausted' in counts) return { outcome: 'limit-reached', limit: counts.exhausted };
    return checkOnNumber(this.table, input);
  }

  completeIdempotency(key: string, sealedAnswer: string): Promise<void> {
    return idempotency.complete(this.table, key, sealedAnswer);
  }

  releaseIdempotency(key: string): Promise<void> {
    return idempotency.release(this.table, key);
  }

  readIdempotency(key: string, now: number): Promise<IdempotencyRecord | undefined> {
    return idempotency.read(this.table, key, now);
  }
}
