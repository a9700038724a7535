/**
 * The conversion guard against a pumping run, on DynamoDB Local's stream and the simulator: codes sent to one
 * destination prefix that nobody verifies get the prefix paused, off the request path, and the pause is read by the
 * send's own prefix count; other prefixes go on; a verification in the prefix lifts it.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import Ajv2020 from 'ajv/dist/2020';
import type { MetadataJson } from 'libphonenumber-js/core';
import minMetadata from '../../functions/phone-metadata/min.json';
import { createEventBridgePublisher } from '../../functions/adapters/eventbridge-events';
import { guardFrom, guardPolicyFrom, prefixLimitsOf } from '../../functions/adapters/guard-settings';
import { runGuardCommand } from '../../tools/guard';
import { DynamoDbGuard } from '../../functions/adapters/dynamodb-guard';
import { createPhoneNumberReader, destinationPrefix } from '../../functions/core/phone-number';
import { createOutcomesHandler } from '../../functions/entry/outcomes-handler';
import { resolveSettings } from '../../functions/settings';
import { LOCAL_AWS_CONFIG } from '../../local/dynamodb-local';
import { OutcomesRunner } from '../../local/outcomes-runner';
import { lambdaContext } from '../support/fake-service';
import { CapturingLogger, CountingMetrics } from '../support/fakes';
import { GB_MOBILE, PINPOINT_APPLICATION_ID, usFictional } from '../support/fixtures';
import { httpEvent } from '../support/http-events';
import { startRealService, type RealService } from '../support/real-service';
import { scanTable, testDynamoDbClient, testDynamoDbLocalEndpoint } from '../support/tables';

const SETTINGS = {
  smsRoutes: ['sns' as const],
  callerSendLimit: 0,
  prefixSendLimit: 50,
  conversionGuardMinSends: 5,
  conversionGuardPercent: 20,
};

type HttpAnswer = { statusCode: number; body: string };
let service: RealService;
let runner: OutcomesRunner;
let eventsClient: EventBridgeClient;
const metrics = new CountingMetrics();
const logger = new CapturingLogger();
const reader = createPhoneNumberReader(minMetadata as unknown as MetadataJson);

const sendTo = async (number: string) => {
  const answer = (await service.send(httpEvent('/sms-verify', { number }), lambdaContext())) as HttpAnswer;
  return { status: answer.statusCode, body: JSON.parse(answer.body) as Record<string, unknown> };
};
const verify = (number: string, code: unknown) => service.verify({ number, 'security-code': code }, lambdaContext());

beforeAll(async () => {
  service = await startRealService(SETTINGS, { stream: true });
  const settings = resolveSettings({ pinpointApplicationId: PINPOINT_APPLICATION_ID, ...SETTINGS });
  eventsClient = new EventBridgeClient({ ...LOCAL_AWS_CONFIG, endpoint: service.simulator.url });
  const handler = createOutcomesHandler(
    { events: createEventBridgePublisher(eventsClient, 'sms-verify-local'), clock: { now: () => Date.now() }, logger, metrics },
    {
      maxFailedChecks: settings.maxFailedChecks,
      countryOf: () => undefined,
      prefixOf: (e164) => {
        const reading = reader.read(e164);
        return reading.valid ? destinationPrefix(reading, settings.prefixDigits) : undefined;
      },
      guard: guardFrom(settings, service.tableName, testDynamoDbClient()),
    },
    metrics,
  );
  runner = await OutcomesRunner.start({ endpoint: testDynamoDbLocalEndpoint(), ...LOCAL_AWS_CONFIG, tableName: service.tableName, handler, pollMs: 50, maxRecordAgeMs: 2_000 });
});

afterAll(async () => {
  await runner.stop();
  eventsClient.destroy();
  await service.stop();
});

describe('the conversion guard', () => {
  const codes: Record<string, unknown> = {};

  it('pauses a prefix whose codes nobody verifies, and refuses the next send there with 429/34, changing nothing', async () => {
    for (let i = 0; i < 5; i++) {
      const sent = await sendTo(usFictional(i));
      expect(sent.status).toBe(200);
      codes[usFictional(i)] = sent.body['security-code'];
    }
    await runner.settled();
    expect([metrics.get('GuardPaused'), logger.lines.filter((line) => line.includes('ERROR'))]).toEqual([1, []]);

    const outboxBefore = service.simulator.outbox().length;
    const refused = await sendTo(usFictional(5));
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ 'api-error': 34 });
    expect(String(refused.body['api-error-msg'])).toMatch(/paused for \d+ s/);
    expect(service.simulator.outbox()).toHaveLength(outboxBefore);
    const items = await scanTable(testDynamoDbClient(), service.tableName);
    expect(items.some((item) => item.pk?.S === `number#${usFictional(5)}`)).toBe(false);
    // The refused send's other counts were given back: the deployment's ceiling counted only the five.
    const global = items.filter((item) => item.pk?.S?.startsWith('velocity#global-send#')).reduce((sum, item) => sum + Number(item.count?.N ?? 0), 0);
    expect(global).toBe(5);
  });

  it('leaves other prefixes alone', async () => {
    await expect(sendTo(GB_MOBILE)).resolves.toMatchObject({ status: 200 });
  });

  it('lifts the pause when a verification in the prefix brings its share back', async () => {
    await expect(verify(usFictional(0), codes[usFictional(0)])).resolves.toEqual({ verified: true });
    await runner.settled();
    expect(metrics.get('GuardLifted')).toBe(1);
    await expect(sendTo(usFictional(6))).resolves.toMatchObject({ status: 200 });
  });

  it('is listed and lifted by an operator (sms-verify guard list | lift)', async () => {
    const settings = resolveSettings({ pinpointApplicationId: PINPOINT_APPLICATION_ID, ...SETTINGS });
    const guard = new DynamoDbGuard(testDynamoDbClient(), service.tableName, 3_600_000, 3_600_000);
    const lines: string[] = [];
    const run = (...args: string[]) => runGuardCommand(args, { guard, print: (line) => lines.push(line), now: Date.now });
    // A second prefix paused as the outcomes function pauses one: the GB mobile range.
    await guard.pause('+447400', Date.now() + 3_600_000, Date.now(), prefixLimitsOf(settings, '+447400'), 'test');
    await expect(sendTo('+447400123457')).resolves.toMatchObject({ status: 429, body: { 'api-error': 34 } });

    await expect(run('list')).resolves.toBe(0);
    expect(lines.at(-1)).toMatch(/^\+447400\tpaused until \d{4}-.*Z\t0 of \d+ codes verified$/);
    await expect(run('lift', '+447400')).resolves.toBe(0);
    expect(lines.at(-1)).toBe('Lifted the pause of +447400: sends and calls to it go out again.');
    await expect(sendTo('+447400123457')).resolves.toMatchObject({ status: 200 });
    await expect(run('lift', '+447400')).resolves.toBe(0);
    expect(lines.at(-1)).toBe('+447400 is not paused.');
    await expect(run('lift', '447400')).resolves.toBe(2);
  });

  it('announces both as events, and lists no pause once lifted', async () => {
    const guardEvents = service.simulator.busEvents().filter((event) => event.detailType.startsWith('Guard'));
    const schema = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'docs', 'events.schema.json'), 'utf8')) as object;
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    const validate = ajv.compile(schema);
    for (const event of service.simulator.busEvents()) {
      expect([event.detailType, validate({ source: event.source, 'detail-type': event.detailType, detail: event.detail }) ? 'valid' : validate.errors]).toEqual([event.detailType, 'valid']);
    }
    expect(guardEvents.map((event) => [event.detailType, (event.detail as { prefix: string }).prefix])).toEqual([
      ['Guard Paused', '+12015'],
      ['Guard Lifted', '+12015'],
    ]);
    const guard = new DynamoDbGuard(testDynamoDbClient(), service.tableName, 3_600_000, 3_600_000);
    await expect(guard.listPaused(Date.now())).resolves.toEqual([]);
  });
});

describe('the conversion guard, change by change (stream records against the real table)', () => {
  const HOUR = 3_600_000;
  const T0 = Math.floor(Date.now() / HOUR) * HOUR; // this guard window's start
  type Item = Record<string, unknown>;
  const withCode = (sendId: string): Item => ({ code: { M: { d: { N: '-1' } } }, codeSendId: { S: sendId } });
  const noCode: Item = { code: { M: {} } };
  const record = (id: string, e164: string, before: Item | undefined, after: Item) => ({
    eventID: id,
    dynamodb: { SequenceNumber: id, Keys: { pk: { S: `number#${e164}` } }, OldImage: before, NewImage: after },
  });

  function guardFor(prefix: string, clock: { now(): number }, settingsInput: object = {}) {
    const settings = resolveSettings({ pinpointApplicationId: PINPOINT_APPLICATION_ID, ...SETTINGS, ...settingsInput });
    const published: string[] = [];
    let failures = 0;
    const events = {
      publish: async (batch: readonly { detailType: string }[]) => {
        if (batch.some((event) => event.detailType.startsWith('Guard')) && failures-- > 0) throw new Error('PutEvents failed');
        published.push(...batch.map((event) => event.detailType));
      },
    };
    const handler = createOutcomesHandler(
      { events, clock, logger: new CapturingLogger(), metrics: new CountingMetrics() },
      { maxFailedChecks: 5, countryOf: () => undefined, prefixOf: () => prefix, guard: guardFrom(settings, service.tableName, testDynamoDbClient()) },
      new CountingMetrics(),
    );
    const guard = new DynamoDbGuard(testDynamoDbClient(), service.tableName, HOUR, HOUR);
    return { handler, guard, published, failNextGuardEvent: () => (failures = 1), settings };
  }
  const pausedCounters = async (prefix: string, now: number) =>
    (await scanTable(testDynamoDbClient(), service.tableName))
      .filter((item) => item.pk?.S?.startsWith(`velocity#prefix-send#${prefix}#`) && Number(item.pausedUntil?.N ?? 0) > now)
      .map((item) => item.pk!.S);
  const sends = (tag: string) => Array.from({ length: 5 }, (_, i) => record(`${tag}-${i}`, `+1999000000${i}`, undefined, withCode(`${tag}-s${i}`)));

  it('takes back a send no route took: five recorded and revoked sends pause nothing', async () => {
    const { handler } = guardFor('+19991', { now: () => T0 + 1_000 });
    const records = sends('revoked').flatMap((sent, i) => [sent, record(`revoked-r${i}`, `+1999000000${i}`, withCode(`revoked-s${i}`), noCode)]);
    await handler({ Records: records } as never);
    await expect(pausedCounters('+19991', T0 + 1_000)).resolves.toEqual([]);
  });

  it('lets a verification lift a pause that began in the guard window before', async () => {
    let now = T0 - 10 * 60_000; // ten minutes before this window: the pause begins in the one before
    const { handler } = guardFor('+19992', { now: () => now });
    await handler({ Records: sends('late') } as never);
    expect((await pausedCounters('+19992', now)).length).toBeGreaterThan(0);
    now = T0 + 10 * 60_000; // this window; the pause holds for another 40 minutes
    const checks = Array.from({ length: 5 }, (_, i) => record(`late-v${i}`, `+1999000000${i}`, withCode(`late-s${i}`), { ...noCode, codeSendId: { S: `late-s${i}` } }));
    await handler({ Records: checks } as never);
    await expect(pausedCounters('+19992', now)).resolves.toEqual([]);
  });

  it('publishes Guard Paused again when the record that paused is retried after PutEvents failed', async () => {
    const { handler, published, failNextGuardEvent } = guardFor('+19993', { now: () => T0 + 2_000 });
    const records = sends('retry');
    await handler({ Records: records.slice(0, 4) } as never);
    failNextGuardEvent();
    await expect(handler({ Records: [records[4]!] } as never)).resolves.toEqual({ batchItemFailures: [{ itemIdentifier: 'retry-4' }] });
    await expect(handler({ Records: [records[4]!] } as never)).resolves.toEqual({ batchItemFailures: [] }); // Lambda's retry
    expect(published.filter((type) => type.startsWith('Guard'))).toEqual(['Guard Paused']);
  });

  it('lifts, from the CLI with other settings in the shell, the counters the deployment paused', async () => {
    const { handler } = guardFor('+19994', { now: () => T0 + 3_000 }, { prefixSendLimit: 1_200, prefixSendWindowSeconds: 600 });
    await handler({ Records: sends('cli') } as never);
    expect((await pausedCounters('+19994', T0 + 3_000)).length).toBeGreaterThan(2); // 3 shards, more than one window
    const lines: string[] = [];
    // `--table`: the guard as guardMain builds it from the shell's defaults, not the deployment's settings.
    const shell = guardPolicyFrom(resolveSettings({ pinpointApplicationId: PINPOINT_APPLICATION_ID }));
    const shellGuard = new DynamoDbGuard(testDynamoDbClient(), service.tableName, shell.windowMs, shell.pauseMs);
    await runGuardCommand(['lift', '+19994'], { guard: shellGuard, print: (line) => lines.push(line), now: () => T0 + 4_000 });
    expect(lines).toEqual(['Lifted the pause of +19994: sends and calls to it go out again.']);
    await expect(pausedCounters('+19994', T0 + 4_000)).resolves.toEqual([]);
  });
});

describe('the conversion guard, country by country', () => {
  it('pauses the country once enough of its prefixes are paused: every prefix seen in the window, and a new one at its first send', async () => {
    const now = Math.floor(Date.now() / 3_600_000) * 3_600_000 + 5_000;
    const settings = resolveSettings({ pinpointApplicationId: PINPOINT_APPLICATION_ID, ...SETTINGS, conversionGuardMinSends: 3, conversionGuardCountryPrefixes: 2 });
    const published: Array<{ detailType: string; detail: unknown }> = [];
    // Numbers +19950<p>000<i>: prefix +19950<p> (all of country ZY, a code no country has, so no other test meets it).
    const handler = createOutcomesHandler(
      { events: { publish: async (batch) => void published.push(...batch) }, clock: { now: () => now }, logger: new CapturingLogger(), metrics: new CountingMetrics() },
      { maxFailedChecks: 5, countryOf: () => 'ZY', prefixOf: (e164) => e164.slice(0, 7), guard: guardFrom(settings, service.tableName, testDynamoDbClient()) },
      new CountingMetrics(),
    );
    const send = (prefixDigit: number, i: number) => ({
      eventID: `country-${prefixDigit}-${i}`,
      dynamodb: { SequenceNumber: `country-${prefixDigit}-${i}`, Keys: { pk: { S: `number#+19950${prefixDigit}000${i}` } }, NewImage: { code: { M: { d: { N: '-1' } } }, codeSendId: { S: `country-${prefixDigit}-${i}` } } },
    });
    const pausedPrefixes = async () =>
      [...new Set((await scanTable(testDynamoDbClient(), service.tableName))
        .filter((item) => item.pk?.S?.startsWith('velocity#prefix-send#+19950') && Number(item.pausedUntil?.N ?? 0) > now)
        .map((item) => item.pk!.S!.split('#')[2]))].sort();

    await handler({ Records: [send(3, 0)] } as never); // +199503: seen once
    await handler({ Records: [0, 1, 2].map((i) => send(1, i)) } as never); // +199501: three unverified, paused
    await expect(pausedPrefixes()).resolves.toEqual(['+199501']);
    await handler({ Records: [0, 1, 2].map((i) => send(2, i)) } as never); // +199502 too: the second, so the country
    await expect(pausedPrefixes()).resolves.toEqual(['+199501', '+199502', '+199503']);
    await handler({ Records: [send(4, 0)] } as never); // +199504: new, paused at its first send
    await expect(pausedPrefixes()).resolves.toEqual(['+199501', '+199502', '+199503', '+199504']);
    expect(published.filter((event) => event.detailType === 'Guard Paused').map((event) => (event.detail as { country?: string }).country)).toEqual([
      undefined,
      'ZY',
      undefined,
    ]);

    // An operator lists the country and lifts it: its prefixes go out again, and a new one is not paused any more.
    const guard = new DynamoDbGuard(testDynamoDbClient(), service.tableName, 3_600_000, 3_600_000);
    const lines: string[] = [];
    const run = (...args: string[]) => runGuardCommand(args, { guard, print: (line) => lines.push(line), now: () => now });
    await run('list');
    expect(lines.some((line) => line.startsWith('ZY\tpaused until'))).toBe(true);
    await run('lift', 'ZY');
    expect(lines.at(-1)).toBe('Lifted the pause of ZY and of its prefixes.');
    await expect(pausedPrefixes()).resolves.toEqual([]);
    await handler({ Records: [send(5, 0)] } as never);
    await expect(pausedPrefixes()).resolves.toEqual([]);
  });
});
