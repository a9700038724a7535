/**
 * Delivery you can trust, proven on DynamoDB Local and the SMS simulator:
 *  - the fault matrix: every combination of the three routes' states;
 *  - table failures injected at each write of a send and of a check;
 *  - duplicate deliveries: idempotency keys, sequential and concurrent, and Lambda's own retries.
 * After each case the table must be consistent: a verifiable code exists exactly when an SMS carried it.
 */
import { numberKey } from '../../functions/adapters/dynamodb-verification-store';
import type { RouteName } from '../../functions/settings';
import type { FaultMode } from '../../local/sms-simulator';
import { lambdaContext } from '../support/fake-service';
import { GB_MOBILE, usFictional } from '../support/fixtures';
import { httpEvent } from '../support/http-events';
import { startRealService, type RealService } from '../support/real-service';
import { TableFaults } from '../support/table-faults';
import { scanTable } from '../support/tables';

const ROUTES: RouteName[] = ['sns', 'pinpoint', 'sms-voice-v2'];
/** A provider's 5xx may have come after it took the message; throttling and a rejection surely sent nothing. */
const STATES: FaultMode[] = ['ok', 'throttle', 'error', 'reject'];
const SETTINGS = {
  smsRoutes: ROUTES,
  originationIdentity: '+12015550123',
  // The matrix sends many codes from one caller to one number range; those limits have their own tests.
  callerSendLimit: 0,
  prefixSendLimit: 0,
};

type Body = Record<string, unknown>;
let service: RealService;
const faults = new TableFaults();

const send = (parameters: object, requestId?: string) => service.send(parameters, lambdaContext(requestId)) as Promise<Body>;
const verify = (parameters: object) => service.verify(parameters, lambdaContext()) as Promise<Body>;

const sendCountOf = (e164: string) => service.numberAttribute(e164, 'sendCount');

