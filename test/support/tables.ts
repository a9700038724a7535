import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { ensureTable, LOCAL_AWS_CONFIG } from '../../local/dynamodb-local';

export function testDynamoDbEndpoint(): string {
  const endpoint = process.env.SMS_VERIFY_TEST_DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('DynamoDB Local is not running: run the tests with `npm test` (jest globalSetup starts it)');
  return endpoint;
}

/** DynamoDB Local itself, without the contention stand-in in front (for tests of the stand-in). */
export function testDynamoDbLocalEndpoint(): string {
  const endpoint = process.env.SMS_VERIFY_TEST_DYNAMODB_LOCAL_ENDPOINT;
  if (!endpoint) throw new Error('DynamoDB Local is not running: run the tests with `npm test` (jest globalSetup starts it)');
  return endpoint;
}

export function testDynamoDbClient(options: { maxAttempts?: number; endpoint?: string } = {}): DynamoDBClient {
  const { endpoint = testDynamoDbEndpoint(), ...rest } = options;
  return new DynamoDBClient({ ...LOCAL_AWS_CONFIG, ...rest, endpoint });
}

/** A table of the service's shape with a name no other test uses; with its stream only when the test reads it. */
export async function createTestTable(client: DynamoDBClient, prefix = 'sms-verify-test', { stream = false } = {}): Promise<string> {
  const name = `${prefix}-${randomUUID()}`;
  await ensureTable(client, name, { stream });
  return name;
}

export async function deleteTestTable(client: DynamoDBClient, name: string): Promise<void> {
  await client.send(new DeleteTableCommand({ TableName: name }));
}

export async function scanTable(client: DynamoDBClient, name: string): Promise<Array<Record<string, AttributeValue>>> {
  const result = await client.send(new ScanCommand({ TableName: name, ConsistentRead: true }));
  return result.Items ?? [];
}
