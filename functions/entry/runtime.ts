/**
 * What both functions build once per container, at module load: settings,
 * the table client and store, the code digester. A bad setting stops the
 * container at start with a message that names it, instead of failing requests.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { TABLE_CLIENT_OPTIONS, SECRET_CLIENT_OPTIONS } from '../adapters/client-options';
import { fixedKeyLoader, secretsManagerKeyLoader } from '../adapters/code-hash-key';
import { DynamoDbVerificationStore } from '../adapters/dynamodb-verification-store';
import { createDigester, createSealer } from '../core/security-code';
import type { Digester, Sealer, VerificationStore } from '../core/ports';
import { readSettingsFromEnvironment, type DeploymentSettings } from '../settings';

export interface Runtime {
  settings: DeploymentSettings;
  store: VerificationStore;
  digester: Digester;
  sealer: Sealer;
}

export function requiredEnvironment(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new Error(`Environment variable ${name} must be set`);
  return value;
}

export function createRuntime(env: NodeJS.ProcessEnv): Runtime {
  const settings = readSettingsFromEnvironment(env);
  const store = new DynamoDbVerificationStore(new DynamoDBClient(TABLE_CLIENT_OPTIONS), requiredEnvironment(env, 'TABLE_NAME'));
  // Deployed: the stack's secret. Local runtime and tests: a key given in the environment.
  const secretId = env.CODE_HASH_SECRET_ID?.trim();
  const loadKey = secretId
    ? secretsManagerKeyLoader(new SecretsManagerClient(SECRET_CLIENT_OPTIONS), secretId)
    : fixedKeyLoader(requiredEnvironment(env, 'CODE_HASH_KEY'));
  // Started during Lambda's init, so that it overlaps the rest of the container's start rather than follows it: the
  // first request waits only for what is left of the read (at worst ~4.7 s with retries), and its routes get only the
  // time that leaves (core/delivery.ts). A read that fails is asked again by the first request that needs the key.
  loadKey().catch(() => undefined);
  return { settings, store, digester: createDigester(loadKey), sealer: createSealer(loadKey) };
}
