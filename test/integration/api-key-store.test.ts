/**
 * The API-key store on DynamoDB Local: what the authorizer reads on every uncached request. One transient table
 * failure must not turn into a 500 for every caller, so its read rides out two within the authorizer's time.
 */
import { DynamoDbApiKeyStore } from '../../functions/adapters/dynamodb-api-keys';
import { apiKeyDigest, authorize, generateApiKey } from '../../functions/core/api-keys';
import { TableFaults } from '../support/table-faults';
import { createTestTable, deleteTestTable, testDynamoDbClient } from '../support/tables';

const client = testDynamoDbClient({ maxAttempts: 1 });
const faults = new TableFaults();
faults.install(client);
let tableName: string;
let store: DynamoDbApiKeyStore;
const key = generateApiKey();

beforeAll(async () => {
  tableName = await createTestTable(client);
  store = new DynamoDbApiKeyStore(client, tableName);
  await store.put({ userId: 'alice', keyDigest: apiKeyDigest(key), createdAt: 1 });
});
afterAll(async () => {
  await deleteTestTable(client, tableName);
  client.destroy();
});
afterEach(() => faults.clear());

it('authorizes through two failed reads (a 5xx and a throttle): the third attempt answers', async () => {
  faults.failNext('GetItemCommand', 'apikey#', 1);
  faults.failNext('GetItemCommand', 'apikey#', 1, 0, 'throttled');

  await expect(authorize('alice', key, store)).resolves.toEqual({ authorized: true, userId: 'alice' });
  expect(faults.failed).toHaveLength(2);
});

it('fails as unavailable (503-class, not a refusal) when the table stays away for all three', async () => {
  faults.failNext('GetItemCommand', 'apikey#', 3);

  await expect(authorize('alice', key, store)).rejects.toMatchObject({ name: 'DependencyUnavailableError' });
  expect(faults.failed).toHaveLength(3);
});
