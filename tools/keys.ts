#!/usr/bin/env node
/**
 * `npx sms-verify-keys <command>` (in this repository `npm run keys -- <command>`):
 * API keys for a deployment in API-key mode (and for `SMS_VERIFY_AUTH=api-key
 * npm start`). The table is `--table <name>` or
 * TABLE_NAME; AWS credentials, region and endpoint come from the environment
 * as for any AWS tool (AWS_ENDPOINT_URL_DYNAMODB reaches a local table).
 *
 *   create <user-id>   make a key for the user (replacing any they had) and print it, once
 *   list               the users that have a key, with when it was made
 *   revoke <user-id>   delete the user's key (API Gateway may serve its cached answer a few minutes longer)
 *
 * Keys are kept only as SHA-256 digests: a lost key cannot be shown again, only replaced.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbApiKeyStore } from '../functions/adapters/dynamodb-api-keys';
import { apiKeyDigest, generateApiKey, parseUserId, type ApiKeyStore } from '../functions/core/api-keys';

const USAGE = 'usage: sms-verify-keys create <user-id> | list | revoke <user-id>   [--table <name>]';

export async function runKeysCommand(
  args: readonly string[],
  deps: { store: ApiKeyStore; print: (line: string) => void; now: () => number },
): Promise<number> {
  const [command, userId] = args;
  try {
    switch (command) {
      case 'create': {
        const id = parseUserId(userId ?? '');
        const key = generateApiKey();
        await deps.store.put({ userId: id, keyDigest: apiKeyDigest(key), createdAt: deps.now() });
        deps.print(`API key for ${id} (shown once; send it as the API-Key header with User-ID: ${id}):`);
        deps.print(key);
        return 0;
      }
      case 'list': {
        const keys = await deps.store.list();
        if (keys.length === 0) deps.print('No API keys.');
        for (const key of keys) deps.print(`${key.userId}\tcreated ${new Date(key.createdAt).toISOString()}`);
        return 0;
      }
      case 'revoke': {
        const id = parseUserId(userId ?? '');
        deps.print((await deps.store.revoke(id)) ? `Revoked the key of ${id}.` : `${id} has no key.`);
        return 0;
      }
      default:
        deps.print(USAGE);
        return 2;
    }
  } catch (error) {
    deps.print(`sms-verify-keys: ${(error as Error).message}`);
    return 1;
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const tableFlag = args.indexOf('--table');
  const tableName = tableFlag >= 0 ? args[tableFlag + 1] : process.env.TABLE_NAME;
  const positional = tableFlag >= 0 ? args.filter((_, i) => i !== tableFlag && i !== tableFlag + 1) : args;
  if (!tableName) {
    console.error(`sms-verify-keys: name the table with --table <name> or TABLE_NAME (the stack's Table resource)\n${USAGE}`);
    process.exit(2);
  }
  // A DynamoDB on this machine (npm start's) takes any credentials; give it some when the shell has none.
  const local = /^http:\/\/(127\.0\.0\.1|localhost)(:|\/|$)/.test(process.env.AWS_ENDPOINT_URL_DYNAMODB ?? '');
  const localConfig = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  const client = new DynamoDBClient(local && !process.env.AWS_ACCESS_KEY_ID ? localConfig : {});
  const code = await runKeysCommand(positional, {
    store: new DynamoDbApiKeyStore(client, tableName),
    print: (line) => console.log(line),
    now: Date.now,
  });
  client.destroy();
  process.exit(code);
}

if (require.main === module) void main();
