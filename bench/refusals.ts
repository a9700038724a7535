/**
 * The refusal run of `npm run bench`: what a request costs once a limit is used
 * up. An attacker who has exhausted a limit keeps sending; each refused request
 * must cost no more than an accepted one, however many shards the limit has.
 *
 * For a send refused by the deployment's ceiling (`globalSendLimit` 32 000: 64
 * shards, the most there are) and a check refused by the caller's check limit
 * (`callerVerifyLimit`, at its default of 100: one shard, and at 32 000),
 * counted by an SDK middleware on the store's client: DynamoDB requests, the
 * write units they consume (`ReturnConsumedCapacity`) and sequential rounds.
 * "Another container" is a second store on the same table (a fresh container
 * that has not yet met the exhausted limit); "same container" is the container
 * that just met it. Every other limit stays on (high), as deployed.
 * Target: at most 4 requests in at most 2 rounds. A send counts itself against its three velocity limits at once,
 * so a refusal by one of them gives back the other two counts: 5 requests in 2 rounds for the first refusal a
 * container meets, and none for those that follow it: until the window ends for a limit marked exhausted, for
 * EXHAUSTED_MEMO_MS for a one-shard limit.
 *
 * The limits are used up the quick way: each shard's count is set one short of
 * its quota, then one request per shard fills it, as real traffic would.
 *
 * Runs inside `npm run bench`, or alone: `npx tsx bench/refusals.ts` (with DynamoDB Local started for it).
 */
import { PutItemCommand, ReturnConsumedCapacity, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { shardCount, shardQuota } from '../functions/adapters/dynamodb-store/counters';
import { DynamoDbLocal } from '../local/dynamodb-local';
import { lambdaContext } from '../test/support/fake-service';
import { createDigester } from '../functions/core/security-code';
import { TEST_CODE_KEY, usFictional } from '../test/support/fixtures';
import { httpEvent } from '../test/support/http-events';
import { startRealService } from '../test/support/real-service';

const BIG = 32_000;
const HIGH = { callerSendLimit: 1_000_000, prefixSendLimit: 1_000_000, globalSendLimit: 10_000_000, callerVerifyLimit: 1_000_000 };
export const REFUSAL_TARGET = { requests: 4, rounds: 2 } as const;

export interface RefusalCost {
  requests: number;
  writeUnits: number;
  rounds: number;
  /** The answer's `api-error`: the limit's own code. */
  apiError: number | undefined;
}

/** Counts DynamoDB requests, their write units and sequential rounds on a client. */
function meter(client: DynamoDBClient) {
  const totals = { requests: 0, writeUnits: 0, rounds: 0, inFlight: 0 };
  client.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { ReturnConsumedCapacity?: string };
      input.ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL;
      totals.requests += 1;
      if (totals.inFlight++ === 0) totals.rounds += 1;
      try {
        const result = await next(args);
        totals.writeUnits += (result.output as { ConsumedCapacity?: { CapacityUnits?: number } }).ConsumedCapacity?.CapacityUnits ?? 0;
        return result;
      } catch (error) {
        // A refused conditional write consumes its write units too (DynamoDB Developer Guide, "Condition expressions").
        totals.writeUnits += 1;
        throw error;
      } finally {
        totals.inFlight -= 1;
      }
    },
    { step: 'initialize', name: 'meterRequests' },
  );
  return totals;
}

async function costOf(totals: ReturnType<typeof meter>, request: () => Promise<unknown>): Promise<RefusalCost> {
  const before = { ...totals };
  const answer = (await request()) as { body?: string };
  const body = JSON.parse(answer.body ?? '{}') as { 'api-error'?: number };
  return {
    requests: totals.requests - before.requests,
    writeUnits: Number((totals.writeUnits - before.writeUnits).toFixed(1)),
    rounds: totals.rounds - before.rounds,
    apiError: body['api-error'],
  };
}

