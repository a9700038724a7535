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
import { asTableFailure } from '../dynamodb-errors';
import { TABLE_PARTITION_KEY, TABLE_TTL_ATTRIBUTE } from '../table-schema';

export type Item = Record<string, AttributeValue>;

/** One conditional update, without the table name. */
export interface UpdateParams {
  Key: Item;
  UpdateExpression: string;
  ConditionExpression?: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Item;
}

export interface WriteOutcome {
  written: boolean;
  /** After a write, what `returnValues` asked for; after a failed condition, the whole item as it was. */
  item: Item | undefined;
}

/**
 * Writes of one operation on one item before it gives up under contention for
 * that item (each retry follows a failed condition that returned the item, so
 * it is exact, not blind).
 */
export const MAX_WRITES = 8;

/** Counter and claim items outlive their window by this much, so TTL deletion never removes a live one. */
export const RETENTION_MARGIN_MS = 3_600_000;

export const NAMES = {
  '#code': 'code',
  '#codeExpiresAt': 'codeExpiresAt',
  '#previousCode': 'previousCode',
  '#previousCodeExpiresAt': 'previousCodeExpiresAt',
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

export type NameKey = keyof typeof NAMES;

export function pick(keys: NameKey[], extra: Record<string, string> = {}): Record<string, string> {
  const names: Record<string, string> = { ...extra };
  for (const key of keys) names[key] = NAMES[key];
  return names;
}

export const numberKey = (e164: string): string => `number#${e164}`;
export const keyOf = (partitionKey: string): Item => ({ [TABLE_PARTITION_KEY]: { S: partitionKey } });

export const n = (value: number): AttributeValue => ({ N: String(value) });
export const secondsOf = (ms: number): AttributeValue => n(Math.ceil(ms / 1000));

export function readNumber(item: Item | undefined, attribute: string): number | undefined {
  const value = item?.[attribute]?.N;
  return value === undefined ? undefined : Number(value);
}

/** The store's one table, and the two requests every part of it makes. */
export class Table {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly name: string,
  ) {}

  /** One conditional UpdateItem. */
  async update(params: UpdateParams, returnValues: 'UPDATED_NEW' | 'NONE' = 'NONE'): Promise<WriteOutcome> {
    try {
      const result = await this.client.send(
        new UpdateItemCommand({
          ...params,
          TableName: this.name,
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

  /** One strongly consistent GetItem. */
  async read(key: Item): Promise<Item | undefined> {
    try {
      const { Item: item } = await this.client.send(new GetItemCommand({ TableName: this.name, Key: key, ConsistentRead: true }));
      return item;
    } catch (error) {
      throw asTableFailure(error);
    }
  }
}
