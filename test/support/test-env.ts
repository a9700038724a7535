/**
 * Runs before each test file: an AWS environment that can only reach this
 * machine. The SDK needs some credentials and a region; DynamoDB Local and the
 * SMS simulator accept any.
 */
import { randomUUID } from 'node:crypto';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.AWS_REGION = 'us-east-1';
// The deployed entry modules log JSON to standard output; tests that read logs capture them instead.
process.env.LOG_LEVEL = 'SILENT';
// Likewise the EMF lines of Powertools Metrics; the metrics test turns them back on.
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.AWS_ACCESS_KEY_ID = 'test';
process.env.AWS_SECRET_ACCESS_KEY = 'test';
delete process.env.AWS_PROFILE;
delete process.env.AWS_SESSION_TOKEN;
// Every client, the local server's included, reaches the run's DynamoDB Local through the contention stand-in;
// a local server started in a test file keeps its data in a table of its own.
const endpoint = process.env.SMS_VERIFY_TEST_DYNAMODB_ENDPOINT;
if (endpoint) process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint;
process.env.TABLE_NAME = `sms-verify-local-${randomUUID()}`;
