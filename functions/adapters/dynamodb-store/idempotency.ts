/**
 * Idempotency claims: one item per caller and key, claimed by a conditional
 * write when the send starts, completed with the sealed answer when it ends.
 *
 * Item key `idempotency#<digest of caller and key>`:
 *   status (in-progress | completed), requestDigest, until, inProgressUntil (ms),
 *   sealedAnswer (the first answer, AES-GCM sealed: it may carry the code), expiresAt,
 *   claimId (the send that holds the claim: only it completes or releases),
 *   writeIds0..3 (the claims' write ids, guards.ts: a claim's repeat is recognised, and a fenced claim never applies late)
 */
import type { IdempotencyClaim, IdempotencyRecord } from '../../core/ports';
import { FUNCTION_TIMEOUT_SECONDS } from '../client-options';
import { fence, hasWriteId, writeGuard } from './guards';
import { composeUpdate, keyOf, n, NAMES, pick, readNumber, RETENTION_MARGIN_MS, secondsOf, type Item, type Table } from './table';

const idempotencyKeyOf = (key: string): Item => keyOf(`idempotency#${key}`);
const partitionKeyOf = (key: string): string => `idempotency#${key}`;

/**
 * A claim in progress for longer than this belongs to a request that died (Lambda ended it at its timeout), and a
 * repeat may run again. Longer than the function's timeout, so a live request is never taken over.
 */
export const IN_PROGRESS_MS = (FUNCTION_TIMEOUT_SECONDS + 10) * 1000;

/**
 * Claims a key unless a live claim holds it: a claim lives until `until`, or,
 * while its request is in progress, only until `inProgressUntil` (after which
 * its request is taken to have died). When the key is held, answers its record.
 */
export async function claim(
  table: Table,
  claim: IdempotencyClaim,
  claimId: string,
  now: number,
): Promise<IdempotencyRecord | undefined> {
  const { written, item, afterUnknown } = await table.update(
    composeUpdate(
      idempotencyKeyOf(claim.key),
      {
        set: [
          '#status = :inProgress',
          '#requestDigest = :requestDigest',
          '#until = :until',
          '#inProgressUntil = :inProgressUntil',
          '#expiresAt = :expiresAt',
          '#claimId = :claimId',
        ],
        remove: ['#sealedAnswer'],
        conditions: ['(attribute_not_exists(#status) OR #until <= :now OR (#status = :inProgress AND #inProgressUntil <= :now))'],
        names: pick(['#status', '#requestDigest', '#until', '#inProgressUntil', '#expiresAt', '#sealedAnswer', '#claimId']),
        values: {
          ':inProgress': { S: 'in-progress' },
          ':requestDigest': { S: claim.requestDigest },
          ':until': n(claim.until),
          ':inProgressUntil': n(now + IN_PROGRESS_MS),
          ':expiresAt': secondsOf(claim.until + RETENTION_MARGIN_MS),
          ':claimId': { S: claimId },
          ':now': n(now),
        },
      },
      writeGuard(now, [claimId]),
    ),
    { repeat: 'guarded' },
  );
  // A claim refused because it carries this send's own write id is an earlier attempt of this write whose answer was lost.
  if (written || hasWriteId(item, now, claimId)) return undefined;
  if (afterUnknown) {
    // Refused after an attempt whose answer was lost: that attempt may still apply, late. Fence it; if it had
    // applied meanwhile, the claim is this send's after all.
    const fenced = await fence(table, partitionKeyOf(claim.key), now, claimId, claim.until + RETENTION_MARGIN_MS);
    if (fenced.applied) return undefined;
  }
  return recordOf(item);
}

export async function complete(table: Table, key: string, claimId: string, sealedAnswer: string): Promise<void> {
  await table.update(
    {
      Key: idempotencyKeyOf(key),
      UpdateExpression: 'SET #status = :completed, #sealedAnswer = :answer',
      ConditionExpression: '#claimId = :claimId',
      ExpressionAttributeNames: pick(['#status', '#sealedAnswer', '#claimId']),
      ExpressionAttributeValues: { ':completed': { S: 'completed' }, ':answer': { S: sealedAnswer }, ':claimId': { S: claimId } },
    },
    { repeat: 'guarded' },
  );
}

/** Expires this send's claim at once (and nobody else's): the next claim of the key overwrites it. */
export async function release(table: Table, key: string, claimId: string): Promise<void> {
  await table.update(
    {
      Key: idempotencyKeyOf(key),
      UpdateExpression: 'SET #until = :zero, #inProgressUntil = :zero',
      ConditionExpression: '#claimId = :claimId',
      ExpressionAttributeNames: pick(['#until', '#inProgressUntil', '#claimId']),
      ExpressionAttributeValues: { ':zero': n(0), ':claimId': { S: claimId } },
    },
    { repeat: 'guarded' },
  );
}

/**
 * Gives up a claim whose outcome is not known: fences it off, so that a late
 * copy of it never applies, or, if it had applied, releases it.
 */
export async function retire(table: Table, claim: IdempotencyClaim, claimId: string, now: number): Promise<void> {
  const fenced = await fence(table, partitionKeyOf(claim.key), now, claimId, claim.until + RETENTION_MARGIN_MS);
  if (fenced.applied) await release(table, claim.key, claimId);
}

export async function read(table: Table, key: string, now: number): Promise<IdempotencyRecord | undefined> {
  const item = await table.read(idempotencyKeyOf(key));
  return item && (readNumber(item, NAMES['#until']) ?? 0) > now ? recordOf(item) : undefined;
}

function recordOf(item: Item | undefined): IdempotencyRecord {
  const requestDigest = item?.[NAMES['#requestDigest']]?.S ?? '';
  const sealedAnswer = item?.[NAMES['#sealedAnswer']]?.S;
  return item?.[NAMES['#status']]?.S === 'completed' && sealedAnswer !== undefined
    ? { status: 'completed', requestDigest, sealedAnswer }
    : { status: 'in-progress', requestDigest };
}
