#!/usr/bin/env node
/**
 * `npx sms-verify keys <command>` (in this repository `npm run keys -- <command>`; the older `sms-verify-keys` name
 * works too): API keys for a deployment in API-key mode, or for `SMS_VERIFY_AUTH=api-key npm start`.
 *
 *   create <user-id>   make a key for the user (replacing any they had) and print it, once
 *   list               the users that have a key, with when it was made
 *   revoke <user-id>   delete the user's key (the authorizer may remember it up to authorizerCacheSeconds longer)
 *
 * Which deployment: `--stack <name>` (its TableName output), `--local` (npm start on this machine), or
 * `--table <name>` (or TABLE_NAME). AWS credentials and region come as for any AWS tool, or `--profile`, `--region`.
 * Keys are kept only as SHA-256 digests: a lost key cannot be shown again, only replaced.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbApiKeyStore } from '../functions/adapters/dynamodb-api-keys';
import { apiKeyDigest, generateApiKey, parseUserId, type ApiKeyStore } from '../functions/core/api-keys';
import { parseOptions, resolveTarget, TargetError } from './deployment';

export const KEYS_USAGE =
  'usage: sms-verify keys create <user-id> | list | revoke <user-id>   --stack <name> | --local | --table <name>   [--region <r>] [--profile <p>]';

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
        deps.print(KEYS_USAGE);
        return 2;
    }
  } catch (error) {
    deps.print(`sms-verify keys: ${(error as Error).message}`);
    return 1;
  }
}

/** The keys command from the command line: finds the deployment's table, then runs the command on it. */
export async function keysMain(args: readonly string[], print: (line: string) => void = console.log): Promise<number> {
  let target;
  let positional: string[];
  try {
    ({ positional } = parseOptions(args));
    target = await resolveTarget(parseOptions(args).options);
  } catch (error) {
    if (!(error instanceof TargetError)) throw error;
    print(`sms-verify keys: ${error.message}\n${KEYS_USAGE}`);
    return 2;
  }
  const client = new DynamoDBClient({ ...target.aws, ...(target.tableEndpoint ? { endpoint: target.tableEndpoint } : {}) });
  try {
    return await runKeysCommand(positional, { store: new DynamoDbApiKeyStore(client, target.tableName), print, now: Date.now });
  } finally {
    client.destroy();
  }
}

if (require.main === module) void keysMain(process.argv.slice(2)).then((code) => process.exit(code));
