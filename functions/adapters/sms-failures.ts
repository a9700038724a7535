import { SmsRouteError, type SmsFailureKind } from '../core/ports';
import type { RouteName } from '../settings';

/**
 * Sorts an SDK error from an SMS provider into what routing needs to know:
 * throttled, unavailable (5xx or network), timed out, or rejected for good.
 * Any of them makes the send move on to the next route.
 */
export function smsRouteFailure(route: RouteName, error: unknown): SmsRouteError {
  const kind = failureKind(error);
  const detail = error instanceof Error ? error.name : 'unknown error';
  return new SmsRouteError(route, kind, `${route}: ${kind} (${detail})`, { cause: error });
}

function failureKind(error: unknown): SmsFailureKind {
  if (!(error instanceof Error)) return 'unavailable';
  const { $fault, $metadata, $retryable } = error as {
    $fault?: 'client' | 'server';
    $metadata?: { httpStatusCode?: number };
    $retryable?: { throttling?: boolean };
  };
  const status = $metadata?.httpStatusCode;
  if ($retryable?.throttling || status === 429 || /Throttl|TooManyRequests/.test(error.name)) return 'throttled';
  if (error.name === 'TimeoutError' || /timeout/i.test(error.name) || (error as { code?: string }).code === 'ETIMEDOUT') {
    return 'timeout';
  }
  if ($fault === 'server' || status === undefined || status >= 500) return 'unavailable';
  return 'rejected';
}
