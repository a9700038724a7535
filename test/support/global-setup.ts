/**
 * One DynamoDB Local for the whole test run, on a free port; each test file
 * creates its own tables (see tables.ts), so files and parallel runs never collide.
 */
import { DynamoDbLocal } from '../../local/dynamodb-local';

declare global {
  // eslint-disable-next-line no-var
  var smsVerifyTestDynamoDb: DynamoDbLocal | undefined;
}

export default async function globalSetup(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const dynamodb = await DynamoDbLocal.start();
  globalThis.smsVerifyTestDynamoDb = dynamodb;
  process.env.SMS_VERIFY_TEST_DYNAMODB_ENDPOINT = dynamodb.endpoint;
}
