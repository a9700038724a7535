/**
 * The outcomes function's handler: what became of each code, off the request path (core/outcomes.ts). Two sources
 * invoke it: the table's stream (the number items' changes, in order per number; a failed record is reported so that
 * Lambda retries from it, and after the retries the batch goes to the dead-letter queue) and the topic of delivery
 * receipts (one event per invocation; a failure is thrown, and Lambda's asynchronous retries and dead-letter queue
 * take it from there).
 */
import type { DynamoDBBatchResponse, DynamoDBStreamEvent, SNSEvent } from 'aws-lambda';
import { numberChangeOf, type StreamImages } from '../adapters/dynamodb-store/number-changes';
import { receiptOf } from '../adapters/message-feedback';
import { codeOutcomesOf, settleOutcome, takeReceipt, type OutcomeDependencies } from '../core/outcomes';

export type OutcomesEvent = DynamoDBStreamEvent | SNSEvent;

export function createOutcomesHandler(deps: OutcomeDependencies, metrics: { publishStoredMetrics(): void }) {
  return async (event: OutcomesEvent): Promise<DynamoDBBatchResponse | void> => {
    try {
      if (isStreamEvent(event)) return await fromStream(event, deps);
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
async function fromStream(event: DynamoDBStreamEvent, deps: OutcomeDependencies): Promise<DynamoDBBatchResponse> {
  for (const record of event.Records) {
    try {
      const change = numberChangeOf((record.dynamodb ?? {}) as StreamImages);
      if (change) for (const outcome of codeOutcomesOf(change)) await settleOutcome(outcome, deps);
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
