/**
 * Conversion feedback end to end, on DynamoDB Local's stream and the simulator: the send names itself in the message's
 * Context, the simulator publishes the message's receipts, the outcomes function (run as Lambda runs it, over the
 * stream and the receipts) joins each receipt to the code's outcome and reports it with PutMessageFeedback.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { PinpointSMSVoiceV2Client } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import Ajv2020 from 'ajv/dist/2020';
import { createEventBridgePublisher } from '../../functions/adapters/eventbridge-events';
import { DynamoDbFeedbackLedger } from '../../functions/adapters/dynamodb-feedback-ledger';
import { createMessageFeedback, SEND_CONTEXT_KEY } from '../../functions/adapters/message-feedback';
import { settleOutcome, takeReceipt } from '../../functions/core/outcomes';
import type { FeedbackStatus } from '../../functions/core/ports';
import { createOutcomesHandler } from '../../functions/entry/outcomes-handler';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { ensureTable, LOCAL_AWS_CONFIG } from '../../local/dynamodb-local';
import { OutcomesRunner } from '../../local/outcomes-runner';
import { LOCAL_CONFIGURATION_SET } from '../../local/simulator/account';
import { lambdaContext } from '../support/fake-service';
import { CapturingLogger, CountingMetrics } from '../support/fakes';
import { maskNumber } from '../../functions/core/phone-number';
import { usFictional } from '../support/fixtures';
import { startRealService, type RealService } from '../support/real-service';
import { createTestTable, deleteTestTable, scanTable, testDynamoDbClient, testDynamoDbLocalEndpoint } from '../support/tables';

type Body = Record<string, unknown>;

let service: RealService;
let runner: OutcomesRunner;
let logger: CapturingLogger;
let metrics: CountingMetrics;
let feedbackClient: PinpointSMSVoiceV2Client;
let ledgerClient: ReturnType<typeof testDynamoDbClient>;
let eventsClient: EventBridgeClient;
/** Receipts the simulator published that the test has handed to the runner. */
let published = 0;

const send = (number: string, extra: object = {}) => service.send({ number, ...extra }, lambdaContext()) as Promise<Body>;
const verify = (number: string, code: unknown) => service.verify({ number, 'security-code': code }, lambdaContext()) as Promise<Body>;

/** Hands the runner the receipts published since the last call, as the topic would. */
function deliverReceipts(): void {
  const events = service.simulator.smsEvents();
  for (const event of events.slice(published)) runner.receipt(event);
  published = events.length;
}

const entryFor = (number: string, index = -1) => service.simulator.outbox().filter((message) => message.to === number).at(index)!;

beforeAll(async () => {
  service = await startRealService({
    smsRoutes: ['sms-voice-v2', 'sns'],
    originationIdentity: '+12015550123',
    configurationSetName: LOCAL_CONFIGURATION_SET,
    callerSendLimit: 0,
    prefixSendLimit: 0,
    // A resend keeps to the first route, so that both codes of a number go out through the one that reports back.
    routeSwitchSeconds: 0,
  }, { stream: true });
  logger = new CapturingLogger();
  metrics = new CountingMetrics();
  feedbackClient = new PinpointSMSVoiceV2Client({ ...LOCAL_AWS_CONFIG, endpoint: service.simulator.url });
  ledgerClient = testDynamoDbClient();
  eventsClient = new EventBridgeClient({ ...LOCAL_AWS_CONFIG, endpoint: service.simulator.url });
  const handler = createOutcomesHandler(
    {
      ledger: new DynamoDbFeedbackLedger(ledgerClient, service.tableName),
      feedback: createMessageFeedback(feedbackClient),
      events: createEventBridgePublisher(eventsClient, 'sms-verify-local'),
      clock: { now: () => Date.now() },
      logger,
      metrics,
    },
    { maxFailedChecks: 5, countryOf: () => 'US', prefixOf: () => undefined },
    metrics,
  );
  runner = await OutcomesRunner.start({
    endpoint: testDynamoDbLocalEndpoint(),
    ...LOCAL_AWS_CONFIG,
    tableName: service.tableName,
    handler,
    pollMs: 50,
    // Deployed, a failing record is retried for an hour; here a second shows the same path.
    maxRecordAgeMs: 1_000,
  });
});

