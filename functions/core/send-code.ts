import { setTimeout as sleep } from 'node:timers/promises';
import {
  IdempotencyKeyReusedError,
  IdempotentRequestInProgressError,
  NumberLimitReachedError,
  VelocityLimitError,
} from './errors';
import { composeMessage, composeVoiceScript, type Autofill } from './messages';
import { DEFAULT_PLAYBACK_DELAY_MS, type Channel, type SendRequest } from './parameters';
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
  SendRecord,
  Sealer,
  SmsReceipt,
  SmsRoute,
  VelocityLimit,
  VerificationStore,
  VoiceRoute,
} from './ports';
import { mayHaveSent, SmsRouteError } from './ports';
import { routeOrder } from './routing';
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
      allowedCountries: new Set(settings.voiceRoutes.length > 0 ? settings.allowedVoiceCountries : []),
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
  const prefix = destinationPrefix(reading, policy.prefixDigits);
  const velocity = call ? await callVelocity(policy, caller, prefix, deps.digester) : await sendVelocity(policy, caller, prefix, deps.digester);
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

  let outcome: SendOutcome;
  try {
    const send = { masked, country, code, routeStreak: recorded.routeStreak, record: recorded.record };
    const channel: Channel = call || (await fallsBackToCall(send, reading, caller, prefix, deps)) ? 'voice' : 'sms';
    outcome = await deliver(send, channel, request, deps, deadline);
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

interface RecordedSend {
  masked: string;
  country: string;
  code: string;
  routeStreak: number;
  record: SendRecord;
}

/** One way to deliver the code: a route of either channel, ready to try. */
interface Attempt {
  name: string;
  channel: Channel;
  maxDurationMs?: number;
  deliver(): Promise<SmsReceipt | CallReceipt>;
}

/**
 * Tries the routes in order, with one code; revokes it only when every route surely sent nothing. A call tries the
 * voice routes; a text that falls back to a call tries them first, then the SMS routes, so that a person still gets
 * the code if no call goes through.
 */
async function deliver(send: RecordedSend, channel: Channel, request: SendRequest, deps: SendDependencies, deadline?: number): Promise<SendOutcome> {
  const { logger, metrics } = deps;
  const { masked, code } = send;
  const e164 = send.record.e164;
  const country = send.country === 'none' ? undefined : send.country;
  const shownCode = shownCodeFor(request, code, deps.policy);
  const attempts: Attempt[] = [];
  if (channel === 'voice') {
    const ssml = composeVoiceScript({ language: request.language, code, brand: request.brandName, playbackDelayMs: request.playbackDelayMs ?? DEFAULT_PLAYBACK_DELAY_MS });
    // A call asked for again switches route as a text does; a fallback call starts at the first voice route.
    const streak = request.channel === 'voice' ? send.routeStreak : send.routeStreak + 1 - deps.policy.voice.fallbackAfter;
    for (const route of routeOrder(deps.voiceRoutes, streak)) {
      const message = { to: e164, ssml, code, language: request.language, brand: request.brandName, country };
      attempts.push({ name: route.name, channel: 'voice', maxDurationMs: route.maxDurationMs, deliver: () => route.call(message) });
    }
  }
  if (request.channel === 'sms') {
    const body = composeMessage({ language: request.language, code, brand: request.brandName, autofill: deps.policy.autofill });
    const message = { to: e164, body, code, language: request.language, brand: request.brandName, country };
    for (const route of routeOrder(deps.routes, send.routeStreak)) {
      attempts.push({ name: route.name, channel: 'sms', maxDurationMs: route.maxDurationMs, deliver: () => route.send(message) });
    }
  }

  let maybeSent = false;
  const started = deps.clock.now();
  const budgetMs = deadline === undefined ? ROUTES_BUDGET_MS : Math.min(ROUTES_BUDGET_MS, deadline - SETTLE_RESERVE_MS - started);
  for (const attempt of attempts) {
    if (attempt !== attempts[0] && !fitsRoutesBudget(attempt, deps.clock.now() - started, budgetMs)) {
      logger.warn('No time left for this route; not tried', { number: masked, route: attempt.name });
      metrics.count('RouteFailures', { Route: attempt.name, Failure: 'out-of-time' });
      continue;
    }
    try {
      const receipt = await attempt.deliver();
      const failover = attempt !== attempts[0];
      logger.info(attempt.channel === 'voice' ? 'Call placed' : 'Code sent', { number: masked, route: receipt.route, routeStreak: send.routeStreak, failover });
      if (attempt.channel === 'voice') {
        metrics.count('CallsPlaced');
        metrics.count('CallsPlacedByRoute', { Route: receipt.route });
        metrics.count('CallsPlacedByCountry', { Country: send.country });
      } else {
        metrics.count('CodesSent');
        metrics.count('CodesSentByRoute', { Route: receipt.route });
        metrics.count('CodesSentByCountry', { Country: send.country });
      }
      if (failover) metrics.count('Failovers');
      return { sent: true, numberValid: true, securityCode: shownCode, route: receipt.route, channel: attempt.channel };
    } catch (error) {
      if (!(error instanceof SmsRouteError)) throw error;
      maybeSent ||= mayHaveSent(error.kind);
      // The adapters' messages name the error and its reason, never the number or the code.
      logger.warn('Route failed; trying the next one', { number: masked, route: attempt.name, failure: error.kind, why: error.message });
      metrics.count('RouteFailures', { Route: attempt.name, Failure: error.kind });
    }
  }

  const routes = attempts.map((attempt) => attempt.name).join(',');
  if (maybeSent) {
    // A provider that timed out or failed with a 5xx may have taken the message: revoking would strand a code
    // someone may read. Only when every route surely sent nothing is the code revoked.
    logger.error('Delivery unconfirmed on every route', { number: masked, routes });
    metrics.count('DeliveryUnconfirmed');
    return { sent: false, numberValid: true, securityCode: shownCode, reason: 'delivery-unconfirmed' };
  }
  logger.error('Delivery failed on every route', { number: masked, routes });
  metrics.count('DeliveryFailed');
  // If the revocation is not confirmed, the store says so (503/30): "delivery-failed" would promise the counts back
  // and the earlier code valid again. The code itself stays unknown to anyone either way: no SMS carried it.
  await deps.store.revokeCode(send.record);
  return { sent: false, numberValid: true, securityCode: '', reason: 'delivery-failed' };
}

/**
 * A text becomes a call on the `voiceFallbackAfter`th send to the number within the route-switch window (the person
 * has asked for texts that did not come), where calls go to this number at all and the call limits have room. Those
 * are counted as well; when they are used up, or cannot be counted, the code goes by text, as without the fallback.
 */
async function fallsBackToCall(
  send: RecordedSend,
  reading: PhoneNumberReading & { valid: true },
  caller: string,
  prefix: string,
  deps: SendDependencies,
): Promise<boolean> {
  const { voice } = deps.policy;
  if (voice.fallbackAfter < 2 || send.routeStreak + 1 < voice.fallbackAfter || deps.voiceRoutes.length === 0) return false;
  if (!callsGoTo(deps.policy, send.country) || !voice.allowedNumberTypes.has(reading.type ?? 'UNKNOWN')) return false;
  try {
    const counted = await deps.store.countEvents(await callVelocity(deps.policy, caller, prefix, deps.digester), deps.clock.now());
    if (counted.exhausted) {
      deps.logger.info('Call limit reached: texting instead', { number: send.masked, limit: counted.exhausted });
      deps.metrics.count('LimitReached', { Limit: counted.exhausted });
      return false;
    }
  } catch (error) {
    deps.logger.warn('Could not count the call: texting instead', { number: send.masked, error: (error as Error).name });
    return false;
  }
  return true;
}

function textsGoTo(policy: SendPolicy, country: string): boolean {
  return !policy.deniedCountries.has(country) && (policy.allowedCountries.size === 0 || policy.allowedCountries.has(country));
}

/** Calls go only where the deployment says, never to a denied country; no country listed, no calls. */
function callsGoTo(policy: SendPolicy, country: string): boolean {
  return !policy.deniedCountries.has(country) && policy.voice.allowedCountries.has(country);
}

/**
 * How long the routes of one send may take together, from the first one's start: what is left of the function's
 * 20 s after the table writes before and after them (functions/adapters/client-options.ts). The first route is
 * always tried; a later one only when it can end within this, so that the send's answer and its last write never
 * meet the function's timeout.
 */
export const ROUTES_BUDGET_MS = 10_500;

/**
 * What must be left of the function's time when the routes are done: the write that settles the send (a revocation
 * or the idempotent answer, ≈ 3.1 s at worst; functions/adapters/client-options.ts) and the answer itself.
 */
export const SETTLE_RESERVE_MS = 3_600;

function fitsRoutesBudget(route: Pick<Attempt, 'maxDurationMs'>, elapsedMs: number, budgetMs: number): boolean {
  return route.maxDurationMs === undefined || elapsedMs + route.maxDurationMs <= budgetMs;
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
  if (recorded.outcome === 'limit-reached') throw numberLimitReached(request);
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

async function callVelocity(policy: SendPolicy, caller: string, prefix: string, digester: Digester): Promise<VelocityLimit[]> {
  const { callerCall, prefixCall, globalCall } = policy.voice;
  const velocity: VelocityLimit[] = [];
  if (callerCall.limit > 0) velocity.push({ kind: 'caller-call', subject: await digester.caller(caller), ...callerCall });
  if (prefixCall.limit > 0) velocity.push({ kind: 'prefix-call', subject: prefix, ...prefixCall });
  if (globalCall.limit > 0) velocity.push({ kind: 'global-call', subject: 'deployment', ...globalCall });
  return velocity;
}

async function sendVelocity(
  policy: SendPolicy,
  caller: string,
  prefix: string,
  digester: Digester,
): Promise<VelocityLimit[]> {
  const velocity: VelocityLimit[] = [];
  if (policy.callerSend.limit > 0) {
    velocity.push({ kind: 'caller-send', subject: await digester.caller(caller), ...policy.callerSend });
  }
  if (policy.prefixSend.limit > 0) velocity.push({ kind: 'prefix-send', subject: prefix, ...policy.prefixSend });
  if (policy.globalSend.limit > 0) velocity.push({ kind: 'global-send', subject: 'deployment', ...policy.globalSend });
  return velocity;
}
