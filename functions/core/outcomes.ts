/**
 * What became of each code, off the request path: conversion feedback to End User Messaging.
 *
 * A code that was used reached its person: its message is reported RECEIVED. A code another send replaced before
 * anyone used it did not (the person asked again): FAILED. A code that simply runs out is left to the provider, which
 * marks an unreported message FAILED an hour after it was sent (PutMessageFeedback's documentation); codes live at
 * most an hour (codeTtlSeconds), so that is the same verdict, only later in the provider's metrics.
 *
 * The message id comes from the message's delivery receipt (the send passes its id as the message's Context), the
 * outcome from the table's stream; either may come first, and the ledger joins them. Nothing here runs while a
 * person waits: a failure is retried by the event source and ends in the dead-letter queue, never in an answer.
 */
import { eventOfReceipt, feedbackReportedEvent, type EventPublisher } from './events';
import { codeChangeOf, type NumberChange } from './code-changes';
import type { Clock, FeedbackLedger, FeedbackStatus, Logger, MessageFeedback, MessageView, Metrics } from './ports';

export type { CodeState, NumberChange } from './code-changes';

export interface CodeOutcome {
  sendId: string;
  outcome: FeedbackStatus;
}

/**
 * The outcomes one write decided (code-changes.ts says what the write was): a send's code used, RECEIVED; replaced by
 * another send's before anyone used it, FAILED. A code recorded before sends were named has no send to report for.
 */
export function codeOutcomesOf(change: NumberChange): CodeOutcome[] {
  const sendId = change.before?.sendId;
  if (!sendId) return [];
  const { recorded, verified } = codeChangeOf(change);
  if (verified) return [{ sendId, outcome: 'RECEIVED' }];
  if (recorded && change.before!.hasCode) return [{ sendId, outcome: 'FAILED' }];
  return [];
}

/** A delivery receipt of End User Messaging (an event of the configuration set's event destination). */
export interface DeliveryReceipt {
  messageId: string;
  /** The send the message carried the code of (its Context); absent: not a message of this service. */
  sendId?: string;
  route?: string;
  /** The event type, e.g. TEXT_DELIVERED, VOICE_COMPLETED. */
  eventType: string;
  /** ISO 3166-1 alpha-2 of the destination. */
  country?: string;
  /** The destination masked (`+44******3456`): the receipt's full number goes no further than the parser. */
  maskedNumber?: string;
  /** When the message was asked for, and when this event happened (ms since the epoch). */
  requestedAt?: number;
  at?: number;
}

/**
 * Receipts that say the message reached the person (the carrier or the handset took it; a call was completed):
 * TEXT_SUCCESSFUL and TEXT_DELIVERED "may be used interchangeably" by country (User Guide, "Event types").
 */
const DELIVERED = new Set(['TEXT_SUCCESSFUL', 'TEXT_DELIVERED', 'VOICE_COMPLETED']);
/** Receipts that say it never will: blocked (by the carrier, the handset or SMS Protect), unreachable, invalid, expired. */
const UNDELIVERED = new Set([
  'TEXT_BLOCKED',
  'TEXT_CARRIER_BLOCKED',
  'TEXT_PROTECT_BLOCKED',
  'TEXT_SPAM',
  'TEXT_UNREACHABLE',
  'TEXT_CARRIER_UNREACHABLE',
  'TEXT_INVALID',
  'TEXT_INVALID_MESSAGE',
  'TEXT_TTL_EXPIRED',
  'TEXT_UNKNOWN',
  'VOICE_BUSY',
  'VOICE_NO_ANSWER',
  'VOICE_FAILED',
  'VOICE_TTL_EXPIRED',
]);

/** Conversion feedback's parts, and the events publisher: each present only when that is on. */
export interface OutcomeDependencies {
  ledger?: FeedbackLedger;
  feedback?: MessageFeedback;
  events?: EventPublisher;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
}

