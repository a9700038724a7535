import { SmsRouteError, type SmsFailureKind } from '../core/ports';
import type { RouteName, VoiceRouteName } from '../settings';

/**
 * Sorts an SDK error from an SMS or voice provider by what matters once it fails:
 * could the message have left? None of the send APIs takes an idempotency
 * token, and none says whether a failed request sent anything, so:
 *
 *  - `unconfirmed`: a 5xx (SNS InternalError, End User Messaging InternalServerException, Pinpoint
 *    InternalServerErrorException: "the request may have succeeded" is all any of them documents), a timeout, a
 *    connection reset after the request went out, an answer that could not be read, any error that is not one of
 *    the API's, or a refusal after more than one attempt (an earlier attempt may have sent it). The provider may
 *    have the message: the code must stay valid.
 *  - `throttled`, `rejected`: the API refused this request before taking the message (a 4xx it documents: throttling,
 *    validation, opt-out, spend limit, a missing resource, access denied), on its only attempt.
 *  - `unreachable`: no connection was ever made (refused, or the host not found), so nothing was sent.
 *
 * docs/API.md ("When a provider fails") has the table of each API's errors and what this service does with them.
 */
export function smsRouteFailure(route: RouteName | VoiceRouteName, error: unknown): SmsRouteError {
  const kind = failureKind(error);
  // The error's name and, where the API gives one, its Reason (an enum: End User Messaging's ConflictException and
  // ServiceQuotaExceededException, Notify's): what a log needs to tell one refusal from another. Never the
  // provider's message, which may quote the phone number.
  // A Reason the SDK has no model for is copied from the provider's body: only an enum-like one is kept.
  const reason = (error as { Reason?: unknown } | undefined)?.Reason;
  const shownReason = typeof reason === 'string' && /^[A-Z0-9_]{1,64}$/.test(reason) ? ` ${reason}` : '';
  const detail = error instanceof Error ? `${error.name}${shownReason}` : 'unknown error';
  return new SmsRouteError(route, kind, `${route}: ${kind} (${detail})`, { cause: error });
}

/**
 * Node's codes for a connection that was never made: nothing reached the provider. Read from the message too: where
 * the SDK cannot tell an error for one (another realm's), it wraps it and keeps only the message.
 */
const NEVER_CONNECTED = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)\b/;

function failureKind(error: unknown): SmsFailureKind {
  if (!(error instanceof Error)) return 'unconfirmed';
  const { $fault, $metadata, $retryable, code } = error as {
    $fault?: 'client' | 'server';
    $metadata?: { httpStatusCode?: number; attempts?: number };
    $retryable?: { throttling?: boolean };
    code?: string;
  };
  const status = $metadata?.httpStatusCode;
  if (status === undefined) return NEVER_CONNECTED.test(`${code ?? ''} ${error.message}`) ? 'unreachable' : 'unconfirmed';
  // The clients make one attempt (client-options.ts); should one ever make more, an earlier one may have sent it.
  if (($metadata?.attempts ?? 1) > 1) return 'unconfirmed';
  if ($fault === 'server' || status >= 500) return 'unconfirmed';
  if ($retryable?.throttling || status === 429 || /Throttl|TooManyRequests/.test(error.name)) return 'throttled';
  if (status >= 400) return 'rejected';
  return 'unconfirmed';
}
