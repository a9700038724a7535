/**
 * The handlers wired exactly as the Lambda entries wire them (DynamoDB store,
 * SNS and Pinpoint routes through the real SDK clients), on DynamoDB Local and
 * the SMS simulator; only the clock is a test clock, so expiry and windows can
 * be walked through.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { TABLE_CLIENT_OPTIONS } from '../../functions/adapters/client-options';
import { LOCAL_AWS_CONFIG } from '../../local/dynamodb-local';
import type { MetadataJson } from 'libphonenumber-js/core';
import maxMetadata from '../../functions/phone-metadata/max.json';
import minMetadata from '../../functions/phone-metadata/min.json';
import { DynamoDbVerificationStore, numberKey } from '../../functions/adapters/dynamodb-verification-store';
import { createSmsRoutes } from '../../functions/adapters/sms-routes';
import { secureRandom } from '../../functions/adapters/system';
import { createPhoneNumberReader } from '../../functions/core/phone-number';
import { createDigester, createSealer } from '../../functions/core/security-code';
import { createSendHandler } from '../../functions/entry/send-handler';
import { createVerifyHandler } from '../../functions/entry/verify-handler';
import { resolveSettings, type DeploymentSettingsInput } from '../../functions/settings';
import { SmsSimulator } from '../../local/sms-simulator';
import { createObservability } from '../../functions/adapters/observability';
import { ManualClock } from './fakes';
import { PINPOINT_APPLICATION_ID, TEST_CODE_KEY } from './fixtures';
import { createTestTable, deleteTestTable, testDynamoDbClient, testDynamoDbEndpoint } from './tables';

export type RealService = Awaited<ReturnType<typeof startRealService>>;

export interface RealServiceOptions {
  /** Sees the store's DynamoDB client before first use: to inject faults or count requests. */
  onTableClient?: (client: DynamoDBClient) => void;
  /** The store talks to this endpoint (e.g. a contention stand-in of the test's own) instead of the run's. */
  dynamoDbEndpoint?: string;
  /**
   * The deployed table client's timeouts (1 s per request), for tests of lost answers. Without it the store's client
   * has no timeout, because DynamoDB Local on 2 cores answers bursts slower than that; either way it makes one
   * attempt per request, as deployed, and the store repeats what may be repeated.
   */
  deployedTimeouts?: boolean;
}

export async function startRealService(settingsInput: DeploymentSettingsInput = {}, options: RealServiceOptions = {}) {
  const simulator = await SmsSimulator.start();
  process.env.AWS_ENDPOINT_URL_SNS = simulator.url;
  process.env.AWS_ENDPOINT_URL_PINPOINT = simulator.url;
  process.env.AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2 = simulator.url;
  const client = testDynamoDbClient();
  const tableName = await createTestTable(client);
  const settings = resolveSettings({ pinpointApplicationId: PINPOINT_APPLICATION_ID, ...settingsInput });
  const storeClient = options.deployedTimeouts
    ? new DynamoDBClient({ ...LOCAL_AWS_CONFIG, ...TABLE_CLIENT_OPTIONS, endpoint: options.dynamoDbEndpoint ?? testDynamoDbEndpoint() })
    : testDynamoDbClient({ endpoint: options.dynamoDbEndpoint, maxAttempts: TABLE_CLIENT_OPTIONS.maxAttempts });
  options.onTableClient?.(storeClient);
  const store = new DynamoDbVerificationStore(storeClient, tableName);
  const loadKey = async () => new TextEncoder().encode(TEST_CODE_KEY);
  const digester = createDigester(loadKey);
  const sealer = createSealer(loadKey);
  const clock = new ManualClock(Date.now());
  // The production logger and metrics: tests that read them capture standard output.
  const sendObservability = createObservability('sms-verify-send');
  const verifyObservability = createObservability('sms-verify-verify');
  const send = createSendHandler(
    { phoneNumbers: createPhoneNumberReader(maxMetadata as unknown as MetadataJson), store, digester, sealer, routes: createSmsRoutes(settings), clock, random: secureRandom },
    settings,
    sendObservability,
  );
  const verify = createVerifyHandler(
    { phoneNumbers: createPhoneNumberReader(minMetadata as unknown as MetadataJson), store, digester, clock },
    settings,
    verifyObservability,
  );
  return {
    simulator,
    client,
    tableName,
    clock,
    send,
    verify,
    /** A numeric attribute of a number's item (0 when absent), read consistently. */
    async numberAttribute(e164: string, attribute: 'failedChecks' | 'sendCount'): Promise<number> {
      const { Item } = await client.send(
        new GetItemCommand({ TableName: tableName, Key: { pk: { S: numberKey(e164) } }, ConsistentRead: true }),
      );
      return Number(Item?.[attribute]?.N ?? 0);
    },
    async stop() {
      await deleteTestTable(client, tableName);
      client.destroy();
      storeClient.destroy();
      await simulator.stop();
    },
  };
}
