/**
 * What every part of the DynamoDB store shares: the item's attribute names,
 * the keys, and one conditional write whose failed condition is an answer
 * (with the item as it is), not an error.
 */
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { asTableFailure, LOAD_REFUSALS } from '../dynamodb-errors';
import { NUMBER_PREFIX, TABLE_PARTITION_KEY, TABLE_TTL_ATTRIBUTE } from '../table-schema';

export type Item = Record<string, AttributeValue>;

/** One conditional update, without the table name. */
export interface UpdateParams {
  Key: Item;
  UpdateExpression: string;
  ConditionExpression?: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Item;
}

/**
 * Pieces of one update, merged by {@link composeUpdate}: a rule (the guard of a request id, a send's state) is
 * written once as its parts and joined to whatever write carries it.
 */
export interface UpdateParts {
  set?: readonly string[];
  add?: readonly string[];
  remove?: readonly string[];
  /** Joined with AND. */
  conditions?: readonly string[];
  names?: Readonly<Record<string, string>>;
  values?: Readonly<Item>;
}

export function composeUpdate(key: Item, ...parts: UpdateParts[]): UpdateParams {
  const all = <K extends 'set' | 'add' | 'remove' | 'conditions'>(field: K) => parts.flatMap((part) => part[field] ?? []);
  const clauses = [
    ['SET', all('set').join(', ')],
    ['ADD', all('add').join(', ')],
    ['REMOVE', all('remove').join(', ')],
  ].filter(([, body]) => body !== '');
  const conditions = all('conditions');
  const values = Object.assign({}, ...parts.map((part) => part.values ?? {})) as Item;
  return {
    Key: key,
    UpdateExpression: clauses.map(([verb, body]) => `${verb} ${body}`).join(' '),
    ...(conditions.length > 0 ? { ConditionExpression: conditions.join(' AND ') } : {}),
    ExpressionAttributeNames: Object.assign({}, ...parts.map((part) => part.names ?? {})) as Record<string, string>,
    ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
  };
}

export interface WriteOutcome {
  written: boolean;
  /** After a write, what `returnValues` asked for; after a failed condition, the whole item as it was. */
  item: Item | undefined;
  /**
   * An earlier attempt's outcome is unknown: it may have applied (once more, for a `conservative` write that was
   * then written again), or may still apply late (when this attempt was refused for a reason other than its own id).
   * The request must carry this, so that it never answers "nothing changed" after giving one application back.
   */
  afterUnknown?: boolean;
}

/**
 * Writes of one operation on one item before it gives up under contention for
 * that item (each retry follows a failed condition that returned the item, so
 * it is exact, not blind).
 */
export const MAX_WRITES = 8;

/** Items outlive every window they serve by this much, so TTL deletion (which lags) never removes a live one. */
export const RETENTION_MARGIN_MS = 3_600_000;

export const NAMES = {
  '#code': 'code',
  '#codeExpiresAt': 'codeExpiresAt',
  '#previousCode': 'previousCode',
  '#previousCodeExpiresAt': 'previousCodeExpiresAt',
  '#codeSendId': 'codeSendId',
  '#previousCodeSendId': 'previousCodeSendId',
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
  '#claimId': 'claimId',
} as const;

export type NameKey = keyof typeof NAMES;

export function pick(keys: NameKey[], extra: Record<string, string> = {}): Record<string, string> {
  const names: Record<string, string> = { ...extra };
  for (const key of keys) names[key] = NAMES[key];
  return names;
}

export const numberKey = (e164: string): string => `${NUMBER_PREFIX}${e164}`;
export const keyOf = (partitionKey: string): Item => ({ [TABLE_PARTITION_KEY]: { S: partitionKey } });

export const n = (value: number): AttributeValue => ({ N: String(value) });
export const secondsOf = (ms: number): AttributeValue => n(Math.ceil(ms / 1000));

export function readNumber(item: Item | undefined, attribute: string): number | undefined {
  const value = item?.[attribute]?.N;
  return value === undefined ? undefined : Number(value);
}

