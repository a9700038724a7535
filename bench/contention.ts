/**
 * The contention run of `npm run bench`: the real handlers on DynamoDB Local
 * behind the contention stand-in (local/dynamodb-contention.ts), one caller,
 * sends to distinct numbers and then checks of them, at two concurrencies, with
 * transactions holding their items 100 ms (longer than a real transaction, so
 * that contention and not DynamoDB Local's own speed decides: one hot item in
 * every transaction caps a run at 10 a second) and 0 ms. Target: throughput
 * with the hold ≥ 0.8× throughput without it, and no errors.
 *
 * Every velocity limit is on (set high enough to admit the run), so each send
 * writes the caller's, the prefix's and the deployment's counters as deployed.
 * The store's client here has no request timeout: on 2 cores DynamoDB Local
 * alone cannot answer 200 concurrent requests within the functions' 1 s,
 * which Lambda, one container per concurrent request, never asks of it.
 *
 * Runs inside `npm run bench`, or alone: `npx tsx bench/contention.ts`.
 */
import { DynamoDbContentionProxy } from '../local/dynamodb-contention';
import { DynamoDbLocal } from '../local/dynamodb-local';
import { lambdaContext } from '../test/support/fake-service';
import { fictionalNumbers } from '../test/support/fixtures';
import { httpEvent } from '../test/support/http-events';
import { startRealService } from '../test/support/real-service';

const REQUESTS = Number(process.env.BENCH_CONTENTION_REQUESTS ?? 400);
const HOLDS_MS = [100, 0];
const CONCURRENCIES = [50, 200];
const TARGET_RATIO = 0.8;
/** Limits that admit the whole run, still counted on every request. */
const ROOMY = { callerSendLimit: 100_000, prefixSendLimit: 100_000, globalSendLimit: 100_000, callerVerifyLimit: 100_000 };

