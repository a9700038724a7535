/**
 * The one error model of the API. Each failure a caller can see is a typed
 * error with a stable NeutrinoAPI-style `api-error` code and an HTTP status;
 * `functions/entry/api-response.ts` turns them into responses in one place.
 * Anything else is an unexpected failure and is answered 500/51 without detail.
 */
import type { VelocityKind } from './ports';

export abstract class ApiError extends Error {
  abstract readonly apiError: number;
  abstract readonly httpStatus: number;
  /** Response headers the status calls for (an `Allow` with a 405). */
  readonly headers: Readonly<Record<string, string>> = {};

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A parameter's type in NeutrinoAPI's words, as its answers to a code-1 error name it (`api-parameter-type`). */
export type ParameterType = 'string' | 'integer';

/**
 * 400/1: a parameter is missing, unknown, repeated or has a value outside its rule. Its answer names the parameter
 * and its type (`api-parameter-name`, `api-parameter-type`), which NeutrinoAPI's Java clients read with every code 1.
 */
export class InvalidParameterError extends ApiError {
  readonly apiError = 1;
  readonly httpStatus = 400;

  /** @param message a whole sentence that names the parameter, e.g. `Parameter "code-length" must be …`. */
  constructor(
    readonly parameter: string,
    message: string,
    readonly expectedType: ParameterType = 'string',
  ) {
    super(message);
  }

  /** The same error about a parameter the request spelled another way (`code_length` for `code-length`). */
  spelledAs(spelling: string): InvalidParameterError {
    if (spelling === this.parameter) return this;
    return new InvalidParameterError(spelling, this.message.split(`"${this.parameter}"`).join(`"${spelling}"`), this.expectedType);
  }
}

/** 400/9: the body cannot be read as parameters (not JSON, not an object). */
export class MalformedBodyError extends ApiError {
  readonly apiError = 9;
  readonly httpStatus = 400;
}

/**
 * 415/29: the body is in a format the API does not read. A project-only code: NeutrinoAPI's 9 means bad JSON, and
 * its clients name 26 DATASET_UNKNOWN; none of them names 29.
 */
export class UnsupportedContentTypeError extends ApiError {
  readonly apiError = 29;
  readonly httpStatus = 415;
}

/**
 * 401/43 or 403/43 (API-key mode): the `User-ID` and `API-Key` headers are missing (401), or name no live key (403).
 * NeutrinoAPI's clients name 43 ACCESS_FORBIDDEN ("user id or API key invalid").
 */
export class AccessDeniedError extends ApiError {
  readonly apiError = 43;
  readonly httpStatus: 401 | 403;

  constructor(readonly why: 'missing' | 'invalid') {
    super(
      why === 'missing'
        ? 'Send your credentials in the User-ID and API-Key headers'
        : 'Access denied: the User-ID and API-Key headers name no live key',
    );
    this.httpStatus = why === 'missing' ? 401 : 403;
  }
}

/** 413/44: the body is larger than the API reads. */
export class BodyTooLargeError extends ApiError {
  readonly apiError = 44;
  readonly httpStatus = 413;
}

/** 404/45: no endpoint at this path (NeutrinoAPI's NO_ENDPOINT). */
export class NoEndpointError extends ApiError {
  readonly apiError = 45;
  readonly httpStatus = 404;
}

/** 405/46: the path exists, but not for this method; `Allow` names the methods it takes. A project-only code. */
export class MethodNotAllowedError extends ApiError {
  readonly apiError = 46;
  readonly httpStatus = 405;
  override readonly headers: Readonly<Record<string, string>>;

