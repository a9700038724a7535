/**
 * API-key mode's pieces on their own: the credentials check the authorizer
 * runs, and the command that makes, lists and revokes keys.
 */
import { apiKeyDigest, authorize, generateApiKey, rememberingKeys, type ApiKeyStore, type StoredApiKey } from '../../functions/core/api-keys';
import { createAuthorizerHandler } from '../../functions/entry/authorize-handler';
import { runKeysCommand } from '../../tools/keys';
import { CapturingLogger } from '../support/fakes';

class InMemoryApiKeys implements ApiKeyStore {
  readonly keys = new Map<string, StoredApiKey>();
  async put(key: StoredApiKey) {
    this.keys.set(key.userId, key);
  }
  async get(userId: string) {
    return this.keys.get(userId);
  }
  async list() {
    return [...this.keys.values()];
  }
  async revoke(userId: string) {
    return this.keys.delete(userId);
  }
}

describe('keys', () => {
  it('are 256 random bits with a recognisable prefix, kept only as a digest', () => {
    const key = generateApiKey();
    expect(key).toMatch(/^svk_[A-Za-z0-9_-]{43}$/);
    expect(generateApiKey()).not.toBe(key);
    expect(apiKeyDigest(key)).not.toContain(key.slice(4));
  });

  it('authorize a live key for its user only', async () => {
    const store = new InMemoryApiKeys();
    const key = generateApiKey();
    await store.put({ userId: 'alice', keyDigest: apiKeyDigest(key), createdAt: 1 });

    await expect(authorize('alice', key, store)).resolves.toEqual({ authorized: true, userId: 'alice' });
    await expect(authorize('bob', key, store)).resolves.toEqual({ authorized: false, why: 'unknown-user' });
    await expect(authorize('alice', generateApiKey(), store)).resolves.toEqual({ authorized: false, why: 'wrong-key', userId: 'alice' });
    await expect(authorize('alice', undefined, store)).resolves.toEqual({ authorized: false, why: 'missing' });
    await expect(authorize(undefined, key, store)).resolves.toEqual({ authorized: false, why: 'missing' });
    await expect(authorize('alice', key.slice(4), store)).resolves.toEqual({ authorized: false, why: 'malformed' });
    await expect(authorize('al ice', key, store)).resolves.toEqual({ authorized: false, why: 'malformed' });
  });

  it('the authorizer answers API Gateway simple responses, with the user id as context, and never logs a key', async () => {
    const store = new InMemoryApiKeys();
    const key = generateApiKey();
    await store.put({ userId: 'alice', keyDigest: apiKeyDigest(key), createdAt: 1 });
    const logger = new CapturingLogger();
    const handler = createAuthorizerHandler(store, logger);
    const event = (headers: Record<string, string>) => ({ headers }) as unknown as Parameters<typeof handler>[0];

    await expect(handler(event({ 'user-id': 'alice', 'api-key': key }))).resolves.toEqual({ isAuthorized: true, context: { userId: 'alice' } });
    await expect(handler(event({ 'User-ID': 'alice', 'API-Key': key }))).resolves.toMatchObject({ isAuthorized: true });
    // A refusal goes on to the route with its reason, which the route's function answers in the envelope.
    await expect(handler(event({ 'user-id': 'alice', 'api-key': `${key}x` }))).resolves.toEqual({ isAuthorized: true, context: { refused: 'invalid' } });
    await expect(handler(event({ 'user-id': 'alice' }))).resolves.toEqual({ isAuthorized: true, context: { refused: 'missing' } });
    expect(JSON.stringify(logger.lines)).not.toContain(key.slice(4, 20));
  });

  it.each([
    ['in API-Key, with a wrong user', { 'user-id': 'mallory', 'api-key': 'KEY' }],
    ['in User-ID (the headers swapped)', { 'user-id': 'KEY', 'api-key': 'alice' }],
    ['in both', { 'user-id': 'KEY', 'api-key': 'KEY' }],
    ['in User-ID, beside a wrong key', { 'user-id': 'KEY', 'api-key': 'svk_wrong' }],
  ])('a real key sent %s reaches no log line, whole or in part', async (_, headers) => {
    const store = new InMemoryApiKeys();
    const key = generateApiKey();
    await store.put({ userId: 'alice', keyDigest: apiKeyDigest(key), createdAt: 1 });
    const logger = new CapturingLogger();
    const handler = createAuthorizerHandler(store, logger);
    const filled = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, value === 'KEY' ? key : value]));

    await expect(handler({ headers: filled } as unknown as Parameters<typeof handler>[0])).resolves.toEqual({
      isAuthorized: true,
      context: { refused: 'invalid' },
    });

    expect(logger.lines).toHaveLength(1);
    expect(logger.lines.join('\n')).not.toContain(key.slice(4, 14));
    expect(logger.lines.join('\n')).not.toContain(key.slice(-10));
  });

  it('logs the user id of a refused key only when that user exists', async () => {
    const store = new InMemoryApiKeys();
    await store.put({ userId: 'alice', keyDigest: apiKeyDigest(generateApiKey()), createdAt: 1 });
    const logger = new CapturingLogger();
    const handler = createAuthorizerHandler(store, logger);

    await handler({ headers: { 'user-id': 'alice', 'api-key': generateApiKey() } } as unknown as Parameters<typeof handler>[0]);
    await handler({ headers: { 'user-id': 'mallory', 'api-key': generateApiKey() } } as unknown as Parameters<typeof handler>[0]);

    expect(logger.entries()).toEqual([
      expect.objectContaining({ message: 'Credentials refused', why: 'wrong-key', userId: 'alice' }),
      expect.objectContaining({ message: 'Credentials refused', why: 'unknown-user' }),
    ]);
    expect(logger.lines[1]).not.toContain('mallory');
  });
});

