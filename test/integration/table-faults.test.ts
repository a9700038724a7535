/**
 * The table fault matrix: each write of a send and of a check, under each way a
 * real table can lose an answer (local/dynamodb-contention.ts, `injectFault`),
 * through the real handlers with the deployed table client (1 s timeout, one
 * attempt; the store repeats what may be repeated).
 *
 * Each fault hits a write once (the store's repeat gets through) or twice (the table stays away for both of the
 * write's attempts; its fence, or the refund, gets through). In every cell the answer must tell the truth:
 *  - `sent: true` means one SMS, a code that verifies once, and one send counted against the number's limit;
 *  - 503/5 means nothing changed: no SMS, no code, no count, the same request succeeds afterwards
 *    (with `limit: 1`, so that a send counted by a "nothing changed" answer would show as a 429);
 *  - 503/30 says what may have changed, and nothing else did;
 *  - a right code is never answered `{"verified": false}`, and a 503 check leaves it unconsumed and uncounted.
 * Stalled writes are waited for before the table is read: a write applied late must not change anything either.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDbContentionProxy, type TableFaultMode } from '../../local/dynamodb-contention';
import { lambdaContext } from '../support/fake-service';
import { usFictional } from '../support/fixtures';
import { startRealService, type RealService } from '../support/real-service';
import { scanTable, testDynamoDbLocalEndpoint } from '../support/tables';

type Body = Record<string, unknown>;
const MODES: TableFaultMode[] = ['lose-answer', 'fail-after-commit', 'stall', 'fail-before-commit'];
/** Past the deployed client's 1 s request timeout. */
const DELAY_MS = 1_100;
const TIMES = [1, 2];

let proxy: DynamoDbContentionProxy;
let service: RealService;
let cell = 0;

beforeAll(async () => {
  proxy = await DynamoDbContentionProxy.start({ target: testDynamoDbLocalEndpoint(), holdMs: 0 });
  service = await startRealService(
    { callerSendLimit: 1_000, prefixSendLimit: 1_000, globalSendLimit: 1_000, callerVerifyLimit: 1_000 },
    { dynamoDbEndpoint: proxy.endpoint, deployedTimeouts: true },
  );
});
afterAll(async () => {
  await service.stop();
  await proxy.stop();
});
afterEach(async () => {
  proxy.clearFaults();
  await proxy.settled();
});

const send = (parameters: object) => service.send(parameters, lambdaContext()) as Promise<Body>;
const verify = (parameters: object) => service.verify(parameters, lambdaContext()) as Promise<Body>;

/** The sum of a velocity limit's counts across its shards and windows. */
async function velocityCount(kind: string): Promise<number> {
  const items = await scanTable(service.client, service.tableName);
  return items
    .filter((item) => item.pk?.S?.startsWith(`velocity#${kind}#`))
    .reduce((sum, item) => sum + Number(item.count?.N ?? 0), 0);
}

interface Cell {
  name: string;
  mode: TableFaultMode;
  times: number;
  keyPrefix: string;
  code: string;
}

const cells = (targets: Array<{ what: string; keyPrefix: string; code?: string }>): Cell[] =>
  MODES.flatMap((mode) =>
    TIMES.flatMap((times) =>
      targets.map(({ what, keyPrefix, code = '' }) => ({ name: `${mode} ×${times}, ${what}`, mode, times, keyPrefix, code })),
    ),
  );

