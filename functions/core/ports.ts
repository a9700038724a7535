/**
 * Ports: what the core needs from the outside world. Adapters in
 * `functions/adapters/` implement them for AWS; tests use in-memory fakes.
 */
import type { RouteName, VoiceRouteName } from '../settings';
import type { LanguageCode } from './messages';

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export interface RandomSource {
  /** A uniformly distributed integer in [0, maxExclusive), from a cryptographically secure source. */
  randomInt(maxExclusive: number): number;
}

/**
 * Keyed digests (HMAC with the deployment's secret) of what must not be stored
 * as it is: codes, and the identities of callers.
 */
export interface Digester {
  /** The digest stored instead of a code; bound to its number. */
  code(e164: string, code: string): Promise<string>;
  /** A stable, opaque name for a caller (an IAM principal or an IP address), or for anything else by its purpose. */
  caller(callerId: string): Promise<string>;
  /** A digest of any text for a named purpose (idempotency keys, request fingerprints). */
  text(purpose: string, text: string): Promise<string>;
}

/** Authenticated encryption with the deployment's key, for what must be kept but not readable (stored answers). */
export interface Sealer {
  seal(plaintext: string): Promise<string>;
  /** Throws when the sealed text was not sealed with this key or was altered. */
  open(sealed: string): Promise<string>;
}

/**
 * A claim on an idempotency key, written with the code:
 * while it stands, a repeat of the request gets the first answer instead of a second SMS.
 */
export interface IdempotencyClaim {
  /** Scoped to the caller and opaque: a digest of the caller and their key. */
  key: string;
  /** A digest of the request, so that a different request under the same key is refused. */
  requestDigest: string;
  /** Until when a repeat gets the first answer. (The store decides when a claim in progress belongs to a request that died.) */
  until: number;
}

export type IdempotencyRecord =
  | { status: 'in-progress'; requestDigest: string }
  | { status: 'completed'; requestDigest: string; sealedAnswer: string };

/** The velocity limits besides the per-number `limit`; each answers 429 with its own `api-error`. */
export const VELOCITY_KINDS = ['caller-send', 'prefix-send', 'global-send', 'caller-call', 'prefix-call', 'global-call', 'caller-verify', 'limit-by'] as const;
export type VelocityKind = (typeof VELOCITY_KINDS)[number];

/** At most `limit` events for `subject` in each fixed window of `windowMs`. */
export interface VelocityLimit {
  kind: VelocityKind;
  /** Whose events are counted: a caller digest, a destination prefix, the whole deployment, a limit-by digest. */
  subject: string;
  limit: number;
  windowMs: number;
  /**
   * Only failed checks count: each check is counted before it is evaluated (so concurrent guesses cannot slip
   * past the limit) and given back when it verifies.
   */
  failuresOnly?: boolean;
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
  /** How long a lock lasts: the store keeps the number's record until a lock its code may cause has run out. */
  lockMs: number;
  /** Failed checks that lock a number; a locked number gets no new code until its lock runs out. */
  maxFailedChecks: number;
  /** Counted with the code: if any is exhausted, nothing is recorded and nothing stays counted. */
  velocity: VelocityLimit[];
  /** Claimed with the code, when the request carries an idempotency key; given up if the send is refused. */
  idempotency?: IdempotencyClaim;
}

export type RecordCodeResult =
  | {
      outcome: 'recorded';
      /** 0 for the first send of a streak, then 1, 2, … for each repeat within the route-switch window. */
      routeStreak: number;
      /** Handed back to the store to settle this send: revoke it, or keep or give up its idempotent answer. */
      record: SendRecord;
    }
  | { outcome: 'limit-reached'; limit: 'number' | VelocityKind }
  /** The conversion guard paused the number's destination prefix until then: nothing was recorded or counted. */
  | { outcome: 'prefix-paused'; limit: VelocityKind; until: number }
  /** The number is locked by failed checks: nothing was recorded or counted. */
  | { outcome: 'locked'; lockedUntil: number }
  /** The idempotency key is already claimed: nothing was recorded or counted. */
  | { outcome: 'duplicate'; record: IdempotencyRecord };

/** One recorded send, as the store needs it to settle the send; made by the store, passed back unchanged. */
export interface SendRecord {
  readonly e164: string;
  readonly codeDigest: string;
  /** The `now` of the send: it identifies the number's limit window to refund. */
  readonly sentAt: number;
  /** Unique to this send: its idempotency claim carries it, so only this send completes or releases the claim. */
  readonly sendId: string;
  /** The write id its code was recorded under: its revocation's writes carry it too, so none applies twice. */
  readonly recordWriteId: string;
  /** Where the send was counted against the velocity limits, in the store's own notation. */
  readonly counted: readonly string[];
  /** A count was repeated after its answer was lost and may stand twice: giving one back cannot undo it all. */
  readonly countsMayBeDoubled?: boolean;
  /** The idempotency key this send claimed, if any. */
  readonly idempotencyKey?: string;
}