describe('fault matrix: every state of every route', () => {
  beforeAll(async () => {
    service = await startRealService(SETTINGS);
  });
  afterAll(() => service.stop());
  afterEach(() => service.simulator.setFaults({ sns: 'ok', pinpoint: 'ok', 'sms-voice-v2': 'ok' }));

  const cells = STATES.flatMap((sns) =>
    STATES.flatMap((pinpoint) => STATES.map((eum) => [sns, pinpoint, eum] as [FaultMode, FaultMode, FaultMode])),
  );

  it.each(cells.map((states, i) => [states.join(' / '), states, i] as const))(
    'sns / pinpoint / sms-voice-v2 = %s',
    async (_, states, index) => {
      const number = usFictional(index);
      const code = String(100000 + index);
      service.simulator.setFaults(Object.fromEntries(ROUTES.map((route, i) => [route, states[i]])));
      service.simulator.clearOutbox();
      const expectedRoute = ROUTES[states.indexOf('ok')];
      const maybeSent = states.includes('error');

      const answer = await send({ number, 'security-code': code });

      if (expectedRoute) {
        expect(answer).toEqual({ sent: true, 'number-valid': true, 'security-code': code });
        expect(service.simulator.outbox().map((message) => [message.route, message.to])).toEqual([[expectedRoute, number]]);
        await expect(sendCountOf(number)).resolves.toBe(1);
      } else if (maybeSent) {
        // A 5xx may have come after the provider took the message: its code must stay valid, and the send counts.
        expect(answer).toEqual({ sent: false, 'number-valid': true, 'security-code': code, reason: 'delivery-unconfirmed' });
        await expect(sendCountOf(number)).resolves.toBe(1);
      } else {
        expect(answer).toEqual({ sent: false, 'number-valid': true, 'security-code': '', reason: 'delivery-failed' });
        expect(service.simulator.outbox()).toEqual([]);
        await expect(sendCountOf(number)).resolves.toBe(0); // the limit is untouched
      }
      // Consistent: the code verifies whenever an SMS may have carried it, and only then.
      await expect(verify({ number, 'security-code': code })).resolves.toEqual({ verified: expectedRoute !== undefined || maybeSent });
    },
  );

  it('with a provider that takes the message but never answers, fails over, and the code stays valid', async () => {
    service.simulator.setFaults({ sns: 'timeout' });
    service.simulator.clearOutbox();

    const answer = await send({ number: usFictional(90), 'security-code': '424242' });

    expect(answer).toEqual({ sent: true, 'number-valid': true, 'security-code': '424242' });
    // Both texts carry the same code: a duplicate, never a text whose code does not verify.
    expect(service.simulator.outbox().map((message) => message.route)).toEqual(['sns', 'pinpoint']);
    await expect(verify({ number: usFictional(90), 'security-code': '424242' })).resolves.toEqual({ verified: true });
  });

  it('when no route confirms and one timed out: delivery-unconfirmed, and the code it may carry stays valid', async () => {
    service.simulator.setFaults({ sns: 'reject', pinpoint: 'timeout', 'sms-voice-v2': 'reject' });
    service.simulator.clearOutbox();

    const answer = await send({ number: usFictional(91), 'security-code': '535353' });

    expect(answer).toEqual({ sent: false, 'number-valid': true, 'security-code': '535353', reason: 'delivery-unconfirmed' });
    expect(service.simulator.outbox().map((message) => message.route)).toEqual(['pinpoint']);
    await expect(verify({ number: usFictional(91), 'security-code': '535353' })).resolves.toEqual({ verified: true });
  });

  it('a cold request with less of the function\'s time left: after a route that hangs, no route is tried that could outlast it', async () => {
    service.simulator.setFaults({ sns: 'timeout' });
    service.simulator.clearOutbox();
    service.simulator.clearRequests();
    // As a cold container's first request might start: 8 s of the function's 20 s left. SNS hangs for its whole
    // request timeout (3.5 s); Pinpoint's 3.5 s more would leave too little for the settling write before the deadline.
    const started = Date.now();
    const context = { ...lambdaContext(), getRemainingTimeInMillis: () => 8_000 - (Date.now() - started) };
    // The service's test clock stands still; for this request it runs with real time, as the provider's timeout does.
    const base = service.clock.now();
    const clock = jest.spyOn(service.clock, 'now').mockImplementation(() => base + (Date.now() - started));

    const answer = (await service.send({ number: usFictional(95), 'security-code': '646464' }, context)) as Body;
    clock.mockRestore();

    expect(answer).toEqual({ sent: false, 'number-valid': true, 'security-code': '646464', reason: 'delivery-unconfirmed' });
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(service.simulator.requests('pinpoint')).toEqual([]);
    expect(service.simulator.requests('sms-voice-v2')).toEqual([]);
    await expect(verify({ number: usFictional(95), 'security-code': '646464' })).resolves.toEqual({ verified: true });
  });

  it('a provider that takes the message and then answers 500: the person holds a code that verifies', async () => {
    service.simulator.setFaults({ sns: 'error-after-accept', pinpoint: 'reject', 'sms-voice-v2': 'throttle' });
    service.simulator.clearOutbox();

    const answer = await send({ number: usFictional(92), 'security-code': '646464' });

    expect(answer).toEqual({ sent: false, 'number-valid': true, 'security-code': '646464', reason: 'delivery-unconfirmed' });
    expect(service.simulator.outbox().map((message) => message.body)).toEqual([expect.stringContaining('646464')]);
    await expect(sendCountOf(usFictional(92))).resolves.toBe(1);
    await expect(verify({ number: usFictional(92), 'security-code': '646464' })).resolves.toEqual({ verified: true });
  });

  it('a 500 on one route and success on the next: two texts with one code, which verifies once', async () => {
    service.simulator.setFaults({ sns: 'error-after-accept' });
    service.simulator.clearOutbox();

    const answer = await send({ number: usFictional(93), 'security-code': '757575' });

    expect(answer).toEqual({ sent: true, 'number-valid': true, 'security-code': '757575' });
    expect(service.simulator.outbox().map((message) => message.route)).toEqual(['sns', 'pinpoint']);
    await expect(verify({ number: usFictional(93), 'security-code': '757575' })).resolves.toEqual({ verified: true });
  });
});

