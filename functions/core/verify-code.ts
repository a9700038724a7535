import type { VerifyRequest } from './parameters';
import { maskNumber, type PhoneNumberReader } from './phone-number';
import type { Clock, CodeDigester, Logger, VerificationStore } from './ports';

export interface VerifyPolicy {
  maxFailedChecks: number;
  lockMs: number;
}

export interface VerifyDependencies {
  phoneNumbers: PhoneNumberReader;
  store: VerificationStore;
  digester: CodeDigester;
  clock: Clock;
  logger: Logger;
  policy: VerifyPolicy;
}

/**
 * Checks a code a person typed in. The answer is only ever `true` or `false`:
 * a number that never had a code, an expired or used code, a wrong code and a
 * locked number all look the same to the caller; the reason is logged.
 */
export async function verifySecurityCode(request: VerifyRequest, deps: VerifyDependencies): Promise<boolean> {
  const reading = deps.phoneNumbers.read(request.number, request.countryCode);
  if (!reading.valid) {
    deps.logger.info('Not verified', { why: 'invalid-number' });
    return false;
  }
  const result = await deps.store.checkCode({
    e164: reading.e164,
    codeDigest: await deps.digester.digest(reading.e164, request.securityCode),
    now: deps.clock.now(),
    maxFailedChecks: deps.policy.maxFailedChecks,
    lockMs: deps.policy.lockMs,
  });
  const number = maskNumber(reading.e164);
  if (result.outcome === 'verified') {
    deps.logger.info('Verified', { number });
    return true;
  }
  deps.logger.info('Not verified', { number, why: result.why });
  return false;
}
