/**
 * Race and brute-force tests on the real handlers, DynamoDB Local and the SMS
 * simulator: what an attacker with many connections and many numbers can get.
 */
import { lambdaContext } from '../support/fake-service';
import { GB_MOBILE, usFictional } from '../support/fixtures';
import { httpEvent } from '../support/http-events';
import { startRealService, type RealService } from '../support/real-service';

let service: RealService;
afterEach(() => service.stop());

type HttpAnswer = { statusCode: number; body: string };
const ATTACKER_IP = '203.0.113.66';

async function verifyAs(sourceIp: string, parameters: object): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = (await service.verify(
    httpEvent('/verify-security-code', parameters, { sourceIp }),
    lambdaContext(),
  )) as HttpAnswer;
  return { status: response.statusCode, body: JSON.parse(response.body) };
}

const failedChecksOf = (e164: string) => service.numberAttribute(e164, 'failedChecks');

describe('brute force against one number', () => {
  beforeEach(async () => {
    service = await startRealService();
  });

  it('50 concurrent wrong guesses: no more than 5 are evaluated, and the right code is refused afterwards', async () => {
    await service.send({ number: GB_MOBILE, 'security-code': '424242' }, lambdaContext());
    const guesses = Array.from({ length: 50 }, (_, i) => String(100000 + i));

    const answers = await Promise.all(guesses.map((code, i) => verifyAs(`198.51.100.${i}`, { number: GB_MOBILE, 'security-code': code })));

    expect(answers.every((answer) => answer.status === 200 && answer.body.verified === false)).toBe(true);
    await expect(failedChecksOf(GB_MOBILE)).resolves.toBe(5);
    await expect(verifyAs('192.0.2.1', { number: GB_MOBILE, 'security-code': '424242' })).resolves.toEqual({
      status: 200,
      body: { verified: false },
    });
  });

  it('gives the same answer whether the number never had a code, has a used, expired or wrong one, or is locked', async () => {
    const unknownNumber = await verifyAs('192.0.2.1', { number: usFictional(9), 'security-code': '12345' });
    await service.send({ number: GB_MOBILE, 'security-code': '12345' }, lambdaContext());
    await verifyAs('192.0.2.1', { number: GB_MOBILE, 'security-code': '12345' });
    const used = await verifyAs('192.0.2.1', { number: GB_MOBILE, 'security-code': '12345' });
    for (let i = 0; i < 5; i++) await verifyAs('192.0.2.1', { number: GB_MOBILE, 'security-code': '99999' });
    const locked = await verifyAs('192.0.2.1', { number: GB_MOBILE, 'security-code': '12345' });
    await service.send({ number: usFictional(8), 'security-code': '12345' }, lambdaContext());
    service.clock.advance(11 * 60_000);
    const expired = await verifyAs('192.0.2.1', { number: usFictional(8), 'security-code': '12345' });

    for (const answer of [used, locked, expired]) expect(answer).toEqual(unknownNumber);
    expect(unknownNumber).toEqual({ status: 200, body: { verified: false } });
  });
});

describe('a guessing campaign across many numbers', () => {
  beforeEach(async () => {
    service = await startRealService({ callerVerifyLimit: 20, callerSendLimit: 0, prefixSendLimit: 0 });
  });

  it('stops at the caller limit: 100 numbers, one caller, only 20 guesses evaluated', async () => {
    const numbers = Array.from({ length: 100 }, (_, i) => usFictional(i));
    for (const number of numbers) await service.send({ number, 'security-code': '73519' }, lambdaContext());

    const answers = [];
    for (const number of numbers) answers.push(await verifyAs(ATTACKER_IP, { number, 'security-code': '00000' }));

    expect(answers.slice(0, 20).every((answer) => answer.status === 200 && answer.body.verified === false)).toBe(true);
    expect(answers.slice(20).every((answer) => answer.status === 429 && answer.body['api-error'] === 32)).toBe(true);
    const evaluated = await Promise.all(numbers.map(failedChecksOf));
    expect(evaluated.reduce((sum, count) => sum + count, 0)).toBe(20);
    // The numbers the campaign never reached are untouched: their owners can still verify.
    await expect(verifyAs('192.0.2.1', { number: numbers[99], 'security-code': '73519' })).resolves.toMatchObject({
      body: { verified: true },
    });
  });

  it('does not stop other callers', async () => {
    await service.send({ number: GB_MOBILE, 'security-code': '73519' }, lambdaContext());
    for (let i = 0; i < 20; i++) await verifyAs(ATTACKER_IP, { number: usFictional(i), 'security-code': '00000' });

    await expect(verifyAs('192.0.2.1', { number: GB_MOBILE, 'security-code': '73519' })).resolves.toEqual({
      status: 200,
      body: { verified: true },
    });
  });
});

describe('SMS pumping', () => {
  beforeEach(async () => {
    service = await startRealService({ callerSendLimit: 5, prefixSendLimit: 8, globalSendLimit: 12 });
  });

  it('stops a caller at its send limit, a number range at its prefix limit, and the deployment at its ceiling', async () => {
    const sendAs = async (sourceIp: string, number: string) => {
      const response = (await service.send(httpEvent('/sms-verify', { number }, { sourceIp }), lambdaContext())) as HttpAnswer;
      return response.statusCode === 200 ? 'sent' : JSON.parse(response.body)['api-error'];
    };

    const oneCaller = [];
    for (let i = 0; i < 6; i++) oneCaller.push(await sendAs('203.0.113.1', usFictional(i)));
    const oneRange = [];
    for (let i = 6; i < 10; i++) oneRange.push(await sendAs(`203.0.113.${10 + i}`, usFictional(i)));
    const everywhere = [];
    for (const number of ['+447400123456', '+33612345678', '+4915123456789', '+61491570156', '+34612345678']) {
      everywhere.push(await sendAs(`198.51.100.${everywhere.length}`, number));
    }

    expect(oneCaller).toEqual(['sent', 'sent', 'sent', 'sent', 'sent', 31]);
    expect(oneRange).toEqual(['sent', 'sent', 'sent', 4]);
    expect(everywhere).toEqual(['sent', 'sent', 'sent', 'sent', 2]);
    expect(service.simulator.outbox()).toHaveLength(12);
  });
});
