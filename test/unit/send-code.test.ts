import maxMetadata from 'libphonenumber-js/max/metadata';
import { NumberLimitReachedError, OutcomeUnknownError, VelocityLimitError } from '../../functions/core/errors';
import { createPhoneNumberReader } from '../../functions/core/phone-number';
import { createDigester, createSealer } from '../../functions/core/security-code';
import { ROUTES_BUDGET_MS, SETTLE_RESERVE_MS } from '../../functions/core/delivery';
import { sendPolicyFrom, sendSecurityCode as send, type SendDependencies } from '../../functions/core/send-code';
import type { SendRequest } from '../../functions/core/parameters';
import { verifyPolicyFrom, verifySecurityCode } from '../../functions/core/verify-code';
import { resolveSettings, type DeploymentSettingsInput } from '../../functions/settings';
import { CapturingLogger, CountingMetrics, FakeSmsRoute, FakeVoiceRoute, InMemoryVerificationStore, ManualClock, ScriptedRandom } from '../support/fakes';
import { DE_MOBILE, GB_FIXED_LINE, GB_MOBILE, TEST_CODE_KEY, US_PREMIUM_RATE, usFictional } from '../support/fixtures';

const CALLER = 'ip:192.0.2.10';
const sendSecurityCode = (request: SendRequest, deps: SendDependencies) => send(request, { caller: CALLER }, deps);

function setup(settings: DeploymentSettingsInput = {}) {
  const store = new InMemoryVerificationStore();
  const sns = new FakeSmsRoute('sns');
  const pinpoint = new FakeSmsRoute('pinpoint');
  const voice = new FakeVoiceRoute('voice');
  const notifyVoice = new FakeVoiceRoute('notify-voice');
  const clock = new ManualClock();
  const logger = new CapturingLogger();
  const metrics = new CountingMetrics();
  const phoneNumbers = createPhoneNumberReader(maxMetadata);
  const loadKey = async () => new TextEncoder().encode(TEST_CODE_KEY);
  const digester = createDigester(loadKey);
  const resolved = resolveSettings(settings);
  const deps: SendDependencies = {
    phoneNumbers,
    store,
    routes: [sns, pinpoint],
    voiceRoutes: resolved.voiceRoutes.map((name) => (name === 'voice' ? voice : notifyVoice)),
    digester,
    sealer: createSealer(loadKey),
    clock,
    random: new ScriptedRandom([4242, 777, 31337]),
    logger,
    metrics,
    policy: sendPolicyFrom(resolved),
  };
  const request = (extra: Partial<SendRequest> = {}): SendRequest => ({
    channel: 'sms',
    number: GB_MOBILE,
    codeLength: 5,
    language: 'en',
    limit: 10,
    limitTtlDays: 1,
    ...extra,
  });
  const check = (code: string, number = GB_MOBILE) =>
    verifySecurityCode(
      { number, securityCode: code },
      CALLER,
      { phoneNumbers, store, digester, clock, logger, metrics, policy: verifyPolicyFrom(resolved) },
    );
  return { store, sns, pinpoint, voice, notifyVoice, clock, logger, metrics, deps, request, check };
}

