/**
 * The conversion guard on the service's table (functions/core/guard.ts), written off the request path.
 *
 * Items `guard#<prefix>#<guard window number>`: sends, verified (counts), pausedUntil (ms), pausedKeys (the counter
 * items the pause was written on), pausedBy and liftedBy (the stream changes that did it), expiresAt. One per prefix
 * and window: a prefix takes at most its prefixSendLimit of sends, so none is hot.
 *
 * A pause is also written where the send path reads it for free: `pausedUntil` on each shard of the prefix's own
 * limit counters (prefix-send and prefix-call), in every window the pause overlaps (dynamodb-store/counters.ts refuses
 * a count there). Lifting removes it from the items the guard item names, whatever the settings are by then. Pauses
 * and lifts are safe to repeat; a count repeated after a lost answer counts twice (the SDK retries it), which moves
 * a share by one code.
 */
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { PrefixCounts } from '../core/guard';
import type { VelocityLimit } from '../core/ports';
import { shardCount } from './dynamodb-store/counters';
import { readNumber, RETENTION_MARGIN_MS } from './dynamodb-store/table';
import { GUARD_PREFIX, TABLE_PARTITION_KEY, TABLE_TTL_ATTRIBUTE } from './table-schema';

type Item = Record<string, AttributeValue>;


const guardKey = (prefix: string, window: number): Item => ({ [TABLE_PARTITION_KEY]: { S: `${GUARD_PREFIX}${prefix}#${window}` } });

export interface PausedPrefix {
  prefix: string;
  pausedUntil: number;
  sends: number;
  verified: number;
}

