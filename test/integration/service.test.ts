/**
 * The send and verify handlers end to end on real parts: DynamoDB Local, the
 * real SNS and Pinpoint adapters and SDK clients, the SMS simulator.
 */
import { lambdaContext } from '../support/fake-service';
import { httpEvent } from '../support/http-events';
import { GB_MOBILE, GB_MOBILE_NATIONAL } from '../support/fixtures';
import { startRealService, type RealService } from '../support/real-service';
import { scanTable } from '../support/tables';

let service: RealService;
beforeEach(async () => {
  service = await startRealService();
});
afterEach(() => service.stop());

const MINUTE = 60_000;
const send = (parameters: object) => service.send(parameters, lambdaContext()) as Promise<Record<string, unknown>>;
const verify = (parameters: object) => service.verify(parameters, lambdaContext()) as Promise<Record<string, unknown>>;

/** The code in the last SMS the simulator accepted. */
function lastCodeSent(): string {
  const body = service.simulator.outbox().at(-1)?.body ?? '';
  return /(\d{4,12})$/.exec(body)?.[1] ?? '';
}

describe('send then verify', () => {
  it('delivers a code that verifies once, for the number written either way', async () => {
    const sent = await send({ number: GB_MOBILE_NATIONAL, 'country-code': 'GB', 'language-code': 'de' });

    expect(sent).toEqual({ sent: true, 'number-valid': true, 'security-code': expect.stringMatching(/^\d{5}$/) });
    expect(service.simulator.outbox()).toEqual([
      { to: GB_MOBILE, body: `Ihr Sicherheitscode lautet ${sent['security-code']}`, route: 'sns', channel: 'sms', at: expect.any(String), messageId: expect.any(String) },
    ]);
    await expect(verify({ number: GB_MOBILE, 'security-code': sent['security-code'] })).resolves.toEqual({ verified: true });
    await expect(verify({ number: GB_MOBILE, 'security-code': sent['security-code'] })).resolves.toEqual({ verified: false });
  });

  it('stores no code in plain text', async () => {
    const sent = await send({ number: GB_MOBILE, 'security-code': '73914028' });

    const table = JSON.stringify(await scanTable(service.client, service.tableName));
    expect(sent['security-code']).toBe('73914028');
    expect(table).not.toContain('73914028');
  });

  it('refuses a code after it expires (10 minutes)', async () => {
    await send({ number: GB_MOBILE });
    service.clock.advance(10 * MINUTE);

    await expect(verify({ number: GB_MOBILE, 'security-code': lastCodeSent() })).resolves.toEqual({ verified: false });
  });

  it('accepts only the latest code sent', async () => {
    await send({ number: GB_MOBILE });
    const first = lastCodeSent();
    service.clock.advance(MINUTE);
    await send({ number: GB_MOBILE, 'security-code': first === '11111' ? '22222' : '11111' });

    await expect(verify({ number: GB_MOBILE, 'security-code': first })).resolves.toEqual({ verified: false });
    await expect(verify({ number: GB_MOBILE, 'security-code': lastCodeSent() })).resolves.toEqual({ verified: true });
  });

  it.each(['direct invocation', 'HTTP'] as const)(
    'locks the number after 5 failed checks: a send (by %s) sends nothing, counts nothing and says when the lock ends',
    async (via) => {
      const sendVia = async (parameters: object) =>
        via === 'HTTP'
          ? (JSON.parse(((await service.send(httpEvent('/sms-verify', parameters), lambdaContext())) as { body: string }).body) as Record<string, unknown>)
          : send(parameters);
      await sendVia({ number: GB_MOBILE, 'security-code': '55555', limit: 2 });
      for (let i = 0; i < 5; i++) await verify({ number: GB_MOBILE, 'security-code': `1000${i}` });
      service.clock.advance(MINUTE);
      service.simulator.clearOutbox();

      await expect(sendVia({ number: GB_MOBILE, 'security-code': '66666', limit: 2 })).resolves.toEqual({
        sent: false,
        'number-valid': true,
        'security-code': '',
        reason: 'number-locked',
        'retry-after': 14 * 60,
      });
      expect(service.simulator.outbox()).toEqual([]);
      await expect(service.numberAttribute(GB_MOBILE, 'sendCount')).resolves.toBe(1);
      // The lock survives the refused send, and ends 15 minutes after the check that locked it.
      await expect(verify({ number: GB_MOBILE, 'security-code': '55555' })).resolves.toEqual({ verified: false });
      service.clock.advance(14 * MINUTE);
      await expect(sendVia({ number: GB_MOBILE, 'security-code': '77777', limit: 2 })).resolves.toMatchObject({ sent: true });
      await expect(verify({ number: GB_MOBILE, 'security-code': '77777' })).resolves.toEqual({ verified: true });
    },
  );
});

