/**
 * API keys on the service's table, one item per user: key `apikey#<user id>`,
 * `keyDigest` (SHA-256 of the key), `createdAt` (ms). Never the key itself.
 */
import { DeleteItemCommand, PutItemCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ApiKeyStore, StoredApiKey } from '../core/api-keys';
import { KEY_READ_ATTEMPTS, Table } from './dynamodb-store/table';
import { API_KEY_PREFIX, TABLE_PARTITION_KEY } from './table-schema';
const keyOf = (userId: string) => ({ [TABLE_PARTITION_KEY]: { S: `${API_KEY_PREFIX}${userId}` } });

export class DynamoDbApiKeyStore implements ApiKeyStore {
  private readonly table: Table;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.table = new Table(client, tableName);
  }

  async put(key: StoredApiKey): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: { ...keyOf(key.userId), keyDigest: { S: key.keyDigest }, createdAt: { N: String(key.createdAt) } },
      }),
    );
  }

  /** A strongly consistent read, repeated on a transient failure within the authorizer's time (client-options.ts). */
  async get(userId: string): Promise<StoredApiKey | undefined> {
    const item = await this.table.read(keyOf(userId), { attempts: KEY_READ_ATTEMPTS });
    return item?.keyDigest?.S ? { userId, keyDigest: item.keyDigest.S, createdAt: Number(item.createdAt?.N ?? 0) } : undefined;
  }

  /** A scan of the whole table: for the occasional administrator, never on a request's path. */
  async list(): Promise<StoredApiKey[]> {
    const keys: StoredApiKey[] = [];
    let start: Record<string, { S: string }> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: 'begins_with(#pk, :prefix)',
          ExpressionAttributeNames: { '#pk': TABLE_PARTITION_KEY },
          ExpressionAttributeValues: { ':prefix': { S: API_KEY_PREFIX } },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        keys.push({
          userId: item[TABLE_PARTITION_KEY]!.S!.slice(API_KEY_PREFIX.length),
          keyDigest: item.keyDigest?.S ?? '',
          createdAt: Number(item.createdAt?.N ?? 0),
        });
      }
      start = page.LastEvaluatedKey as typeof start;
    } while (start);
    return keys.sort((a, b) => a.userId.localeCompare(b.userId));
  }

  async revoke(userId: string): Promise<boolean> {
    const { Attributes: old } = await this.client.send(
      new DeleteItemCommand({ TableName: this.tableName, Key: keyOf(userId), ReturnValues: 'ALL_OLD' }),
    );
    return old !== undefined;
  }
}
