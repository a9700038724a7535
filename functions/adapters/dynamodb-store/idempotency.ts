/**
 * Idempotency claims: one item per caller and key, claimed by a conditional
 * write when the send starts, completed with the sealed answer when it ends.
 *
 * Item key `idempotency#<digest of caller and key>`:
 *   status (in-progress | completed), requestDigest, until, inProgressUntil (ms),
 *   sealedAnswer (the first answer, AES-GCM sealed: it may carry the code), expiresAt,
 *   claimId (the send that holds the claim: its own repeated claim is recognised, and only it completes or releases),
 *   retiredClaimId (a send that gave its claim up, or fenced it off: a late copy of its claim never applies)
 */
import type { IdempotencyClaim, IdempotencyRecord } from '../../core/ports';
import { keyOf, n, NAMES, pick, readNumber, RETENTION_MARGIN_MS, secondsOf, type Item, type Table } from './table';

const idempotencyKeyOf = (key: string): Item => keyOf(`idempotency#${key}`);

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
  const { written, item } = await table.update(
    {
      Key: idempotencyKeyOf(claim.key),
      UpdateExpression:
        'SET #status = :inProgress, #requestDigest = :requestDigest, #until = :until, ' +
        '#inProgressUntil = :inProgressUntil, #expiresAt = :expiresAt, #claimId = :claimId REMOVE #sealedAnswer',
      ConditionExpression:
        '(attribute_not_exists(#status) OR #until <= :now OR (#status = :inProgress AND #inProgressUntil <= :now)) ' +
        'AND (attribute_not_exists(#retiredClaimId) OR #retiredClaimId <> :claimId)',
      ExpressionAttributeNames: pick([
        '#status',
        '#requestDigest',
        '#until',
        '#inProgressUntil',
        '#expiresAt',
        '#sealedAnswer',
        '#claimId',
        '#retiredClaimId',
      ]),
      ExpressionAttributeValues: {
        ':inProgress': { S: 'in-progress' },
        ':requestDigest': { S: claim.requestDigest },
        ':until': n(claim.until),
        ':inProgressUntil': n(claim.inProgressUntil),
        ':expiresAt': secondsOf(claim.until + RETENTION_MARGIN_MS),
        ':claimId': { S: claimId },
        ':now': n(now),
      },
    },
    { repeat: 'guarded' },
  );
  // A live claim that is this send's own is an earlier attempt of this write whose answer was lost.
  return written || item?.[NAMES['#claimId']]?.S === claimId ? undefined : recordOf(item);
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
      UpdateExpression: 'SET #until = :zero, #inProgressUntil = :zero, #retiredClaimId = :claimId',
      ConditionExpression: '#claimId = :claimId',
      ExpressionAttributeNames: pick(['#until', '#inProgressUntil', '#claimId', '#retiredClaimId']),
      ExpressionAttributeValues: { ':zero': n(0), ':claimId': { S: claimId } },
    },
    { repeat: 'guarded' },
  );
}

/**
 * Gives up a claim whose outcome is not known: fences it off, so that a late
 * copy of it never applies, or, if it had applied, releases it.
 */
export async function retire(table: Table, claim: IdempotencyClaim, claimId: string): Promise<void> {
  const fence = await table.update(
    {
      Key: idempotencyKeyOf(claim.key),
      UpdateExpression: 'SET #retiredClaimId = :claimId, #expiresAt = if_not_exists(#expiresAt, :expiresAt)',
      ConditionExpression: 'attribute_not_exists(#claimId) OR #claimId <> :claimId',
      ExpressionAttributeNames: pick(['#retiredClaimId', '#claimId', '#expiresAt']),
      ExpressionAttributeValues: { ':claimId': { S: claimId }, ':expiresAt': secondsOf(claim.until + RETENTION_MARGIN_MS) },
    },
    { repeat: 'guarded' },
  );
  if (!fence.written) await release(table, claim.key, claimId);
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
