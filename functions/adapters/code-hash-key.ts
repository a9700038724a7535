import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DependencyUnavailableError } from '../core/errors';

/**
 * The HMAC key for code digests, read from Secrets Manager once per container.
 * A failed read is not cached: the next request tries again, and the caller of
 * this one gets a 503 instead of a container that crashes at every start.
 */
export function secretsManagerKeyLoader(client: SecretsManagerClient, secretId: string): () => Promise<Uint8Array> {
  let key: Promise<Uint8Array> | undefined;
  return () => {
    key ??= client.send(new GetSecretValueCommand({ SecretId: secretId })).then(
      (secret) => {
        if (!secret.SecretString) throw new Error(`Secret ${secretId} has no SecretString`);
        return new TextEncoder().encode(secret.SecretString);
      },
      (error: unknown) => {
        throw new DependencyUnavailableError('key-unavailable', { cause: error });
      },
    );
    key.catch(() => {
      key = undefined;
    });
    return key;
  };
}

/** A key given directly (local runtime and tests): at least 32 bytes, as text. */
export function fixedKeyLoader(keyText: string): () => Promise<Uint8Array> {
  if (keyText.length < 32) throw new Error('CODE_HASH_KEY must be at least 32 characters');
  const key = Promise.resolve(new TextEncoder().encode(keyText));
  return () => key;
}
