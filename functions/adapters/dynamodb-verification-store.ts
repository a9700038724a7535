/**
 * The verification store on one DynamoDB table, one item per phone number.
 *
 * Every rule is a condition on the write that changes state; nothing is read
 * first. A send is one TransactWriteItems (the number's item and one counter
 * item per velocity limit, all conditional, all or nothing) when the store's
 * guess of the number's state is right, and two when it is not (the failed
 * condition returns the item, so the second write is exact). A check is one
 * UpdateItem, after one counter write when the caller's checks are limited,
 * plus a second UpdateItem only for the first check after a lock.
 *
 * Item for +447400123456, key `number#+447400123456`:
 *   code             map { <digest of the current code>: -1 }   (empty once used)
 *   codeExpiresAt    ms  the code is refused from then on (TTL deletion lags, so it is never relied on)
 *   failedChecks     n   failed checks since the last success or lock expiry
 *   lastCheckAt      ms  time of the last counted check (the lock runs from the check that locked)
 *   sendCount        n   sends in the current limit window
 *   limitWindowStartedAt ms  first send of the current limit window
 *   lastSentAt       ms  previous send, for the route-switch window
 *   routeStreak      n   repeats within the route-switch window (0 for the first send)
 *   expiresAt        s   TTL: the item may be deleted after every window it serves has ended
 *
 * Item per velocity limit and fixed window, key `velocity#<kind>#<subject>#<window number>`:
 *   count, expiresAt (the end of the window, plus a margin)
 *
 * Item per claimed idempotency key, key `idempotency#<digest of caller and key>`:
 *   status (in-progress | completed), requestDigest, until, inProgressUntil (ms),
 *   sealedAnswer (the first answer, AES-GCM sealed: it may carry the code), expiresAt
 *
 * How a check counts and consumes in one write: the code is stored as the key
 * of a map, under its keyed digest, with the value -1. A check with digest d
 * runs `SET failedChecks = if_not_exists(code.d, failedChecks) + 1 REMOVE code.d`:
 * a right code yields -1 + 1 = 0 (the count resets) and removes the code, so it
 * is accepted once; a wrong code adds one failure. The condition
 * `failedChecks < max` counts each check before it is evaluated, so concurrent
 * guesses can never be evaluated more than `max` times. The digest is an
 * HMAC with a secret key, so DynamoDB's lookup of a map key gives a caller no
 * timing signal about the code.
 */
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { DependencyUnavailableError } from '../core/errors';
import type {
  CheckCodeInput,
  CheckCodeResult,
  IdempotencyClaim,
  IdempotencyRecord,
  RecordCodeInput,
  RecordCodeResult,
  RevokeCodeInput,
  VelocityKind,
  VelocityLimit,
  VerificationStore,
} from '../core/ports';
import { asTableFailure } from './dynamodb-errors';
import { TABLE_PARTITION_KEY, TABLE_TTL_ATTRIBUTE } from './table-schema';

type Item = Record<string, AttributeValue>;

/** One conditional update, as both UpdateItem and TransactWriteItems take it (without the table name). */
interface UpdateParams {
  Key: Item;
  UpdateExpression: string;
  ConditionExpression?: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Item;
}

/** Writes of one operation before it gives up under contention for the same number. */
const MAX_WRITES = 8;

const NAMES = {
  '#code': 'code',
  '#codeExpiresAt': 'codeExpiresAt',
  '#failedChecks': 'failedChecks',
  '#lastCheckAt': 'lastCheckAt',
  '#sendCount': 'sendCount',
  '#windowStart': 'limitWindowStartedAt',
  '#lastSentAt': 'lastSentAt',
  '#routeStreak': 'routeStreak',
  '#expiresAt': TABLE_TTL_ATTRIBUTE,
  '#count': 'count',
  '#status': 'status',
  '#requestDigest': 'requestDigest',
  '#until': 'until',
  '#inProgressUntil': 'inProgressUntil',
  '#sealedAnswer': 'sealedAnswer',
} as const;

/** Counter items outlive their window by this much, so TTL deletion never removes a live one. */
const COUNTER_RETENTION_MARGIN_MS = 3_600_000;
const CAPACITY_REASONS = ['ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded'];

type NameKey = keyof typeof NAMES;

export const numberKey = (e164: string): string => `number#${e164}`;
const keyOf = (e164: string): Item => ({ [TABLE_PARTITION_KEY]: { S: numberKey(e164) } });
const idempotencyKeyOf = (key: string): Item => ({ [TABLE_PARTITION_KEY]: { S: `idempotency#${key}` } });

