import { NumberLimitReachedError } from './errors';
import { composeMessage } from './messages';
import type { SendRequest } from './parameters';
import { maskNumber, SMS_CAPABLE_TYPES, type PhoneNumberReader } from './phone-number';
import type { Clock, CodeDigester, Logger, RandomSource, SmsReceipt, SmsRoute, VerificationStore } from './ports';
import { SmsRouteError } from './ports';
import { routeOrder } from './routing';
import { generateCode } from './security-code';

export type SendFailureReason = 'invalid-number' | 'unsupported-number-type' | 'delivery-failed';

export type SendOutcome =
  | { sent: true; numberValid: true; securityCode: string; route: SmsReceipt['route'] }
  | { sent: false; numberValid: boolean; securityCode: ''; reason: SendFailureReason };

export interface SendPolicy {
  codeTtlMs: number;
  lockMs: number;
  routeSwitchWindowMs: number;
}

export interface SendDependencies {
  phoneNumbers: PhoneNumberReader;
  store: VerificationStore;
  /** Routes in configured order; at least one. */
  routes: readonly SmsRoute[];
  digester: CodeDigester;
  clock: Clock;
  random: RandomSource;
  logger: Logger;
  policy: SendPolicy;
}

const DAY_MS = 86_400_000;
/** Records outlive every window they serve by this much, so TTL deletion (which lags) never cuts one short. */
const RETENTION_MARGIN_MS = 3_600_000;

/**
 * Sends a one-time code to a number.
 *
 * The code's digest is recorded (and the send counted against the number's
 * limit) before any SMS leaves, so every text that is delivered carries a code
 * that can be verified. If no route accepts the message, the record is revoked:
 * the code is not left valid and the send does not use up the limit.
 *
 * @throws NumberLimitReachedError when the number has had `limit` codes within `limit-ttl` days.
 */
export async function sendSecurityCode(request: SendRequest, deps: SendDependencies): Promise<SendOutcome> {
  const { logger, policy } = deps;
  const reading = deps.phoneNumbers.read(request.number, request.countryCode);
  if (!reading.valid) {
    logger.info('Refused: not a valid phone number', { outcome: 'invalid-number' });
    return { sent: false, numberValid: false, securityCode: '', reason: 'invalid-number' };
  }
  const { e164 } = reading;
  const masked = maskNumber(e164);
  if (!SMS_CAPABLE_TYPES.has(reading.type)) {
    logger.info('Refused: number cannot receive SMS', { number: masked, numberType: reading.type ?? 'UNKNOWN' });
    return { sent: false, numberValid: true, securityCode: '', reason: 'unsupported-number-type' };
  }

  const code = request.securityCode ?? generateCode(request.codeLength, deps.random);
  const codeDigest = await deps.digester.digest(e164, code);
  const now = deps.clock.now();
  const limitWindowMs = request.limitTtlDays * DAY_MS;
  const recorded = await deps.store.recordCode({
    e164,
    codeDigest,
    now,
    codeExpiresAt: now + policy.codeTtlMs,
    limit: request.limit,
    limitWindowMs,
    routeSwitchWindowMs: policy.routeSwitchWindowMs,
    retainUntil: now + Math.max(limitWindowMs, policy.codeTtlMs + policy.lockMs) + RETENTION_MARGIN_MS,
  });
  if (recorded.outcome === 'limit-reached') {
    logger.info('Refused: number reached its SMS limit', { number: masked, limit: request.limit });
    throw new NumberLimitReachedError(
      `This number has reached its limit of ${request.limit} SMS within ${request.limitTtlDays} day(s)`,
    );
  }

  const message = { to: e164, body: composeMessage({ language: request.language, code, brand: request.brandName }) };
  for (const route of routeOrder(deps.routes, recorded.routeStreak)) {
    try {
      const receipt = await route.send(message);
      logger.info('Code sent', {
        number: masked,
        route: receipt.route,
        routeStreak: recorded.routeStreak,
        failover: route !== deps.routes[recorded.routeStreak % deps.routes.length],
      });
      return { sent: true, numberValid: true, securityCode: code, route: receipt.route };
    } catch (error) {
      if (!(error instanceof SmsRouteError)) throw error;
      logger.warn('SMS route failed; trying the next one', { number: masked, route: route.name, failure: error.kind });
    }
  }

  await deps.store.revokeCode({ e164, codeDigest, limitWindowStartedAt: recorded.limitWindowStartedAt });
  logger.error('Delivery failed on every route', { number: masked, routes: deps.routes.map((r) => r.name).join(',') });
  return { sent: false, numberValid: true, securityCode: '', reason: 'delivery-failed' };
}
