import { DependencyUnavailableError } from '../core/errors';

/**
 * DynamoDB failures that mean "the table is unavailable right now" (throttling,
 * a 5xx, a network error or timeout, a missing table) become a 503/5 that the
 * caller may retry; anything else is a bug in the request we built and stays a 500.
 */
export function asTableFailure(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  const fault = (error as { $fault?: string }).$fault;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const unavailable =
    fault === 'server' ||
    status === undefined ||
    [
      'ProvisionedThroughputExceededException',
      'RequestLimitExceeded',
      'ThrottlingException',
      'ResourceNotFoundException',
      'TransactionConflictException',
    ].includes(error.name);
  return unavailable
    ? new DependencyUnavailableError('The verification store is unavailable; try again shortly', { cause: error })
    : error;
}
