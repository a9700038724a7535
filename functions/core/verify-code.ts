import { VelocityLimitError } from './errors';
import type { VerifyRequest } from './parameters';
import { maskNumber, type PhoneNumberReader } from './phone-number';
import type { Clock, Digester, Logger, Metrics, VelocityLimit, VerificationStore } from './ports';
import type { DeploymentSettings } from '../settings';

export interface VerifyPolicy {
  maxFailedChecks: number;
  lockMs: number;
  /** Checks per caller across all numbers; a limit of 0 turns it off. */
  callerVerify: { limit: number; windowMs: number };
  /** Failed checks per `limit-by` value across all numbers, within the lock window. */
  limitByMaxFailedChecks: number;
}

export function verifyPolicyFrom(settings: DeploymentSettings): VerifyPolicy {
  return {
    maxFailedChecks: settings.maxFailedChecks,
    lockMs: settings.lockSeconds * 1000,
    callerVerify: { limit: settings.callerVerifyLimit, windowMs: settings.callerVerifyWindowSeconds * 1000 },
    limitByMaxFailedChecks: settings.limitByMaxFailedChecks,
  };
}

export interface VerifyDependencies {
  phoneNumbers: PhoneNumberReader;
  store: VerificationStore;
  digester: Digester;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  policy: VerifyPolicy;
}

/**
 * Checks a code a person typed in. The answer is only ever `true` or `false`:
 * a number that never had a code, an expired or used code, a wrong code and a
 * locked number all look the same to the caller; the reason is logged.
 *
 * @throws VelocityLimitError when the caller has used up its checks across all numbers,
 *   so that one caller cannot spray guesses over many numbers, or when the request's
 *   `limit-by` value has used up its failed checks (NeutrinoAPI's brute-force limit).
 */
export async function verifySecurityCode(
  request: VerifyRequest,
  caller: string,
  deps: VerifyDependencies,
): Promise<boolean> {
  const reading = deps.phoneNumbers.read(request.number, request.countryCode);
  const { logger, metrics } = deps;
  if (!reading.valid) {
    logger.info('Not verified', { why: 'invalid-number' });
    metrics.count('VerificationFailed', { Reason: 'invalid-number' });
    return false;
  }
  const { policy } = deps;
  const velocity: VelocityLimit[] = [];
  if (policy.callerVerify.limit > 0) {
    velocity.push({ kind: 'caller-verify', subject: await deps.digester.caller(caller), ...policy.callerVerify });
  }
  if (request.limitBy !== undefined) {
    // A value the caller chose (a user id, an IP address): stored only as a keyed digest, like a code. It adds a
    // limit to the number's own lock and the caller's, and lifts neither.
    velocity.push({
      kind: 'limit-by',
      subject: await deps.digester.text('limit-by', request.limitBy),
      limit: policy.limitByMaxFailedChecks,
      windowMs: policy.lockMs,
      failuresOnly: true,
    });
  }
  const result = await deps.store.checkCode({
    e164: reading.e164,
    codeDigest: await deps.digester.code(reading.e164, request.securityCode),
    now: deps.clock.now(),
    maxFailedChecks: policy.maxFailedChecks,
    lockMs: policy.lockMs,
    velocity,
  });
  const number = maskNumber(reading.e164);
  switch (result.outcome) {
    case 'verified':
      logger.info('Verified', { number });
      metrics.count('Verified');
      metrics.count('VerifiedByCountry', { Country: reading.country ?? 'none' });
      return true;
    case 'rejected':
      logger.info('Not verified', { number, why: result.why, lockedNow: result.lockedNow });
      metrics.count('VerificationFailed', { Reason: result.why });
      if (result.lockedNow) metrics.count('NumbersLocked');
      return false;
    case 'limit-reached':
      logger.info('Refused: limit reached', { number, limit: result.limit });
      metrics.count('LimitReached', { Limit: result.limit });
      throw new VelocityLimitError(result.limit);
  }
}
