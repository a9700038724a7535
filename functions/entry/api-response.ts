/**
 * The one place where outcomes become responses: typed errors map to their
 * status and NeutrinoAPI `api-error` envelope; anything unexpected becomes
 * 500/51 with no internal detail. An HTTP invocation gets an API Gateway
 * response; a direct invocation gets the body itself.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ApiError, InvalidParameterError, OutcomeUnknownError, UNEXPECTED_FAILURE } from '../core/errors';
import type { Logger } from '../core/ports';

export interface ApiErrorBody {
  'api-error': number;
  'api-error-msg': string;
  /** With code 1 only: the parameter as the request spelled it, and its type (NeutrinoAPI's Java clients read both). */
  'api-parameter-name'?: string;
  'api-parameter-type'?: string;
}

export function errorResponseFor(
  error: unknown,
  logger: Logger,
): { status: number; body: ApiErrorBody; headers?: Readonly<Record<string, string>> } {
  const known = asApiError(error);
  if (known) {
    const fields = { apiError: known.apiError, status: known.httpStatus, error: known.name };
    if (known.httpStatus >= 500) logger.error(known.message, { ...fields, cause: causeName(known) });
    else logger.info('Request refused', fields);
    const body: ApiErrorBody = { 'api-error': known.apiError, 'api-error-msg': known.message };
    if (known instanceof InvalidParameterError) {
      body['api-parameter-name'] = known.parameter;
      body['api-parameter-type'] = known.expectedType;
    }
    return { status: known.httpStatus, body, headers: known.headers };
  }
  // Only the error's class reaches the log: messages of unexpected errors may quote input.
  logger.error('Unexpected failure', { error: error instanceof Error ? error.name : typeof error });
  return {
    status: UNEXPECTED_FAILURE.httpStatus,
    body: { 'api-error': UNEXPECTED_FAILURE.apiError, 'api-error-msg': UNEXPECTED_FAILURE.message },
  };
}

function asApiError(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  // middy ends a handler that is about to run out of time with a TimeoutError: a dependency was too slow, and the
  // request may have got anywhere (a code recorded, an SMS sent), so this is no "nothing changed".
  if (error instanceof Error && error.name === 'TimeoutError') {
    return new OutcomeUnknownError('timed-out', { cause: error });
  }
  return undefined;
}

function causeName(error: Error): string | undefined {
  return error.cause instanceof Error ? error.cause.name : undefined;
}

export function httpResponse(
  status: number,
  body: object,
  headers: Readonly<Record<string, string>> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}