describe('a send whose write loses its answer', () => {
  it.each(
    cells([
      { what: 'on the caller count', keyPrefix: 'velocity#caller-send#' },
      { what: 'on the idempotency claim', keyPrefix: 'idempotency#' },
      { what: 'on the code on the number', keyPrefix: 'number#' },
    ]),
  )('$name', async ({ mode, times, keyPrefix }) => {
    const number = usFictional(cell++);
    service.simulator.clearOutbox();
    const callerCountBefore = await velocityCount('caller-send');
    proxy.injectFault({ mode, times, operation: 'UpdateItem', keyPrefix, delayMs: DELAY_MS });

    const answer = await send({ number, 'security-code': '246810', limit: 1, 'idempotency-key': `faults-${cell}` });
    await proxy.settled();

    expect(proxy.faulted).toHaveLength(times);
    if (answer.sent === true) {
      expect(service.simulator.outbox()).toHaveLength(1);
      await expect(service.numberAttribute(number, 'sendCount')).resolves.toBe(1);
      // A count whose answer was lost is counted again: one stricter, never looser.
      expect((await velocityCount('caller-send')) - callerCountBefore).toBeGreaterThanOrEqual(1);
      expect((await velocityCount('caller-send')) - callerCountBefore).toBeLessThanOrEqual(2);
      await expect(verify({ number, 'security-code': '246810' })).resolves.toEqual({ verified: true });
      await expect(verify({ number, 'security-code': '246810' })).resolves.toEqual({ verified: false });
    } else {
      expect(service.simulator.outbox()).toEqual([]);
      await expect(service.numberAttribute(number, 'sendCount')).resolves.toBe(0);
      if (answer['api-error'] === 30) {
        // Only a count whose answer stayed lost: the one thing the message says may have changed.
        expect(answer).toEqual({ 'api-error': 30, 'api-error-msg': expect.stringContaining('may count against a rate limit') });
        expect(keyPrefix).toBe('velocity#caller-send#');
        expect((await velocityCount('caller-send')) - callerCountBefore).toBeLessThanOrEqual(2);
      } else {
        expect(answer).toEqual({ 'api-error': 5, 'api-error-msg': expect.any(String) });
        await expect(velocityCount('caller-send')).resolves.toBe(callerCountBefore);
      }
      await expect(verify({ number, 'security-code': '246810' })).resolves.toEqual({ verified: false });
      // Nothing changed, so the same request goes through now, even with `limit: 1`.
      await expect(send({ number, 'security-code': '246810', limit: 1, 'idempotency-key': `faults-${cell}` })).resolves.toMatchObject({
        sent: true,
      });
    }
  });
});

describe('a check whose write loses its answer', () => {
  it.each(
    cells([
      { what: 'the right code, on the caller count', keyPrefix: 'velocity#caller-verify#', code: '135790' },
      { what: 'the right code, on the number', keyPrefix: 'number#', code: '135790' },
      { what: 'a wrong code, on the number', keyPrefix: 'number#', code: '000000' },
    ]),
  )('$name', async ({ mode, times, keyPrefix, code }) => {
    const number = usFictional(cell++);
    await expect(send({ number, 'security-code': '135790' })).resolves.toMatchObject({ sent: true });
    proxy.injectFault({ mode, times, operation: 'UpdateItem', keyPrefix, delayMs: DELAY_MS });
    const right = code === '135790';

    const answer = await verify({ number, 'security-code': code });
    await proxy.settled();

    expect(proxy.faulted).toHaveLength(times);
    if ('verified' in answer) {
      expect(answer).toEqual({ verified: right });
      // Counted once: a consumed code is gone, a wrong guess is one failure.
      await expect(service.numberAttribute(number, 'failedChecks')).resolves.toBe(right ? 0 : 1);
      await expect(verify({ number, 'security-code': '135790' })).resolves.toEqual({ verified: !right });
    } else {
      if (answer['api-error'] === 30) {
        // Only the caller's count may have been taken; the code itself was not checked.
        expect(answer).toEqual({ 'api-error': 30, 'api-error-msg': expect.stringContaining('the code was not checked') });
        expect(keyPrefix).toBe('velocity#caller-verify#');
      } else {
        expect(answer).toEqual({ 'api-error': 5, 'api-error-msg': expect.any(String) });
      }
      // No failure counted, and the code is still there to be used once.
      await expect(service.numberAttribute(number, 'failedChecks')).resolves.toBe(0);
      await expect(verify({ number, 'security-code': '135790' })).resolves.toEqual({ verified: true });
    }
  });
});

