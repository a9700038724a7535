/**
 * The outcomes function's handler: what became of each code, off the request path (core/outcomes.ts). Two sources
 * invoke it: the table's stream (the number items' changes, in order per number; a failed record is reported so that
 * Lambda retries from it, and after the retries the batch goes to the dead-letter queue) and the topic of delivery
 * receipts (one event per invocation; a failure is thrown, and Lambda's asynchronous retries and dead-letter queue
 * take it from there).
 */
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent, SNSEvent } from 'aws-lambda';
import { numberChangeOf, numberCountsOf, numberOf, type StreamImages } from '../adapters/dynamodb-store/number-changes';
import { receiptOf } from '../adapters/message-feedback';
import { codeChangeOf } from '../core/code-changes';
import { eventsOfNumberChange, guardEvent, type ServiceEvent } from '../core/events';
import { followPrefix, type GuardPolicy, type GuardStore } from '../core/guard';
import { codeOutcomesOf, settleOutcome, takeReceipt, type NumberChange, type OutcomeDependencies } from '../core/outcomes';
import { maskNumber } from '../core/phone-number';

export type OutcomesEvent = DynamoDBStreamEvent | SNSEvent;

/** What the events and the guard need besides the ports: the lock's threshold, a number's country and prefix. */
export interface OutcomesSettings {
  maxFailedChecks: number;
  countryOf(e164: string): string | undefined;
  /** The destination prefix of a number, as its limits count it (destinationPrefix). */
  prefixOf(e164: string): string | undefined;
  /** The conversion guard, when on. */
  guard?: { policy: GuardPolicy; store: GuardStore };
}

export function createOutcomesHandler(deps: OutcomeDependencies, settings: OutcomesSettings, metrics: { publishStoredMetrics(): void }) {
  return async (event: OutcomesEvent): Promise<DynamoDBBatchResponse | void> => {
    try {
      if (isStreamEvent(event)) return await fromStream(event, deps, settings);
      for (const record of event.Records) await fromReceipt(record.Sns.Message, deps);
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

function isStreamEvent(event: OutcomesEvent): event is DynamoDBStreamEvent {
  return event.Records.every((record) => 'dynamodb' in record);
}

/**
 * Records in order; at the first that fails, the rest wait: Lambda retries the batch from it (ReportBatchItemFailures),
 * so one number's changes are never taken out of order. Every step is safe to repeat.
 */
async function fromStream(event: DynamoDBStreamEvent, deps: OutcomeDependencies, settings: OutcomesSettings): Promise<DynamoDBBatchResponse> {
  for (const record of event.Records) {
    try {
      const images = (record.dynamodb ?? {}) as StreamImages;
      const change = numberChangeOf(images);
      if (!change) continue;
      for (const outcome of codeOutcomesOf(change)) await settleOutcome(outcome, deps);
      const context = eventContextOf(record, images, settings, deps.clock.now());
      const events = deps.events ? eventsOfNumberChange(change, context) : [];
      if (deps.events && events.length > 0) await deps.events.publish(events);
      // Last: its count is the one step a retry repeats (a count counted twice only makes the guard a little stricter).
      const guarded = settings.guard ? await guardPrefix(change, numberOf(images)!, context, settings, deps) : undefined;
      if (guarded && deps.events) await deps.events.publish([guarded]);
    } catch (error) {
      deps.logger.error('Could not settle a code\'s outcome; the stream retries from this record', {
        error: error instanceof Error ? error.name : 'unknown',
        sequenceNumber: record.dynamodb?.SequenceNumber,
      });
      return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
    }
  }
  return { batchItemFailures: [] };
}

async function fromReceipt(message: string, deps: OutcomeDependencies): Promise<void> {
  let event: unknown;
  try {
    event = JSON.parse(message);
  } catch {
    deps.logger.warn('A receipt that is not JSON; ignored');
    return;
  }
  const receipt = receiptOf(event);
  if (!receipt) {
    deps.logger.warn('A receipt without a message id or event type; ignored');
    return;
  }
  try {
    await takeReceipt(receipt, deps);
  } catch (error) {
    deps.logger.error('Could not take a delivery receipt; Lambda retries it', {
      error: error instanceof Error ? error.name : 'unknown',
      messageId: receipt.messageId,
    });
    throw error;
  }
}

function eventContextOf(record: DynamoDBRecord, images: StreamImages, settings: OutcomesSettings, now: number) {
  const e164 = numberOf(images)!;
  const country = settings.countryOf(e164);
  // The stream's own record id: the same on every retry of the batch, so an event's id is too (Lambda always sets it;
  // the sequence number, unique within the stream, stands in, and never the number).
  const sequence = record.dynamodb?.SequenceNumber;
  const changeId = record.eventID ?? `sequence-${sequence ?? ''}`;
  const createdSeconds = record.dynamodb?.ApproximateCreationDateTime;
  return {
    changeId,
    sequence,
    occurredAt: new Date(createdSeconds ? createdSeconds * 1000 : now).toISOString(),
    about: { number: maskNumber(e164), ...(country ? { country } : {}) },
    ...numberCountsOf(images),
    maxFailedChecks: settings.maxFailedChecks,
  };
}

/** Counts a send or a verification for the number's prefix; pauses or lifts it when the guard says so. */
async function guardPrefix(
  change: NumberChange,
  e164: string,
  context: ReturnType<typeof eventContextOf>,
  settings: OutcomesSettings,
  deps: OutcomeDependencies,
): Promise<ServiceEvent | undefined> {
  const { recorded, verified, revoked } = codeChangeOf(change);
  const prefix = settings.prefixOf(e164);
  if ((!recorded && !verified && !revoked) || !prefix || !settings.guard) return undefined;
  const what = recorded ? 'sent' : revoked ? 'revoked' : 'verified';
  const acted = await followPrefix(what, prefix, context.about.country, settings.guard.policy, settings.guard.store, deps.clock.now(), context.changeId);
  if (!acted) return undefined;
  if (acted === 'lifted') {
    deps.logger.info('Conversion guard: prefix lifted', { prefix });
    deps.metrics.count('GuardLifted');
  } else {
    deps.logger.warn(acted.country ? 'Conversion guard: prefix paused, and its country' : 'Conversion guard: prefix paused', {
      prefix,
      country: acted.country,
      until: new Date(acted.paused).toISOString(),
    });
    deps.metrics.count('GuardPaused');
    if (acted.country) deps.metrics.count('GuardCountryPaused', { Country: acted.country });
  }
  return guardEvent(prefix, acted, context.changeId, context.occurredAt);
}
