/**
 * The contention stand-in (local/dynamodb-contention.ts) refuses what real
 * DynamoDB refuses under contention, with the wire shapes the SDK parses into
 * its typed exceptions; DynamoDB Local alone refuses none of it.
 */
import {
  DynamoDBClient,
  GetItemCommand,
  ThrottlingException,
  TransactGetItemsCommand,
  TransactionCanceledException,
  TransactionConflictException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { LOCAL_AWS_CONFIG } from '../../local/dynamodb-local';
import { DynamoDbContentionProxy } from '../../local/dynamodb-contention';
import { createTestTable, deleteTestTable, testDynamoDbEndpoint, testDynamoDbLocalEndpoint } from '../support/tables';

let proxy: DynamoDbContentionProxy;
let client: DynamoDBClient;
let direct: DynamoDBClient;
let table: string;

beforeAll(async () => {
  proxy = await DynamoDbContentionProxy.start({ target: testDynamoDbLocalEndpoint(), holdMs: 150 });
  // One attempt: the SDK would retry throttling, and these tests look at each answer.
  client = new DynamoDBClient({ ...LOCAL_AWS_CONFIG, endpoint: proxy.endpoint, maxAttempts: 1 });
  direct = new DynamoDBClient({ ...LOCAL_AWS_CONFIG, endpoint: testDynamoDbLocalEndpoint(), maxAttempts: 1 });
  table = await createTestTable(direct, 'contention');
});

afterAll(async () => {
  await deleteTestTable(direct, table);
  client.destroy();
  direct.destroy();
  await proxy.stop();
});

beforeEach(() => {
  proxy.holdMs = 150;
  proxy.itemWritesPerSecond = 0;
  proxy.resetStats();
});

const key = (id: string) => ({ pk: { S: id } });
const add = (id: string): TransactWriteItem => ({
  Update: { TableName: table, Key: key(id), UpdateExpression: 'ADD #n :one', ExpressionAttributeNames: { '#n': 'n' }, ExpressionAttributeValues: { ':one': { N: '1' } } },
});
const counterOf = async (id: string) =>
  Number((await direct.send(new GetItemCommand({ TableName: table, Key: key(id), ConsistentRead: true }))).Item?.n?.N ?? 0);

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the request to be refused');
}

describe('transactions that overlap on an item', () => {
  it('cancels the later one with TransactionConflict at that item and None elsewhere, and applies nothing of it', async () => {
    const first = client.send(new TransactWriteItemsCommand({ TransactItems: [add('tx-a'), add('tx-shared')] }));
    await new Promise((resolve) => setTimeout(resolve, 30));
    const error = await rejection(client.send(new TransactWriteItemsCommand({ TransactItems: [add('tx-b'), add('tx-shared')] })));
    await first;

    expect(error).toBeInstanceOf(TransactionCanceledException);
    const reasons = (error as TransactionCanceledException).CancellationReasons;
    expect(reasons).toEqual([{ Code: 'None' }, { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item.' }]);
    expect((error as Error).message).toBe(
      'Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict]',
    );
    expect(await counterOf('tx-shared')).toBe(1);
    expect(await counterOf('tx-b')).toBe(0);
    expect(proxy.stats.transactionsCancelled).toBe(1);
  });

  it('lets transactions on different items run at the same time', async () => {
    await Promise.all(['p', 'q', 'r'].map((id) => client.send(new TransactWriteItemsCommand({ TransactItems: [add(`tx-${id}`)] }))));
    expect(await Promise.all(['p', 'q', 'r'].map((id) => counterOf(`tx-${id}`)))).toEqual([1, 1, 1]);
  });

  it("identifies a Put's item by the table's key schema", async () => {
    const put: TransactWriteItem = { Put: { TableName: table, Item: { pk: { S: 'tx-put' }, n: { N: '7' } } } };
    const first = client.send(new TransactWriteItemsCommand({ TransactItems: [put] }));
    await new Promise((resolve) => setTimeout(resolve, 30));
    const error = await rejection(client.send(new TransactWriteItemsCommand({ TransactItems: [add('tx-put')] })));
    await first;
    expect((error as TransactionCanceledException).CancellationReasons?.[0]?.Code).toBe('TransactionConflict');
  });

  it('frees the items once the transaction is answered', async () => {
    await client.send(new TransactWriteItemsCommand({ TransactItems: [add('tx-free')] }));
    await client.send(new TransactWriteItemsCommand({ TransactItems: [add('tx-free')] }));
    expect(await counterOf('tx-free')).toBe(2);
  });

  it('without the stand-in, DynamoDB Local lets 50 concurrent transactions on one item all succeed', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => direct.send(new TransactWriteItemsCommand({ TransactItems: [add('tx-local')] }))),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(50);
  });

  it('with the stand-in, only one of 50 concurrent transactions on one item gets through', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => client.send(new TransactWriteItemsCommand({ TransactItems: [add('tx-hot')] }))),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(await counterOf('tx-hot')).toBe(1);
  });
});