describe('a revocation whose write loses its answer', () => {
  it.each(MODES)('%s: the send is given back exactly once and the earlier code is valid again', async (mode) => {
    const number = usFictional(cell++);
    await expect(send({ number, 'security-code': '909090', limit: 2 })).resolves.toMatchObject({ sent: true });
    service.simulator.setFaults({ sns: 'reject', pinpoint: 'reject', 'sms-voice-v2': 'reject' });
    // The resend's record goes through; the revocation's first write loses its answer.
    proxy.injectFault({ mode, operation: 'UpdateItem', keyPrefix: 'number#', after: 1, delayMs: DELAY_MS });

    const resend = await send({ number, 'security-code': '111111', limit: 2 });
    await proxy.settled();
    service.simulator.setFaults({ sns: 'ok', pinpoint: 'ok', 'sms-voice-v2': 'ok' });

    expect(resend).toMatchObject({ sent: false, reason: 'delivery-failed' });
    await expect(service.numberAttribute(number, 'sendCount')).resolves.toBe(1);
    await expect(verify({ number, 'security-code': '909090' })).resolves.toEqual({ verified: true });
    await expect(verify({ number, 'security-code': '111111' })).resolves.toEqual({ verified: false });
  });
});

describe('a send whose count is refused for load (known not applied) while another count went through', () => {
  // The prefix count is throttled on both of its attempts; the caller's count, made beside it, has to be given back.
  it.each([
    { refund: 'given back', refundFault: false },
    { refund: 'lost', refundFault: true },
  ])('its refund $refund', async ({ refundFault }) => {
    const number = usFictional(cell++);
    service.simulator.clearOutbox();
    const callerCountBefore = await velocityCount('caller-send');
    proxy.injectFault({ mode: 'throttle', times: 2, operation: 'UpdateItem', keyPrefix: 'velocity#prefix-send#' });
    if (refundFault) {
      proxy.injectFault({ mode: 'fail-before-commit', after: 1, operation: 'UpdateItem', keyPrefix: 'velocity#caller-send#' });
    }

    const answer = await send({ number, 'security-code': '246810' });
    await proxy.settled();

    expect(proxy.faulted).toHaveLength(refundFault ? 3 : 2);
    expect(service.simulator.outbox()).toEqual([]);
    await expect(service.numberAttribute(number, 'sendCount')).resolves.toBe(0);
    if (refundFault) {
      // The caller's count stays taken, so "nothing changed" would be untrue: the answer says what may have.
      expect(answer).toEqual({ 'api-error': 30, 'api-error-msg': expect.stringContaining('may count against a rate limit') });
      await expect(velocityCount('caller-send')).resolves.toBe(callerCountBefore + 1);
    } else {
      expect(answer).toEqual({ 'api-error': 5, 'api-error-msg': expect.any(String) });
      await expect(velocityCount('caller-send')).resolves.toBe(callerCountBefore);
    }
  });
});

/**
 * The concurrent writer dimension: a second request (another container, `service.concurrent`) writes the same
 * number between the first attempt of a write and its repeat or fence; the stand-in holds the first request's later
 * writes until the second is done (`meanwhile`). Whatever the second wrote, the first request's answer must be true:
 * its own writes are recognised by their write ids, which no other request's write erases.
 */