  constructor(method: string, path: string, allowed: readonly string[]) {
    super(`${path.slice(0, 60)} does not take ${method.slice(0, 10)}; use ${allowed.join(' or ')}`);
    this.headers = { allow: allowed.join(', ') };
  }
}

/** 429/14: the number has had `limit` SMS within `limit-ttl` days. */
export class NumberLimitReachedError extends ApiError {
  readonly apiError = 14;
  readonly httpStatus = 429;
}

/**
 * The 429s of the velocity limits: one `api-error` code each, so a caller can tell them apart. Where NeutrinoAPI has
 * a code for the same situation its clients read it by that name: 31 USER_DEFINED_DAILY_LIMIT (a limit the account
 * holder set, here the caller's), 4 ABUSE_DETECTED (SMS pumping into one number range), 2 MAX_CALL_LIMIT (the
 * account's own ceiling); for calls, 11 MAX_PHONE_CALLS (the caller's), 15 TELEPHONY_RATE_EXCEEDED (one number range)
 * and 8 TELEPHONY_LIMIT (the deployment's). The check limits have no NeutrinoAPI code, and get project-only ones
 * (32, 33) that NeutrinoAPI gives no meaning.
 */
export const VELOCITY_LIMIT_ERRORS = {
  'caller-send': { apiError: 31, message: 'Too many SMS requests from this caller; try again later' },
  'prefix-send': { apiError: 4, message: 'Too many SMS to numbers in this range; try again later' },
  'global-send': { apiError: 2, message: 'This service has reached its SMS ceiling for now; try again later' },
  'caller-call': { apiError: 11, message: 'Too many calls requested by this caller; try again later' },
  'prefix-call': { apiError: 15, message: 'Too many calls to numbers in this range; try again later' },
  'global-call': { apiError: 8, message: 'This service has reached its ceiling of calls for now; try again later' },
  'caller-verify': { apiError: 32, message: 'Too many verification attempts from this caller; try again later' },
  'limit-by': { apiError: 33, message: 'Too many failed verification attempts for this limit-by value; try again later' },
} as const satisfies Record<VelocityKind, { apiError: number; message: string }>;

/** 429/31, 4, 2, 32: a velocity limit (caller, destination prefix, deployment ceiling, caller checks) is exhausted. */
export class VelocityLimitError extends ApiError {
  readonly apiError: number;
  readonly httpStatus = 429;

  constructor(readonly limit: VelocityKind) {
    super(VELOCITY_LIMIT_ERRORS[limit].message);
    this.apiError = VELOCITY_LIMIT_ERRORS[limit].apiError;
  }
}

/**
 * 429/34: the conversion guard paused sends and calls to the number's destination prefix: too few of its recent
 * codes were verified (core/guard.ts). A project-only code (NeutrinoAPI's clients name none 34).
 */
export class ConversionGuardError extends ApiError {
  readonly apiError = 34;
  readonly httpStatus = 429;

  constructor(readonly retryAfterSeconds: number) {
    super(
      `Sends to numbers of this destination prefix are paused for ${retryAfterSeconds} s: too few of its recent codes were verified (the conversion guard against SMS pumping)`,
    );
  }
}

/** 409/25: an Idempotency-Key was reused for a different request. A project-only code (NeutrinoAPI's 19 is a credit limit). */
export class IdempotencyKeyReusedError extends ApiError {
  readonly apiError = 25;
  readonly httpStatus = 409;
}

/** 409/6: the first request with this Idempotency-Key has not finished; the caller may retry shortly (NeutrinoAPI's CONCURRENT). */
export class IdempotentRequestInProgressError extends ApiError {
  readonly apiError = 6;
  readonly httpStatus = 409;
}

/** Why a dependency could not serve a request, in the words its 503/5 uses. */
export const UNAVAILABLE_MESSAGES = {
  'store-busy': 'The verification store is busy; try again shortly',
  'store-unavailable': 'The verification store is unavailable; try again shortly',
  'number-contended': 'Too many concurrent requests for this number; try again shortly',
  'key-unavailable': 'The code key is unavailable; try again shortly',
} as const;
export type UnavailableReason = keyof typeof UNAVAILABLE_MESSAGES;

/**
 * 503/5: a dependency (the table, the secret store) is unavailable or refused
 * for load. Given only when the request changed nothing: it may be retried blindly.
 */
export class DependencyUnavailableError extends ApiError {
  readonly apiError = 5;
  readonly httpStatus = 503;