describe('single-item writes', () => {
  it('fail with TransactionConflictException on an item in a transaction, and change nothing', async () => {
    const first = client.send(new TransactWriteItemsCommand({ TransactItems: [add('single-held')] }));
    await new Promise((resolve) => setTimeout(resolve, 30));
    const error = await rejection(client.send(new UpdateItemCommand(add('single-held').Update!)));
    await first;
    expect(error).toBeInstanceOf(TransactionConflictException);
    expect((error as Error).message).toBe('Operation was rejected because there is an ongoing transaction for the item.');
    expect((error as TransactionConflictException).$metadata.httpStatusCode).toBe(400);
    expect(await counterOf('single-held')).toBe(1);
    expect(proxy.stats.writesRejected).toBe(1);
  });

  it('do not hold their item: concurrent single writes all apply', async () => {
    await Promise.all(Array.from({ length: 20 }, () => client.send(new UpdateItemCommand(add('single-free').Update!))));
    expect(await counterOf('single-free')).toBe(20);
  });

  it('over the item write rate fail with ThrottlingException and a key-range reason', async () => {
    proxy.itemWritesPerSecond = 3;
    for (let i = 0; i < 3; i++) await client.send(new UpdateItemCommand(add('throttled').Update!));
    const error = await rejection(client.send(new UpdateItemCommand(add('throttled').Update!)));
    expect(error).toBeInstanceOf(ThrottlingException);
    expect((error as ThrottlingException).throttlingReasons).toEqual([{ reason: 'TableWriteKeyRangeThroughputExceeded' }]);
    expect(await counterOf('throttled')).toBe(3);
    // Another item has its own rate.
    await client.send(new UpdateItemCommand(add('not-throttled').Update!));
  });

  it('over the item write rate cancel a transaction with ThrottlingError at that item', async () => {
    proxy.itemWritesPerSecond = 1;
    await client.send(new UpdateItemCommand(add('tx-throttled').Update!));
    const error = await rejection(client.send(new TransactWriteItemsCommand({ TransactItems: [add('tx-other'), add('tx-throttled')] })));
    expect((error as TransactionCanceledException).CancellationReasons?.map((reason) => reason.Code)).toEqual([
      'None',
      'ThrottlingError',
    ]);
  });
});

describe('transactional reads', () => {
  it('are cancelled while an item they read is in a transaction', async () => {
    const first = client.send(new TransactWriteItemsCommand({ TransactItems: [add('read-held')] }));
    await new Promise((resolve) => setTimeout(resolve, 30));
    const error = await rejection(
      client.send(new TransactGetItemsCommand({ TransactItems: [{ Get: { TableName: table, Key: key('read-held') } }] })),
    );
    await first;
    expect((error as TransactionCanceledException).CancellationReasons?.[0]?.Code).toBe('TransactionConflict');
  });

  it('plain reads pass through while the item is held', async () => {
    const first = client.send(new TransactWriteItemsCommand({ TransactItems: [add('plain-read')] }));
    await new Promise((resolve) => setTimeout(resolve, 30));
    await client.send(new GetItemCommand({ TableName: table, Key: key('plain-read'), ConsistentRead: true }));
    await first;
  });
});

it('the test environment points the SDK at a contention stand-in, not at DynamoDB Local itself', () => {
  expect(process.env.AWS_ENDPOINT_URL_DYNAMODB).toBe(testDynamoDbEndpoint());
  expect(testDynamoDbEndpoint()).not.toBe(testDynamoDbLocalEndpoint());
});
