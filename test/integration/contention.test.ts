/**
 * Bursts from one caller, as a team's backend sends them, on the real handlers
 * and DynamoDB Local behind the contention stand-in (every suite runs behind
 * it; see test/support/global-setup.ts): the conflicts and hot items of real
 * DynamoDB must cost no request its answer, and every limit stays exact.
 *
 * At most 50 requests are in flight at once: on these 2 cores DynamoDB Local
 * alone cannot answer 200 at once within the functions' 1 s DynamoDB timeout,
 * which Lambda, with one container per concurrent request, never asks of it.
 */
import { lambdaContext } from '../support/fake-service';
import { fictionalNumbersInDistinctPrefixes } from '../support/fixtures';
import { DynamoDbContentionProxy } from '../../local/dynamodb-contention';
import { startRealService, type RealService } from '../support/real-service';
import { scanTable, testDynamoDbLocalEndpoint } from '../support/tables';

let service: RealService;
afterEach(() => service.stop());

type Answer = Record<string, unknown>;
const IN_FLIGHT = 50;
const NUMBERS = fictionalNumbersInDistinctPrefixes(200);
/** Limits that let the whole burst through, still counted on every send. */
const ROOMY = { callerSendLimit: 1_000, prefixSendLimit: 1_000, globalSendLimit: 1_000, callerVerifyLimit: 1_000 };

const send = (parameters: object) => service.send(parameters, lambdaContext()) as Promise<Answer>;
const verify = (parameters: object) => service.verify(parameters, lambdaContext()) as Promise<Answer>;

/** Runs `task` for every input with at most `limit` running at once; answers in input order. */
async function withInFlight<T, R>(inputs: readonly T[], limit: number, task: (input: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(inputs.length);
  let next = 0;
  let peak = 0;
  let running = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, inputs.length) }, async () => {
      while (next < inputs.length) {
        const index = next++;
        running += 1;
        peak = Math.max(peak, running);
        results[index] = await task(inputs[index]!);
        running -= 1;
      }
    }),
  );
  expect(peak).toBe(Math.min(limit, inputs.length));
  return results;
}

const tally = (answers: Answer[]) => ({
  sent: answers.filter((answer) => answer.sent === true).length,
  byError: answers.reduce<Record<string, number>>((counts, answer) => {
    const code = answer['api-error'];
    if (code !== undefined) counts[String(code)] = (counts[String(code)] ?? 0) + 1;
    return counts;
  }, {}),
});

describe('a burst of 200 sends from one caller to 200 numbers in 200 prefixes', () => {
  it('within every limit: 200 sent, no 503, 200 SMS, and every code verifies exactly once', async () => {
    service = await startRealService(ROOMY);

    const answers = await withInFlight(NUMBERS, IN_FLIGHT, (number) => send({ number }));

    expect(tally(answers)).toEqual({ sent: 200, byError: {} });
    expect(service.simulator.outbox()).toHaveLength(200);
    const checks = await withInFlight(NUMBERS, IN_FLIGHT, async (number) => {
      const code = answers[NUMBERS.indexOf(number)]!['security-code'];
      return [await verify({ number, 'security-code': code }), await verify({ number, 'security-code': code })];
    });
    expect(checks.map(([first]) => first!.verified)).toEqual(NUMBERS.map(() => true));
    expect(checks.map(([, second]) => second!.verified)).toEqual(NUMBERS.map(() => false));
  });

  it('with callerSendLimit 50: exactly 50 sent, 150 refused with the caller limit, no 503, 50 SMS', async () => {
    service = await startRealService({ ...ROOMY, callerSendLimit: 50 });

    const answers = await withInFlight(NUMBERS, IN_FLIGHT, (number) => send({ number }));

    expect(tally(answers)).toEqual({ sent: 50, byError: { 31: 150 } });
    expect(service.simulator.outbox()).toHaveLength(50);
  });

  it('with globalSendLimit 50: exactly 50 sent, 150 refused with the ceiling, 50 SMS', async () => {
    service = await startRealService({ ...ROOMY, globalSendLimit: 50 });

    const answers = await withInFlight(NUMBERS, IN_FLIGHT, (number) => send({ number }));

    expect(tally(answers)).toEqual({ sent: 50, byError: { 2: 150 } });
    expect(service.simulator.outbox()).toHaveLength(50);
  });
});

