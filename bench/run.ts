/**
 * `npm run bench`: what a cold start, a request and a DynamoDB round trip cost.
 * Builds the deployed bundles (cdk synth's esbuild settings) and baselines,
 * measures them and prints the figures; with `--save` it also writes
 * bench/results/latest.json (and a dated copy). bench/README.md says how to read each figure.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import autocannon from 'autocannon';
import { ensureTable, DynamoDbLocal } from '../local/dynamodb-local';
import { SmsSimulator } from '../local/sms-simulator';
import { createFakeService, lambdaContext } from '../test/support/fake-service';
import { PINPOINT_APPLICATION_ID, usFictional } from '../test/support/fixtures';
import { httpEvent } from '../test/support/http-events';
import { npmStart } from '../test/support/npm-start';
import { startRealService } from '../test/support/real-service';
import { bundle, type BuiltBundle } from '../tools/bundle';
import { measureContention } from './contention';
import { measureRefusals, REFUSAL_TARGET } from './refusals';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..');
const BUILD_DIR = path.join(__dirname, '.build');
const RESULTS_DIR = path.join(__dirname, 'results');
const COLD_STARTS = Number(process.env.BENCH_COLD_STARTS ?? 21);
const WARM_FAKE_PAIRS = Number(process.env.BENCH_WARM_FAKE_PAIRS ?? 5_000);
const WARM_REAL_PAIRS = Number(process.env.BENCH_WARM_REAL_PAIRS ?? 500);
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 10);
const SECRET_ID = 'sms-verify-bench-code-key';
/** High enough that the velocity code paths run but never refuse a benchmark request. */
const HIGH_LIMITS = { callerSendLimit: 1_000_000, prefixSendLimit: 1_000_000, globalSendLimit: 10_000_000, callerVerifyLimit: 1_000_000 };

interface Stats {
  n: number;
  p50: number;
  p99: number;
  mean: number;
  perSecond: number;
}

function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const total = samples.reduce((sum, value) => sum + value, 0);
  return { n: samples.length, p50: at(0.5), p99: at(0.99), mean: total / samples.length, perSecond: 1000 / (total / samples.length) };
}

const round = (value: number, digits = 2) => Number(value.toFixed(digits));