describe('table failures at each write', () => {
  beforeEach(async () => {
    faults.clear();
    service = await startRealService(SETTINGS, { onTableClient: (client) => faults.install(client) });
  });
  afterEach(() => service.stop());

  /**
   * No code and no send recorded for a number (a fence may have left the send's write id, which is no code), every
   * velocity count back at zero, every idempotency claim given up.
   */
  async function nothingKept(): Promise<void> {
    const items = await scanTable(service.client, service.tableName);
    const kinds = (prefix: string) => items.filter((item) => item.pk?.S?.startsWith(prefix));
    for (const item of kinds('number#')) expect(Object.keys(item).sort()).toEqual(['expiresAt', 'pk', expect.stringMatching(/^writeIds[0-3]$/)]);
    expect(kinds('velocity#').map((item) => item.count?.N)).toEqual(kinds('velocity#').map(() => '0'));
    expect(kinds('idempotency#').map((item) => item.until?.N)).toEqual(kinds('idempotency#').map(() => '0'));
  }

  // Each fault here fails both of a write's attempts before they reach the table.
  it('recording the code fails: 503/5, no SMS, nothing stored, every count given back', async () => {
    faults.failNext('UpdateItemCommand', 'number#', 2);

    const answer = await send({ number: GB_MOBILE, 'security-code': '111111' });

    expect(answer).toEqual({ 'api-error': 5, 'api-error-msg': expect.stringContaining('unavailable') });
    expect(service.simulator.outbox()).toEqual([]);
    await nothingKept();
  });

  it('counting the send is throttled: 503/5 (busy), no SMS, nothing stored, the other counts given back', async () => {
    faults.failNext('UpdateItemCommand', 'velocity#global-send#', 2, 0, 'throttled');

    const answer = await send({ number: GB_MOBILE, 'security-code': '111111' });

    expect(answer).toEqual({ 'api-error': 5, 'api-error-msg': 'The verification store is busy; try again shortly' });
    expect(service.simulator.outbox()).toEqual([]);
    await nothingKept();
  });

  it('counting the send is not confirmed: 503/30 says the send may count against a rate limit; no SMS, no code', async () => {
    faults.failNext('UpdateItemCommand', 'velocity#global-send#', 2);

    const answer = await send({ number: GB_MOBILE, 'security-code': '111111', limit: 1 });

    expect(answer).toEqual({ 'api-error': 30, 'api-error-msg': expect.stringContaining('may count against a rate limit') });
    expect(service.simulator.outbox()).toEqual([]);
    await nothingKept();
    // And it is safe to try again: the number's limit of 1 is untouched.
    await expect(send({ number: GB_MOBILE, 'security-code': '111111', limit: 1 })).resolves.toMatchObject({ sent: true });
  });

  it('revoking an undelivered code fails: 503/30 says the send may still count; no SMS carried its code', async () => {
    service.simulator.setFaults({ sns: 'reject', pinpoint: 'reject', 'sms-voice-v2': 'reject' });
    faults.failNext('UpdateItemCommand', 'number#', 2, 1); // the record goes through, the revocation fails

    const answer = await send({ number: GB_MOBILE, 'security-code': '222222' });

    // "delivery-failed" would promise the count back and the earlier code valid again; neither is confirmed.
    expect(answer).toEqual({ 'api-error': 30, 'api-error-msg': expect.stringContaining('did not confirm that the send was undone') });
    expect(service.simulator.outbox()).toEqual([]);
    expect(faults.failed).toEqual([`UpdateItemCommand ${numberKey(GB_MOBILE)}`, `UpdateItemCommand ${numberKey(GB_MOBILE)}`]);
    // What the message says may have happened did: nobody was sent this code, and it expires with codeTtlSeconds.
    await expect(sendCountOf(GB_MOBILE)).resolves.toBe(1);
  });

  it('keeping the answer of an idempotent send fails: the SMS is out and verifies; a quick repeat is told to retry', async () => {
    faults.failNext('UpdateItemCommand', 'idempotency#', 2, 1); // the claim goes through, keeping the answer fails
    const event = () => httpEvent('/sms-verify', { number: GB_MOBILE, 'security-code': '333333' }, { contentType: 'application/json' });
    const withKey = () => ({ ...event(), headers: { ...event().headers, 'idempotency-key': 'order-1' } });

    const first = (await service.send(withKey(), lambdaContext())) as { statusCode: number; body: string };
    expect(first.statusCode).toBe(200);
    expect(service.simulator.outbox()).toHaveLength(1);
    await expect(verify({ number: GB_MOBILE, 'security-code': '333333' })).resolves.toEqual({ verified: true });
    const repeat = (await service.send(withKey(), lambdaContext())) as { statusCode: number; body: string };

    expect(repeat.statusCode).toBe(409);
    expect(JSON.parse(repeat.body)).toMatchObject({ 'api-error': 6 });
    expect(service.simulator.outbox()).toHaveLength(1);
  }, 20_000);

  it('counting a caller check is throttled: 503/5 and the code is not consumed', async () => {
    await send({ number: GB_MOBILE, 'security-code': '444444' });
    faults.failNext('UpdateItemCommand', 'velocity#caller-verify#', 2, 0, 'throttled');

    await expect(verify({ number: GB_MOBILE, 'security-code': '444444' })).resolves.toMatchObject({ 'api-error': 5 });
    await expect(verify({ number: GB_MOBILE, 'security-code': '444444' })).resolves.toEqual({ verified: true });
  });

  it('counting a caller check is not confirmed: 503/30 says so, and the code is not consumed', async () => {
    await send({ number: GB_MOBILE, 'security-code': '444444' });
    faults.failNext('UpdateItemCommand', 'velocity#caller-verify#', 2);

    await expect(verify({ number: GB_MOBILE, 'security-code': '444444' })).resolves.toEqual({
      'api-error': 30,
      'api-error-msg': expect.stringContaining('the code was not checked'),
    });
    await expect(verify({ number: GB_MOBILE, 'security-code': '444444' })).resolves.toEqual({ verified: true });
  });

  it('the check itself fails before reaching the table: its fence settles it, 503/5, and the code is not consumed', async () => {
    await send({ number: GB_MOBILE, 'security-code': '555555' });
    faults.failNext('UpdateItemCommand', 'number#', 2);

    await expect(verify({ number: GB_MOBILE, 'security-code': '555555' })).resolves.toMatchObject({ 'api-error': 5 });
    await expect(verify({ number: GB_MOBILE, 'security-code': '555555' })).resolves.toEqual({ verified: true });
    await expect(service.numberAttribute(GB_MOBILE, 'failedChecks')).resolves.toBe(0);
  });
});

