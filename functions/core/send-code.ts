import { setTimeout as sleep } from 'node:timers/promises';
import {
  IdempotencyKeyReusedError,
  IdempotentRequestInProgressError,
  NumberLimitReachedError,
  VelocityLimitError,
  ConversionGuardError,
} from './errors';
import { deliver, type DeliveryPlan, type RecordedSend } from './delivery';
import type { Autofill } from './messages';
import type { Channel, SendRequest } from './parameters';
import { destinationPrefix, maskNumber, type PhoneNumberReader, type PhoneNumberReading } from './phone-number';
import type {
  CallReceipt,
  Clock,
  Digester,
  IdempotencyClaim,
  IdempotencyRecord,
  Logger,
  Metrics,
  RandomSource,
  RecordCodeInput,
  Sealer,
  SmsReceipt,
  SmsRoute,
  VelocityKind,
  VelocityLimit,
  VerificationStore,
  VoiceRoute,
} from './ports';
import { generateCode } from './security-code';
import type { DeploymentSettings } from '../settings';

export type SendFailureReason =
  | 'invalid-number'
  | 'country-not-allowed'
  | 'unsupported-number-type'
  | 'number-locked'
  | 'delivery-failed'
  | 'delivery-unconfirmed';

export type SendOutcome =
  /** `route` is absent for a test number, which is never texted; `channel` says whether a text or a call carried it. */
  | { sent: true; numberValid: true; securityCode: string; route?: SmsReceipt['route'] | CallReceipt['route']; channel?: Channel }
  | {
      sent: false;
      numberValid: boolean;
      securityCode: '';
      reason: Exclude<SendFailureReason, 'delivery-unconfirmed' | 'number-locked'>;
      /** What to change, where the service can tell (a national number sent without `country-code`). */
      hint?: string;
    }
  /** Failed checks locked the number: no code could verify before the lock ends, in `retryAfterSeconds`. */
  | { sent: false; numberValid: true; securityCode: ''; reason: 'number-locked'; retryAfterSeconds: number }
  /** No route confirmed, and at least one may have taken the message (a timeout, a 5xx): its code stays valid. */
  | { sent: false; numberValid: true; securityCode: string; reason: 'delivery-unconfirmed' };

/** Who asks, and under which idempotency key if any. */
export interface SendContext {
  caller: string;
  idempotencyKey?: string;
  /**
   * How long the function has left when the request starts (Lambda's own timeout). The routes then get what is left
   * of it after the write that settles the send, if that is less than their budget (a cold container's first request
   * may have waited for its key and its connections first).
   */
  remainingMs?: number;
}

interface Window {
  limit: number;
  windowMs: number;
}

export interface SendPolicy {
  codeTtlMs: number;
  lockMs: number;
  maxFailedChecks: number;
  routeSwitchWindowMs: number;
  /** Empty: every country that is not denied. */
  allowedCountries: ReadonlySet<string>;
  deniedCountries: ReadonlySet<string>;
  allowedNumberTypes: ReadonlySet<string>;
  /** A limit of 0 turns that velocity limit off. */
  callerSend: Window;
  prefixSend: Window;
  prefixDigits: number;
  globalSend: Window;
  /** Whether the answer carries a generated code. */
  returnSecurityCode: boolean;
  /** Fictional numbers (E.164) and their fixed codes: never texted. */
  testNumbers: ReadonlyMap<string, string>;
  autofill: Autofill;
  voice: VoicePolicy;
}

/** Where and how often calls go: toll fraud lives in calls, so each rule is stricter than its SMS twin. */
export interface VoicePolicy {
  /** Empty: no calls at all. */
  allowedCountries: ReadonlySet<string>;
  allowedNumberTypes: ReadonlySet<string>;
  callerCall: Window;
  prefixCall: Window;
  globalCall: Window;
  /** The Nth send to a number within the route-switch window is a call; 0: never. */
  fallbackAfter: number;
}

