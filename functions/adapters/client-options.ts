/**
 * Timeouts and retries for every AWS client, chosen so that the slowest send
 * (every route tried once after DynamoDB) ends well inside the function timeout
 * and API Gateway's 30 s:
 *   DynamoDB: 1 s to connect, 2 s per attempt, 3 attempts (SDK backoff)   ≤ ~7 s
 *   SMS routes: 1 s to connect, 3 s per attempt, 1 attempt per route       ≤ 3 s each
 * SMS clients do not retry: after a timeout the provider may already have
 * accepted the message, and the next route is a faster and safer second try.
 */
export const TABLE_CLIENT_OPTIONS = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
} as const;

export const SMS_CLIENT_OPTIONS = {
  maxAttempts: 1,
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 },
} as const;

export const SECRET_CLIENT_OPTIONS = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
} as const;
