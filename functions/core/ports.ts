/**
 * Ports: what the core needs from the outside world. Adapters in
 * `functions/adapters/` implement them for AWS; tests use in-memory fakes.
 */
import type { RouteName } from '../settings';

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export interface RandomSource {
  /** A uniformly distributed integer in [0, maxExclusive), from a cryptographically secure source. */
  randomInt(maxExclusive: number): number;
}

/** Turns a (number, code) pair into the keyed digest that is stored instead of the code. */
export interface CodeDigester {
  digest(e164: string, code: string): Promise<string>;
}

export interface RecordCodeInput {
  e164: string;
  codeDigest: string;
  now: number;
  codeExpiresAt: number;
  /** At most this many codes per number in one limit window... */
  limit: number;
  /** ...of this length, counted from the first send in the window. */
  limitWindowMs: number;
  /** A send within this long of the previous one to the same number continues a streak (and changes route). */
  routeSwitchWindowMs: number;
  /** The store may forget the number's record after this time (TTL). */
  retainUntil: number;
}

export type RecordCodeResult =
  | {
      outcome: 'recorded';
      /** 0 for the first send of a streak, then 1, 2, … for each repeat within the route-switch window. */
      routeStreak: number;
      /** Identifies this send's limit window, so that a revocation refunds the right one. */
      limitWindowStartedAt: number;
    }
  | { outcome: 'limit-reached' };

export interface RevokeCodeInput {
  e164: string;
  codeDigest: string;
  limitWindowStartedAt: number;
}

export interface CheckCodeInput {
  e164: string;
  codeDigest: string;
  now: number;
  maxFailedChecks: number;
  lockMs: number;
}

/** Why a check failed; for logs and metrics only, never for the caller. */
export type CheckRejection = 'no-code' | 'expired' | 'wrong-code' | 'locked';

export type CheckCodeResult = { outcome: 'verified' } | { outcome: 'rejected'; why: CheckRejection };

/**
 * Keeps codes (as digests), failed-check counters and send windows.
 * Every rule is enforced atomically by the store, so concurrent requests cannot break it.
 */
export interface VerificationStore {
  /**
   * Records a new code for a number, replacing any earlier one, if the number
   * is under its send limit; counts the send against the limit.
   */
  recordCode(input: RecordCodeInput): Promise<RecordCodeResult>;
  /** Undoes {@link recordCode} for a send that no route delivered: the code stops being valid and the send is refunded. */
  revokeCode(input: RevokeCodeInput): Promise<void>;
  /**
   * Checks a code and, when it matches, consumes it. Each check of an unlocked
   * number is counted before it is evaluated; after `maxFailedChecks` failures
   * the number is locked for `lockMs`, and a successful check resets the count.
   */
  checkCode(input: CheckCodeInput): Promise<CheckCodeResult>;
}

export interface SmsMessage {
  to: string;
  body: string;
}

export interface SmsReceipt {
  route: RouteName;
  messageId: string;
}

export interface SmsRoute {
  readonly name: RouteName;
  /** Sends one SMS. Throws {@link SmsRouteError} when the provider does not accept it. */
  send(message: SmsMessage): Promise<SmsReceipt>;
}

export type SmsFailureKind = 'throttled' | 'unavailable' | 'rejected' | 'timeout';

export class SmsRouteError extends Error {
  constructor(
    readonly route: RouteName,
    readonly kind: SmsFailureKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'SmsRouteError';
  }
}

export type LogFields = Record<string, string | number | boolean | undefined>;

/** Structured logging. Callers pass masked numbers only, and never a code. */
export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}