const n = (value: number): AttributeValue => ({ N: String(value) });
const readNumber = (item: Item | undefined, attribute: string): number | undefined => {
  const value = item?.[attribute]?.N;
  return value === undefined ? undefined : Number(value);
};

/** What a send must assume about the number's state; a wrong guess fails the condition and is corrected. */
interface SendState {
  limitWindow: { kind: 'new' } | { kind: 'continuing' };
  streak: { kind: 'fresh' } | { kind: 'continuing'; previous: number };
}

type CheckVariant = 'unlocked' | 'lock-expired';

export class DynamoDbVerificationStore implements VerificationStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async recordCode(input: RecordCodeInput): Promise<RecordCodeResult> {
    // Most sends go to a number that is inside its limit window and not repeating within the switch window.
    let state: SendState = { limitWindow: { kind: 'continuing' }, streak: { kind: 'fresh' } };
    const claim = input.idempotency;
    const firstCounter = claim ? 2 : 1;
    for (let write = 0; write < MAX_WRITES; write++) {
      const items: TransactWriteItem[] = [
        {
          Update: {
            ...recordCodeUpdate(input, state),
            TableName: this.tableName,
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
        ...(claim
          ? [{ Update: { ...claimUpdate(claim, input.now), TableName: this.tableName, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } }]
          : []),
        ...input.velocity.map((limit) => ({
          Update: { ...counterUpdate(limit, input.now, +1), TableName: this.tableName },
        })),
      ];
      try {
        await this.client.send(new TransactWriteItemsCommand({ TransactItems: items }));
        return { outcome: 'recorded', routeStreak: state.streak.kind === 'fresh' ? 0 : state.streak.previous + 1 };
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw asTableFailure(error);
        const reasons = error.CancellationReasons ?? [];
        if (claim && reasons[1]?.Code === 'ConditionalCheckFailed') {
          return { outcome: 'duplicate', record: idempotencyRecordOf(reasons[1].Item) };
        }
        const exhausted = input.velocity.find((_, i) => reasons[i + firstCounter]?.Code === 'ConditionalCheckFailed');
        if (exhausted) return { outcome: 'limit-reached', limit: exhausted.kind };
        if (reasons[0]?.Code === 'ConditionalCheckFailed') {
          const actual = sendStateOf(reasons[0].Item, input);
          if (actual === 'limit-reached') return { outcome: 'limit-reached', limit: 'number' };
          state = actual;
        } else if (reasons.some((reason) => reason.Code === 'TransactionConflict')) {
          // Another transaction holds one of the items (a busy counter): wait a little and try again.
          await sleep(5 + Math.random() * 20 * (write + 1));
        } else if (reasons.some((reason) => CAPACITY_REASONS.includes(reason.Code ?? ''))) {
          throw new DependencyUnavailableError('The verification store is busy; try again shortly', { cause: error });
        } else {
          throw error;
        }
      }
    }
    throw new DependencyUnavailableError('Too many concurrent requests for this number; try again shortly');
  }

  async revokeCode(input: RevokeCodeInput): Promise<void> {
    // Independent refunds: each is right on its own, and a revocation must not fail as a whole over one of them.
    await Promise.all([
      this.refundNumber(input),
      ...input.velocity.map((limit) => this.update(counterUpdate(limit, input.sentAt, -1), 'NONE')),
    ]);
  }

  private async refundNumber(input: RevokeCodeInput): Promise<void> {
    const refund = await this.update(
      {
        Key: keyOf(input.e164),
        UpdateExpression: 'SET #sendCount = #sendCount - :one REMOVE #code.#digest',
        // The window that counted the send began at or before it; a later window must not be refunded.
        ConditionExpression: '#windowStart <= :sentAt AND #sendCount > :zero',
        ExpressionAttributeNames: pick(['#sendCount', '#code', '#windowStart'], { '#digest': input.codeDigest }),
        ExpressionAttributeValues: { ':one': n(1), ':zero': n(0), ':sentAt': n(input.sentAt) },
      },
      'NONE',
    );
    if (refund.written) return;
    // The limit window has moved on since the send: nothing to refund, but the code must go.
    await this.update(
      {
        Key: keyOf(input.e164),
        UpdateExpression: 'REMOVE #code.#digest',
        ConditionExpression: 'attribute_exists(#code)',
        ExpressionAttributeNames: pick(['#code'], { '#digest': input.codeDigest }),
      },
      'NONE',
    );
  }

  async completeIdempotency(key: string, sealedAnswer: string): Promise<void> {
    await this.update(
      {
        Key: idempotencyKeyOf(key),
        UpdateExpression: 'SET #status = :completed, #sealedAnswer = :answer',
        ConditionExpression: 'attribute_exists(#status)',
        ExpressionAttributeNames: pick(['#status', '#sealedAnswer']),
        ExpressionAttributeValues: { ':completed': { S: 'completed' }, ':answer': { S: sealedAnswer } },
      },
      'NONE',
    );
  }

  async releaseIdempotency(key: string): Promise<void> {
    // Expired at once: the next claim of the key overwrites it.
    await this.update(
      {
        Key: idempotencyKeyOf(key),
        UpdateExpression: 'SET #until = :zero, #inProgressUntil = :zero',
        ConditionExpression: 'attribute_exists(#status)',
        ExpressionAttributeNames: pick(['#status', '#until', '#inProgressUntil']),
        ExpressionAttributeValues: { ':zero': n(0) },
      },
      'NONE',
    );
  }

  async readIdempotency(key: string, now: number): Promise<IdempotencyRecord | undefined> {
    let item: Item | undefined;
    try {
      ({ Item: item } = await this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: idempotencyKeyOf(key), ConsistentRead: true }),
      ));
    } catch (error) {
      throw asTableFailure(error);
    }
    return item && (readNumber(item, NAMES['#until']) ?? 0) > now ? idempotencyRecordOf(item) : undefined;
  }

  async checkCode(input: CheckCodeInput): Promise<CheckCodeResult> {
    // The caller's counts come first: a caller over its limit gets no guess evaluated at all.
    const exhausted = await this.countAll(input.velocity, input.now);
    return exhausted ? { outcome: 'limit-reached', limit: exhausted } : this.check(input);
  }

  /** Counts one event against each limit; if one is exhausted, refunds the others and names it. */
  private async countAll(velocity: VelocityLimit[], now: number): Promise<VelocityKind | undefined> {
    const counted = await Promise.all(velocity.map((limit) => this.update(counterUpdate(limit, now, +1), 'NONE')));
    const exhausted = velocity.find((_, i) => !counted[i]!.written);
    if (exhausted) {
      await Promise.all(
        velocity.filter((_, i) => counted[i]!.written).map((limit) => this.update(counterUpdate(limit, now, -1), 'NONE')),
      );
    }
    return exhausted?.kind;
  }

  private async check(input: CheckCodeInput): Promise<CheckCodeResult> {
    let variant: CheckVariant = 'unlocked';
    for (let write = 0; write < MAX_WRITES; write++) {
      const outcome = await this.update(checkCodeUpdate(input, variant), 'UPDATED_NEW');
      if (outcome.written) {
        const failedChecks = readNumber(outcome.item, NAMES['#failedChecks']) ?? 0;
        if (failedChecks === 0) return { outcome: 'verified' };
        return { outcome: 'rejected', why: 'wrong-code', lockedNow: failedChecks >= input.maxFailedChecks };
      }
      const item = outcome.item;
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

  /** One conditional UpdateItem; a failed condition is an answer (with the item as it is), not an error. */
  private async update(
    params: UpdateParams,
    returnValues: 'UPDATED_NEW' | 'NONE',
  ): Promise<{ written: boolean; item: Item | undefined }> {
    try {
      const result = await this.client.send(
        new UpdateItemCommand({
          ...params,
          TableName: this.tableName,
          ReturnValues: returnValues,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { written: true, item: result.Attributes };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { written: false, item: error.Item };
      throw asTableFailure(error);
    }
  }
}

/** The number's update for a send, on conditions that hold the state the store expects. */
function recordCodeUpdate(input: RecordCodeInput, state: SendState): UpdateParams {
  const set = [
    '#code = :code',
    '#codeExpiresAt = :codeExpiresAt',
    '#lastSentAt = :now',
    '#failedChecks = if_not_exists(#failedChecks, :zero)',
    '#expiresAt = :expiresAt',
  ];
  const conditions: string[] = [];
  const values: Record<string, AttributeValue> = {
    ':code': { M: { [input.codeDigest]: n(-1) } },
    ':codeExpiresAt': n(input.codeExpiresAt),
    ':now': n(input.now),
    ':zero': n(0),
    ':one': n(1),
    ':expiresAt': n(Math.ceil(input.retainUntil / 1000)),
    ':windowCutoff': n(input.now - input.limitWindowMs),
    ':switchCutoff': n(input.now - input.routeSwitchWindowMs),
  };

  if (state.limitWindow.kind === 'new') {
    conditions.push('(attribute_not_exists(#windowStart) OR #windowStart <= :windowCutoff)');
    set.push('#sendCount = :one', '#windowStart = :now');
  } else {
    conditions.push('#windowStart > :windowCutoff AND #sendCount < :limit');
    set.push('#sendCount = #sendCount + :one');
    values[':limit'] = n(input.limit);
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
    Key: keyOf(input.e164),
    UpdateExpression: `SET ${set.join(', ')}`,
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: pick([
      '#code',
      '#codeExpiresAt',
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

function checkCodeUpdate(input: CheckCodeInput, variant: CheckVariant): UpdateParams {
  // A right code reads the stored -1 (0 failures after the +1); a wrong one counts a failure on top of the
  // current count, or, once a lock has run out, on top of zero.
  const base = variant === 'unlocked' ? '#failedChecks' : ':zero';
  const lock =
    variant === 'unlocked' ? '#failedChecks < :max' : '#failedChecks >= :max AND #lastCheckAt <= :lockCutoff';
  return {
    Key: keyOf(input.e164),
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

/**
 * Claims an idempotency key unless a live claim holds it: a claim lives until
 * `until`, or, while its request is in progress, only until `inProgressUntil`
 * (after which its request is taken to have died).
 */
function claimUpdate(claim: IdempotencyClaim, now: number): UpdateParams {
  return {
    Key: idempotencyKeyOf(claim.key),
    UpdateExpression:
      'SET #status = :inProgress, #requestDigest = :requestDigest, #until = :until, ' +
      '#inProgressUntil = :inProgressUntil, #expiresAt = :expiresAt REMOVE #sealedAnswer',
    ConditionExpression:
      'attribute_not_exists(#status) OR #until <= :now OR (#status = :inProgress AND #inProgressUntil <= :now)',
    ExpressionAttributeNames: pick(['#status', '#requestDigest', '#until', '#inProgressUntil', '#expiresAt', '#sealedAnswer']),
    ExpressionAttributeValues: {
      ':inProgress': { S: 'in-progress' },
      ':requestDigest': { S: claim.requestDigest },
      ':until': n(claim.until),
      ':inProgressUntil': n(claim.inProgressUntil),
      ':expiresAt': n(Math.ceil((claim.until + COUNTER_RETENTION_MARGIN_MS) / 1000)),
      ':now': n(now),
    },
  };
}

function idempotencyRecordOf(item: Item | undefined): IdempotencyRecord {
  const requestDigest = item?.[NAMES['#requestDigest']]?.S ?? '';
  const sealedAnswer = item?.[NAMES['#sealedAnswer']]?.S;
  return item?.[NAMES['#status']]?.S === 'completed' && sealedAnswer !== undefined
    ? { status: 'completed', requestDigest, sealedAnswer }
    : { status: 'in-progress', requestDigest };
}

/** Counts one event (+1) or refunds one (-1) in the limit's window that contains `at`. */
function counterUpdate(limit: VelocityLimit, at: number, change: 1 | -1): UpdateParams {
  const window = Math.floor(at / limit.windowMs);
  const windowEnds = (window + 1) * limit.windowMs;
  return {
    Key: { [TABLE_PARTITION_KEY]: { S: `velocity#${limit.kind}#${limit.subject}#${window}` } },
    UpdateExpression: 'ADD #count :change SET #expiresAt = :expiresAt',
    ConditionExpression: change > 0 ? 'attribute_not_exists(#count) OR #count < :limit' : '#count > :zero',
    ExpressionAttributeNames: pick(['#count', '#expiresAt']),
    ExpressionAttributeValues: {
      ':change': n(change),
      ':expiresAt': n(Math.ceil((windowEnds + COUNTER_RETENTION_MARGIN_MS) / 1000)),
      ...(change > 0 ? { ':limit': n(limit.limit) } : { ':zero': n(0) }),
    },
  };
}

/** The number's real state, from the item a failed condition returned. */
function sendStateOf(item: Item | undefined, input: RecordCodeInput): SendState | 'limit-reached' {
  const windowStart = readNumber(item, NAMES['#windowStart']);
  const windowContinues = windowStart !== undefined && windowStart > input.now - input.limitWindowMs;
  if (windowContinues && (readNumber(item, NAMES['#sendCount']) ?? 0) >= input.limit) return 'limit-reached';
  const lastSentAt = readNumber(item, NAMES['#lastSentAt']);
  const streakContinues = lastSentAt !== undefined && lastSentAt > input.now - input.routeSwitchWindowMs;
  return {
    limitWindow: { kind: windowContinues ? 'continuing' : 'new' },
    streak: streakContinues
      ? { kind: 'continuing', previous: readNumber(item, NAMES['#routeStreak']) ?? 0 }
      : { kind: 'fresh' },
  };
}

function pick(keys: NameKey[], extra: Record<string, string> = {}): Record<string, string> {
  const names: Record<string, string> = { ...extra };
  for (const key of keys) names[key] = NAMES[key];
  return names;
}
