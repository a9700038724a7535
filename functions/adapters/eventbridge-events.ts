/**
 * The service's events on an EventBridge bus (PutEvents). Model (eventbridge, PutEvents): 1-10 entries a request,
 * under 1 MB in all (the service's events are a few hundred bytes each); an entry refused is reported in the answer (FailedEntryCount, each entry's ErrorCode) while the
 * others are accepted. A refusal is thrown, so that the whole source record is retried: events already accepted go
 * again, with the same `id`, and consumers deduplicate on it.
 */
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE, type EventPublisher, type ServiceEvent } from '../core/events';

/** PutEvents takes at most 10 entries a request. */
const MAX_ENTRIES = 10;

export class EventsNotPublishedError extends Error {
  override readonly name = 'EventsNotPublishedError';
}

export function createEventBridgePublisher(client: EventBridgeClient, eventBusName: string): EventPublisher {
  return {
    async publish(events: readonly ServiceEvent[]) {
      for (let start = 0; start < events.length; start += MAX_ENTRIES) {
        const batch = events.slice(start, start + MAX_ENTRIES);
        const answer = await client.send(
          new PutEventsCommand({
            Entries: batch.map((event) => ({
              EventBusName: eventBusName,
              Source: EVENT_SOURCE,
              DetailType: event.detailType,
              Detail: JSON.stringify(event.detail),
              Time: new Date(event.detail.occurredAt),
            })),
          }),
        );
        if (answer.FailedEntryCount) {
          const codes = [...new Set((answer.Entries ?? []).map((entry) => entry.ErrorCode).filter(Boolean))];
          throw new EventsNotPublishedError(`${answer.FailedEntryCount} of ${batch.length} events not accepted (${codes.join(', ')})`);
        }
      }
    },
  };
}