describe('duplicate deliveries', () => {
  beforeEach(async () => {
    service = await startRealService(SETTINGS);
  });
  afterEach(() => service.stop());

  const withKey = (body: object, key: string) => {
    const event = httpEvent('/sms-verify', body);
    return { ...event, headers: { ...event.headers, 'idempotency-key': key } };
  };
  const sendHttp = async (event: object) => {
    const response = (await service.send(event, lambdaContext())) as { statusCode: number; body: string };
    return { status: response.statusCode, body: JSON.parse(response.body) as Body };
  };

  it('the same Idempotency-Key twice: the first answer (code included), one SMS', async () => {
    const first = await sendHttp(withKey({ number: GB_MOBILE }, 'signup-42'));
    const repeat = await sendHttp(withKey({ number: GB_MOBILE }, 'signup-42'));

    expect(first).toEqual({ status: 200, body: { sent: true, 'number-valid': true, 'security-code': expect.stringMatching(/^\d{5}$/) } });
    expect(repeat).toEqual(first);
    expect(service.simulator.outbox()).toHaveLength(1);
  });

  it('the same Idempotency-Key five times at once: one SMS, one answer for all', async () => {
    const answers = await Promise.all(Array.from({ length: 5 }, () => sendHttp(withKey({ number: GB_MOBILE }, 'signup-43'))));

    expect(service.simulator.outbox()).toHaveLength(1);
    expect(new Set(answers.map((answer) => JSON.stringify(answer))).size).toBe(1);
    expect(answers[0]).toMatchObject({ status: 200, body: { sent: true } });
  });

  it('a different request under a used key: 409/25, nothing sent', async () => {
    await sendHttp(withKey({ number: GB_MOBILE }, 'signup-44'));

    await expect(sendHttp(withKey({ number: usFictional(1) }, 'signup-44'))).resolves.toEqual({
      status: 409,
      body: { 'api-error': 25, 'api-error-msg': 'This Idempotency-Key was used for a different request' },
    });
    expect(service.simulator.outbox()).toHaveLength(1);
  });

  it('Lambda retrying an asynchronous invocation (same request id): one SMS', async () => {
    const first = await send({ number: GB_MOBILE }, 'async-event-1');
    const retry = await send({ number: GB_MOBILE }, 'async-event-1');

    expect(retry).toEqual(first);
    expect(service.simulator.outbox()).toHaveLength(1);
  });

  it('an idempotency-key field in a direct invocation works across request ids', async () => {
    const first = await send({ number: GB_MOBILE, 'idempotency-key': 'job-7' });
    const retry = await send({ number: GB_MOBILE, 'idempotency-key': 'job-7' });

    expect(retry).toEqual(first);
    expect(service.simulator.outbox()).toHaveLength(1);
  });

  it('refuses a malformed key by name, and an idempotency-key on the verify route', async () => {
    await expect(sendHttp(withKey({ number: GB_MOBILE }, ' starts with a space'))).resolves.toMatchObject({
      status: 400,
      body: { 'api-error': 1, 'api-error-msg': expect.stringContaining('"Idempotency-Key"') },
    });
    await expect(send({ number: GB_MOBILE, 'idempotency-key': 'x'.repeat(256) })).resolves.toMatchObject({ 'api-error': 1 });
    await expect(verify({ number: GB_MOBILE, 'security-code': '12345', 'idempotency-key': 'k' })).resolves.toMatchObject({
      'api-error': 1,
      'api-error-msg': expect.stringContaining('"idempotency-key"'),
    });
    expect(service.simulator.outbox()).toEqual([]);
  });

  it('keeps the first answer sealed in the table, never the code in plain text', async () => {
    await sendHttp(withKey({ number: GB_MOBILE, 'security-code': '97531086' }, 'signup-45'));

    const table = JSON.stringify(await scanTable(service.client, service.tableName));
    expect(table).toContain('"status":{"S":"completed"}');
    expect(table).not.toContain('97531086');
  });
});
