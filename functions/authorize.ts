/**
 * Lambda entry of the HTTP API's authorizer in API-key mode: checks `User-ID`
 * and `API-Key` against the keys' digests in the table. It reads the table and
 * nothing else (no secret: a 256-bit key needs none).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TABLE_CLIENT_OPTIONS } from './adapters/client-options';
import { DynamoDbApiKeyStore } from './adapters/dynamodb-api-keys';
import { createObservability } from './adapters/observability';
import { rememberingKeys } from './core/api-keys';
import { createAuthorizerHandler } from './entry/authorize-handler';
import { requiredEnvironment } from './entry/runtime';

const table = new DynamoDbApiKeyStore(new DynamoDBClient(TABLE_CLIENT_OPTIONS), requiredEnvironment(process.env, 'TABLE_NAME'));
const store = rememberingKeys(table, Number(requiredEnvironment(process.env, 'AUTHORIZER_CACHE_SECONDS')) * 1000);

export const handler = createAuthorizerHandler(store, createObservability('sms-verify-authorize').logger);