afterAll(async () => {
  await runner.stop();
  feedbackClient.destroy();
  ledgerClient.destroy();
  eventsClient.destroy();
  await service.stop();
});

afterEach(() => service.simulator.setAccount({ deniedActions: [] }));

describe('conversion feedback', () => {
  it('a code that is used: its message is reported RECEIVED, once', async () => {
    const number = usFictional(1);
    const sent = await send(number);
    expect(sent).toMatchObject({ sent: true });
    const message = entryFor(number);
    expect(message).toMatchObject({ route: 'sms-voice-v2', messageFeedbackEnabled: true, configurationSetName: LOCAL_CONFIGURATION_SET });
    expect(message.context?.[SEND_CONTEXT_KEY]).toMatch(/\S+/);

    deliverReceipts();
    await runner.settled();
    expect(entryFor(number).feedback).toBeUndefined(); // the code is not used yet

    await expect(verify(number, sent['security-code'])).resolves.toEqual({ verified: true });
    await runner.settled();
    expect(entryFor(number).feedback).toBe('RECEIVED');
    expect(metrics.get('FeedbackReported Route=sms-voice-v2 Status=RECEIVED')).toBe(1);
    // A second pass over everything reports nothing again.
    deliverReceipts();
    await runner.settled();
    expect(service.simulator.requests('account').filter((request) => (request.payload as Body).operation === 'PutMessageFeedback')).toHaveLength(1);
  });

  it('the code used before its receipt arrives: reported when the receipt comes', async () => {
    const number = usFictional(2);
    const sent = await send(number);
    await expect(verify(number, sent['security-code'])).resolves.toEqual({ verified: true });
    await runner.settled();
    expect(entryFor(number).feedback).toBeUndefined(); // no message id yet

    deliverReceipts();
    await runner.settled();
    expect(entryFor(number).feedback).toBe('RECEIVED');
  });

  it('a code replaced before anyone used it: FAILED; the new one, used, RECEIVED', async () => {
    const number = usFictional(3);
    await send(number);
    const second = await send(number);
    deliverReceipts();
    await runner.settled();
    expect(entryFor(number, 0).feedback).toBe('FAILED');
    expect(entryFor(number, 1).feedback).toBeUndefined();

    await verify(number, second['security-code']);
    await runner.settled();
    expect(entryFor(number, 0).feedback).toBe('FAILED');
    expect(entryFor(number, 1).feedback).toBe('RECEIVED');
  });

  it('a wrong guess reports nothing', async () => {
    const number = usFictional(4);
    const sent = await send(number);
    deliverReceipts();
    await verify(number, sent['security-code'] === '000000' ? '111111' : '000000');
    await runner.settled();
    expect(entryFor(number).feedback).toBeUndefined();
  });

  it('a route that cannot report (SNS) carries no Context and asks for no feedback', async () => {
    const number = usFictional(5);
    service.simulator.setFaults({ 'sms-voice-v2': 'reject' });
    try {
      const sent = await send(number);
      expect(entryFor(number)).toMatchObject({ route: 'sns' });
      expect(entryFor(number).context).toBeUndefined();
      await verify(number, sent['security-code']);
      deliverReceipts();
      await runner.settled();
      expect(entryFor(number).feedback).toBeUndefined();
    } finally {
      service.simulator.setFaults({ 'sms-voice-v2': 'ok' });
    }
  });

  it('feedback the provider refuses is retried off the request path, then dead-lettered; the answer never waits for it', async () => {
    const number = usFictional(6);
    const sent = await send(number);
    deliverReceipts();
    await runner.settled();
    service.simulator.setAccount({ deniedActions: ['sms-voice:PutMessageFeedback'] });
    await expect(verify(number, sent['security-code'])).resolves.toEqual({ verified: true });
    await runner.settled();
    expect(entryFor(number).feedback).toBeUndefined();
    const dead = runner.deadLetters().filter((letter) => letter.source === 'stream');
    expect(dead).toHaveLength(1);
    expect(logger.entries().some((entry) => entry.message === "Could not settle a code's outcome; the stream retries from this record")).toBe(true);
  });

  it('adds nothing to the request path: a send and a check make the table requests they make without feedback', async () => {
    const counted = async (settings: object) => {
      let requests = 0;
      const other = await startRealService(
        { smsRoutes: ['sms-voice-v2'], originationIdentity: '+12015550123', ...settings },
        { onTableClient: (client) => client.middlewareStack.add((next) => async (args) => { requests += 1; return next(args); }, { step: 'initialize' }) },
      );
      try {
        const number = usFictional(40);
        const sent = (await other.send({ number }, lambdaContext())) as Body;
        const afterSend = requests;
        await expect(other.verify({ number, 'security-code': sent['security-code'] }, lambdaContext())).resolves.toEqual({ verified: true });
        const asked = other.simulator.outbox()[0]!.messageFeedbackEnabled === true;
        return { send: afterSend, verify: requests - afterSend, asked };
      } finally {
        await other.stop();
      }
    };
    const withFeedback = await counted({ configurationSetName: LOCAL_CONFIGURATION_SET });
    const without = await counted({ conversionFeedback: false });
    expect(withFeedback.asked).toBe(true);
    expect(without.asked).toBe(false);
    expect({ send: withFeedback.send, verify: withFeedback.verify }).toEqual({ send: without.send, verify: without.verify });
  });

  it('npm start gives a table kept from before the stream (--persist, an existing endpoint) its stream', async () => {
    const kept = await createTestTable(ledgerClient, 'sms-verify-kept', { stream: false });
    try {
      await ensureTable(ledgerClient, kept);
      const { Table } = await ledgerClient.send(new DescribeTableCommand({ TableName: kept }));
      expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    } finally {
      await deleteTestTable(ledgerClient, kept);
    }
  });

  it('the ledger holds message ids and outcomes, never a code or a number', async () => {
    const items = (await scanTable(ledgerClient, service.tableName)).filter((item) => item.pk?.S?.startsWith('feedback#'));
    expect(items.length).toBeGreaterThan(0);
    const text = JSON.stringify(items);
    expect(text).not.toMatch(/\+1\d{10}/);
    const allowed = ['pk', 'messageIds', 'route', 'outcome', 'reportedRECEIVED', 'reportedFAILED', 'expiresAt'];
    for (const item of items) expect(allowed).toEqual(expect.arrayContaining(Object.keys(item)));
    expect(items.some((item) => item.messageIds && item.outcome && item.reportedRECEIVED)).toBe(true);
  });
});