async function main(): Promise<void> {
  const save = process.argv.includes('--save');
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  process.env.LOG_LEVEL = 'SILENT';
  // The functions' metric records (EMF lines on standard output) would bury the figures.
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const started = Date.now();
  rmSync(BUILD_DIR, { recursive: true, force: true });
  mkdirSync(RESULTS_DIR, { recursive: true });

  console.log('Building bundles with the deployed esbuild settings…');
  const bundles = {
    send: await bundle('send', path.join(ROOT, 'functions/send.ts'), BUILD_DIR),
    verify: await bundle('verify', path.join(ROOT, 'functions/verify.ts'), BUILD_DIR),
    hello: await bundle('hello', path.join(__dirname, 'baselines/hello.ts'), BUILD_DIR),
    // The floors are the SDK clients as they come, with their whole default credential chain.
    floorSend: await bundle('floor-send', path.join(__dirname, 'baselines/floor-send.ts'), BUILD_DIR, true),
    floorVerify: await bundle('floor-verify', path.join(__dirname, 'baselines/floor-verify.ts'), BUILD_DIR, true),
  };

  const dynamodb = await DynamoDbLocal.start();
  const simulator = await SmsSimulator.start({ secrets: { [SECRET_ID]: 'bench-key-0123456789abcdef0123456789abcdef' } });
  process.env.SMS_VERIFY_TEST_DYNAMODB_ENDPOINT = dynamodb.endpoint;
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamodb.endpoint;
  for (const service of ['SNS', 'PINPOINT', 'PINPOINT_SMS_VOICE_V2', 'SECRETS_MANAGER']) {
    process.env[`AWS_ENDPOINT_URL_${service}`] = simulator.url;
  }
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'bench';
  process.env.AWS_SECRET_ACCESS_KEY = 'bench';
  try {
    console.log(`Cold starts: ${COLD_STARTS} fresh processes per bundle…`);
    const coldStart = await measureColdStarts(bundles, dynamodb);
    console.log('Round trips…');
    const roundTrips = await measureRoundTrips();
    console.log('Refusals: what a request costs once a limit is used up…');
    const refusals = await measureRefusals();
    console.log('Warm requests (in-memory fakes, then real adapters)…');
    const warm = { fakes: await measureWarmFakes(), real: await measureWarmReal() };
    console.log('Contention: one caller behind the DynamoDB contention stand-in…');
    const contention = await measureContention(dynamodb.endpoint);
    console.log(`Load: ${LOAD_SECONDS} s against npm start behind the contention stand-in (25 ms)…`);
    const load = await measureLoad();

    const results = {
      takenAt: new Date().toISOString(),
      machine: {
        node: process.version,
        cpu: os.cpus()[0]?.model ?? 'unknown',
        cores: os.cpus().length,
        memoryGiB: round(os.totalmem() / 2 ** 30, 1),
        platform: `${os.platform()} ${os.arch()}`,
      },
      bundles: Object.fromEntries(Object.values(bundles).map((b) => [b.name, { bytes: b.bytes }])),
      coldStart,
      roundTrips,
      refusals,
      warm,
      contention,
      load,
      durationSeconds: round((Date.now() - started) / 1000, 1),
    };
    if (save) {
      writeFileSync(path.join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
      writeFileSync(path.join(RESULTS_DIR, `${results.takenAt.slice(0, 10)}.json`), `${JSON.stringify(results, null, 2)}\n`);
    }
    printReport(results, save);
  } finally {
    await simulator.stop();
    await dynamodb.stop();
  }
}

async function measureColdStarts(bundles: Record<string, BuiltBundle>, dynamodb: DynamoDbLocal) {
  const client = dynamodb.client();
  const tableName = 'sms-verify-bench-cold';
  await ensureTable(client, tableName);
  client.destroy();
  const env = {
    ...process.env,
    TABLE_NAME: tableName,
    CODE_HASH_SECRET_ID: SECRET_ID,
    SMS_ROUTES: 'sns,sms-voice-v2,pinpoint',
    PINPOINT_APPLICATION_ID,
    ORIGINATION_IDENTITY: '+12015550123',
    CALLER_SEND_LIMIT: '0',
    PREFIX_SEND_LIMIT: '0',
  };
  const eventFiles = {
    send: (i: number) => writeEvent(`send-${i}`, httpEvent('/sms-verify', { number: usFictional(i), limit: 100 })),
    verify: (i: number) => writeEvent(`verify-${i}`, httpEvent('/verify-security-code', { number: usFictional(i), 'security-code': '00000' })),
  };
  const probe = async (file: string, eventFile?: string) => {
    const { stdout } = await run(process.execPath, [path.join(__dirname, 'probe.mjs'), file, ...(eventFile ? [eventFile] : [])], { env });
    // The function's own output (EMF metric lines) comes first; the probe's result is the last line.
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      importMs: number;
      importCpuMs: number;
      firstInvocationMs?: number;
      rssMb: number;
      answer?: { statusCode?: number };
    };
  };
  // Imports first, on their own and round robin, so that whatever else the machine does weighs on every bundle
  // alike; then the first invocations, which wake DynamoDB Local and would disturb the import figures.
  const imports = new Map<string, { wall: number[]; cpu: number[] }>();
  for (let i = 0; i < COLD_STARTS; i++) {
    for (const built of Object.values(bundles)) {
      const sample = await probe(built.file);
      const entry = imports.get(built.name) ?? { wall: [], cpu: [] };
      entry.wall.push(sample.importMs);
      entry.cpu.push(sample.importCpuMs);
      imports.set(built.name, entry);
    }
  }
  const firsts = new Map<string, { ms: number[]; rss: number[] }>();
  for (let i = 0; i < COLD_STARTS; i++) {
    for (const key of ['send', 'verify'] as const) {
      const sample = await probe(bundles[key]!.file, eventFiles[key](i));
      if (sample.answer?.statusCode !== 200) throw new Error(`${key} first invocation answered ${JSON.stringify(sample.answer)}`);
      const entry = firsts.get(key) ?? { ms: [], rss: [] };
      entry.ms.push(sample.firstInvocationMs!);
      entry.rss.push(sample.rssMb);
      firsts.set(key, entry);
    }
  }
  const result: Record<string, { importMs: Stats; importCpuMs: Stats; firstInvocationMs?: Stats; rssMb?: number }> = {};
  for (const [name, { wall, cpu }] of imports) {
    const first = firsts.get(name);
    result[name] = {
      importMs: stats(wall),
      importCpuMs: stats(cpu),
      ...(first ? { firstInvocationMs: stats(first.ms), rssMb: round(stats(first.rss).p50, 1) } : {}),
    };
  }
  return result;
}