export function sendPolicyFrom(settings: DeploymentSettings): SendPolicy {
  return {
    codeTtlMs: settings.codeTtlSeconds * 1000,
    lockMs: settings.lockSeconds * 1000,
    maxFailedChecks: settings.maxFailedChecks,
    routeSwitchWindowMs: settings.routeSwitchSeconds * 1000,
    allowedCountries: new Set(settings.allowedCountries),
    deniedCountries: new Set(settings.deniedCountries),
    allowedNumberTypes: new Set(settings.allowedNumberTypes),
    callerSend: { limit: settings.callerSendLimit, windowMs: settings.callerSendWindowSeconds * 1000 },
    prefixSend: { limit: settings.prefixSendLimit, windowMs: settings.prefixSendWindowSeconds * 1000 },
    prefixDigits: settings.prefixDigits,
    globalSend: { limit: settings.globalSendLimit, windowMs: settings.globalSendWindowSeconds * 1000 },
    returnSecurityCode: settings.returnSecurityCode,
    testNumbers: new Map(settings.testNumbers.map((entry) => entry.split('=') as [string, string])),
    autofill: { webOtpDomain: settings.webOtpDomain, androidAppHash: settings.androidAppHash },
    voice: {
      // resolveSettings refuses countries without a voice route: this list empty, no calls.
      allowedCountries: new Set(settings.allowedVoiceCountries),
      allowedNumberTypes: new Set(settings.allowedVoiceNumberTypes),
      callerCall: { limit: settings.callerCallLimit, windowMs: settings.callerCallWindowSeconds * 1000 },
      prefixCall: { limit: settings.prefixCallLimit, windowMs: settings.prefixCallWindowSeconds * 1000 },
      globalCall: { limit: settings.globalCallLimit, windowMs: settings.globalCallWindowSeconds * 1000 },
      fallbackAfter: settings.voiceFallbackAfter,
    },
  };
}

export interface SendDependencies {
  phoneNumbers: PhoneNumberReader;
  store: VerificationStore;
  /** Routes in configured order; at least one. */
  routes: readonly SmsRoute[];
  /** Voice routes in configured order; none when the deployment places no calls. */
  voiceRoutes: readonly VoiceRoute[];
  digester: Digester;
  sealer: Sealer;
  clock: Clock;
  random: RandomSource;
  logger: Logger;
  metrics: Metrics;
  policy: SendPolicy;
}

const DAY_MS = 86_400_000;
export const NO_CALLS_HINT = 'This deployment places no calls to this country: allowedVoiceCountries and a voice route say where calls go';
export const NATIONAL_NUMBER_HINT =
  'This is not a valid number in international format: add "country-code" (such as GB) for a national number, ' +
  'or write it with its country calling code, such as +447400123456';
/** A repeat within this long of an idempotent request gets its first answer. */
export const IDEMPOTENCY_WINDOW_MS = 10 * 60_000;
/**
 * A concurrent repeat waits for the first request's answer, reading the claim after each of these pauses (1.55 s in
 * all): a typical send answers within a few hundred milliseconds, so most repeats get the first answer; one that
 * still runs after that may take up to the function's timeout, and its repeat is told to retry (409/6) rather than
 * held, so that it ties up neither a connection nor a stream of reads.
 */
export const DUPLICATE_WAITS_MS = [50, 100, 200, 400, 800] as const;

/**
 * Sends a one-time code to a number on behalf of a caller.
 *
 * Destinations outside the deployment's policy (country, number type) are
 * refused before anything is stored or counted. The send is then counted
 * against every velocity limit and the number's limit, and the code's digest
 * recorded, before any SMS leaves, so every text that is delivered carries a
 * code that can be verified. If no route took the message and none may have,
 * the record is revoked: the code is not left valid and no count is used.
 *
 * @throws NumberLimitReachedError when the number has had `limit` codes within `limit-ttl` days.
 * @throws VelocityLimitError when the caller, the destination prefix or the deployment is over its limit.
 */