  constructor(
    readonly reason: UnavailableReason,
    options?: ErrorOptions,
  ) {
    super(UNAVAILABLE_MESSAGES[reason], options);
  }
}

/** What a 503/30 says may have changed, in its own words; nothing else did. */
export const OUTCOME_UNKNOWN_MESSAGES = {
  'send-counted':
    'The verification store did not confirm this send: no SMS was sent and no code recorded, but the request may count against a rate limit; it is safe to try again',
  'send-recorded':
    "The verification store did not confirm this send: no SMS was sent, but the request may count against this number's limit and the rate limits, and the code it was to replace may no longer be accepted; it is safe to try again",
  'send-not-undone':
    "No route delivered the SMS, and the verification store did not confirm that the send was undone: the request may count against this number's limit and the rate limits, and the code it was to replace may no longer be accepted; it is safe to try again",
  'check-counted':
    "The verification store did not confirm this check: the code was not checked, but the request may count against the caller's check limit; it is safe to try again",
  'check-used':
    'The verification store did not confirm this check: the code may have been used. Try again; if the code is then refused, send a new one',
  'timed-out': 'The request did not finish in time and may have taken effect: a code may have been sent or used',
} as const;
export type UnknownOutcome = keyof typeof OUTCOME_UNKNOWN_MESSAGES;

/**
 * 503/30: the table did not confirm a write and the service could not find out
 * whether it took effect (the table stayed unreachable while it tried). The
 * message says what may have changed; no SMS was sent after it. A project-only
 * code: NeutrinoAPI gives 30 no meaning.
 */
export class OutcomeUnknownError extends ApiError {
  readonly apiError = 30;
  readonly httpStatus = 503;

  constructor(
    readonly mayHave: UnknownOutcome,
    options?: ErrorOptions,
  ) {
    super(OUTCOME_UNKNOWN_MESSAGES[mayHave], options);
  }
}

/**
 * Every `api-error` this API answers, with the name NeutrinoAPI's clients give it where NeutrinoAPI has the
 * situation, or none: then no client names the code (their list skips 20, 25, 29, 30, 32-42, 46-50, 53-60), so none
 * misreads it. A test holds this against the errors above and the clients' list.
 */
export const API_ERROR_CODES: Readonly<Record<number, { neutrino?: string; meaning: string }>> = {
  1: { neutrino: 'INVALID_PARAMETER', meaning: 'a parameter is missing, unknown, repeated or breaks its rule' },
  2: { neutrino: 'MAX_CALL_LIMIT', meaning: 'the deployment reached its SMS ceiling' },
  4: { neutrino: 'ABUSE_DETECTED', meaning: 'too many SMS to one destination prefix' },
  5: { neutrino: 'NOT_RESPONDING', meaning: 'a dependency is unavailable or busy; nothing changed' },
  6: { neutrino: 'CONCURRENT', meaning: 'the first request with this Idempotency-Key is still running' },
  8: { neutrino: 'TELEPHONY_LIMIT', meaning: 'the deployment reached its ceiling of calls' },
  9: { neutrino: 'INVALID_JSON', meaning: 'the body is not a JSON object' },
  11: { neutrino: 'MAX_PHONE_CALLS', meaning: 'the caller requested too many calls' },
  14: { neutrino: 'TELEPHONY_BLOCKED', meaning: 'the number reached its limit' },
  15: { neutrino: 'TELEPHONY_RATE_EXCEEDED', meaning: 'too many calls to one destination prefix' },
  25: { meaning: 'the Idempotency-Key was used for a different request' },
  29: { meaning: 'the Content-Type is neither JSON nor form-encoded' },
  30: { meaning: 'the outcome is unknown; the message says what may have changed' },
  31: { neutrino: 'USER_DEFINED_DAILY_LIMIT', meaning: 'the caller made too many sends' },
  32: { meaning: 'the caller made too many checks' },
  33: { meaning: 'too many failed checks under one limit-by value' },
  34: { meaning: 'the conversion guard paused sends to this destination prefix' },
  43: { neutrino: 'ACCESS_FORBIDDEN', meaning: 'API-key mode: the User-ID and API-Key headers are missing or name no live key' },
  44: { neutrino: 'REQUEST_TOO_LARGE', meaning: 'the body is too large' },
  45: { neutrino: 'NO_ENDPOINT', meaning: 'no endpoint at this path' },
  46: { meaning: 'the path takes another method' },
  51: { neutrino: 'INTERNAL_SERVER_ERROR', meaning: 'an unexpected failure' },
};

/** 500/51: the answer to every failure that is not an {@link ApiError}. */
export const UNEXPECTED_FAILURE = {
  apiError: 51,
  httpStatus: 500,
  message: 'Internal error; the request may be retried.',
} as const;
