export default async function globalTeardown(): Promise<void> {
  await globalThis.smsVerifyTestDynamoDb?.contention.stop();
  await globalThis.smsVerifyTestDynamoDb?.local.stop();
}
