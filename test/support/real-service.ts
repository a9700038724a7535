/**
 * The handlers wired exactly as the Lambda entries wire them (DynamoDB store,
 * SNS and Pinpoint routes through the real SDK clients), on DynamoDB Local and
 * the SMS simulator; only the clock is a test clock, so expiry and windows can
 * be walked through.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { TABLE_CLIENT_OPTIONS } from '../../functions/adapters/client-options';
import { CONCURRENT_WRITER_AGENT } from '../../local/dynamodb-contention';
import { LOCAL_AWS_CONFIG } from '../../local/dynamodb-local';
import type { MetadataJson } from 'libphonenumber-js/core';
import maxMetadata from '../../functions/phone-metadata/max.json';
import minMetadata from '../../functions/phone-metadata/min.json';
import { DynamoDbVerificationStore, numberKey } from '../../functions/adapters/dynamodb-verification-store';
import { createSmsRoutes, sharedSmsVoiceClient } from '../../functions/adapters/sms-routes';
import { createVoiceRoutes } from '../../functions/adapters/voice-routes';
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
  /** The same, for the second writer's client (`concurrent`). */
  onConcurrentTableClient?: (client: DynamoDBClient) => void;
  /** The store talks to this endpoint (e.g. a contention stand-in of the test's own) instead of the run's. */
  dynamoDbEndpoint?: string;
  /**
   * The deployed table client's timeouts (1 s per request), for tests of lost answers. Without it the store's client
   * has no timeout, because DynamoDB Local on 2 cores answers bursts slower than that; either way it makes one
   * attempt per request, as deployed, and the store repeats what may be repeated.
   */
  deployedTimeouts?: boolean;
  /** The table gets its stream, as deployed, for tests that follow what became of each code. */
  stream?: boolean;
}

/** The store's table client as the service makes it: one attempt per request, as deployed. */
function storeClientFor(options: RealServiceOptions, customUserAgent?: string): DynamoDBClient {
  const endpoint = options.dynamoDbEndpoint ?? testDynamoDbEndpoint();
  return options.deployedTimeouts
    ? new DynamoDBClient({ ...LOCAL_AWS_CONFIG, ...TABLE_CLIENT_OPTIONS, endpoint, customUserAgent })
    : new DynamoDBClient({ ...LOCAL_AWS_CONFIG, maxAttempts: TABLE_CLIENT_OPTIONS.maxAttempts, endpoint, customUserAgent });
}

export async function startRealService(settingsInput: DeploymentSettingsInput = {}, options: RealServiceOptions = {}) {
  const simulator = await SmsSimulator.start();
  Object.assign(process.env, simulator.endpoints());
  const client = testDynamoDbClient();
  const tableName = await createTestTable(client, undefined, { stream: options.stream });
  const settings = resolveSettings({ pinpointApplicationId: PINPOINT_APPLICATION_ID, ...settingsInput });
  const storeClient = storeClientFor(options);
  options.onTableClient?.(storeClient);
  const loadKey = async () => new TextEncoder().encode(TEST_CODE_KEY);
  const digester = createDigester(loadKey);
  const sealer = createSealer(loadKey);
  const clock = new ManualClock(Date.now());
  const sendReader = createPhoneNumberReader(maxMetadata as unknown as MetadataJson);
  const verifyReader = createPhoneNumberReader(minMetadata as unknown as MetadataJson);
  const smsVoice = sharedSmsVoiceClient();
  const routes = createSmsRoutes(settings, smsVoice);
  const voiceRoutes = createVoiceRoutes(settings, smsVoice);
  // The production logger and metrics: tests that read them capture standard output.
  const sendObservability = createObservability('sms-verify-send');
  const verifyObservability = createObservability('sms-verify-verify');
  const handlersOn = (tableClient: DynamoDBClient) => {
    const store = new DynamoDbVerificationStore(tableClient, tableName);
    return {
      send: createSendHandler({ phoneNumbers: sendReader, store, digester, sealer, routes, voiceRoutes, clock, random: secureRandom }, settings, sendObservability),
      verify: createVerifyHandler({ phoneNumbers: verifyReader, store, digester, clock }, settings, verifyObservability),
    };
  };
  const { send, verify } = handlersOn(storeClient);
  // A second writer on the same table (another container, say), whose requests a contention stand-in lets through its
  // holds and faults (CONCURRENT_WRITER_AGENT).
  const concurrentClient = storeClientFor(options, CONCURRENT_WRITER_AGENT);
  options.onConcurrentTableClient?.(concurrentClient);
  const concurrent = handlersOn(concurrentClient);
  return {
    simulator,
    client,
    tableName,
    clock,
    send,
    verify,
    concurrent,
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
      concurrentClient.destroy();
      await simulator.stop();
    },
  };
}
