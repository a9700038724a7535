/**
 * `npm start` on a DynamoDB it is given (AWS_ENDPOINT_URL_DYNAMODB and
 * TABLE_NAME) instead of a DynamoDB Local of its own, and behind the
 * contention stand-in (SMS_VERIFY_CONTENTION_MS).
 */
import { randomUUID } from 'node:crypto';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GB_MOBILE } from '../support/fixtures';
import { npmStart, type RunningNpmStart } from '../support/npm-start';
import { deleteTestTable, testDynamoDbClient, testDynamoDbLocalEndpoint } from '../support/tables';

const tableName = `sms-verify-existing-${randomUUID()}`;
const client = testDynamoDbClient();
let service: RunningNpmStart;

beforeAll(async () => {
  service = await npmStart({
    AWS_ENDPOINT_URL_DYNAMODB: testDynamoDbLocalEndpoint(),
    TABLE_NAME: tableName,
    SMS_VERIFY_CONTENTION_MS: '25',
  });
}, 90_000);
afterAll(async () => {
  if (service) await service.interrupt();
  await deleteTestTable(client, tableName).catch(() => undefined);
  client.destroy();
});

async function post(path: string, body: unknown) {
  const response = await fetch(`${service.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await response.json()) as Record<string, unknown>;
}

it('says which DynamoDB it uses, and starts no DynamoDB Local', () => {
  expect(service.output()).toContain(`DynamoDB   the DynamoDB at ${testDynamoDbLocalEndpoint()}, table ${tableName}`);
  expect(service.output()).toMatch(/behind the contention stand-in at http:\/\/127\.0\.0\.1:\d+ \(transactions hold their items 25 ms\)/);
  expect(service.output()).not.toContain('DynamoDB Local at');
});

it('creates the table it was told to use, and keeps codes there', async () => {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  expect(Table?.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);

  const sent = await post('/sms-verify', { number: GB_MOBILE });
  expect(sent).toMatchObject({ sent: true });
  await expect(post('/verify-security-code', { number: GB_MOBILE, 'security-code': sent['security-code'] })).resolves.toEqual({
    verified: true,
  });
});