describe('sending a code', () => {
  it('records the code, sends it through the first route and returns it', async () => {
    const { deps, request, sns, pinpoint, check } = setup();

    const outcome = await sendSecurityCode(request({ brandName: 'Acme' }), deps);

    expect(outcome).toEqual({ sent: true, numberValid: true, securityCode: '04242', route: 'sns', channel: 'sms' });
    // The text for routes that send it as it is; the code, language and brand for a route with templates of its own.
    expect(sns.sent).toEqual([{ to: GB_MOBILE, body: 'Your Acme security code is 04242', code: '04242', language: 'en', brand: 'Acme', country: 'GB', sendId: 'send-1' }]);
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

  it('when every route surely sent nothing: delivery-failed, the code is not valid and the limit is not used', async () => {
    const { deps, request, sns, pinpoint, check } = setup();
    sns.failure = 'unreachable';
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

describe('destination policy', () => {
  it('refuses countries outside the allow-list, storing and counting nothing', async () => {
    const { deps, request, store, sns } = setup({ allowedCountries: ['GB', 'IE'] });

    await expect(sendSecurityCode(request({ number: DE_MOBILE }), deps)).resolves.toEqual({
      sent: false,
      numberValid: true,
      securityCode: '',
      reason: 'country-not-allowed',
    });
    await expect(sendSecurityCode(request(), deps)).resolves.toMatchObject({ sent: true });
    expect(sns.sent.map((message) => message.to)).toEqual([GB_MOBILE]);
    expect([...store.records.keys()]).toEqual([GB_MOBILE]);
    expect([...store.counters.values()].every((count) => count === 1)).toBe(true);
  });

  it('refuses denied countries', async () => {
    const { deps, request } = setup({ deniedCountries: ['GB'] });

    await expect(sendSecurityCode(request(), deps)).resolves.toMatchObject({ sent: false, reason: 'country-not-allowed' });
  });

  it('sends only to the configured number types', async () => {
    const mobileOnly = setup({ allowedNumberTypes: ['MOBILE'] });

    await expect(sendSecurityCode(mobileOnly.request({ number: usFictional(5) }), mobileOnly.deps)).resolves.toMatchObject({
      sent: false,
      numberValid: true,
      reason: 'unsupported-number-type',
    });
    expect(mobileOnly.store.counters.size).toBe(0);
  });
});

describe('velocity limits', () => {
  it('refuses a caller over its send limit with 429/31, sending and storing nothing', async () => {
    const { deps, request, sns, check } = setup({ callerSendLimit: 2 });
    await sendSecurityCode(request({ number: usFictional(0) }), deps);
    await sendSecurityCode(request({ number: usFictional(1) }), deps);

    const refused = await sendSecurityCode(request({ number: usFictional(2), securityCode: '55555' }), deps).catch((e: unknown) => e);

    expect(refused).toBeInstanceOf(VelocityLimitError);
    expect(refused).toMatchObject({ apiError: 31, httpStatus: 429, limit: 'caller-send' });
    expect(sns.sent).toHaveLength(2);
    await expect(check('55555', usFictional(2))).resolves.toBe(false);
  });

  it('refuses a destination prefix over its limit with 429/4', async () => {
    const { deps, request, clock } = setup({ prefixSendLimit: 2, callerSendLimit: 0 });
    await sendSecurityCode(request({ number: usFictional(0) }), deps);
    await sendSecurityCode(request({ number: usFictional(1) }), deps);

    await expect(sendSecurityCode(request({ number: usFictional(2) }), deps)).rejects.toMatchObject({ apiError: 4 });
    await expect(sendSecurityCode(request({ number: GB_MOBILE }), deps)).resolves.toMatchObject({ sent: true });
    clock.advance(3_600_000);
    await expect(sendSecurityCode(request({ number: usFictional(2) }), deps)).resolves.toMatchObject({ sent: true });
  });

  it('stops the whole deployment at its SMS ceiling with 429/2', async () => {
    const { deps, request } = setup({ globalSendLimit: 1 });
    await sendSecurityCode(request({ number: usFictional(0) }), deps);

    await expect(sendSecurityCode(request({ number: GB_MOBILE }), deps)).rejects.toMatchObject({ apiError: 2 });
  });

  it('refunds every count when no route delivers', async () => {
    const { deps, request, sns, pinpoint } = setup({ globalSendLimit: 1, callerSendLimit: 1, prefixSendLimit: 1 });
    sns.failure = 'throttled';
    pinpoint.failure = 'rejected';
    await sendSecurityCode(request(), deps);
    sns.failure = undefined;

    await expect(sendSecurityCode(request(), deps)).resolves.toMatchObject({ sent: true });
  });
});

describe('returning the code', () => {
  it('leaves a generated code out of the answer when the deployment says so', async () => {
    const { deps, request, sns } = setup({ returnSecurityCode: false });

    const outcome = await sendSecurityCode(request(), deps);

    expect(outcome).toMatchObject({ sent: true, securityCode: '' });
    expect(sns.sent[0]?.body).toBe('Your security code is 04242');
  });

  it('still echoes a code the caller supplied', async () => {
    const { deps, request } = setup({ returnSecurityCode: false });

    await expect(sendSecurityCode(request({ securityCode: '8642' }), deps)).resolves.toMatchObject({ securityCode: '8642' });
  });
});

describe('uncertain delivery', () => {
  it('keeps the code valid and says delivery-unconfirmed when a route may have sent it (timeout, 5xx) and none confirmed', async () => {
    const { deps, request, sns, pinpoint, check } = setup();
    sns.failure = 'unconfirmed';
    pinpoint.failure = 'rejected';

    await expect(sendSecurityCode(request(), deps)).resolves.toEqual({
      sent: false,
      numberValid: true,
      securityCode: '04242',
      reason: 'delivery-unconfirmed',
    });
    await expect(check('04242')).resolves.toBe(true);
  });

  it('passes on what the store says when it cannot confirm the revocation: delivery-failed would promise too much', async () => {
    const { deps, request, sns, pinpoint, store, metrics } = setup();
    sns.failure = 'rejected';
    pinpoint.failure = 'rejected';
    const notUndone = new OutcomeUnknownError('send-not-undone');
    const revoke = jest.spyOn(store, 'revokeCode').mockRejectedValue(notUndone);

    await expect(sendSecurityCode(request(), deps)).rejects.toBe(notUndone);
    expect(revoke).toHaveBeenCalledTimes(1);
    expect(metrics.get('DeliveryFailed')).toBe(1);
  });
});

describe('codes read aloud in a call', () => {
  const VOICE = { allowedVoiceCountries: ['GB', 'US'], voiceOriginationIdentity: '+18005550100', notifyConfigurationId: 'notify-0123' };
  const call = (extra: Partial<SendRequest> = {}): Partial<SendRequest> => ({ channel: 'voice', codeLength: 6, playbackDelayMs: 800, ...extra });

  it('places a call that reads the digits one at a time, playback-delay apart, then once again', async () => {
    const { deps, request, voice, sns, metrics, check } = setup(VOICE);

    const outcome = await sendSecurityCode(request(call({ brandName: 'Acme' })), deps);

    expect(outcome).toEqual({ sent: true, numberValid: true, securityCode: '004242', route: 'voice', channel: 'voice' });
    expect(sns.sent).toEqual([]);
    const [placed] = voice.calls;
    expect(placed).toMatchObject({ to: GB_MOBILE, code: '004242', language: 'en', brand: 'Acme', country: 'GB' });
    const digits = '0 0 4 2 4 2'.split(' ').map((digit) => `<say-as interpret-as="digits">${digit}</say-as>`).join('<break time="800ms"/>');
    expect(placed?.ssml).toBe(`<speak>Your Acme security code is: <break time="500ms"/>${digits}<break time="1s"/>Again: <break time="500ms"/>${digits}</speak>`);
    expect(metrics.get('CallsPlaced')).toBe(1);
    expect(metrics.get('CallsPlacedByCountry Country=GB')).toBe(1);
    expect(metrics.get('CodesSent')).toBe(0);
    await expect(check('004242')).resolves.toBe(true);
  });

  it('escapes a brand in the script, and reads it in the request\'s language', async () => {
    const { deps, request, voice } = setup(VOICE);

    await sendSecurityCode(request(call({ brandName: 'A&B <Co>', language: 'de' })), deps);

    expect(voice.calls[0]?.ssml).toMatch(/^<speak>Ihr Sicherheitscode für A&#38;B &#60;Co&#62; lautet: .*Noch einmal: /);
  });

  it.each([
    ['a deployment that places no calls', {}, GB_MOBILE],
    ['a country allowedVoiceCountries does not name', VOICE, DE_MOBILE],
    ['a denied country', { ...VOICE, deniedCountries: ['GB'] }, GB_MOBILE],
  ])('refuses a call to %s with a hint, placing, storing and counting nothing', async (_, settings, number) => {
    const { deps, request, store, voice } = setup(settings);

    await expect(sendSecurityCode(request(call({ number })), deps)).resolves.toEqual({
      sent: false,
      numberValid: true,
      securityCode: '',
      reason: 'country-not-allowed',
      hint: expect.stringContaining('allowedVoiceCountries'),
    });
    expect(store.records.size).toBe(0);
    expect(store.counters.size).toBe(0);
    expect(voice.calls).toEqual([]);
  });

  it('calls a fixed line, which cannot take a text, and never a premium-rate number', async () => {
    const { deps, request, voice } = setup(VOICE);

    await expect(sendSecurityCode(request(call({ number: GB_FIXED_LINE })), deps)).resolves.toMatchObject({ sent: true, channel: 'voice' });
    await expect(sendSecurityCode(request(call({ number: US_PREMIUM_RATE })), deps)).resolves.toMatchObject({ sent: false, reason: 'unsupported-number-type' });
    expect(voice.calls.map((placed) => placed.to)).toEqual([GB_FIXED_LINE]);
  });

  it('counts calls against their own limits, not the SMS ones: the caller\'s calls run out first', async () => {
    const { deps, request, voice, sns } = setup({ ...VOICE, callerCallLimit: 1, callerSendLimit: 1 });

    await sendSecurityCode(request(call()), deps);
    await expect(sendSecurityCode(request(call({ number: usFictional(1) })), deps)).rejects.toMatchObject({ name: 'VelocityLimitError', limit: 'caller-call', apiError: 11 });
    await expect(sendSecurityCode(request({ number: usFictional(2) }), deps)).resolves.toMatchObject({ sent: true, channel: 'sms' });
    expect(voice.calls).toHaveLength(1);
    expect(sns.sent).toHaveLength(1);
  });

  it('keeps one code per number whichever channel carried it: the latest counts, and the number\'s limit is shared', async () => {
    const { deps, request, check } = setup(VOICE);
    const texted = await sendSecurityCode(request({ limit: 2 }), deps);
    const called = await sendSecurityCode(request(call({ limit: 2 })), deps);

    await expect(check(texted.securityCode)).resolves.toBe(false);
    await expect(check(called.securityCode)).resolves.toBe(true);
    await expect(sendSecurityCode(request({ limit: 2 }), deps)).rejects.toMatchObject({ name: 'NumberLimitReachedError' });
  });

  it('switches voice route when the same number asks for a call again', async () => {
    const { deps, request, voice, notifyVoice } = setup(VOICE);

    await sendSecurityCode(request(call()), deps);
    await sendSecurityCode(request(call()), deps);

    expect([voice.calls.length, notifyVoice.calls.length]).toEqual([1, 1]);
  });

  it('fails over between voice routes, and a call that may have been placed keeps its code valid', async () => {
    const { deps, request, voice, notifyVoice, check } = setup(VOICE);
    voice.failure = 'unconfirmed';
    notifyVoice.failure = 'rejected';

    const outcome = await sendSecurityCode(request(call()), deps);

    expect(outcome).toEqual({ sent: false, numberValid: true, securityCode: '004242', reason: 'delivery-unconfirmed' });
    await expect(check('004242')).resolves.toBe(true);
  });
});

describe('a call when texts do not arrive (voiceFallbackAfter)', () => {
  const FALLBACK = { allowedVoiceCountries: ['GB'], voiceOriginationIdentity: '+18005550100', voiceFallbackAfter: 3 };

  it('texts the first two codes of a streak and calls with the third, saying so', async () => {
    const { deps, request, sns, pinpoint, voice, metrics } = setup(FALLBACK);

    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await sendSecurityCode(request(), deps));

    expect(answers.map((answer) => ('channel' in answer ? answer.channel : undefined))).toEqual(['sms', 'sms', 'voice']);
    expect(sns.sent.length + pinpoint.sent.length).toBe(2);
    expect(voice.calls).toHaveLength(1);
    expect(metrics.get('CallsPlaced')).toBe(1);
  });

  it('texts as before when the number cannot be called there, or the call limits are used up', async () => {
    const { deps, request, voice } = setup({ ...FALLBACK, globalCallLimit: 1 });
    for (let i = 0; i < 3; i++) await sendSecurityCode(request({ number: usFictional(9) }), deps); // the US: no calls
    for (let i = 0; i < 3; i++) await sendSecurityCode(request(), deps); // the third is a call: the ceiling's one
    const other = GB_MOBILE.replace(/6$/, '7');
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await sendSecurityCode(request({ number: other }), deps));

    expect(voice.calls.map((placed) => placed.to)).toEqual([GB_MOBILE]);
    expect(answers[2]).toMatchObject({ sent: true, channel: 'sms' });
  });

  it('gives a fallback\'s call counts back when no call went out, and keeps them when one may have', async () => {
    const { deps, request, voice, store } = setup({ ...FALLBACK, globalCallLimit: 1 });
    const callsCounted = () => [...store.counters.entries()].filter(([key]) => key.startsWith('global-call')).map(([, count]) => count);
    voice.failure = 'rejected';
    for (let i = 0; i < 3; i++) await sendSecurityCode(request(), deps);
    // The refused call's count came back: the ceiling of one call is still there for another number.
    expect(callsCounted()).toEqual([0]);
    voice.failure = 'unconfirmed';
    const other = GB_MOBILE.replace(/6$/, '7');
    for (let i = 0; i < 3; i++) await sendSecurityCode(request({ number: other }), deps);
    voice.failure = undefined;
    const third = GB_MOBILE.replace(/6$/, '8');
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await sendSecurityCode(request({ number: third }), deps));

    expect(voice.calls).toEqual([]);
    // The call that may have gone out keeps its count: the ceiling is used, and the third number is texted.
    expect(answers[2]).toMatchObject({ sent: true, channel: 'sms' });
    expect(callsCounted()).toEqual([1]);
  });

  it('counts a fallback the call limits declined apart from the limits that refused a request', async () => {
    const { deps, request, metrics } = setup({ ...FALLBACK, globalCallLimit: 0, callerCallLimit: 1 });
    for (let i = 0; i < 3; i++) await sendSecurityCode(request(), deps);
    for (let i = 0; i < 3; i++) await sendSecurityCode(request({ number: GB_MOBILE.replace(/6$/, '7') }), deps);

    expect(metrics.get('CallFallbackDeclined Limit=caller-call')).toBe(1);
    expect(metrics.get('LimitReached Limit=caller-call')).toBe(0);
  });

  it('texts the code when no call could be placed', async () => {
    const { deps, request, voice, check } = setup(FALLBACK);
    voice.failure = 'rejected';

    let outcome;
    for (let i = 0; i < 3; i++) outcome = await sendSecurityCode(request(), deps);

    expect(outcome).toMatchObject({ sent: true, channel: 'sms' });
    await expect(check(outcome!.securityCode)).resolves.toBe(true);
  });
});

describe('the time routes may take', () => {
  it('tries a later route only when it can end within the routes\' budget: a slow first failure leaves no time for it', async () => {
    const { deps, request, sns, pinpoint, clock, metrics } = setup();
    sns.failure = 'unconfirmed';
    sns.whileSending = () => clock.advance(9_000);
    pinpoint.maxDurationMs = ROUTES_BUDGET_MS - 9_000 + 1;

    await expect(sendSecurityCode(request(), deps)).resolves.toMatchObject({ sent: false, reason: 'delivery-unconfirmed' });
    expect(pinpoint.sent).toEqual([]);
    expect(metrics.get('RouteFailures Route=pinpoint Failure=out-of-time')).toBe(1);
  });

  it('on a cold start with less of the function\'s time left, gives the routes only what remains after the settling write', async () => {
    const { deps, request, sns, pinpoint, clock, metrics } = setup();
    sns.failure = 'rejected';
    sns.whileSending = () => clock.advance(5_000);
    pinpoint.maxDurationMs = 3_500;

    // 12 s left as the request starts (the key read and the first connections took the rest): after 5 s on the first
    // route, a 3.5 s route would end at 8.5 s, past the 12 - 3.6 s the routes may use.
    const outcome = await send(request(), { caller: CALLER, remainingMs: 12_000 }, deps);

    expect(outcome).toMatchObject({ sent: false, reason: 'delivery-failed' });
    expect(pinpoint.sent).toEqual([]);
    expect(metrics.get('RouteFailures Route=pinpoint Failure=out-of-time')).toBe(1);
    expect(SETTLE_RESERVE_MS).toBeGreaterThanOrEqual(3_100);

    // With the function's whole 20 s left, the same route fits.
    sns.whileSending = () => clock.advance(5_000);
    await expect(send(request({ number: usFictional(3) }), { caller: CALLER, remainingMs: 20_000 }, deps)).resolves.toMatchObject({ sent: true, route: 'pinpoint' });
  });

  it('keeps room for two settling writes when the send has an idempotency key', async () => {
    const { deps, request, sns, pinpoint, clock } = setup();
    sns.failure = 'rejected';
    sns.whileSending = () => clock.advance(2_500);
    pinpoint.maxDurationMs = 3_500;

    // 12 s left: 2.5 s + 3.5 s fits before 12 - 3.6 s, but not before 12 - 3.6 - 3.1 s.
    await expect(send(request(), { caller: CALLER, remainingMs: 12_000 }, deps)).resolves.toMatchObject({ sent: true, route: 'pinpoint' });
    await expect(send(request({ number: usFictional(4) }), { caller: CALLER, remainingMs: 12_000, idempotencyKey: 'k-1' }, deps)).resolves.toMatchObject({
      sent: false,
      reason: 'delivery-failed',
    });
  });

  it('tries it when it fits, and whenever the failures before it were quick', async () => {
    const { deps, request, sns, pinpoint, clock } = setup();
    sns.failure = 'rejected';
    sns.whileSending = () => clock.advance(9_000);
    pinpoint.maxDurationMs = ROUTES_BUDGET_MS - 9_000;

    await expect(sendSecurityCode(request(), deps)).resolves.toMatchObject({ sent: true, route: 'pinpoint' });
    expect(pinpoint.sent).toHaveLength(1);
  });
});

describe('idempotent sends', () => {
  const withKey = (key: string) => ({ caller: CALLER, idempotencyKey: key });

  it('answers a repeat with the first answer and sends one SMS', async () => {
    const { deps, request, sns } = setup();

    const first = await send(request(), withKey('order-17'), deps);
    const repeat = await send(request(), withKey('order-17'), deps);

    expect(repeat).toEqual(first);
    expect(sns.sent).toHaveLength(1);
  });

  it('refuses a different request under the same key with 409/25', async () => {
    const { deps, request } = setup();
    await send(request(), withKey('order-17'), deps);

    await expect(send(request({ language: 'fr' }), withKey('order-17'), deps)).rejects.toMatchObject({
      name: 'IdempotencyKeyReusedError',
      apiError: 25,
      httpStatus: 409,
    });
  });

  it('keeps keys apart per caller', async () => {
    const { deps, request, sns } = setup();
    await send(request(), withKey('k'), deps);

    await send(request({ number: usFictional(1) }), { caller: 'ip:198.51.100.7', idempotencyKey: 'k' }, deps);

    expect(sns.sent.map((message) => message.to)).toEqual([GB_MOBILE, usFictional(1)]);
  });

  it('runs a repeat again after the key was released by a failure, and after 10 minutes', async () => {
    const { deps, request, sns, pinpoint, clock } = setup();
    const failure = new TypeError('bug');
    jest.spyOn(sns, 'send').mockRejectedValueOnce(failure);

    await expect(send(request(), withKey('k'), deps)).rejects.toBe(failure);
    await send(request(), withKey('k'), deps);
    await send(request(), withKey('k'), deps);
    clock.advance(10 * 60_000);
    await send(request(), withKey('k'), deps);

    expect([...sns.sent, ...pinpoint.sent]).toHaveLength(2);
  });

  it('keeps the first answer sealed, never in plain text', async () => {
    const { deps, request, store } = setup();

    await send(request({ securityCode: '97531' }), withKey('k'), deps);

    const [claim] = [...store.claims.values()];
    expect(claim).toMatchObject({ status: 'completed' });
    expect(JSON.stringify(claim)).not.toContain('97531');
  });
});

describe('test numbers', () => {
  it('never texts a test number, answers its fixed code, and the code verifies like a sent one', async () => {
    const { deps, request, sns, pinpoint, store, check, metrics } = setup({ testNumbers: [`${GB_MOBILE}=246810`] });

    await expect(sendSecurityCode(request({ securityCode: '99999' }), deps)).resolves.toEqual({
      sent: true,
      numberValid: true,
      securityCode: '246810',
    });
    expect([...sns.sent, ...pinpoint.sent]).toEqual([]);
    expect(store.counters.size).toBe(0);
    expect(metrics.get('TestNumberCodes')).toBe(1);
    await expect(check('246810')).resolves.toBe(true);
  });

  it('leaves every other number alone', async () => {
    const { deps, request, sns } = setup({ testNumbers: ['+12015550100=246810'] });

    await sendSecurityCode(request(), deps);

    expect(sns.sent).toHaveLength(1);
  });
});

describe('autofill-ready messages', () => {
  it('adds the Android app hash and the WebOTP origin line, last', async () => {
    const { deps, request, sns } = setup({ webOtpDomain: 'example.com', androidAppHash: 'FA+9qCX9VSu' });

    await sendSecurityCode(request({ brandName: 'Acme' }), deps);

    expect(sns.sent[0]?.body).toBe('Your Acme security code is 04242\nFA+9qCX9VSu\n\n@example.com #04242');
  });
});

describe('metrics', () => {
  it('counts codes sent by route and country, failovers, route failures and delivery failures', async () => {
    const { deps, request, sns, pinpoint, metrics } = setup();
    await sendSecurityCode(request(), deps);
    sns.failure = 'throttled';
    await sendSecurityCode(request({ number: usFictional(1) }), deps);
    pinpoint.failure = 'rejected';
    await sendSecurityCode(request({ number: usFictional(2) }), deps);

    expect(metrics.get('CodesSent')).toBe(2);
    expect(metrics.get('CodesSentByRoute Route=sns')).toBe(1);
    expect(metrics.get('CodesSentByRoute Route=pinpoint')).toBe(1);
    expect(metrics.get('CodesSentByCountry Country=GB')).toBe(1);
    expect(metrics.get('CodesSentByCountry Country=US')).toBe(1);
    expect(metrics.get('Failovers')).toBe(1);
    expect(metrics.get('RouteFailures Route=sns Failure=throttled')).toBe(2);
    expect(metrics.get('RouteFailures Route=pinpoint Failure=rejected')).toBe(1);
    expect(metrics.get('DeliveryFailed')).toBe(1);
  });

  it('counts each limit hit by its kind', async () => {
    const { deps, request, metrics } = setup({ callerSendLimit: 1 });
    await sendSecurityCode(request(), deps);
    await sendSecurityCode(request({ number: usFictional(1) }), deps).catch(() => undefined);

    expect(metrics.get('LimitReached Limit=caller-send')).toBe(1);
  });
});