export class DynamoDbGuard {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    /** The guard's window (ms): counts start again in each. */
    private readonly windowMs: number,
    /** How long a pause lasts (ms): a pause made in an earlier window may still hold. */
    private readonly pauseMs: number,
  ) {}

  /** Adds to a count of the prefix in the current window; answers the window's counts. */
  async count(prefix: string, what: 'sends' | 'verified', delta: number, now: number): Promise<PrefixCounts> {
    const window = Math.floor(now / this.windowMs);
    const { Attributes: item } = await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: guardKey(prefix, window),
        UpdateExpression: 'ADD #what :delta SET #expiresAt = :expiresAt',
        ExpressionAttributeNames: { '#what': what, '#expiresAt': TABLE_TTL_ATTRIBUTE },
        ExpressionAttributeValues: {
          ':delta': { N: String(delta) },
          ':expiresAt': { N: String(Math.ceil(((window + 2) * this.windowMs + this.pauseMs) / 1000) + 86_400) },
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return {
      sends: Math.max(0, readNumber(item, 'sends') ?? 0),
      verified: Math.max(0, readNumber(item, 'verified') ?? 0),
      pausedUntil: readNumber(item, 'pausedUntil'),
      pausedBy: item?.pausedBy?.S,
      liftedBy: item?.liftedBy?.S,
    };
  }

  /** Until when a pause made in this window or one a pause can still reach back from holds, if one does. */
  async pausedUntil(prefix: string, now: number): Promise<number | undefined> {
    return (await this.pausedItem(prefix, now))?.until;
  }

  /**
   * Pauses the prefix until `until`: its limit counters first, then its guard item (which names them), so that a
   * repeat after a failure writes whatever is missing. Answers false when another change paused it already.
   */
  async pause(prefix: string, until: number, now: number, limits: readonly VelocityLimit[], changeId: string): Promise<boolean> {
    const keys = counterKeys(limits, now, until);
    await this.onKeys(keys, (key) => ({
      Key: key.key,
      UpdateExpression: 'SET #pausedUntil = :until, #expiresAt = if_not_exists(#expiresAt, :expiresAt)',
      ExpressionAttributeNames: { '#pausedUntil': 'pausedUntil', '#expiresAt': TABLE_TTL_ATTRIBUTE },
      ExpressionAttributeValues: { ':until': { N: String(until) }, ':expiresAt': { N: String(key.expiresAt) } },
    }));
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: guardKey(prefix, Math.floor(now / this.windowMs)),
          UpdateExpression: 'SET #pausedUntil = :until, #pausedBy = :changeId, #pausedKeys = :keys',
          ConditionExpression: 'attribute_not_exists(#pausedUntil) OR #pausedUntil <= :now OR #pausedBy = :changeId',
          ExpressionAttributeNames: { '#pausedUntil': 'pausedUntil', '#pausedBy': 'pausedBy', '#pausedKeys': 'pausedKeys' },
          ExpressionAttributeValues: {
            ':until': { N: String(until) },
            ':now': { N: String(now) },
            ':changeId': { S: changeId },
            ':keys': { SS: keys.length > 0 ? keys.map((key) => key.key[TABLE_PARTITION_KEY]!.S!) : ['none'] },
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Lifts the prefix's pause (a verification brought it back, or an operator): the counters its guard item names
   * first, then the guard item, whose counts start again. Answers false when it was not paused.
   */
  async lift(prefix: string, now: number, changeId: string): Promise<boolean> {
    const paused = await this.pausedItem(prefix, now);
    if (!paused) return false;
    const keys = (paused.item.pausedKeys?.SS ?? []).filter((key) => key.startsWith('velocity#'));
    await this.onKeys(
      keys.map((key) => ({ key: { [TABLE_PARTITION_KEY]: { S: key } }, expiresAt: 0 })),
      (key) => ({
        Key: key.key,
        UpdateExpression: 'REMOVE #pausedUntil',
        // Never makes an item that was not there.
        ConditionExpression: 'attribute_exists(#pausedUntil)',
        ExpressionAttributeNames: { '#pausedUntil': 'pausedUntil' },
      }),
    );
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: paused.key,
          // The counts start again: judged on what it just did, a prefix would be paused by the next send, before
          // its person could enter the code.
          UpdateExpression: 'REMOVE #pausedUntil SET #sends = :zero, #verified = :zero, #liftedBy = :changeId',
          ConditionExpression: '#pausedUntil > :now',
          ExpressionAttributeNames: { '#pausedUntil': 'pausedUntil', '#sends': 'sends', '#verified': 'verified', '#liftedBy': 'liftedBy' },
          ExpressionAttributeValues: { ':now': { N: String(now) }, ':zero': { N: '0' }, ':changeId': { S: changeId } },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Lifts a country's pause (an operator): the pause of every prefix of it seen in the window, then the country's own,
   * so that new prefixes are no longer paused at their first send. Answers false when it was not paused.
   */
  async liftCountry(country: string, now: number, changeId: string): Promise<boolean> {
    for (let window = Math.floor(now / this.windowMs); window >= Math.floor((now - this.pauseMs) / this.windowMs); window--) {
      const key = { [TABLE_PARTITION_KEY]: { S: `${GUARD_PREFIX}country#${country}#${window}` } };
      const { Item: item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
      if (!item || (readNumber(item, 'pausedUntil') ?? 0) <= now) continue;
      for (const prefix of item.prefixes?.SS ?? []) await this.lift(prefix, now, changeId);
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'REMOVE #pausedUntil, #paused',
          ExpressionAttributeNames: { '#pausedUntil': 'pausedUntil', '#paused': 'pausedPrefixes' },
        }),
      );
      return true;
    }
    return false;
  }

  /** Notes a prefix seen in the country in this window (`guard#country#<CC>#<window>`); answers the country's pause. */
  async notePrefix(country: string, prefix: string, now: number): Promise<number | undefined> {
    const item = await this.onCountry(country, now, 'ADD #prefixes :prefix', { '#prefixes': 'prefixes' }, { ':prefix': { SS: [prefix] } });
    return readNumber(item, 'pausedUntil');
  }

  /** Notes a paused prefix of the country; answers how many are paused in this window, and the country's pause. */
  async notePausedPrefix(country: string, prefix: string, now: number): Promise<{ pausedPrefixes: number; pausedUntil?: number }> {
    const item = await this.onCountry(
      country,
      now,
      'ADD #paused :prefix, #prefixes :prefix',
      { '#paused': 'pausedPrefixes', '#prefixes': 'prefixes' },
      { ':prefix': { SS: [prefix] } },
    );
    return { pausedPrefixes: item?.pausedPrefixes?.SS?.length ?? 0, pausedUntil: readNumber(item, 'pausedUntil') };
  }

  /** Pauses the country (once): answers the prefixes of it seen in this window, or undefined when paused already. */
  async pauseCountry(country: string, until: number, now: number, changeId: string): Promise<string[] | undefined> {
    try {
      const item = await this.onCountry(
        country,
        now,
        'SET #pausedUntil = :until, #pausedBy = :changeId',
        { '#pausedUntil': 'pausedUntil', '#pausedBy': 'pausedBy' },
        { ':until': { N: String(until) }, ':changeId': { S: changeId }, ':now': { N: String(now) } },
        'attribute_not_exists(#pausedUntil) OR #pausedUntil <= :now OR #pausedBy = :changeId',
      );
      return item?.prefixes?.SS ?? [];
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  private async onCountry(
    country: string,
    now: number,
    update: string,
    names: Record<string, string>,
    values: Record<string, AttributeValue>,
    condition?: string,
  ): Promise<Item | undefined> {
    const window = Math.floor(now / this.windowMs);
    const { Attributes: item } = await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { [TABLE_PARTITION_KEY]: { S: `${GUARD_PREFIX}country#${country}#${window}` } },
        // The item lives as long as a pause made from it can hold.
        UpdateExpression: update.startsWith('SET') ? `${update}, #expiresAt = :expiresAt` : `${update} SET #expiresAt = :expiresAt`,
        ...(condition ? { ConditionExpression: condition } : {}),
        ExpressionAttributeNames: { ...names, '#expiresAt': TABLE_TTL_ATTRIBUTE },
        ExpressionAttributeValues: { ...values, ':expiresAt': { N: String(Math.ceil(((window + 2) * this.windowMs + this.pauseMs) / 1000) + 86_400) } },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return item;
  }

  /** The guard item holding the prefix's pause: this window's, or one a pause can still reach back to. */
  private async pausedItem(prefix: string, now: number): Promise<{ key: Item; item: Item; until: number } | undefined> {
    const current = Math.floor(now / this.windowMs);
    for (let window = current; window >= Math.floor((now - this.pauseMs) / this.windowMs); window--) {
      const key = guardKey(prefix, window);
      const { Item: item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
      const until = readNumber(item, 'pausedUntil');
      if (item && until !== undefined && until > now) return { key, item, until };
    }
    return undefined;
  }

  /** The prefixes paused now, for `sms-verify guard list` (a Scan: an operator's command, never on a request path). */
  async listPaused(now: number): Promise<PausedPrefix[]> {
    const paused: PausedPrefix[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: 'begins_with(#pk, :guard) AND #pausedUntil > :now',
          ExpressionAttributeNames: { '#pk': TABLE_PARTITION_KEY, '#pausedUntil': 'pausedUntil' },
          ExpressionAttributeValues: { ':guard': { S: GUARD_PREFIX }, ':now': { N: String(now) } },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const key = item[TABLE_PARTITION_KEY]!.S!.slice(GUARD_PREFIX.length);
        paused.push({
          // A country's pause is listed by its ISO code.
          prefix: key.slice(0, key.lastIndexOf('#')).replace(/^country#/, ''),
          pausedUntil: readNumber(item, 'pausedUntil')!,
          sends: readNumber(item, 'sends') ?? 0,
          verified: readNumber(item, 'verified') ?? 0,
        });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return paused.sort((a, b) => a.prefix.localeCompare(b.prefix));
  }

  /** Applies a write to each counter item, in parallel; a condition that fails is a write with nothing to do. */
  private async onKeys(
    keys: ReadonlyArray<{ key: Item; expiresAt: number }>,
    write: (key: { key: Item; expiresAt: number }) => Omit<ConstructorParameters<typeof UpdateItemCommand>[0], 'TableName'>,
  ): Promise<void> {
    const outcomes = await Promise.allSettled(
      keys.map((key) =>
        this.client.send(new UpdateItemCommand({ TableName: this.tableName, ...write(key) })).catch((error: unknown) => {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        }),
      ),
    );
    const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failure) throw failure.reason;
  }
}

/** Every shard of each limit's counters in every window from `from` to `until`: where a pause is written. */
function counterKeys(limits: readonly VelocityLimit[], from: number, until: number): Array<{ key: Item; expiresAt: number }> {
  const keys: Array<{ key: Item; expiresAt: number }> = [];
  for (const limit of limits) {
    for (let window = Math.floor(from / limit.windowMs); window <= Math.floor(until / limit.windowMs); window++) {
      const expiresAt = Math.ceil(((window + 1) * limit.windowMs + RETENTION_MARGIN_MS) / 1000);
      for (let shard = 0; shard < shardCount(limit.limit); shard++) {
        keys.push({ key: { [TABLE_PARTITION_KEY]: { S: `velocity#${limit.kind}#${limit.subject}#${window}#${shard}` } }, expiresAt });
      }
    }
  }
  return keys;
}
