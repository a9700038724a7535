import maxMetadata from 'libphonenumber-js/max/metadata';
import { NumberLimitReachedError } from '../../functions/core/errors';
import { createPhoneNumberReader } from '../../functions/core/phone-number';
import { createCodeDigester } from '../../functions/core/security-code';
import { sendSecurityCode, type SendDependencies } from '../../functions/core/send-code';
import type { SendRequest } from '../../functions/core/parameters';
import { verifySecurityCode } from '../../functions/core/verify-code';
import { CapturingLogger, FakeSmsRoute, InMemoryVerificationStore, ManualClock, ScriptedRandom } from '../support/fakes';
import { GB_FIXED_LINE, GB_MOBILE, TEST_CODE_KEY, US_PREMIUM_RATE } from '../support/fixtures';

function setup() {
  const store = new InMemoryVerificationStore();
  const sns = new FakeSmsRoute('sns');
  const pinpoint = new FakeSmsRoute('pinpoint');
  const clock = new ManualClock();
  const logger = new CapturingLogger();
  const phoneNumbers = createPhoneNumberReader(maxMetadata);
  const digester = createCodeDigester(async () => new TextEncoder().encode(TEST_CODE_KEY));
  const deps: SendDependencies = {
    phoneNumbers,
    store,
    routes: [sns, pinpoint],
    digester,
    clock,
    random: new ScriptedRandom([4242, 777, 31337]),
    logger,
    policy: { codeTtlMs: 600_000, lockMs: 900_000, routeSwitchWindowMs: 600_000 },
  };
  const request = (extra: Partial<SendRequest> = {}): SendRequest => ({
    number: GB_MOBILE,
    codeLength: 5,
    language: 'en',
    limit: 10,
    limitTtlDays: 1,
    ...extra,
  });
  const check = (code: string) =>
    verifySecurityCode(
      { number: GB_MOBILE, securityCode: code },
      { phoneNumbers, store, digester, clock, logger, policy: { maxFailedChecks: 5, lockMs: 900_000 } },
    );
  return { store, sns, pinpoint, clock, logger, deps, request, check };
}

describe('sending a code', () => {
  it('records the code, sends it through the first route and returns it', async () => {
    const { deps, request, sns, pinpoint, check } = setup();

    const outcome = await sendSecurityCode(request({ brandName: 'Acme' }), deps);

    expect(outcome).toEqual({ sent: true, numberValid: true, securityCode: '04242', route: 'sns' });
    expect(sns.sent).toEqual([{ to: GB_MOBILE, body: 'Your Acme security code is 04242' }]);
    expect(pinpoint.sent).toEqual([]);
    await expect(check('04242')).resolves.toBe(true);
  });

  it('sends a caller-supplied code as given', async () => {
    const { deps, request, sns } = setup();

    const outcome = await sendSecurityCode(request({ securityCode: '000123', codeLength: 6 }), deps);

    expect(outcome).toMatchObject({ sent: true, securityCode: '000123' });
    expect(sns.sent[0]?.body).toBe('Your security code is 000123');
  });

  it('answers number-valid:false for text that is not a phone number, storing and sending nothing', async () => {
    const { deps, request, store, sns } = setup();

    await expect(sendSecurityCode(request({ number: 'hello' }), deps)).resolves.toEqual({
      sent: false,
      numberValid: false,
      securityCode: '',
      reason: 'invalid-number',
    });
    expect(store.records.size).toBe(0);
    expect(sns.sent).toEqual([]);
  });

  it.each([GB_FIXED_LINE, US_PREMIUM_RATE])('refuses %s, which cannot receive an SMS, storing nothing', async (number) => {
    const { deps, request, store, sns } = setup();

    await expect(sendSecurityCode(request({ number }), deps)).resolves.toEqual({
      sent: false,
      numberValid: true,
      securityCode: '',
      reason: 'unsupported-number-type',
    });
    expect(store.records.size).toBe(0);
    expect(sns.sent).toEqual([]);
  });

  it('uses the next route when the same number asks again within the switch window, and rotates', async () => {
    const { deps, request, sns, pinpoint, clock } = setup();

    await sendSecurityCode(request(), deps);
    clock.advance(60_000);
    await sendSecurityCode(request(), deps);
    clock.advance(60_000);
    await sendSecurityCode(request(), deps);

    expect(sns.sent).toHaveLength(2);
    expect(pinpoint.sent).toHaveLength(1);
  });

  it('starts again at the first route after a quiet switch window', async () => {
    const { deps, request, sns, pinpoint, clock } = setup();

    await sendSecurityCode(request(), deps);
    clock.advance(600_001);
    await sendSecurityCode(request(), deps);

    expect(sns.sent).toHaveLength(2);
    expect(pinpoint.sent).toHaveLength(0);
  });

  it('fails over within one request when a route fails', async () => {
    const { deps, request, sns, pinpoint, check, logger } = setup();
    sns.failure = 'throttled';

    const outcome = await sendSecurityCode(request(), deps);

    expect(outcome).toMatchObject({ sent: true, route: 'pinpoint', securityCode: '04242' });
    expect(pinpoint.sent).toHaveLength(1);
    await expect(check('04242')).resolves.toBe(true);
    expect(logger.entries()).toContainEqual(expect.objectContaining({ route: 'sns', failure: 'throttled' }));
  });

  it('when every route fails: delivery-failed, the code is not valid and the limit is not used', async () => {
    const { deps, request, sns, pinpoint, check } = setup();
    sns.failure = 'unavailable';
    pinpoint.failure = 'rejected';

    const outcome = await sendSecurityCode(request({ limit: 1 }), deps);

    expect(outcome).toEqual({ sent: false, numberValid: true, securityCode: '', reason: 'delivery-failed' });
    await expect(check('04242')).resolves.toBe(false);
    sns.failure = undefined;
    await expect(sendSecurityCode(request({ limit: 1 }), deps)).resolves.toMatchObject({ sent: true });
  });

  it('refuses with NumberLimitReachedError once the number had `limit` codes in the window', async () => {
    const { deps, request, sns, pinpoint, clock } = setup();
    await sendSecurityCode(request({ limit: 2 }), deps);
    await sendSecurityCode(request({ limit: 2 }), deps);

    await expect(sendSecurityCode(request({ limit: 2 }), deps)).rejects.toThrow(NumberLimitReachedError);
    expect([...sns.sent, ...pinpoint.sent]).toHaveLength(2);
    clock.advance(86_400_000);
    await expect(sendSecurityCode(request({ limit: 2 }), deps)).resolves.toMatchObject({ sent: true });
  });

  it('logs the masked number and never the code', async () => {
    const { deps, request, logger } = setup();

    await sendSecurityCode(request(), deps);

    const log = logger.lines.join('\n');
    expect(log).toContain('+44******3456');
    expect(log).not.toContain('447400123456');
    expect(log).not.toContain('04242');
  });
});