describe('a write that loses its answer while another request writes the same number', () => {
  const concurrentSend = (parameters: object) => service.concurrent.send(parameters, lambdaContext()) as Promise<Body>;
  const concurrentVerify = (parameters: object) => service.concurrent.verify(parameters, lambdaContext()) as Promise<Body>;
  const outboxCodes = () => service.simulator.outbox().map((message) => /\b(\d{6})\b/.exec(message.body)?.[1]);
  afterEach(() => expect(proxy.meanwhileErrors).toEqual([]));

  it.each(TIMES)('a check of the right code, answer lost ×%i, while a resend replaces the code: verified, and used once', async (times) => {
    const number = usFictional(cell++);
    await expect(send({ number, 'security-code': '135790' })).resolves.toMatchObject({ sent: true });
    let resend: Body | undefined;
    proxy.injectFault({
      mode: 'lose-answer',
      times,
      operation: 'UpdateItem',
      keyPrefix: 'number#',
      delayMs: DELAY_MS,
      meanwhile: async () => (resend = await concurrentSend({ number, 'security-code': '246802' })),
    });

    const answer = await verify({ number, 'security-code': '135790' });
    await proxy.settled();

    expect(resend).toMatchObject({ sent: true });
    // The check applied before the resend: the code was right, and it was used.
    expect(answer).toEqual({ verified: true });
    await expect(service.numberAttribute(number, 'failedChecks')).resolves.toBe(0);
    await expect(verify({ number, 'security-code': '135790' })).resolves.toEqual({ verified: false });
    await expect(verify({ number, 'security-code': '246802' })).resolves.toEqual({ verified: true });
  });

  it.each(TIMES)('a send, answer lost ×%i, while another send to the number lands: one SMS each, counted once each', async (times) => {
    const number = usFictional(cell++);
    service.simulator.clearOutbox();
    let other: Body | undefined;
    proxy.injectFault({
      mode: 'lose-answer',
      times,
      operation: 'UpdateItem',
      keyPrefix: 'number#',
      delayMs: DELAY_MS,
      meanwhile: async () => (other = await concurrentSend({ number, 'security-code': '777777' })),
    });

    const answer = await send({ number, 'security-code': '111222', limit: 5 });
    await proxy.settled();

    // The first send's code was recorded, so its SMS must go: answering 503/5 would hide a change.
    expect(answer).toMatchObject({ sent: true });
    expect(other).toMatchObject({ sent: true });
    expect(outboxCodes().sort()).toEqual(['111222', '777777']);
    await expect(service.numberAttribute(number, 'sendCount')).resolves.toBe(2);
    // The other send replaced the code after the first was recorded: only the latest code counts.
    await expect(verify({ number, 'security-code': '777777' })).resolves.toEqual({ verified: true });
  });

  it('a revocation, answer lost, while another undelivered send is revoked: each count given back once', async () => {
    const number = usFictional(cell++);
    await expect(send({ number, 'security-code': '909090', limit: 3 })).resolves.toMatchObject({ sent: true });
    service.simulator.setFaults({ sns: 'reject', pinpoint: 'reject', 'sms-voice-v2': 'reject' });
    let other: Body | undefined;
    // The resend's revocation applies and loses its answer; meanwhile another resend is recorded, fails and is
    // revoked; then the first revocation is repeated.
    proxy.injectFault({
      mode: 'lose-answer',
      operation: 'UpdateItem',
      keyPrefix: 'number#',
      bodyIncludes: '/revoke',
      delayMs: DELAY_MS,
      meanwhile: async () => (other = await concurrentSend({ number, 'security-code': '313131', limit: 3 })),
    });

    const resend = await send({ number, 'security-code': '111111', limit: 3 });
    await proxy.settled();
    service.simulator.setFaults({ sns: 'ok', pinpoint: 'ok', 'sms-voice-v2': 'ok' });

    expect(proxy.faulted).toHaveLength(1);
    expect(resend).toMatchObject({ sent: false, reason: 'delivery-failed' });
    expect(other).toMatchObject({ sent: false, reason: 'delivery-failed' });
    // Two undelivered sends, each given back once: only the first send counts.
    await expect(service.numberAttribute(number, 'sendCount')).resolves.toBe(1);
    await expect(verify({ number, 'security-code': '909090' })).resolves.toEqual({ verified: true });
  });

  it('a revocation that puts back the same code it removes (a caller-chosen code sent again), answer lost: given back once', async () => {
    const number = usFictional(cell++);
    await expect(send({ number, 'security-code': '424242', limit: 3 })).resolves.toMatchObject({ sent: true });
    service.simulator.setFaults({ sns: 'reject', pinpoint: 'reject', 'sms-voice-v2': 'reject' });
    proxy.injectFault({ mode: 'lose-answer', operation: 'UpdateItem', keyPrefix: 'number#', bodyIncludes: '/revoke', delayMs: DELAY_MS });

    const resend = await send({ number, 'security-code': '424242', limit: 3 });
    await proxy.settled();
    service.simulator.setFaults({ sns: 'ok', pinpoint: 'ok', 'sms-voice-v2': 'ok' });

    expect(proxy.faulted).toHaveLength(1);
    expect(resend).toMatchObject({ sent: false, reason: 'delivery-failed' });
    await expect(service.numberAttribute(number, 'sendCount')).resolves.toBe(1);
    await expect(verify({ number, 'security-code': '424242' })).resolves.toEqual({ verified: true });
  });

  it('a count repeated after a lost answer may stand twice: a later clean failure answers 503/30, not 503/5', async () => {
    const number = usFictional(cell++);
    service.simulator.clearOutbox();
    const callerCountBefore = await velocityCount('caller-send');
    // The caller's count applies and loses its answer; its repeat applies too. Then the number's write fails
    // before reaching the table, twice: a failure known to have changed nothing, after a count that may be doubled.
    proxy.injectFault({ mode: 'lose-answer', operation: 'UpdateItem', keyPrefix: 'velocity#caller-send#', delayMs: DELAY_MS });
    proxy.injectFault({ mode: 'fail-before-commit', times: 2, operation: 'UpdateItem', keyPrefix: 'number#' });

    const answer = await send({ number, 'security-code': '246810', limit: 1 });
    await proxy.settled();

    expect(answer).toEqual({ 'api-error': 30, 'api-error-msg': expect.stringContaining('may count against a rate limit') });
    expect(service.simulator.outbox()).toEqual([]);
    // One of the two counts was given back; the other is what the message warned of.
    await expect(velocityCount('caller-send')).resolves.toBe(callerCountBefore + 1);
    await expect(service.numberAttribute(number, 'sendCount')).resolves.toBe(0);
  });

  it('a check whose answer is lost while another check of the same number is made: each counted once', async () => {
    const number = usFictional(cell++);
    await expect(send({ number, 'security-code': '135790' })).resolves.toMatchObject({ sent: true });
    let other: Body | undefined;
    proxy.injectFault({
      mode: 'fail-after-commit',
      operation: 'UpdateItem',
      keyPrefix: 'number#',
      meanwhile: async () => (other = await concurrentVerify({ number, 'security-code': '000001' })),
    });

    const answer = await verify({ number, 'security-code': '000002' });
    await proxy.settled();

    expect(answer).toEqual({ verified: false });
    expect(other).toEqual({ verified: false });
    await expect(service.numberAttribute(number, 'failedChecks')).resolves.toBe(2);
    await expect(verify({ number, 'security-code': '135790' })).resolves.toEqual({ verified: true });
  });
});

