/**
 * Runs the outcomes function locally as Lambda runs it deployed: over the table's stream (DynamoDB Local implements
 * DynamoDB Streams), and for each delivery receipt the simulator publishes, as the SNS topic would hand it on.
 *
 * What it keeps of Lambda's behaviour, so that the handler meets here what it meets deployed:
 *  - the stream's event source mapping: batches of up to 100 records of number items (the stack's filter), in
 *    order; a batch the handler reports a failed record of is retried from that record until the record is an hour
 *    old (`maxRecordAgeMs`), then sent to the dead-letter queue (kept in `deadLetters()`) and the stream moves on;
 *  - SNS's asynchronous invocation: one receipt per invocation, retried twice when the handler throws, then
 *    dead-lettered.
 */
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent, SNSEvent } from 'aws-lambda';
import { NUMBER_PREFIX, TABLE_PARTITION_KEY } from '../functions/adapters/table-schema';
import type { OutcomesEvent } from '../functions/entry/outcomes-handler';

/** The stack's event source mapping: batch size, and how old a failing record may get (lib/outcomes.ts). */
const BATCH_SIZE = 100;
const MAX_RECORD_AGE_MS = 3_600_000;
/** Lambda's asynchronous invocation: two retries after the first attempt. */
const ASYNC_RETRIES = 2;

export interface OutcomesRunnerOptions {
  /** DynamoDB Local's endpoint (the stream API is served there too). */
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  tableName: string;
  handler: (event: OutcomesEvent) => Promise<DynamoDBBatchResponse | void>;
  /** How often the stream is read; Lambda polls a shard about four times a second. */
  pollMs?: number;
  /** A failing record is retried until it is this old (default an hour, as deployed); tests give up sooner. */
  maxRecordAgeMs?: number;
  print?: (line: string) => void;
}

export interface DeadLetter {
  source: 'stream' | 'receipt';
  event: unknown;
  at: string;
}

export class OutcomesRunner {
  private readonly streams: DynamoDBStreamsClient;
  private readonly iterators = new Map<string, string | undefined>();
  private readonly receipts: unknown[] = [];
  private readonly dead: DeadLetter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  private constructor(
    private readonly options: OutcomesRunnerOptions,
    private readonly streamArn: string | undefined,
  ) {
    this.streams = new DynamoDBStreamsClient({ endpoint: options.endpoint, region: options.region, credentials: options.credentials });
  }

  /** Starts reading the table's stream from now on; a table without a stream gets receipts only (said on `print`). */
  static async start(options: OutcomesRunnerOptions): Promise<OutcomesRunner> {
    const table = new DynamoDBClient({ endpoint: options.endpoint, region: options.region, credentials: options.credentials });
    let streamArn: string | undefined;
    try {
      const { Table } = await table.send(new DescribeTableCommand({ TableName: options.tableName }));
      streamArn = Table?.StreamSpecification?.StreamEnabled ? Table.LatestStreamArn : undefined;
    } finally {
      table.destroy();
    }
    if (!streamArn) options.print?.(`The table ${options.tableName} has no stream: codes' outcomes are not followed (no conversion feedback).`);
    const runner = new OutcomesRunner(options, streamArn);
    if (streamArn) {
      await runner.discoverShards('LATEST');
      runner.schedule();
    }
    return runner;
  }

  /** Hands a receipt on as SNS would: the event as the notification's Message, one per invocation. */
  receipt(event: unknown): void {
    this.receipts.push(event);
    this.schedule(0);
  }

  /** What was given up on after the retries, oldest first. */
  deadLetters(): DeadLetter[] {
    return this.dead.map((letter) => ({ ...letter }));
  }

