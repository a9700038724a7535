import { DependencyUnavailableError } from '../core/errors';

/**
 * DynamoDB refusing for load: an item or the table over its throughput, or an
 * item held by a transaction in progress. DynamoDB refuses these before it
 * applies anything, so they are also the failures a write is known not to have made.
 */
export const LOAD_REFUSALS: readonly string[] = [
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ThrottlingException',
  'TransactionConflictException',
  // A global table with multi-Region strong consistency refuses a write that met another in a second Region.
  'ReplicatedWriteConflictException',
];

/**
 * DynamoDB failures that mean "the table cannot serve this right now" become a
 * 503/5 that the caller may retry: refusals for load ("busy"), and a 5xx, a
 * network error or timeout, or a missing table ("unavailable"). Anything else
 * is a bug in the request we built and stays a 500.
 */
export function asTableFailure(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  if (LOAD_REFUSALS.includes(error.name)) {
    return new DependencyUnavailableError('store-busy', { cause: error });
  }
  const fault = (error as { $fault?: string }).$fault;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const unavailable = fault === 'server' || status === undefined || error.name === 'ResourceNotFoundException';
  return unavailable
    ? new DependencyUnavailableError('store-unavailable', { cause: error })
    : error;
}