describe('limits and routes', () => {
  it('answers 429/14 once the number had `limit` SMS, and sends nothing more', async () => {
    await send({ number: GB_MOBILE, limit: 2 });
    await send({ number: GB_MOBILE, limit: 2 });

    await expect(send({ number: GB_MOBILE, limit: 2 })).resolves.toEqual({
      'api-error': 14,
      'api-error-msg': 'This number has reached its limit of 2 codes (texts and calls) within 1 day(s)',
    });
    expect(service.simulator.outbox()).toHaveLength(2);
  });

  it('switches to Pinpoint when the number asks again within the window', async () => {
    await send({ number: GB_MOBILE });
    service.clock.advance(MINUTE);
    await send({ number: GB_MOBILE });

    expect(service.simulator.outbox().map((message) => message.route)).toEqual(['sns', 'pinpoint']);
  });

  it('fails over to Pinpoint within the request when SNS throttles', async () => {
    service.simulator.setFaults({ sns: 'throttle' });

    const sent = await send({ number: GB_MOBILE });

    expect(sent).toMatchObject({ sent: true });
    // Before its first publish, the SNS route reads what the account lets it deliver (three reads, once a while).
    expect(service.simulator.requests().map((request) => request.route)).toEqual(['account', 'account', 'account', 'sns', 'pinpoint']);
    expect(service.simulator.outbox().map((message) => message.route)).toEqual(['pinpoint']);
    await expect(verify({ number: GB_MOBILE, 'security-code': sent['security-code'] })).resolves.toEqual({ verified: true });
  });

  it('when every route fails: delivery-failed, nothing valid stored, limit untouched', async () => {
    service.simulator.setFaults({ sns: 'throttle', pinpoint: 'reject' });

    const failed = await send({ number: GB_MOBILE, 'security-code': '24680', limit: 1 });

    expect(failed).toEqual({ sent: false, 'number-valid': true, 'security-code': '', reason: 'delivery-failed' });
    await expect(verify({ number: GB_MOBILE, 'security-code': '24680' })).resolves.toEqual({ verified: false });
    service.simulator.setFaults({ sns: 'ok', pinpoint: 'ok' });
    await expect(send({ number: GB_MOBILE, limit: 1 })).resolves.toMatchObject({ sent: true });
  });
});

describe('a resend that no route delivers', () => {
  it('leaves the delivered code valid, with its own expiry, and counts nothing', async () => {
    await expect(send({ number: GB_MOBILE, 'security-code': '909090', limit: 2 })).resolves.toMatchObject({ sent: true });
    service.simulator.setFaults({ sns: 'reject', pinpoint: 'throttle' });

    await expect(send({ number: GB_MOBILE, 'security-code': '111111', limit: 2 })).resolves.toMatchObject({
      sent: false,
      reason: 'delivery-failed',
    });

    service.simulator.setFaults({ sns: 'ok', pinpoint: 'ok' });
    await expect(verify({ number: GB_MOBILE, 'security-code': '909090' })).resolves.toEqual({ verified: true });
    await expect(send({ number: GB_MOBILE, limit: 2 })).resolves.toMatchObject({ sent: true }); // the limit kept its room
  });

  it('does not stretch the delivered code past its own expiry', async () => {
    await send({ number: GB_MOBILE, 'security-code': '909090' });
    service.clock.advance(9 * MINUTE);
    service.simulator.setFaults({ sns: 'reject', pinpoint: 'throttle' });
    await send({ number: GB_MOBILE, 'security-code': '111111' });
    service.clock.advance(2 * MINUTE);

    await expect(verify({ number: GB_MOBILE, 'security-code': '909090' })).resolves.toEqual({ verified: false });
  });
});

describe('under concurrency', () => {
  it('20 concurrent verifies of the right code: exactly one verified:true', async () => {
    const sent = await send({ number: GB_MOBILE });

    const answers = await Promise.all(
      Array.from({ length: 20 }, () => verify({ number: GB_MOBILE, 'security-code': sent['security-code'] })),
    );

    expect(answers.filter((answer) => answer.verified === true)).toHaveLength(1);
  });

  it('30 concurrent sends with limit 3: exactly 3 SMS leave', async () => {
    const answers = await Promise.all(Array.from({ length: 30 }, () => send({ number: GB_MOBILE, limit: 3 })));

    expect(answers.filter((answer) => answer.sent === true)).toHaveLength(3);
    expect(answers.filter((answer) => answer['api-error'] === 14)).toHaveLength(27);
    expect(service.simulator.outbox()).toHaveLength(3);
  });
});