export async function sendSecurityCode(
  request: SendRequest,
  { caller, idempotencyKey, remainingMs }: SendContext,
  deps: SendDependencies,
): Promise<SendOutcome> {
  const { logger, policy } = deps;
  const deadline = remainingMs === undefined ? undefined : deps.clock.now() + remainingMs;
  const reading = deps.phoneNumbers.read(request.number, request.countryCode);
  if (!reading.valid) {
    logger.info('Refused: not a valid phone number', { outcome: 'invalid-number' });
    return { sent: false, numberValid: false, securityCode: '', reason: 'invalid-number', ...(reading.national ? { hint: NATIONAL_NUMBER_HINT } : {}) };
  }
  const { e164 } = reading;
  const masked = maskNumber(e164);
  const country = reading.country ?? 'none';
  const testCode = policy.testNumbers.get(e164);
  if (testCode !== undefined) return sendToTestNumber(e164, testCode, request, deps);
  const call = request.channel === 'voice';
  if (call ? !callsGoTo(policy, country) : !textsGoTo(policy, country)) {
    logger.info('Refused: destination country not allowed', { number: masked, country, channel: request.channel });
    return { sent: false, numberValid: true, securityCode: '', reason: 'country-not-allowed', ...(call ? { hint: NO_CALLS_HINT } : {}) };
  }
  if (!(call ? policy.voice.allowedNumberTypes : policy.allowedNumberTypes).has(reading.type ?? 'UNKNOWN')) {
    logger.info('Refused: number type not sent to', { number: masked, numberType: reading.type ?? 'UNKNOWN', channel: request.channel });
    return { sent: false, numberValid: true, securityCode: '', reason: 'unsupported-number-type' };
  }

  const code = request.securityCode ?? generateCode(request.codeLength, deps.random);
  const codeDigest = await deps.digester.code(e164, code);
  const now = deps.clock.now();
  const subjects = { caller: await deps.digester.caller(caller), prefix: destinationPrefix(reading, policy.prefixDigits) };
  const velocity = velocityOf(call ? callWindows(policy) : sendWindows(policy), subjects);
  const idempotency = idempotencyKey ? await claimFor(request, caller, idempotencyKey, now, deps.digester) : undefined;
  const recorded = await deps.store.recordCode({
    ...recordInput(e164, codeDigest, now, request, policy),
    velocity,
    idempotency,
  });
  if (recorded.outcome === 'duplicate') {
    logger.info('Repeat of an idempotent request', { number: masked, status: recorded.record.status });
    return answerOfFirstRequest(recorded.record, idempotency!, deps);
  }
  if (recorded.outcome === 'limit-reached') {
    logger.info('Refused: limit reached', { number: masked, limit: recorded.limit });
    deps.metrics.count('LimitReached', { Limit: recorded.limit });
    throw recorded.limit === 'number' ? numberLimitReached(request) : new VelocityLimitError(recorded.limit);
  }
  if (recorded.outcome === 'locked') return lockedOutcome(recorded.lockedUntil, masked, deps);
  if (recorded.outcome === 'prefix-paused') {
    logger.warn('Refused: the conversion guard paused this destination prefix', { number: masked, limit: recorded.limit });
    deps.metrics.count('GuardRefused', { Country: country });
    throw new ConversionGuardError(Math.max(1, Math.ceil((recorded.until - now) / 1000)));
  }

  let outcome: SendOutcome;
  try {
    const send: RecordedSend = { masked, country, code, shownCode: shownCodeFor(request, code, policy), routeStreak: recorded.routeStreak, record: recorded.record };
    const plan = call ? { voiceStreak: send.routeStreak } : await textPlan(send, reading, subjects, deps);
    const timing = { deadline, settlingWrites: idempotency ? 2 : 1 };
    outcome = await deliver(send, plan, request, { ...deps, autofill: policy.autofill }, timing);
  } catch (error) {
    // An unexpected failure after the claim: give the key up so that a repeat runs again.
    if (idempotency) await deps.store.releaseIdempotency(recorded.record).catch(() => undefined);
    throw error;
  }
  if (idempotency) {
    try {
      await deps.store.completeIdempotency(recorded.record, await deps.sealer.seal(JSON.stringify(outcome)));
    } catch (error) {
      // The SMS is out; a repeat within the claim's life waits, after it runs again. Logged, not failed.
      logger.error('Could not keep the answer of an idempotent request', { error: (error as Error).name });
    }
  }
  return outcome;
}

