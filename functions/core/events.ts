/**
 * Events for the team's own systems (fraud review, analytics, a SIEM): what happened to each code, derived off the
 * request path from the table's stream and End User Messaging's delivery receipts, and published to EventBridge.
 *
 * Each event is small and typed (docs/events.schema.json), never carries a code, a full number or a key, and has an
 * `id` that is the same every time the same change is seen: delivery is at least once (the stream and Lambda retry),
 * so a consumer deduplicates on it.
 */
import { codeChangeOf, type NumberChange } from './code-changes';
import type { DeliveryReceipt } from './outcomes';
import type { FeedbackStatus } from './ports';

/** EventBridge's `source` of every event. */
export const EVENT_SOURCE = 'sms-verify';
/** The version of the events' `detail`; a breaking change to a field bumps it. */
export const EVENT_VERSION = 1 as const;

/** Fields every event's detail has. */
interface Common {
  /** The same for every delivery of one event: deduplicate on it. */
  id: string;
  version: typeof EVENT_VERSION;
  /** When it happened, ISO 8601. */
  occurredAt: string;
  /** Events of a number from the table's stream: its order among them (the stream's sequence number, as digits). */
  sequence?: string;
}

/** The number, as the service logs it: country code and last digits (`+44******3456`), and its country. */
interface About {
  number: string;
  country?: string;
}

export type ServiceEvent =
  | { detailType: 'Code Sent'; detail: Common & About & { attempt: number } }
  | { detailType: 'Code Revoked'; detail: Common & About & { reason: 'delivery-failed' } }
  | { detailType: 'Code Verified'; detail: Common & About }
  | { detailType: 'Code Replaced'; detail: Common & About }
  | { detailType: 'Check Failed'; detail: Common & About & { reason: 'wrong-code'; failedChecks: number } }
  | { detailType: 'Number Locked'; detail: Common & About & { failedChecks: number } }
  | {
      detailType: 'Message Delivered' | 'Message Undelivered';
      detail: Common & Partial<About> & { messageId: string; route: string; channel: 'sms' | 'voice'; status: string };
    }
  | { detailType: 'Feedback Reported'; detail: Common & { messageId: string; route: string; status: FeedbackStatus } }
  /** `country`: this pause also paused the whole country (every prefix of it seen in the window, and each new one). */
  | { detailType: 'Guard Paused'; detail: Common & { prefix: string; until: string; country?: string } }
  | { detailType: 'Guard Lifted'; detail: Common & { prefix: string } };

export type DetailType = ServiceEvent['detailType'];

/** Publishes events (EventBridge's PutEvents); throws when one was not accepted, so that the source is retried. */
export interface EventPublisher {
  publish(events: readonly ServiceEvent[]): Promise<void>;
}

/** A number's item change as events need it: the number and the item's counts besides its code. */
export interface NumberEventContext {
  /** The stream record's own id: unique to the change, the same on every retry. */
  changeId: string;
  /** The stream record's sequence number: EventBridge does not keep order, this restores it for one number. */
  sequence?: string;
  occurredAt: string;
  /** The number masked, and its country. */
  about: About;
  before?: { failedChecks: number; routeStreak: number; lastCheckAt: number };
  after?: { failedChecks: number; routeStreak: number; lastCheckAt: number };
  /** Failed checks that lock a number (maxFailedChecks). */
  maxFailedChecks: number;
}

/**
 * The events one write to a number's item means. A send's record names the replaced send as its previous one; a
 * revocation puts the previous send back (or none), or, when a later send replaced the code meanwhile, strikes the
 * code out of the previous slot; a check that used the code removes it; every check writes its time, and a wrong
 * one counts (from zero again after a lock ran out).
 */