describe('refunds under contention', () => {
  it('sends no route delivers give every count back, exactly: the full limit is there afterwards', async () => {
    // One route that refuses: one provider request a send, so that the refunds, not the provider, are what is busy
    // (on a loaded machine a provider slower than its timeout would make a send delivery-unconfirmed, kept and counted).
    service = await startRealService({ ...ROOMY, callerSendLimit: 60, smsRoutes: ['pinpoint'] });
    service.simulator.setFaults({ pinpoint: 'reject' });

    const failed = await withInFlight(NUMBERS.slice(0, 100), IN_FLIGHT, (number) => send({ number }));
    // Each is refunded; while 50 are in flight none can find the limit of 60 used up.
    expect(tally(failed)).toEqual({ sent: 0, byError: {} });
    expect(failed.map((answer) => answer.reason)).toEqual(failed.map(() => 'delivery-failed'));

    service.simulator.setFaults({ pinpoint: 'ok' });
    const delivered = await withInFlight(NUMBERS.slice(100), IN_FLIGHT, (number) => send({ number }));
    expect(tally(delivered)).toEqual({ sent: 60, byError: { 31: 40 } });
    expect(service.simulator.outbox()).toHaveLength(60);
  });
});

describe('two limits running out in the same burst', () => {
  it('never sends more than either allows; each may refuse early by at most the sends in flight', async () => {
    service = await startRealService({ ...ROOMY, callerSendLimit: 60, globalSendLimit: 60 });

    const answers = await withInFlight(NUMBERS, IN_FLIGHT, (number) => send({ number }));

    // A send refused by one limit holds its count in the other for one round trip before giving it back.
    const { sent, byError } = tally(answers);
    expect(sent).toBeLessThanOrEqual(60);
    expect(sent).toBeGreaterThan(60 - IN_FLIGHT);
    expect(sent + (byError[31] ?? 0) + (byError[2] ?? 0)).toBe(200);
    expect(service.simulator.outbox()).toHaveLength(sent);
  });
});

describe('a burst of checks from one caller', () => {
  it('200 checks of 200 numbers, right and wrong codes: each answered as it should be, no 503', async () => {
    service = await startRealService(ROOMY);
    const sent = await withInFlight(NUMBERS, IN_FLIGHT, (number) => send({ number, 'security-code': '2468' }));
    expect(tally(sent).sent).toBe(200);

    const answers = await withInFlight(NUMBERS, IN_FLIGHT, (number) =>
      verify({ number, 'security-code': NUMBERS.indexOf(number) % 2 === 0 ? '2468' : '1357' }),
    );

    expect(answers).toEqual(NUMBERS.map((_, i) => ({ verified: i % 2 === 0 })));
  });

  it('with callerVerifyLimit 50: exactly 50 evaluated, 150 refused with the caller check limit', async () => {
    service = await startRealService({ ...ROOMY, callerVerifyLimit: 50 });
    await withInFlight(NUMBERS, IN_FLIGHT, (number) => send({ number, 'security-code': '2468' }));

    const answers = await withInFlight(NUMBERS, IN_FLIGHT, (number) => verify({ number, 'security-code': '2468' }));

    expect(tally(answers).byError).toEqual({ 32: 150 });
    expect(answers.filter((answer) => answer.verified === true)).toHaveLength(50);
  });
});

describe('when DynamoDB refuses for load', () => {
  let proxy: DynamoDbContentionProxy;
  afterEach(() => proxy.stop());

  it('a throttled hot item answers 503 saying the service is busy (not blaming the number), and keeps no count of it', async () => {
    // A scaled-down hot item: 3 writes a second where DynamoDB allows 1 000; the SDK retries each throttled write.
    proxy = await DynamoDbContentionProxy.start({ target: testDynamoDbLocalEndpoint(), holdMs: 0, itemWritesPerSecond: 3 });
    service = await startRealService({ ...ROOMY, prefixSendLimit: 0, globalSendLimit: 0 }, { dynamoDbEndpoint: proxy.endpoint });

    const answers = await Promise.all(NUMBERS.slice(0, 30).map((number) => send({ number })));

    const busy = answers.filter((answer) => answer['api-error'] === 5);
    expect(busy.length).toBeGreaterThan(0);
    expect(busy.map((answer) => answer['api-error-msg'])).toEqual(busy.map(() => 'The verification store is busy; try again shortly'));
    const sent = answers.filter((answer) => answer.sent === true).length;
    expect(sent + busy.length).toBe(30);
    expect(service.simulator.outbox()).toHaveLength(sent);
    expect(proxy.stats.throttled).toBeGreaterThan(0);
    // Only the sends that went out are counted against the caller.
    const counters = (await scanTable(service.client, service.tableName)).filter((item) => item.pk?.S?.startsWith('velocity#caller-send#'));
    expect(counters.reduce((sum, item) => sum + Number(item.count?.N ?? 0), 0)).toBe(sent);
  });
});