export interface CheckCodeInput {
  e164: string;
  codeDigest: string;
  now: number;
  maxFailedChecks: number;
  lockMs: number;
  /** Counted before the check; when one is exhausted the answer is `limit-reached` and the code is not evaluated. */
  velocity: VelocityLimit[];
}

/** Why a check failed; for logs and metrics only, never for the caller. */
export type CheckRejection = 'no-code' | 'expired' | 'wrong-code' | 'locked';

export type CheckCodeResult =
  | { outcome: 'verified' }
  /** `lockedNow`: this failed check used up the number's last allowed failure. */
  | { outcome: 'rejected'; why: CheckRejection; lockedNow?: boolean }
  | { outcome: 'limit-reached'; limit: VelocityKind };

/**
 * Keeps codes (as digests), failed-check counters and send windows.
 * Every rule is enforced atomically by the store, so concurrent requests cannot break it.
 * A failure that changed nothing is a DependencyUnavailableError (503/5); one that may have changed something is an
 * OutcomeUnknownError (503/30) that says what.
 */
export interface VerificationStore {
  /**
   * Records a new code for a number, replacing any earlier one, if the number
   * is under its send limit and every velocity limit has room; counts the send
   * against all of them. All or nothing: a send refused by one rule keeps no
   * count of the others. The replaced code is kept aside until the send is
   * settled (see {@link revokeCode}).
   */
  recordCode(input: RecordCodeInput): Promise<RecordCodeResult>;
  /**
   * Undoes {@link recordCode} for a send that no route delivered: its code stops
   * being valid, the code it replaced is valid again (with its own expiry, if
   * not expired), and every count is given back.
   * @throws OutcomeUnknownError (`send-not-undone`) when that cannot be confirmed.
   */
  revokeCode(send: SendRecord): Promise<void>;
  /**
   * Checks a code and, when it matches, consumes it. Each check of an unlocked
   * number is counted before it is evaluated; after `maxFailedChecks` failures
   * the number is locked for `lockMs`, and a successful check resets the count.
   */
  checkCode(input: CheckCodeInput): Promise<CheckCodeResult>;
  /** Keeps the (sealed) answer of a send that claimed an idempotency key, for its repeats. */
  completeIdempotency(send: SendRecord, sealedAnswer: string): Promise<void>;
  /** Gives up a send's idempotency claim after the send failed, so that a repeat runs again. */
  releaseIdempotency(send: SendRecord): Promise<void>;
  /** The record of a claimed key, read consistently; undefined once released or expired. */
  readIdempotency(key: string, now: number): Promise<IdempotencyRecord | undefined>;
  /**
   * Counts one event against each limit, with no code recorded (a text that becomes a call counts the call limits
   * too). All or nothing: when one limit is exhausted, nothing is counted and it is named. A count whose answer was
   * lost may stand: that only makes the limit stricter.
   */
  countEvents(limits: readonly VelocityLimit[], now: number): Promise<{ exhausted: VelocityKind } | { counted: readonly string[] }>;
  /** Gives back what {@link countEvents} counted, when what it counted for did not happen; each refund on its own. */
  refundEvents(counted: readonly string[]): Promise<void>;
}

/**
 * One code to deliver. `body` is the service's own text, for the routes that send a text as it is; `code`,
 * `language` and `brand` are for a route that fills a template of its own (Notify), and `country` for a route that
 * knows where it cannot deliver.
 */
export interface SmsMessage {
  to: string;
  body: string;
  code: string;
  language: LanguageCode;
  brand?: string;
  /** ISO 3166-1 alpha-2, when the number belongs to one country. */
  country?: string;
  /** The send this message carries the code of: routes that can report back pass it on, for conversion feedback. */
  sendId?: string;
}

export interface SmsReceipt {
  route: RouteName;
  messageId: string;
}


export interface SmsRoute {
  readonly name: RouteName;
  /**
   * The longest a send through this route can take, its own reads included; the core tries a route after the
   * first only when it can end within the send's budget for routes. Absent: no bound is known.
   */
  readonly maxDurationMs?: number;
  /** Sends one SMS. Throws {@link SmsRouteError} when the provider does not accept it. */
  send(message: SmsMessage): Promise<SmsReceipt>;
}

/**
 * One code to read aloud in a call. `ssml` is the service's own script (the digits one at a time, `playbackDelayMs`
 * apart, then once again), for a route that reads a script as it is; `code`, `language` and `brand` are for a route
 * that fills a template of its own (Notify's voice templates).
 */
export interface VoiceMessage {
  to: string;
  ssml: string;
  code: string;
  language: LanguageCode;
  brand?: string;
  country?: string;
  /** As {@link SmsMessage.sendId}. */
  sendId?: string;
}