function writeEvent(name: string, event: unknown): string {
  const file = path.join(BUILD_DIR, 'events', `${name}.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(event));
  return file;
}

/** DynamoDB and SMS provider requests per operation, counted by an SDK middleware and the simulator. */
async function measureRoundTrips() {
  const measure = async (callerVerifyLimit: number) => {
    // Requests, and sequential rounds: a round starts when a request starts with none in flight.
    let dynamodbRequests = 0;
    let dynamodbRounds = 0;
    let inFlight = 0;
    const count = (client: DynamoDBClient) =>
      client.middlewareStack.add((next) => async (args) => {
        dynamodbRequests += 1;
        if (inFlight++ === 0) dynamodbRounds += 1;
        try {
          return await next(args);
        } finally {
          inFlight -= 1;
        }
      }, { step: 'initialize', name: 'countRequests' });
    const service = await startRealService({ ...HIGH_LIMITS, callerVerifyLimit }, { onTableClient: count });
    const counted = async (operation: () => Promise<unknown>) => {
      const before = { dynamodb: dynamodbRequests, rounds: dynamodbRounds, sms: service.simulator.requests().length };
      await operation();
      return {
        dynamodb: dynamodbRequests - before.dynamodb,
        dynamodbRounds: dynamodbRounds - before.rounds,
        sms: service.simulator.requests().length - before.sms,
      };
    };
    const send = (number: string, extra: object = {}) => service.send(httpEvent('/sms-verify', { number, 'security-code': '123456', ...extra }), lambdaContext());
    const verify = (number: string, code: string) => service.verify(httpEvent('/verify-security-code', { number, 'security-code': code }), lambdaContext());
    const rows = {
      'first send': await counted(() => send(usFictional(0))),
      'repeated send (within the switch window)': await counted(() => send(usFictional(0))),
      'returning send (later, same limit window)': await counted(async () => {
        service.clock.advance(11 * 60_000);
        await send(usFictional(0));
      }),
      'first send with Idempotency-Key': await counted(() =>
        service.send({ ...httpEvent('/sms-verify', { number: usFictional(1) }), headers: { 'content-type': 'application/json', 'idempotency-key': 'k1' } }, lambdaContext()),
      ),
      'successful verify': await counted(() => verify(usFictional(0), '123456')),
      'failed verify': await counted(() => verify(usFictional(0), '000000')),
      'locked verify': await counted(async () => {
        for (let i = 0; i < 5; i++) await verify(usFictional(0), '000000');
      }).then(() => counted(() => verify(usFictional(0), '123456'))),
    };
    await service.stop();
    return rows;
  };
  return { defaults: await measure(HIGH_LIMITS.callerVerifyLimit), withoutCallerVerifyLimit: await measure(0) };
}

/** Pure handler and core cost: HTTP events through the real handlers, ports replaced by in-memory fakes. */
async function measureWarmFakes() {
  const service = createFakeService({ settings: HIGH_LIMITS, randomValues: [12345] });
  return warmLoop(WARM_FAKE_PAIRS, service.send, service.verify, () => service.clock.advance(15 * 60_000));
}

/** The same loop with the real adapters, DynamoDB Local and the SMS simulator. */
async function measureWarmReal() {
  const service = await startRealService({ ...HIGH_LIMITS, smsRoutes: ['sns', 'pinpoint'] });
  try {
    return await warmLoop(WARM_REAL_PAIRS, service.send, service.verify, () => service.clock.advance(15 * 60_000));
  } finally {
    await service.stop();
  }
}

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

async function warmLoop(pairs: number, send: Handler, verify: Handler, tick: () => void) {
  const sendMs: number[] = [];
  const verifyMs: number[] = [];
  const warmup = Math.min(200, pairs / 10);
  for (let i = 0; i < pairs + warmup; i++) {
    const number = usFictional(i % 100);
    const code = String(100000 + (i % 900000));
    const sendEvent = httpEvent('/sms-verify', { number, 'security-code': code });
    const verifyEvent = httpEvent('/verify-security-code', { number, 'security-code': code });
    let t = performance.now();
    const sent = (await send(sendEvent, lambdaContext())) as { statusCode: number };
    const afterSend = performance.now();
    const verified = (await verify(verifyEvent, lambdaContext())) as { statusCode: number; body: string };
    const afterVerify = performance.now();
    if (sent.statusCode !== 200 || verified.body !== '{"verified":true}') throw new Error(`warm loop: unexpected answer ${verified.body}`);
    if (i >= warmup) {
      sendMs.push(afterSend - t);
      verifyMs.push(afterVerify - afterSend);
    }
    t = afterVerify;
    tick();
  }
  const round3 = (s: Stats) => ({ ...s, p50: round(s.p50, 3), p99: round(s.p99, 3), mean: round(s.mean, 3), perSecond: Math.round(s.perSecond) });
  return { send: round3(stats(sendMs)), verify: round3(stats(verifyMs)) };
}

/** autocannon against `npm start`, then a check that each number's latest code verifies exactly once. */
async function measureLoad() {
  const service = await npmStart({
    CALLER_SEND_LIMIT: '0',
    PREFIX_SEND_LIMIT: '0',
    GLOBAL_SEND_LIMIT: '0',
    CALLER_VERIFY_LIMIT: '0',
    LOG_LEVEL: 'SILENT',
    // Real DynamoDB's conflicts, not DynamoDB Local's one-at-a-time transactions.
    SMS_VERIFY_CONTENTION_MS: '25',
  });
  try {
    let sequence = 0;
    const result = await autocannon({
      url: `${service.url}/sms-verify`,
      method: 'POST',
      connections: 16,
      duration: LOAD_SECONDS,
      headers: { 'content-type': 'application/json' },
      requests: [
        {
          setupRequest: (request) => ({
            ...request,
            body: JSON.stringify({ number: usFictional(sequence++ % 100), limit: 100 }),
          }),
        },
      ],
    });
    // autocannon stops counting at the deadline; let the requests still in flight finish before checking.
    const outbox = await settledOutbox(service.url);
    const latest = new Map<string, string>();
    // The code is the last run of digits: a Notify template goes on after it ("… is 31415. Do not share it.").
    for (const message of outbox) latest.set(message.to, /(\d{4,12})\D*$/.exec(message.body)![1]!);
    let verifiedOnce = 0;
    for (const [number, code] of latest) {
      const verify = async () =>
        (await (
          await fetch(`${service.url}/verify-security-code`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ number, 'security-code': code }),
          })
        ).json()) as { verified: boolean };
      const first = await verify();
      const second = await verify();
      if (first.verified && !second.verified) verifiedOnce += 1;
    }
    return {
      requests: result.requests.total,
      perSecond: round(result.requests.average, 0),
      latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
      errors: result.errors + result.non2xx,
      smsAccepted: outbox.length,
      numbers: latest.size,
      latestCodeVerifiedExactlyOnce: verifiedOnce,
    };
  } finally {
    await service.interrupt();
  }
}

async function settledOutbox(url: string): Promise<Array<{ to: string; body: string }>> {
  let previous = -1;
  for (;;) {
    const outbox = (await (await fetch(`${url}/local/outbox`)).json()) as Array<{ to: string; body: string }>;
    if (outbox.length === previous) return outbox;
    previous = outbox.length;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

function printReport(results: {
  machine: Record<string, unknown>;
  bundles: Record<string, { bytes: number }>;
  coldStart: Record<string, { importMs: Stats; importCpuMs: Stats; firstInvocationMs?: Stats; rssMb?: number }>;
  roundTrips: Record<string, Record<string, { dynamodb: number; dynamodbRounds: number; sms: number }>>;
  refusals: Awaited<ReturnType<typeof measureRefusals>>;
  warm: Record<string, Record<string, Stats>>;
  contention: Awaited<ReturnType<typeof measureContention>>;
  load: Record<string, unknown>;
  durationSeconds: number;
}, saved: boolean): void {
  const { coldStart, bundles } = results;
  const ms = (value: number | undefined) => (value === undefined ? '—' : `${value.toFixed(1)} ms`);
  console.log(`\nsms-verify benchmark · ${JSON.stringify(results.machine)}\n`);
  console.log('Bundles and cold start (median of fresh processes)');
  console.log(['bundle', 'bytes', 'import', 'import CPU', 'CPU vs floor', 'first call', 'memory'].map((h, i) => (i ? h.padStart(13) : h.padEnd(14))).join(''));
  for (const [name, cold] of Object.entries(coldStart)) {
    const floor = name === 'send' ? coldStart['floor-send'] : name === 'verify' ? coldStart['floor-verify'] : undefined;
    const ratio = floor ? `${(cold.importCpuMs.p50 / floor.importCpuMs.p50).toFixed(2)}×` : '';
    console.log(
      name.padEnd(14) +
        String(bundles[name]!.bytes).padStart(13) +
        ms(cold.importMs.p50).padStart(13) +
        ms(cold.importCpuMs.p50).padStart(13) +
        ratio.padStart(13) +
        ms(cold.firstInvocationMs?.p50).padStart(13) +
        (cold.rssMb === undefined ? '—' : `${cold.rssMb.toFixed(0)} MB`).padStart(13),
    );
  }
  for (const [variant, rows] of Object.entries(results.roundTrips)) {
    console.log(`\nRound trips per operation (${variant})`);
    for (const [operation, counts] of Object.entries(rows)) {
      console.log(`  ${operation.padEnd(45)} DynamoDB ${counts.dynamodb} in ${counts.dynamodbRounds} round(s)   SMS provider ${counts.sms}`);
    }
  }
  console.log(`\nRefusals once a limit is used up (target: at most ${REFUSAL_TARGET.requests} requests in ${REFUSAL_TARGET.rounds} rounds)`);
  for (const [limit, cases] of Object.entries(results.refusals)) {
    console.log(`  ${limit} (${cases.shards} shard${cases.shards === 1 ? '' : 's'})`);
    for (const [when, cost] of Object.entries(cases)) {
      if (typeof cost !== 'object') continue;
      const answer = cost.apiError === undefined ? 'answered 200' : `answered api-error ${cost.apiError}`;
      console.log(`    ${when.padEnd(24)} DynamoDB ${cost.requests} in ${cost.rounds} round(s), ${cost.writeUnits} write units, ${answer}`);
    }
  }
  for (const [variant, operations] of Object.entries(results.warm)) {
    console.log(`\nWarm requests (${variant})`);
    for (const [operation, s] of Object.entries(operations)) {
      console.log(`  ${operation.padEnd(8)} p50 ${s.p50.toFixed(3)} ms   p99 ${s.p99.toFixed(3)} ms   ${Math.round(s.perSecond)}/s   (n=${s.n})`);
    }
  }
  console.log(`\nContention (${results.contention.requestsPerRun} requests a run; ${results.contention.target})`);
  for (const run of results.contention.runs) {
    const cell = (c: { perSecond: number; p50Ms: number; p99Ms: number; errors: number }) =>
      `${c.perSecond}/s p50 ${c.p50Ms} ms p99 ${c.p99Ms} ms ${c.errors} errors`;
    console.log(`  hold ${String(run.holdMs).padStart(3)} ms, ${String(run.concurrency).padStart(3)} in flight   send ${cell(run.send)}   verify ${cell(run.verify)}`);
  }
  for (const ratio of results.contention.ratios) {
    console.log(`  ${ratio.operation.padEnd(6)} at ${ratio.concurrency}: ${ratio.ratio}× with ${ratio.errors} errors ${ratio.met ? 'meets' : 'MISSES'} the target`);
  }
  console.log(`\nLoad against npm start: ${JSON.stringify(results.load)}`);
  console.log(`\nDone in ${results.durationSeconds} s${saved ? '; results in bench/results/latest.json' : '; npm run bench -- --save writes them to bench/results/'}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
