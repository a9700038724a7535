/**
 * Timeouts and retries for every AWS client, chosen so that the slowest send
 * ends well inside the function timeout (20 s) and API Gateway's 30 s:
 *
 *   table write    2 attempts × (0.5 s connect + 1 s request) + backoff   ≈ 3.1 s
 *                  (the store's own attempts: the SDK's are off, see below)
 *   SMS route      1 attempt  × (1 s connect + 2.5 s request)             = 3.5 s
 *
 *   routes         each says how long it can take (SmsRoute.maxDurationMs: its reads' budget, then one
 *                  request); after the first, a route is tried only if it can end within ROUTES_BUDGET_MS
 *                  (10.5 s) of the first one's start (functions/core/delivery.ts)
 *
 *   slowest send = counts (3.1) + record (3.1) + routes (10.5) + revoke or keep the answer (3.1) ≈ 19.8 s
 *   cold start     the code key's read starts during Lambda's init (entry/runtime.ts); the first request waits for
 *                  what is left of it, and its routes get only what Lambda's remaining time leaves after the
 *                  settling writes (one, or two with an idempotency key; core/delivery.ts). middy answers 503/30
 *                  just before Lambda's own timeout if anything else runs late
 *   unsettled send = counts (3.1) + record (3.1) + its fence (3.1) + give the counts back (3.1) ≈ 12.4 s
 *   slowest check = caller count (3.1) + check (3.1) + its fence or a post-lock check (3.1) + refund (3.1) ≈ 12.4 s
 *
 * A typical send is two rounds of table writes (~5 ms each in region: the
 * counts in parallel, then the number) and one SMS request (~100-300 ms). SMS clients do not retry: after a timeout the provider may
 * already have the message, and the next route is the faster and safer second
 * try. `throwOnRequestTimeout` matters: without it the SDK's HTTP handler only
 * logs a warning when `requestTimeout` passes and goes on waiting.
 */
/**
 * The SDK would repeat any request that timed out, and a write whose answer
 * was lost may have been applied: repeating it blindly could count a send
 * twice or a consumed code as a failure. So the table client makes one
 * attempt, and the store repeats each write as far as that write allows
 * (dynamodb-store/table.ts).
 */
export const TABLE_CLIENT_OPTIONS = {
  maxAttempts: 1,
  requestHandler: { connectionTimeout: 500, requestTimeout: 1_000, throwOnRequestTimeout: true },
} as const;

export const SMS_CLIENT_OPTIONS = {
  maxAttempts: 1,
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_500, throwOnRequestTimeout: true },
} as const;
/** The longest one SMS request can take: connect, then the request. */
export const SMS_REQUEST_MAX_MS = SMS_CLIENT_OPTIONS.requestHandler.connectionTimeout + SMS_CLIENT_OPTIONS.requestHandler.requestTimeout;

/** Read once per container; three attempts ride out a brief Secrets Manager hiccup at cold start. */
export const SECRET_CLIENT_OPTIONS = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 500, requestTimeout: 1_000, throwOnRequestTimeout: true },
} as const;

/** The functions' timeout: inside API Gateway's 30 s integration timeout, above the slowest bounded send. */
export const FUNCTION_TIMEOUT_SECONDS = 20;

/**
 * The API-key authorizer's timeout. An HTTP API waits 10 s for a Lambda authorizer (API Gateway quotas); its one
 * table read, three attempts of at most 0.5 s connect + 1 s request with two short pauses, fits in ≈ 4.7 s.
 */
export const AUTHORIZER_TIMEOUT_SECONDS = 6;

/**
 * The outcomes function's clients, off the request path: the SDK's own retries stay on. Feedback and events are safe to
 * repeat (a set ADD, a SET of the same value; the same feedback or event id twice changes nothing); a conversion
 * guard count repeated after a lost answer counts twice, which moves a prefix's share by one code
 * (adapters/dynamodb-guard.ts).
 */
export const OFF_PATH_CLIENT_OPTIONS = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true },
} as const;
/** The outcomes function's timeout: a batch of stream records, each a few short requests. */
export const OUTCOMES_TIMEOUT_SECONDS = 60;