/**
 * A text's routes, or, on the `voiceFallbackAfter`th send to the number within the route-switch window (the person
 * has asked for texts that did not come), a call first where calls go to this number and the call limits have room.
 * Those are counted as well, and given back if no call goes out; when they are used up, or cannot be counted, the
 * code goes by text, as without the fallback.
 */
async function textPlan(
  send: RecordedSend,
  reading: PhoneNumberReading & { valid: true },
  subjects: Subjects,
  deps: SendDependencies,
): Promise<DeliveryPlan> {
  const texts = { smsStreak: send.routeStreak };
  const { voice } = deps.policy;
  if (voice.fallbackAfter < 2 || send.routeStreak + 1 < voice.fallbackAfter || deps.voiceRoutes.length === 0) return texts;
  if (!callsGoTo(deps.policy, send.country) || !voice.allowedNumberTypes.has(reading.type ?? 'UNKNOWN')) return texts;
  try {
    const counted = await deps.store.countEvents(velocityOf(callWindows(deps.policy), subjects), deps.clock.now());
    if ('exhausted' in counted) {
      deps.logger.info('Call limit reached: texting instead', { number: send.masked, limit: counted.exhausted });
      deps.metrics.count('CallFallbackDeclined', { Limit: counted.exhausted });
      return texts;
    }
    // The first fallback call of a streak starts at the first voice route; one asked for again, at the next.
    return { ...texts, voiceStreak: send.routeStreak + 1 - voice.fallbackAfter, fallbackCallCounts: counted.counted };
  } catch (error) {
    deps.logger.warn('Could not count the call: texting instead', { number: send.masked, error: (error as Error).name });
    return texts;
  }
}

function textsGoTo(policy: SendPolicy, country: string): boolean {
  return !policy.deniedCountries.has(country) && (policy.allowedCountries.size === 0 || policy.allowedCountries.has(country));
}

/** Calls go only where the deployment says, never to a denied country; no country listed, no calls. */
function callsGoTo(policy: SendPolicy, country: string): boolean {
  return !policy.deniedCountries.has(country) && policy.voice.allowedCountries.has(country);
}

/** A generated code is returned unless the deployment turned that off; a caller's own code is theirs already. */
function shownCodeFor(request: SendRequest, code: string, policy: SendPolicy): string {
  return request.securityCode !== undefined || policy.returnSecurityCode ? code : '';
}

/**
 * A fictional number of the deployment's list: its fixed code is recorded like
 * any other (so checks, expiry and locks work as usual) but no SMS is sent,
 * nothing is counted against the velocity limits, and the code is always the fixed one.
 */
async function sendToTestNumber(e164: string, code: string, request: SendRequest, deps: SendDependencies): Promise<SendOutcome> {
  const now = deps.clock.now();
  const codeDigest = await deps.digester.code(e164, code);
  const recorded = await deps.store.recordCode({ ...recordInput(e164, codeDigest, now, request, deps.policy), velocity: [] });
  if (recorded.outcome === 'limit-reached' || recorded.outcome === 'prefix-paused') throw numberLimitReached(request);
  if (recorded.outcome === 'locked') return lockedOutcome(recorded.lockedUntil, maskNumber(e164), deps);
  deps.logger.info('Test number: code recorded, no SMS sent', { number: maskNumber(e164) });
  deps.metrics.count('TestNumberCodes');
  return { sent: true, numberValid: true, securityCode: deps.policy.returnSecurityCode ? code : '' };
}