export interface ContentionCell {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

export interface ContentionRun {
  holdMs: number;
  concurrency: number;
  send: ContentionCell;
  verify: ContentionCell;
  /** What the stand-in refused during the run (the SDK and the store retry some of these). */
  refused: { transactionsCancelled: number; writesRejected: number; throttled: number };
}

export async function measureContention(dynamoDbLocalEndpoint: string) {
  // DynamoDB Local is a JVM: its first thousand requests run slower while the JIT warms up. One unrecorded run,
  // then each cell four times, in the order A B B A B A A B, so that drift over time (the JVM's heap, the other
  // work of a shared machine) weighs on both holds alike.
  const metricsWere = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  await runOnce(dynamoDbLocalEndpoint, 0, 50);
  const [a, b] = HOLDS_MS as [number, number];
  const samples: ContentionRun[] = [];
  for (const concurrency of CONCURRENCIES) {
    for (const holdMs of [a, b, b, a, b, a, a, b]) samples.push(await runOnce(dynamoDbLocalEndpoint, holdMs, concurrency));
  }
  if (metricsWere === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
  else process.env.POWERTOOLS_METRICS_DISABLED = metricsWere;
  const runs = CONCURRENCIES.flatMap((concurrency) =>
    HOLDS_MS.map((holdMs) => merge(samples.filter((run) => run.holdMs === holdMs && run.concurrency === concurrency))),
  );
  for (const run of runs) {
    console.log(
      `  hold ${run.holdMs} ms, ${run.concurrency} in flight: sends ${run.send.perSecond}/s (${run.send.errors} errors), ` +
        `checks ${run.verify.perSecond}/s (${run.verify.errors} errors)`,
    );
  }
  const ratios = CONCURRENCIES.flatMap((concurrency) => {
    const held = runs.find((run) => run.holdMs === 100 && run.concurrency === concurrency)!;
    const free = runs.find((run) => run.holdMs === 0 && run.concurrency === concurrency)!;
    return (['send', 'verify'] as const).map((operation) => {
      const ratio = Number((held[operation].perSecond / free[operation].perSecond).toFixed(2));
      const errors = held[operation].errors + free[operation].errors;
      return { operation, concurrency, ratio, errors, met: ratio >= TARGET_RATIO && errors === 0 };
    });
  });
  return { requestsPerRun: REQUESTS, target: `throughput with a 100 ms hold >= ${TARGET_RATIO}x without, 0 errors`, runs, ratios };
}

/** One cell: REQUESTS sends to distinct numbers, then a check of each, `concurrency` in flight. */
async function runOnce(dynamoDbLocalEndpoint: string, holdMs: number, concurrency: number): Promise<ContentionRun> {
  const proxy = await DynamoDbContentionProxy.start({ target: dynamoDbLocalEndpoint, holdMs });
  const service = await startRealService({ ...ROOMY, smsRoutes: ['sns'] }, { dynamoDbEndpoint: proxy.endpoint });
  try {
    const numbers = fictionalNumbers(REQUESTS);
    const send = await timed(numbers, concurrency, async (number) => {
      const answer = (await service.send(httpEvent('/sms-verify', { number, 'security-code': '2468' }), lambdaContext())) as HttpAnswer;
      return answer.statusCode === 200 && (JSON.parse(answer.body) as { sent?: boolean }).sent === true;
    });
    const verify = await timed(numbers, concurrency, async (number) => {
      const answer = (await service.verify(httpEvent('/verify-security-code', { number, 'security-code': '2468' }), lambdaContext())) as HttpAnswer;
      return answer.statusCode === 200 && answer.body === '{"verified":true}';
    });
    return { holdMs, concurrency, send, verify, refused: { ...proxy.stats } };
  } finally {
    await service.stop();
    await proxy.stop();
  }
}

type HttpAnswer = { statusCode: number; body: string };

/** Samples of one cell as one: throughput over all (equal request counts: the harmonic mean), the worst latencies, all errors and refusals. */
function merge(samples: ContentionRun[]): ContentionRun {
  const cell = (operation: 'send' | 'verify'): ContentionCell => ({
    perSecond: Math.round(samples.length / samples.reduce((sum, run) => sum + 1 / run[operation].perSecond, 0)),
    p50Ms: Math.max(...samples.map((run) => run[operation].p50Ms)),
    p99Ms: Math.max(...samples.map((run) => run[operation].p99Ms)),
    errors: samples.reduce((sum, run) => sum + run[operation].errors, 0),
  });
  const refused = (key: keyof ContentionRun['refused']) => samples.reduce((sum, run) => sum + run.refused[key], 0);
  return {
    holdMs: samples[0]!.holdMs,
    concurrency: samples[0]!.concurrency,
    send: cell('send'),
    verify: cell('verify'),
    refused: { transactionsCancelled: refused('transactionsCancelled'), writesRejected: refused('writesRejected'), throttled: refused('throttled') },
  };
}

/** Runs `task` for every input, `concurrency` at a time; throughput, latency and failures. */
async function timed<T>(inputs: readonly T[], concurrency: number, task: (input: T) => Promise<boolean>): Promise<ContentionCell> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, inputs.length) }, async () => {
      while (next < inputs.length) {
        const input = inputs[next++]!;
        const t = performance.now();
        const ok = await task(input).catch(() => false);
        latencies.push(performance.now() - t);
        if (!ok) errors += 1;
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Number(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(1));
  return { perSecond: Math.round((inputs.length / elapsedMs) * 1000), p50Ms: at(0.5), p99Ms: at(0.99), errors };
}

if (require.main === module) {
  (async () => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    process.env.LOG_LEVEL = 'SILENT';
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    process.env.AWS_REGION = 'us-east-1';
    process.env.AWS_ACCESS_KEY_ID = 'bench';
    process.env.AWS_SECRET_ACCESS_KEY = 'bench';
    const dynamodb = await DynamoDbLocal.start();
    process.env.SMS_VERIFY_TEST_DYNAMODB_ENDPOINT = dynamodb.endpoint;
    try {
      console.log(JSON.stringify(await measureContention(dynamodb.endpoint), null, 2));
    } finally {
      await dynamodb.stop();
    }
  })().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