/** Sets every shard of a limit one short of its quota, as if the window's traffic had nearly used it up. */
async function nearlyFill(client: DynamoDBClient, tableName: string, kind: string, subject: string, limit: number, windowMs: number, now: number) {
  const shards = shardCount(limit);
  const window = Math.floor(now / windowMs);
  await Promise.all(
    Array.from({ length: shards }, (_, shard) =>
      client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: { pk: { S: `velocity#${kind}#${subject}#${window}#${shard}` }, count: { N: String(shardQuota(limit, shards, shard) - 1) } },
        }),
      ),
    ),
  );
  return shards;
}

export async function measureRefusals() {
  const metricsWere = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  try {
    return {
      sendRefusedByCeiling64Shards: await refusedSends(),
      checkRefusedByCallerLimit1Shard: await refusedChecks(100),
      checkRefusedByCallerLimit64Shards: await refusedChecks(BIG),
    };
  } finally {
    if (metricsWere === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
  }
}

async function refusedSends() {
  let totals!: ReturnType<typeof meter>;
  let otherTotals!: ReturnType<typeof meter>;
  const service = await startRealService(
    { ...HIGH, globalSendLimit: BIG },
    { onTableClient: (client) => (totals = meter(client)), onConcurrentTableClient: (client) => (otherTotals = meter(client)) },
  );
  try {
    const send = (handler: typeof service.send, n: number) =>
      handler(httpEvent('/sms-verify', { number: usFictional(n), 'security-code': '123456' }), lambdaContext());
    const accepted = await costOf(totals, () => send(service.send, 90));
    const shards = await nearlyFill(service.client, service.tableName, 'global-send', 'deployment', BIG, 3_600_000, service.clock.now());
    for (let n = 0; n < shards; n++) await send(service.send, n);
    return {
      shards,
      accepted,
      firstInAnotherContainer: await costOf(otherTotals, () => send(service.concurrent.send, 91)),
      againInThatContainer: await costOf(otherTotals, () => send(service.concurrent.send, 92)),
    };
  } finally {
    await service.stop();
  }
}

async function refusedChecks(limit: number) {
  let totals!: ReturnType<typeof meter>;
  let otherTotals!: ReturnType<typeof meter>;
  const service = await startRealService(
    { ...HIGH, callerVerifyLimit: limit },
    { onTableClient: (client) => (totals = meter(client)), onConcurrentTableClient: (client) => (otherTotals = meter(client)) },
  );
  try {
    const verify = (handler: typeof service.verify) =>
      handler(httpEvent('/verify-security-code', { number: usFictional(0), 'security-code': '000000' }), lambdaContext());
    await service.send(httpEvent('/sms-verify', { number: usFictional(0), 'security-code': '123456' }), lambdaContext());
    const accepted = await costOf(totals, () => verify(service.verify));
    let shards = shardCount(limit);
    if (shards === 1) {
      for (let i = 1; i < limit; i++) await verify(service.verify);
    } else {
      // The caller is the events' source IP, kept as its keyed digest, as the store names it.
      const subject = await createDigester(async () => new TextEncoder().encode(TEST_CODE_KEY)).caller('ip:192.0.2.10');
      shards = await nearlyFill(service.client, service.tableName, 'caller-verify', subject, limit, 900_000, service.clock.now());
      for (let i = 0; i < shards; i++) await verify(service.verify);
    }
    return {
      shards,
      accepted,
      firstInAnotherContainer: await costOf(otherTotals, () => verify(service.concurrent.verify)),
      againInThatContainer: await costOf(otherTotals, () => verify(service.concurrent.verify)),
    };
  } finally {
    await service.stop();
  }
}

if (require.main === module) {
  void (async () => {
    Object.assign(process.env, {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      LOG_LEVEL: 'SILENT',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
    });
    const dynamodb = await DynamoDbLocal.start();
    process.env.SMS_VERIFY_TEST_DYNAMODB_ENDPOINT = dynamodb.endpoint;
    try {
      console.log(JSON.stringify(await measureRefusals(), null, 2));
    } finally {
      await dynamodb.stop();
    }
  })();
}