/** What a send records for a number, whatever counts it also takes. */
function recordInput(
  e164: string,
  codeDigest: string,
  now: number,
  request: SendRequest,
  policy: SendPolicy,
): Omit<RecordCodeInput, 'velocity' | 'idempotency'> {
  const limitWindowMs = request.limitTtlDays * DAY_MS;
  return {
    e164,
    codeDigest,
    now,
    codeExpiresAt: now + policy.codeTtlMs,
    limit: request.limit,
    limitWindowMs,
    routeSwitchWindowMs: policy.routeSwitchWindowMs,
    lockMs: policy.lockMs,
    maxFailedChecks: policy.maxFailedChecks,
  };
}

/**
 * A locked number gets no text: its code could not verify before the lock ends, so the SMS would cost money,
 * confuse the person, and give whoever locked the number a free text per lock.
 */
function lockedOutcome(lockedUntil: number, masked: string, deps: SendDependencies): SendOutcome {
  const retryAfterSeconds = Math.max(1, Math.ceil((lockedUntil - deps.clock.now()) / 1000));
  deps.logger.info('Refused: number locked by failed checks', { number: masked, retryAfterSeconds });
  deps.metrics.count('LimitReached', { Limit: 'number-locked' });
  return { sent: false, numberValid: true, securityCode: '', reason: 'number-locked', retryAfterSeconds };
}

function numberLimitReached(request: SendRequest): NumberLimitReachedError {
  return new NumberLimitReachedError(
    `This number has reached its limit of ${request.limit} codes (texts and calls) within ${request.limitTtlDays} day(s)`,
  );
}

async function claimFor(
  request: SendRequest,
  caller: string,
  idempotencyKey: string,
  now: number,
  digester: Digester,
): Promise<IdempotencyClaim> {
  const canonical = JSON.stringify(Object.entries(request).sort(([a], [b]) => a.localeCompare(b)));
  return {
    key: await digester.text('idempotency-key', `${caller}\n${idempotencyKey}`),
    requestDigest: await digester.text('idempotent-request', canonical),
    until: now + IDEMPOTENCY_WINDOW_MS,
  };
}

/** The first request's answer for a repeat; a concurrent repeat waits for it. */
async function answerOfFirstRequest(
  record: IdempotencyRecord,
  claim: IdempotencyClaim,
  deps: SendDependencies,
): Promise<SendOutcome> {
  let current: IdempotencyRecord | undefined = record;
  for (const wait of DUPLICATE_WAITS_MS) {
    if (current?.status !== 'in-progress' || current.requestDigest !== claim.requestDigest) break;
    await sleep(wait);
    current = await deps.store.readIdempotency(claim.key, deps.clock.now());
  }
  if (current && current.requestDigest !== claim.requestDigest) {
    throw new IdempotencyKeyReusedError('This Idempotency-Key was used for a different request');
  }
  if (current?.status !== 'completed') {
    throw new IdempotentRequestInProgressError('A request with this Idempotency-Key is still being processed; retry shortly');
  }
  return JSON.parse(await deps.sealer.open(current.sealedAnswer)) as SendOutcome;
}

/** Whom a velocity limit counts: the caller (as a digest), the destination's prefix, or the whole deployment. */
interface Subjects {
  caller: string;
  prefix: string;
}

type Windows = ReadonlyArray<[VelocityKind, Window, keyof Subjects | 'deployment']>;

function sendWindows(policy: SendPolicy): Windows {
  return [['caller-send', policy.callerSend, 'caller'], ['prefix-send', policy.prefixSend, 'prefix'], ['global-send', policy.globalSend, 'deployment']];
}

function callWindows({ voice }: SendPolicy): Windows {
  return [['caller-call', voice.callerCall, 'caller'], ['prefix-call', voice.prefixCall, 'prefix'], ['global-call', voice.globalCall, 'deployment']];
}

/** The limits that are on (a limit of 0 is off), each counting its subject. */
function velocityOf(windows: Windows, subjects: Subjects): VelocityLimit[] {
  return windows
    .filter(([, window]) => window.limit > 0)
    .map(([kind, window, whose]) => ({ kind, subject: whose === 'deployment' ? 'deployment' : subjects[whose], ...window }));
}