/**
 * How a write may be repeated when its answer is lost:
 *  - `guarded`: its condition refuses a second application and its failure names the first (the write carries the
 *    request's own id), so a repeat is always safe;
 *  - `conservative`: a second application only makes a limit stricter (counting one event twice);
 *  - `once`: a second application would be wrong (giving a count back twice), so it is repeated only after an
 *    error that proves the first never applied.
 */
export type Repeat = 'guarded' | 'conservative' | 'once';

/**
 * A write that failed after every attempt: `unknown` when it may have been applied, `no` when it certainly was not.
 * Every other error from {@link Table.update} (a 4xx) also means nothing was applied.
 */
export class TableWriteError extends Error {
  constructor(
    readonly applied: 'no' | 'unknown',
    options: { cause: unknown },
  ) {
    super(applied === 'unknown' ? 'A table write was not confirmed' : 'A table write failed', options);
    this.name = 'TableWriteError';
  }
}

/** Attempts per request: the SDK's own retries are off (maxAttempts 1), because it would repeat any write blindly. */
const ATTEMPTS = 2;
const BACKOFF_MS = [0, 40];
/** Reads of an API key, which gate every uncached request in API-key mode, ride out two failures (client-options.ts). */
export const KEY_READ_ATTEMPTS = 3;

/** The store's one table, and the two requests every part of it makes. */
export class Table {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly name: string,
  ) {}

  /** One conditional UpdateItem, repeated as `repeat` allows. */
  async update(
    params: UpdateParams,
    { returnValues = 'NONE', repeat }: { returnValues?: 'UPDATED_NEW' | 'NONE'; repeat: Repeat },
  ): Promise<WriteOutcome> {
    let unknown = false;
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await this.client.send(
          new UpdateItemCommand({
            ...params,
            TableName: this.name,
            ReturnValues: returnValues,
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { written: true, item: result.Attributes, ...(unknown ? { afterUnknown: true } : {}) };
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return { written: false, item: error.Item, ...(unknown ? { afterUnknown: true } : {}) };
        const failure = classifyWriteFailure(error);
        if (failure === 'fatal') throw asTableFailure(error);
        unknown ||= failure === 'unknown';
        const repeatable = repeat !== 'once' || !unknown;
        if (attempt + 1 >= ATTEMPTS || !repeatable) {
          throw new TableWriteError(unknown ? 'unknown' : 'no', { cause: asTableFailure(error) });
        }
        await sleep(BACKOFF_MS[attempt + 1]! + Math.random() * 40);
      }
    }
  }

  /** One strongly consistent GetItem; a read is always safe to repeat, `attempts` times in all. */
  async read(key: Item, { attempts = ATTEMPTS }: { attempts?: number } = {}): Promise<Item | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        const { Item: item } = await this.client.send(new GetItemCommand({ TableName: this.name, Key: key, ConsistentRead: true }));
        return item;
      } catch (error) {
        if (classifyWriteFailure(error) === 'fatal' || attempt + 1 >= attempts) throw asTableFailure(error);
        await sleep(40 * attempt + Math.random() * 40);
      }
    }
  }
}

/**
 * Whether a failed request may have been applied. DynamoDB refuses for load
 * (throttling, a transaction holding the item) before it applies anything, and
 * a connection that was never made carried nothing; a request timeout, a reset
 * connection or a 5xx ("InternalServerError: the request may have succeeded")
 * may have come after the write was applied.
 */
export function classifyWriteFailure(error: unknown): 'not-applied' | 'unknown' | 'fatal' {
  if (!(error instanceof Error)) return 'unknown';
  const name = error.name;
  const code = (error as { code?: string }).code;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (LOAD_REFUSALS.includes(name)) return 'not-applied';
  if (code === 'ECONNREFUSED' || /did not establish a connection/.test(error.message)) return 'not-applied';
  // Any other 4xx (a missing table, a request we built wrong) applied nothing, and repeating it cannot help.
  if (status !== undefined && status >= 400 && status < 500) return 'fatal';
  return 'unknown';
}