  /**
   * Resolves once everything written and published so far has been handled: two passes in a row found no stream
   * record and no receipt waiting. For tests, and for a console that wants to show settled feedback.
   */
  async settled(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let quiet = 0;
    while (quiet < 2) {
      if (Date.now() > deadline) throw new Error(`outcomes did not settle within ${timeoutMs} ms`);
      const handled = await this.pass();
      quiet = handled === 0 && this.receipts.length === 0 ? quiet + 1 : 0;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    this.streams.destroy();
  }

  private schedule(delayMs = this.options.pollMs ?? 250): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      void this.pass().finally(() => this.schedule());
    }, delayMs);
  }

  /** One pass over the receipts waiting and each shard; answers how many records and receipts it handled. */
  private async pass(): Promise<number> {
    // One pass at a time: the stream's order holds only if batches of a shard are handled one after another.
    while (this.running) await this.running;
    let handled = 0;
    this.running = (async () => {
      try {
        while (this.receipts.length > 0) {
          await this.deliverReceipt(this.receipts.shift());
          handled++;
        }
        if (this.streamArn) {
          await this.discoverShards('TRIM_HORIZON');
          for (const shardId of [...this.iterators.keys()]) handled += await this.readShard(shardId);
        }
      } catch (error) {
        if (!this.stopped) this.options.print?.(`outcomes runner: ${String(error)}`);
      }
    })();
    try {
      await this.running;
    } finally {
      this.running = undefined;
    }
    return handled;
  }

  /** Shards not seen before: those open at start are read from now on (LATEST), later ones from their start. */
  private async discoverShards(from: 'LATEST' | 'TRIM_HORIZON'): Promise<void> {
    const { StreamDescription } = await this.streams.send(new DescribeStreamCommand({ StreamArn: this.streamArn }));
    for (const shard of StreamDescription?.Shards ?? []) {
      if (!shard.ShardId || this.iterators.has(shard.ShardId)) continue;
      // A closed shard seen at start holds only the past.
      if (from === 'LATEST' && shard.SequenceNumberRange?.EndingSequenceNumber) {
        this.iterators.set(shard.ShardId, undefined);
        continue;
      }
      const { ShardIterator } = await this.streams.send(
        new GetShardIteratorCommand({ StreamArn: this.streamArn, ShardId: shard.ShardId, ShardIteratorType: from }),
      );
      this.iterators.set(shard.ShardId, ShardIterator);
    }
  }

  private async readShard(shardId: string): Promise<number> {
    const iterator = this.iterators.get(shardId);
    if (!iterator) return 0;
    let answer;
    try {
      answer = await this.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: BATCH_SIZE }));
    } catch (error) {
      if (!(error instanceof ExpiredIteratorException)) throw error;
      this.iterators.delete(shardId);
      return 0;
    }
    // A shard that closed has no next iterator; it stays known, so that it is not read again.
    this.iterators.set(shardId, answer.NextShardIterator);
    const records = (answer.Records ?? []).filter((record) => record.dynamodb?.Keys?.[TABLE_PARTITION_KEY]?.S?.startsWith(NUMBER_PREFIX));
    if (records.length > 0) await this.deliverBatch(records);
    return records.length;
  }

  /** A batch as the event source mapping hands it on, retried from the record the handler reports failed. */
  private async deliverBatch(records: StreamRecord[]): Promise<void> {
    const maxAgeMs = this.options.maxRecordAgeMs ?? MAX_RECORD_AGE_MS;
    let batch = records;
    for (;;) {
      const event = { Records: batch.map(toLambdaRecord(this.options.region)) } as DynamoDBStreamEvent;
      let failedAt: string | undefined;
      try {
        const answer = await this.options.handler(event);
        failedAt = answer?.batchItemFailures[0]?.itemIdentifier;
      } catch {
        failedAt = batch[0]?.dynamodb?.SequenceNumber ?? '';
      }
      if (failedAt === undefined || this.stopped) return;
      const from = batch.findIndex((record) => record.dynamodb?.SequenceNumber === failedAt);
      batch = from < 0 ? batch : batch.slice(from);
      const createdMs = (batch[0]?.dynamodb?.ApproximateCreationDateTime?.getTime() ?? 0);
      if (Date.now() - createdMs >= maxAgeMs) {
        this.dead.push({ source: 'stream', event: { Records: batch.map(toLambdaRecord(this.options.region)) }, at: new Date().toISOString() });
        this.options.print?.(`outcomes: ${batch.length} stream record(s) dead-lettered, the first ${Math.round((Date.now() - createdMs) / 1000)} s old`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, this.options.pollMs ?? 250));
    }
  }

  private async deliverReceipt(receipt: unknown): Promise<void> {
    const event = {
      Records: [
        {
          EventSource: 'aws:sns',
          EventVersion: '1.0',
          EventSubscriptionArn: 'arn:aws:sns:local:000000000000:sms-verify-receipts:local',
          Sns: { Type: 'Notification', MessageId: randomUUID(), Message: JSON.stringify(receipt), Timestamp: new Date().toISOString() },
        },
      ],
    } as unknown as SNSEvent;
    for (let attempt = 0; attempt <= ASYNC_RETRIES; attempt++) {
      try {
        await this.options.handler(event);
        return;
      } catch {
        // Lambda retries an asynchronous invocation twice; the handler logged why.
      }
    }
    this.dead.push({ source: 'receipt', event: receipt, at: new Date().toISOString() });
    this.options.print?.(`outcomes: a delivery receipt dead-lettered after ${ASYNC_RETRIES} retries`);
  }
}

/** A stream record as Lambda's event source mapping shapes it. */
function toLambdaRecord(region: string) {
  return (record: StreamRecord) => ({
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion,
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    // Lambda gives the record's time in epoch seconds; the SDK reads it as a Date.
    dynamodb: {
      ...record.dynamodb,
      ApproximateCreationDateTime: record.dynamodb?.ApproximateCreationDateTime && Math.floor(record.dynamodb.ApproximateCreationDateTime.getTime() / 1000),
    },
  });
}
