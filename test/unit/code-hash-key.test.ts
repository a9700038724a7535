import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { fixedKeyLoader, secretsManagerKeyLoader } from '../../functions/adapters/code-hash-key';
import { DependencyUnavailableError } from '../../functions/core/errors';

const secrets = mockClient(SecretsManagerClient);
beforeEach(() => secrets.reset());

describe('code key from Secrets Manager', () => {
  it('reads the secret once per container', async () => {
    secrets.on(GetSecretValueCommand, { SecretId: 'arn:key' }).resolves({ SecretString: 'k'.repeat(64) });
    const load = secretsManagerKeyLoader(new SecretsManagerClient({}), 'arn:key');

    const keys = await Promise.all([load(), load(), load()]);

    expect(Buffer.from(keys[0]!).toString()).toBe('k'.repeat(64));
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('answers a 503 while Secrets Manager is unavailable, and recovers on the next request', async () => {
    secrets
      .on(GetSecretValueCommand)
      .rejectsOnce(Object.assign(new Error('service unavailable'), { name: 'InternalServiceError' }))
      .resolves({ SecretString: 'k'.repeat(64) });
    const load = secretsManagerKeyLoader(new SecretsManagerClient({}), 'arn:key');

    await expect(load()).rejects.toThrow(DependencyUnavailableError);
    await expect(load()).resolves.toHaveLength(64);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });
});

describe('code key given directly', () => {
  it('refuses a key shorter than 32 characters', () => {
    expect(() => fixedKeyLoader('short')).toThrow(/at least 32/);
  });
});