export function eventsOfNumberChange(change: NumberChange, context: NumberEventContext): ServiceEvent[] {
  const { before, after } = change;
  if (!after) return [];
  const common = (kind: string): Common & About => ({
    id: `${context.changeId}:${kind}`,
    version: EVENT_VERSION,
    occurredAt: context.occurredAt,
    ...(context.sequence ? { sequence: context.sequence } : {}),
    ...context.about,
  });
  const events: ServiceEvent[] = [];
  const { recorded, verified, revoked } = codeChangeOf(change);
  if (recorded) {
    if (before?.hasCode) events.push({ detailType: 'Code Replaced', detail: common('replaced') });
    events.push({ detailType: 'Code Sent', detail: { ...common('sent'), attempt: (context.after?.routeStreak ?? 0) + 1 } });
  } else if (revoked) {
    events.push({ detailType: 'Code Revoked', detail: { ...common('revoked'), reason: 'delivery-failed' } });
  } else if (verified) {
    events.push({ detailType: 'Code Verified', detail: common('verified') });
  }
  const failedBefore = context.before?.failedChecks ?? 0;
  const failedAfter = context.after?.failedChecks ?? 0;
  const checked = (context.after?.lastCheckAt ?? 0) !== (context.before?.lastCheckAt ?? 0) || failedAfter > failedBefore;
  if (!recorded && !verified && checked && failedAfter > 0) {
    events.push({ detailType: 'Check Failed', detail: { ...common('check-failed'), reason: 'wrong-code', failedChecks: failedAfter } });
    // A lock starts when the count reaches the threshold: from below, or counting again after an earlier lock ran out.
    const restarted = failedAfter <= failedBefore;
    if (failedAfter >= context.maxFailedChecks && (failedBefore < context.maxFailedChecks || restarted)) {
      events.push({ detailType: 'Number Locked', detail: { ...common('locked'), failedChecks: failedAfter } });
    }
  }
  return events;
}

/** The guard's verdict on a prefix, as an event (core/guard.ts). */
export function guardEvent(
  prefix: string,
  change: { paused: number; country?: string } | 'lifted',
  changeId: string,
  occurredAt: string,
): ServiceEvent {
  return change === 'lifted'
    ? { detailType: 'Guard Lifted', detail: { id: `${changeId}:guard-lifted`, version: EVENT_VERSION, occurredAt, prefix } }
    : {
        detailType: 'Guard Paused',
        detail: {
          id: `${changeId}:guard-paused`,
          version: EVENT_VERSION,
          occurredAt,
          prefix,
          until: new Date(change.paused).toISOString(),
          ...(change.country ? { country: change.country } : {}),
        },
      };
}

/** What a delivery receipt means, when it is final either way; intermediate ones (queued, ringing) mean nothing yet. */
export function eventOfReceipt(receipt: DeliveryReceipt, outcome: 'delivered' | 'undelivered' | undefined, now: number): ServiceEvent | undefined {
  if (!outcome) return undefined;
  return {
    detailType: outcome === 'delivered' ? 'Message Delivered' : 'Message Undelivered',
    detail: {
      id: `${receipt.messageId}:${receipt.eventType}`,
      version: EVENT_VERSION,
      occurredAt: new Date(receipt.at ?? now).toISOString(),
      ...(receipt.maskedNumber ? { number: receipt.maskedNumber } : {}),
      ...(receipt.country ? { country: receipt.country } : {}),
      messageId: receipt.messageId,
      route: receipt.route ?? 'unknown',
      channel: receipt.eventType.startsWith('VOICE_') ? 'voice' : 'sms',
      status: receipt.eventType,
    },
  };
}

/** `again`: a report said a second time because the first may have landed after the other side's (core/outcomes.ts). */
export function feedbackReportedEvent(messageId: string, route: string, status: FeedbackStatus, occurredAt: string, again = false): ServiceEvent {
  return {
    detailType: 'Feedback Reported',
    detail: { id: `${messageId}:feedback:${status}${again ? ':again' : ''}`, version: EVENT_VERSION, occurredAt, messageId, route, status },
  };
}