/**
 * What a message should be reported as: FAILED when a final receipt said it never arrived (a route that took it and
 * then lost it, while another route's message carried the code), else what became of the code, once known.
 */
function wanted(outcome: FeedbackStatus | undefined, message: MessageView): FeedbackStatus | undefined {
  return message.undelivered ? 'FAILED' : outcome;
}

/** Notes a code's outcome, and reports each message of its send a receipt has named, unless done already. */
export async function settleOutcome({ sendId, outcome }: CodeOutcome, deps: OutcomeDependencies): Promise<void> {
  if (!deps.ledger || !deps.feedback) return;
  const noted = await deps.ledger.noteOutcome(sendId, outcome, deps.clock.now());
  if (noted === 'settled') return;
  for (const message of noted.messages) {
    const status = wanted(outcome, message);
    if (status && !message.reported.has(status)) await report(sendId, message.messageId, noted.route ?? 'unknown', status, deps);
  }
}

/** Counts a receipt, publishes its event, notes its message id, and reports the message if its outcome is known. */
export async function takeReceipt(receipt: DeliveryReceipt, deps: OutcomeDependencies): Promise<void> {
  const route = receipt.route ?? 'unknown';
  deps.metrics.count('DeliveryReceipts', { Route: route, Status: receipt.eventType });
  if (UNDELIVERED.has(receipt.eventType)) deps.metrics.count('ReceiptFailuresByCountry', { Country: receipt.country ?? 'unknown' });
  if (DELIVERED.has(receipt.eventType) && receipt.requestedAt !== undefined && receipt.at !== undefined && receipt.at >= receipt.requestedAt) {
    deps.metrics.milliseconds('TimeToDelivery', receipt.at - receipt.requestedAt, { Route: route, Status: receipt.eventType });
  }
  if (!receipt.sendId) return;
  const final = DELIVERED.has(receipt.eventType) ? 'delivered' : UNDELIVERED.has(receipt.eventType) ? 'undelivered' : undefined;
  // Feedback first: it has an hour, and a receipt given up on loses it; the event only goes to the team's systems.
  if (deps.ledger && deps.feedback) {
    const noted = await deps.ledger.noteMessage(receipt.sendId, receipt.messageId, route, final === 'undelivered', deps.clock.now());
    const status = wanted(noted.outcome, noted.message);
    if (status && !noted.message.reported.has(status)) await report(receipt.sendId, receipt.messageId, route, status, deps);
  }
  const event = deps.events ? eventOfReceipt(receipt, final, deps.clock.now()) : undefined;
  if (event) await deps.events!.publish([event]);
}

/**
 * Reports one message, then records it. The two sides can report at once with different words (a receipt reading a
 * FAILED that the stream is just turning into RECEIVED): if what the ledger now wants differs from what was just
 * said, this report may have landed last and is said again, right. RECEIVED is final, so that happens at most once.
 */
async function report(sendId: string, messageId: string, route: string, status: FeedbackStatus, deps: OutcomeDependencies, again = false): Promise<void> {
  const answer = await deps.feedback!.report(messageId, status);
  if (answer === 'unknown-message') {
    deps.logger.warn('The provider does not know this message; no feedback given', { messageId, route, status });
    deps.metrics.count('FeedbackForUnknownMessage', { Route: route });
  } else if (answer === 'refused') {
    deps.logger.warn('The provider refused this feedback; not retried', { messageId, route, status });
    deps.metrics.count('FeedbackRefused', { Route: route, Status: status });
  } else {
    deps.logger.info('Message feedback reported', { messageId, route, status });
    deps.metrics.count('FeedbackReported', { Route: route, Status: status });
    await deps.events?.publish([feedbackReportedEvent(messageId, route, status, new Date(deps.clock.now()).toISOString(), again)]);
  }
  const now = await deps.ledger!.markReported(sendId, messageId, status);
  const still = wanted(now.outcome, now.message);
  if (answer === 'reported' && still && still !== status) await report(sendId, messageId, route, still, deps, true);
}