describe('the ledger join, when both sides move at once (the real ledger on DynamoDB Local)', () => {
  type Call = [string, FeedbackStatus];
  const depsWith = (report: (messageId: string, status: FeedbackStatus) => Promise<'reported'>) => ({
    ledger: new DynamoDbFeedbackLedger(ledgerClient, service.tableName),
    feedback: { report },
    clock: { now: () => Date.now() },
    logger: new CapturingLogger(),
    metrics: new CountingMetrics(),
  });

  it('a FAILED reported late, after the code came back and was used, is said again as RECEIVED', async () => {
    const calls: Call[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const deps = depsWith(async (messageId, status) => {
      if (status === 'FAILED') await held; // the receipt side's report is slow
      calls.push([messageId, status]);
      return 'reported';
    });
    await settleOutcome({ sendId: 'race-1', outcome: 'FAILED' }, deps); // replaced by a resend…
    const receipt = takeReceipt({ messageId: 'msg-race-1', sendId: 'race-1', route: 'sms-voice-v2', eventType: 'TEXT_DELIVERED' }, deps);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await settleOutcome({ sendId: 'race-1', outcome: 'RECEIVED' }, deps); // …which no route took: the code came back, and was used
    release();
    await receipt;
    expect(calls.at(-1)).toEqual(['msg-race-1', 'RECEIVED']);
  });

  it('a message a receipt said never arrived is FAILED, while the one that carried the used code is RECEIVED', async () => {
    const calls: Call[] = [];
    const deps = depsWith(async (messageId, status) => {
      calls.push([messageId, status]);
      return 'reported';
    });
    // A route took the message, timed out and lost it; the next route's message carried the code.
    await takeReceipt({ messageId: 'msg-lost', sendId: 'race-2', route: 'notify', eventType: 'TEXT_CARRIER_BLOCKED' }, deps);
    await takeReceipt({ messageId: 'msg-kept', sendId: 'race-2', route: 'sms-voice-v2', eventType: 'TEXT_DELIVERED' }, deps);
    await settleOutcome({ sendId: 'race-2', outcome: 'RECEIVED' }, deps);
    expect(calls).toEqual([
      ['msg-lost', 'FAILED'],
      ['msg-kept', 'RECEIVED'],
    ]);
  });
});

describe('feedback End User Messaging refuses as invalid', () => {
  it('is counted and not retried: it would hold up every stream record behind it', async () => {
    await expect(createMessageFeedback(feedbackClient).report('not a message id', 'RECEIVED')).resolves.toBe('refused');
  });
});

describe('events for the team\'s systems', () => {
  /** The detail types published for one number, in order. */
  const eventsFor = (number: string) =>
    service.simulator
      .busEvents()
      .filter((event) => (event.detail as { number?: string }).number === maskNumber(number))
      .map((event) => event.detailType);

  it('follow a code from sent to verified, with its delivery and the feedback reported', async () => {
    const number = usFictional(20);
    const sent = await send(number);
    deliverReceipts();
    await verify(number, sent['security-code']);
    await runner.settled();
    // Receipts and the stream are two sources: their events interleave in any order.
    expect(eventsFor(number).sort()).toEqual(['Code Sent', 'Code Verified', 'Message Delivered', 'Message Delivered']);
    const messageId = entryFor(number).messageId;
    const feedback = service.simulator.busEvents().filter((event) => (event.detail as { messageId?: string }).messageId === messageId && event.detailType === 'Feedback Reported');
    expect(feedback.map((event) => event.detail)).toEqual([expect.objectContaining({ messageId, route: 'sms-voice-v2', status: 'RECEIVED' })]);
  });

  it('say when a code is replaced, when a check fails, and when the number locks', async () => {
    const number = usFictional(21);
    await send(number);
    const second = await send(number);
    const wrong = second['security-code'] === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) await verify(number, wrong);
    await runner.settled();
    expect(eventsFor(number)).toEqual([
      'Code Sent',
      'Code Replaced',
      'Code Sent',
      'Check Failed',
      'Check Failed',
      'Check Failed',
      'Check Failed',
      'Check Failed',
      'Number Locked',
    ]);
    const sentEvents = service.simulator.busEvents().filter((event) => event.detailType === 'Code Sent' && (event.detail as { number: string }).number === maskNumber(number));
    expect(sentEvents.map((event) => (event.detail as { attempt: number }).attempt)).toEqual([1, 1]);
  });

  it('say when no route took a code: revoked, and the one it replaced is valid again', async () => {
    const number = usFictional(22);
    await send(number);
    service.simulator.setFaults({ 'sms-voice-v2': 'reject', sns: 'reject' });
    try {
      await expect(send(number)).resolves.toMatchObject({ sent: false, reason: 'delivery-failed' });
    } finally {
      service.simulator.setFaults({ 'sms-voice-v2': 'ok', sns: 'ok' });
    }
    await runner.settled();
    expect(eventsFor(number)).toEqual(['Code Sent', 'Code Replaced', 'Code Sent', 'Code Revoked']);
  });

  it('each matches docs/events.schema.json, carries no code and no full number, and one id is always the same event', async () => {
    await runner.settled();
    const events = service.simulator.busEvents();
    expect(events.length).toBeGreaterThan(20);
    const schema = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'docs', 'events.schema.json'), 'utf8')) as object;
    // JSON Schema's date-time (RFC 3339), checked here rather than with another package.
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
    const validate = ajv.compile(schema);
    for (const event of events) {
      const asDelivered = { source: event.source, 'detail-type': event.detailType, detail: event.detail };
      expect([event.detailType, validate(asDelivered) ? 'valid' : validate.errors]).toEqual([event.detailType, 'valid']);
    }
    expect(JSON.stringify(events)).not.toMatch(/\+1\d{10}/);
    // At least once: a retried stream batch publishes its events again, with the same ids, for consumers to drop.
    const byId = new Map<string, string>();
    for (const event of events) {
      const id = (event.detail as { id: string }).id;
      const text = JSON.stringify([event.detailType, event.detail]);
      expect(byId.get(id) ?? text).toBe(text);
      byId.set(id, text);
    }
  });
});
