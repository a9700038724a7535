/**
 * One DynamoDB Local for the whole test run, on a free port, behind the
 * contention stand-in (local/dynamodb-contention.ts) so that every suite meets
 * the transaction conflicts real DynamoDB raises; each test file creates its
 * own tables (see tables.ts), so files and parallel runs never collide.
 * SMS_VERIFY_TEST_CONTENTION_MS changes the stand-in's hold (default 25 ms).
 */
import { DynamoDbContentionProxy } from '../../local/dynamodb-contention';
import { DynamoDbLocal } from '../../local/dynamodb-local';

declare global {
  // eslint-disable-next-line no-var
  var smsVerifyTestDynamoDb: { local: DynamoDbLocal; contention: DynamoDbContentionProxy } | undefined;
}

export default async function globalSetup(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const local = await DynamoDbLocal.start();
  const contention = await DynamoDbContentionProxy.start({
    target: local.endpoint,
    holdMs: Number(process.env.SMS_VERIFY_TEST_CONTENTION_MS ?? 25),
  });
  globalThis.smsVerifyTestDynamoDb = { local, contention };
  process.env.SMS_VERIFY_TEST_DYNAMODB_ENDPOINT = contention.endpoint;
  process.env.SMS_VERIFY_TEST_DYNAMODB_LOCAL_ENDPOINT = local.endpoint;
}