/**
 * Found in review: each was a failing test before its fix. A fence whose own answer is lost; a count that applied
 * but lost its answer and was then refused; a revocation's refund into a window another send started.
 */
describe('a write whose settling meets a lost answer of its own', () => {
  const counters = async (kind: string) =>
    (await scanTable(service.client, service.tableName)).filter((item) => new RegExp(`^velocity#${kind}#.*#\\d+$`).test(item.pk?.S ?? ''));
  afterEach(() => jest.restoreAllMocks());

  it('a fence whose answer is lost is told apart from the write it fences: nothing recorded, no SMS, 503/5', async () => {
    const number = usFictional(cell++);
    service.simulator.clearOutbox();
    // Both attempts of the number's write fail before reaching the table; the fence applies and loses its answer.
    proxy.injectFault({ mode: 'fail-before-commit', times: 2, operation: 'UpdateItem', keyPrefix: 'number#' });
    proxy.injectFault({ mode: 'lose-answer', operation: 'UpdateItem', keyPrefix: 'number#', delayMs: DELAY_MS });

    const answer = await send({ number, 'security-code': '246810', limit: 1 });
    await proxy.settled();

    expect(answer).toEqual({ 'api-error': 5, 'api-error-msg': expect.any(String) });
    expect(service.simulator.outbox()).toEqual([]);
    await expect(send({ number, 'security-code': '246810', limit: 1 })).resolves.toMatchObject({ sent: true });
    await expect(verify({ number, 'security-code': '246810' })).resolves.toEqual({ verified: true });
  });

  it('a count that applied, lost its answer and was refused on its repeat (the shard is full): 503/30, not 503/5', async () => {
    await expect(send({ number: usFictional(cell++), 'security-code': '111111' })).resolves.toMatchObject({ sent: true });
    const pk = (await counters('caller-send'))[0]!.pk!.S!;
    const window = pk.slice(0, pk.lastIndexOf('#'));
    // callerSendLimit 1 000: two shards of 500; the first one place short of full.
    for (const [shard, count] of [[0, '499'], [1, '0']] as const) {
      await service.client.send(new PutItemCommand({ TableName: service.tableName, Item: { pk: { S: `${window}#${shard}` }, count: { N: count } } }));
    }
    jest.spyOn(Math, 'random').mockReturnValue(0); // the first shard first
    proxy.injectFault({ mode: 'lose-answer', operation: 'UpdateItem', keyPrefix: `${window}#0`, delayMs: DELAY_MS });
    proxy.injectFault({ mode: 'throttle', times: 2, operation: 'UpdateItem', keyPrefix: 'number#' }); // surely not applied

    const answer = await send({ number: usFictional(cell++), 'security-code': '246810' });
    await proxy.settled();

    // The count on the full shard may be this request's: "nothing changed" would be untrue.
    expect(answer).toEqual({ 'api-error': 30, 'api-error-msg': expect.stringContaining('may count against a rate limit') });
  });

  it('a revocation that meets a window another, undone send started gives nothing back to that window', async () => {
    const number = usFictional(cell++);
    service.simulator.setFaults({ sns: 'reject', pinpoint: 'reject', 'sms-voice-v2': 'reject' });
    let other: Body | undefined;
    // The first send's revocation fails before reaching the table; meanwhile a send a day later (a new limit window)
    // is recorded, refused by every route and undone; then the first revocation is repeated.
    proxy.injectFault({
      mode: 'fail-before-commit',
      operation: 'UpdateItem',
      keyPrefix: 'number#',
      bodyIncludes: '/revoke',
      meanwhile: async () => {
        service.clock.advance(86_400_000 + 1);
        other = (await service.concurrent.send({ number, 'security-code': '222222', limit: 1 }, lambdaContext())) as Body;
      },
    });

    const first = await send({ number, 'security-code': '111111', limit: 1 });
    await proxy.settled();
    service.simulator.setFaults({ sns: 'ok', pinpoint: 'ok', 'sms-voice-v2': 'ok' });

    expect([first, other]).toMatchObject([{ reason: 'delivery-failed' }, { reason: 'delivery-failed' }]);
    await expect(service.numberAttribute(number, 'sendCount')).resolves.toBe(0);
    await expect(send({ number, 'security-code': '333333', limit: 1 })).resolves.toMatchObject({ sent: true });
    await expect(send({ number, 'security-code': '444444', limit: 1 })).resolves.toMatchObject({ 'api-error': 14 });
  });
});