export interface CallReceipt {
  route: VoiceRouteName;
  messageId: string;
}

export interface VoiceRoute {
  readonly name: VoiceRouteName;
  /** As {@link SmsRoute.maxDurationMs}. */
  readonly maxDurationMs?: number;
  /** Places one call. Throws {@link SmsRouteError} when the provider does not accept it. */
  call(message: VoiceMessage): Promise<CallReceipt>;
}

/**
 * How a route failed. `unconfirmed`: the provider may have taken the message (a timeout, a 5xx, a reset connection),
 * so its code must stay valid. The others surely sent nothing: `throttled` and `rejected` (the API refused the
 * request), `unreachable` (no connection was made).
 */
export type SmsFailureKind = 'throttled' | 'rejected' | 'unreachable' | 'unconfirmed';

/** Whether a route that failed this way may still have sent the message. */
export const mayHaveSent = (kind: SmsFailureKind): boolean => kind === 'unconfirmed';

/** A route of either channel that did not deliver; the name is older than voice. */
export class SmsRouteError extends Error {
  constructor(
    readonly route: RouteName | VoiceRouteName,
    readonly kind: SmsFailureKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'SmsRouteError';
  }
}

/**
 * The service's metrics (CloudWatch, as EMF). Each call counts one event;
 * dimensions break a metric down (by route, country, reason, limit).
 */
export type MetricName =
  | 'CodesSent'
  | 'CodesSentByRoute'
  | 'CodesSentByCountry'
  | 'CallsPlaced'
  | 'CallsPlacedByRoute'
  | 'CallsPlacedByCountry'
  | 'CallFallbackDeclined'
  | 'RouteFailures'
  | 'Failovers'
  | 'DeliveryFailed'
  | 'DeliveryUnconfirmed'
  | 'TestNumberCodes'
  | 'Verified'
  | 'VerifiedByCountry'
  | 'VerificationFailed'
  | 'NumbersLocked'
  | 'LimitReached'
  | 'GuardRefused'
  | 'GuardPaused'
  | 'GuardCountryPaused'
  | 'GuardLifted'
  | 'UnexpectedFailures'
  | 'FeedbackReported'
  | 'FeedbackForUnknownMessage'
  | 'FeedbackRefused'
  | 'DeliveryReceipts'
  | 'ReceiptFailuresByCountry';

/** Durations the service records, in milliseconds. */
export type TimingName = 'TimeToDelivery';

export interface Metrics {
  count(name: MetricName, dimensions?: Record<string, string>): void;
  milliseconds(name: TimingName, value: number, dimensions?: Record<string, string>): void;
}

export type LogFields = Record<string, string | number | boolean | undefined>;

/** Structured logging. Callers pass masked numbers only, and never a code. */
export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/* Off the request path: what became of each code (functions/core/outcomes.ts). */

/** What End User Messaging is told about a message: the person got it (its code was used), or not. */
export type FeedbackStatus = 'RECEIVED' | 'FAILED';

/** One message of a send, as the ledger knows it: what was reported for it, and whether a receipt said it never arrived. */
export interface MessageView {
  messageId: string;
  reported: ReadonlySet<FeedbackStatus>;
  /** A final receipt said it will not arrive (blocked, unreachable, expired): it is FAILED whatever became of the code. */
  undelivered: boolean;
}

/**
 * Where a send's message ids (from its delivery receipts) meet its code's outcome (from the table's stream). Either
 * may come first; each note answers what the other side left, so the one that completes the pair reports. A send
 * may have more than one message (a route that timed out after taking it, then the next route).
 */
export interface FeedbackLedger {
  /** Keeps a message id a receipt named for `sendId` (and that it never arrived); answers the outcome noted so far. */
  noteMessage(sendId: string, messageId: string, route: string, undelivered: boolean, now: number): Promise<{ outcome?: FeedbackStatus; message: MessageView }>;
  /**
   * Keeps the outcome of `sendId`'s code; answers the messages receipts named. `settled`: the code was used already,
   * and a later FAILED changes nothing.
   */
  noteOutcome(sendId: string, outcome: FeedbackStatus, now: number): Promise<{ messages: readonly MessageView[]; route?: string } | 'settled'>;
  /** Records that `status` was reported for the message; answers the send's outcome and the message as they are now. */
  markReported(sendId: string, messageId: string, status: FeedbackStatus): Promise<{ outcome?: FeedbackStatus; message: MessageView }>;
}

/** End User Messaging's message feedback (PutMessageFeedback). */
export interface MessageFeedback {
  /**
   * `unknown-message`: the provider does not know the message; `refused`: it refused the report as invalid (neither
   * changes on a retry). Throws when a retry may help.
   */
  report(messageId: string, status: FeedbackStatus): Promise<'reported' | 'unknown-message' | 'refused'>;
}
