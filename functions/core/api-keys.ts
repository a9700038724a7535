/**
 * NeutrinoAPI-style credentials: a `User-ID` and an `API-Key`, sent as
 * headers. A key is 32 random bytes, shown once when it is created and kept
 * only as its SHA-256 digest: with 256 bits of entropy a plain digest cannot be
 * reversed, so the authorizer needs no secret of its own, only the table.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { InvalidParameterError } from './errors';

/** Letters, digits and `._@-`, 1 to 64 characters: what teams use as user ids (names, emails, UUIDs). */
const USER_ID = /^[A-Za-z0-9._@-]{1,64}$/;
const KEY_PREFIX = 'svk_';

export function parseUserId(value: string): string {
  if (!USER_ID.test(value)) {
    throw new InvalidParameterError('user-id', 'A user id must be 1 to 64 letters, digits, ".", "_", "@" or "-"');
  }
  return value;
}

/** A new key, e.g. `svk_3q2…`: the prefix lets secret scanners recognise a leaked one. */
export function generateApiKey(): string {
  return `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function apiKeyDigest(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('base64url');
}

/** Whether `key` is the key whose digest is `digest`, in time that tells nothing about how close it was. */
export function matchesDigest(key: string, digest: string): boolean {
  const given = Buffer.from(apiKeyDigest(key));
  const kept = Buffer.from(digest);
  return given.length === kept.length && timingSafeEqual(given, kept);
}

/** One user's key, as the table keeps it. */
export interface StoredApiKey {
  userId: string;
  keyDigest: string;
  createdAt: number;
}

/** Keys by user id: one key per user; creating another replaces it. */
export interface ApiKeyStore {
  put(key: StoredApiKey): Promise<void>;
  get(userId: string): Promise<StoredApiKey | undefined>;
  list(): Promise<StoredApiKey[]>;
  /** Removes the user's key; false when there was none. */
  revoke(userId: string): Promise<boolean>;
}

/**
 * A key store that remembers what it read for `ttlMs` (a user's key, or that there is none): a busy caller costs one
 * table read per `ttlMs` per container, and a revoked or new key takes effect within `ttlMs`. 0 remembers nothing.
 */
export function rememberingKeys(store: Pick<ApiKeyStore, 'get'>, ttlMs: number, now: () => number = Date.now): Pick<ApiKeyStore, 'get'> {
  if (ttlMs <= 0) return store;
  const remembered = new Map<string, { key: StoredApiKey | undefined; until: number }>();
  return {
    async get(userId) {
      const hit = remembered.get(userId);
      if (hit && hit.until > now()) return hit.key;
      const key = await store.get(userId);
      // Bounded: a stream of made-up user ids must not grow a container's memory without end.
      if (remembered.size >= MAX_REMEMBERED) remembered.clear();
      remembered.set(userId, { key, until: now() + ttlMs });
      return key;
    },
  };
}
const MAX_REMEMBERED = 10_000;

/** Why credentials were refused: for the operator's logs, never for the caller. */
export type Refusal = 'missing' | 'malformed' | 'unknown-user' | 'wrong-key';

export type Authorization =
  | { authorized: true; userId: string }
  /** `userId` only when it names an existing user: a value a caller sent that named none may be anything, a key too. */
  | { authorized: false; why: Refusal; userId?: string };

/**
 * Whether a request's credentials are a live key. Both headers must be there;
 * an unknown user and a wrong key take the same path and answer the same.
 */
export async function authorize(userId: string | undefined, key: string | undefined, store: Pick<ApiKeyStore, 'get'>): Promise<Authorization> {
  if (!userId || !key) return { authorized: false, why: 'missing' };
  if (!USER_ID.test(userId) || !key.startsWith(KEY_PREFIX) || key.length > 100) return { authorized: false, why: 'malformed' };
  const stored = await store.get(userId);
  // Compare against a digest even for an unknown user, so that timing does not tell which user ids exist.
  const matches = matchesDigest(key, stored?.keyDigest ?? apiKeyDigest(`${KEY_PREFIX}unknown`));
  if (!stored) return { authorized: false, why: 'unknown-user' };
  return matches ? { authorized: true, userId } : { authorized: false, why: 'wrong-key', userId };
}
