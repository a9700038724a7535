/**
 * Delivering one recorded code: the routes of the channel the send uses, in the order of the number's streak, each
 * given the time it may take, with the code revoked only when every route surely sent nothing.
 */
import { composeMessage, composeVoiceScript } from './messages';
import { DEFAULT_PLAYBACK_DELAY_MS, type Channel, type SendRequest } from './parameters';
import type { CallReceipt, Logger, Metrics, SendRecord, SmsReceipt, SmsRoute, VerificationStore, VoiceRoute } from './ports';
import { mayHaveSent, SmsRouteError } from './ports';
import { routeOrder } from './routing';
import type { SendOutcome } from './send-code';

/**
 * How long the routes of one send may take together, from the first one's start: what is left of the function's
 * 20 s after the table writes before and after them (functions/adapters/client-options.ts). The first route is
 * always tried; a later one only when it can end within this, so that the send's answer and its last write never
 * meet the function's timeout.
 */
export const ROUTES_BUDGET_MS = 10_500;

/** The longest one table write that settles a send can take (functions/adapters/client-options.ts). */
const SETTLING_WRITE_MS = 3_100;
/**
 * What must be left of the function's time when the routes are done: a write that settles the send (a revocation
 * or the idempotent answer) and the answer itself. A send with an idempotency key settles with two writes in turn
 * (the answer it keeps follows the revocation's outcome), and keeps room for both.
 */
export const SETTLE_RESERVE_MS = SETTLING_WRITE_MS + 500;

/** A send whose code is recorded, ready to deliver. */
export interface RecordedSend {
  masked: string;
  country: string;
  code: string;
  /** The code as the answer shows it ("" when the deployment does not return generated codes). */
  shownCode: string;
  routeStreak: number;
  record: SendRecord;
}

/**
 * Which routes to try, in which order: voice routes from `voiceStreak`, then SMS routes from `smsStreak`. A call asked
 * for tries the voice routes; a text the voice routes first when it falls back to a call (then the texts, so that the
 * person still gets the code if no call goes through), with the call limits it counted for that.
 */
export interface DeliveryPlan {
  voiceStreak?: number;
  smsStreak?: number;
  /** Call counts a fallback took: given back when no call was placed and none may have been. */
  fallbackCallCounts?: readonly string[];
}

export interface DeliveryDependencies {
  routes: readonly SmsRoute[];
  voiceRoutes: readonly VoiceRoute[];
  store: VerificationStore;
  clock: { now(): number };
  logger: Logger;
  metrics: Metrics;
  autofill: Parameters<typeof composeMessage>[0]['autofill'];
}

/** One way to deliver the code: a route of either channel, ready to try. */
interface Attempt {
  name: string;
  channel: Channel;
  maxDurationMs?: number;
  deliver(): Promise<SmsReceipt | CallReceipt>;
}

const DELIVERED_METRICS = {
  sms: { total: 'CodesSent', byRoute: 'CodesSentByRoute', byCountry: 'CodesSentByCountry' },
  voice: { total: 'CallsPlaced', byRoute: 'CallsPlacedByRoute', byCountry: 'CallsPlacedByCountry' },
} as const;

/**
 * Tries the planned routes in order, with one code; revokes it only when every route surely sent nothing.
 * `deadline` is when the function must have answered; `settlingWrites` how many table writes follow the routes.
 */