describe('keys remembered by the authorizer', () => {
  it('reads a user once per time to live, a missing user included, and again after it', async () => {
    const store = new InMemoryApiKeys();
    await store.put({ userId: 'alice', keyDigest: 'd', createdAt: 1 });
    const reads = jest.spyOn(store, 'get');
    let now = 0;
    const remembering = rememberingKeys(store, 300_000, () => now);

    await remembering.get('alice');
    await remembering.get('alice');
    await remembering.get('mallory');
    await remembering.get('mallory');
    expect(reads.mock.calls.map(([user]) => user)).toEqual(['alice', 'mallory']);

    await store.revoke('alice');
    await expect(remembering.get('alice')).resolves.toMatchObject({ userId: 'alice' });
    now = 300_000;
    await expect(remembering.get('alice')).resolves.toBeUndefined();
  });

  it('remembers nothing at 0', async () => {
    const store = new InMemoryApiKeys();
    const reads = jest.spyOn(store, 'get');
    const remembering = rememberingKeys(store, 0);
    await remembering.get('alice');
    await remembering.get('alice');
    expect(reads).toHaveBeenCalledTimes(2);
  });
});

describe('npm run keys', () => {
  const run = async (store: ApiKeyStore, ...args: string[]) => {
    const printed: string[] = [];
    const code = await runKeysCommand(args, { store, print: (line) => printed.push(line), now: () => Date.UTC(2026, 10, 26) });
    return { code, printed };
  };

  it('creates a key, prints it once and keeps only its digest; lists and revokes', async () => {
    const store = new InMemoryApiKeys();

    const created = await run(store, 'create', 'alice@example.com');
    expect(created.code).toBe(0);
    const key = created.printed[1]!;
    expect(key).toMatch(/^svk_/);
    expect(store.keys.get('alice@example.com')).toEqual({ userId: 'alice@example.com', keyDigest: apiKeyDigest(key), createdAt: Date.UTC(2026, 10, 26) });
    expect(JSON.stringify([...store.keys.values()])).not.toContain(key);

    await expect(run(store, 'list')).resolves.toEqual({ code: 0, printed: ['alice@example.com\tcreated 2026-11-26T00:00:00.000Z'] });
    await expect(run(store, 'revoke', 'alice@example.com')).resolves.toEqual({ code: 0, printed: ['Revoked the key of alice@example.com.'] });
    await expect(authorize('alice@example.com', key, store)).resolves.toEqual({ authorized: false, why: 'unknown-user' });
    await expect(run(store, 'revoke', 'alice@example.com')).resolves.toEqual({ code: 0, printed: ['alice@example.com has no key.'] });
  });

  it('refuses a bad user id and an unknown command, saying how to use it', async () => {
    const store = new InMemoryApiKeys();
    await expect(run(store, 'create', 'not a user')).resolves.toMatchObject({ code: 1, printed: [expect.stringContaining('A user id must be')] });
    await expect(run(store, 'delete', 'alice')).resolves.toMatchObject({ code: 2, printed: [expect.stringContaining('usage:')] });
    expect(store.keys.size).toBe(0);
  });
});