export async function deliver(
  send: RecordedSend,
  plan: DeliveryPlan,
  request: SendRequest,
  deps: DeliveryDependencies,
  timing: { deadline?: number; settlingWrites: number },
): Promise<SendOutcome> {
  const { logger, metrics } = deps;
  const attempts = attemptsOf(send, plan, request, deps);

  let maybeSent = false;
  let callMayHaveGone = false;
  const started = deps.clock.now();
  const reserveMs = SETTLE_RESERVE_MS + (timing.settlingWrites - 1) * SETTLING_WRITE_MS;
  const budgetMs = timing.deadline === undefined ? ROUTES_BUDGET_MS : Math.min(ROUTES_BUDGET_MS, timing.deadline - reserveMs - started);
  const tried: string[] = [];
  for (const attempt of attempts) {
    if (attempt !== attempts[0] && !fits(attempt, deps.clock.now() - started, budgetMs)) {
      logger.warn('No time left for this route; not tried', { number: send.masked, route: attempt.name });
      metrics.count('RouteFailures', { Route: attempt.name, Failure: 'out-of-time' });
      continue;
    }
    tried.push(attempt.name);
    try {
      const receipt = await attempt.deliver();
      const failover = attempt !== attempts[0];
      logger.info(attempt.channel === 'voice' ? 'Call placed' : 'Code sent', { number: send.masked, route: receipt.route, routeStreak: send.routeStreak, failover });
      const names = DELIVERED_METRICS[attempt.channel];
      metrics.count(names.total);
      metrics.count(names.byRoute, { Route: receipt.route });
      metrics.count(names.byCountry, { Country: send.country });
      if (failover) metrics.count('Failovers');
      if (attempt.channel === 'sms') await giveBackCallCounts(plan, callMayHaveGone, deps);
      return { sent: true, numberValid: true, securityCode: send.shownCode, route: receipt.route, channel: attempt.channel };
    } catch (error) {
      if (!(error instanceof SmsRouteError)) throw error;
      maybeSent ||= mayHaveSent(error.kind);
      if (attempt.channel === 'voice') callMayHaveGone ||= mayHaveSent(error.kind);
      // The adapters' messages name the error and its reason, never the number or the code.
      logger.warn('Route failed; trying the next one', { number: send.masked, route: attempt.name, failure: error.kind, why: error.message });
      metrics.count('RouteFailures', { Route: attempt.name, Failure: error.kind });
    }
  }

  await giveBackCallCounts(plan, callMayHaveGone, deps);
  if (maybeSent) {
    // A provider that timed out or failed with a 5xx may have taken the message: revoking would strand a code
    // someone may read. Only when every route surely sent nothing is the code revoked.
    logger.error('Delivery unconfirmed on every route', { number: send.masked, routes: tried.join(',') });
    metrics.count('DeliveryUnconfirmed');
    return { sent: false, numberValid: true, securityCode: send.shownCode, reason: 'delivery-unconfirmed' };
  }
  logger.error('Delivery failed on every route', { number: send.masked, routes: tried.join(',') });
  metrics.count('DeliveryFailed');
  // If the revocation is not confirmed, the store says so (503/30): "delivery-failed" would promise the counts back
  // and the earlier code valid again. The code itself stays unknown to anyone either way: no SMS carried it.
  await deps.store.revokeCode(send.record);
  return { sent: false, numberValid: true, securityCode: '', reason: 'delivery-failed' };
}

function attemptsOf(send: RecordedSend, plan: DeliveryPlan, request: SendRequest, deps: DeliveryDependencies): Attempt[] {
  const { code } = send;
  const to = send.record.e164;
  const about = {
    to,
    code,
    language: request.language,
    brand: request.brandName,
    country: send.country === 'none' ? undefined : send.country,
    // Routes that can report back name the send in the message, so that its outcome can be reported (core/outcomes.ts).
    sendId: send.record.sendId,
  };
  const attempts: Attempt[] = [];
  if (plan.voiceStreak !== undefined) {
    const ssml = composeVoiceScript({ language: request.language, code, brand: request.brandName, playbackDelayMs: request.playbackDelayMs ?? DEFAULT_PLAYBACK_DELAY_MS });
    for (const route of routeOrder(deps.voiceRoutes, plan.voiceStreak)) {
      attempts.push({ name: route.name, channel: 'voice', maxDurationMs: route.maxDurationMs, deliver: () => route.call({ ...about, ssml }) });
    }
  }
  if (plan.smsStreak !== undefined) {
    const body = composeMessage({ language: request.language, code, brand: request.brandName, autofill: deps.autofill });
    for (const route of routeOrder(deps.routes, plan.smsStreak)) {
      attempts.push({ name: route.name, channel: 'sms', maxDurationMs: route.maxDurationMs, deliver: () => route.send({ ...about, body }) });
    }
  }
  return attempts;
}

/** A route without a known bound is taken to fit: only routes that say how long they take can be measured. */
function fits(route: Pick<Attempt, 'maxDurationMs'>, elapsedMs: number, budgetMs: number): boolean {
  return route.maxDurationMs === undefined || elapsedMs + route.maxDurationMs <= budgetMs;
}

/** A fallback counted a call; when no call was placed and none may have been, the count is given back. */
async function giveBackCallCounts(plan: DeliveryPlan, callMayHaveGone: boolean, deps: DeliveryDependencies): Promise<void> {
  if (!plan.fallbackCallCounts || callMayHaveGone) return;
  // Best effort: a count left taken only makes the call limits stricter.
  await deps.store.refundEvents(plan.fallbackCallCounts).catch(() => undefined);
}
