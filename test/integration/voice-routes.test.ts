/**
 * The voice routes with the real SDK client, against the SMS simulator's End User Messaging and the account behind
 * it: a call through `SendVoiceMessage` (the `voice` route) and through Notify's `SendNotifyVoiceMessage`
 * (`notify-voice`); what each sends, how each fails, what the account refuses, what the routes refuse before calling,
 * and the simulator's own rules for both operations.
 *
 * Notify counts time (one message a second on the Basic tier, its catalogue read once a second): only `Date` is faked
 * (test/support/notify-clock.ts), each test starts on a UTC day of its own, and a test that needs the next second sets
 * the clock to it.
 */
import {
  PinpointSMSVoiceV2Client,
  SendNotifyVoiceMessageCommand,
  SendVoiceMessageCommand,
  ValidationException,
  type SendNotifyVoiceMessageRequest,
  type SendVoiceMessageRequest,
} from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { SMS_CLIENT_OPTIONS } from '../../functions/adapters/client-options';
import { createNotifyRoute } from '../../functions/adapters/notify-route';
import { createNotifyVoiceRoute } from '../../functions/adapters/notify-voice-route';
import { sharedSmsVoiceClient } from '../../functions/adapters/sms-routes';
import { createVoiceRoute, type VoiceRouteOptions } from '../../functions/adapters/voice-route';
import { createVoiceRoutes } from '../../functions/adapters/voice-routes';
import type { VoiceMessage } from '../../functions/core/ports';
import { resolveSettings } from '../../functions/settings';
import { SmsSimulator } from '../../local/sms-simulator';
import { arnOf, LOCAL_NOTIFY_CONFIGURATION_ID, localAccount, type SimulatedIdentity } from '../../local/simulator/account';
import { DE_MOBILE, GB_MOBILE, US_TOLL_FREE } from '../support/fixtures';
import { failureOf, fakeDateOnly, nextSecond, startAFreshDay } from '../support/notify-clock';

/** The simulated account's voice-capable toll-free number (localAccount). */
const ACCOUNT_NUMBER = '+18005550100';
const DISPLAY_NAME = localAccount().notify!.displayName;

let simulator: SmsSimulator;

beforeAll(async () => {
  fakeDateOnly();
  simulator = await SmsSimulator.start();
  Object.assign(process.env, simulator.endpoints());
});
afterAll(async () => {
  await simulator.stop();
  jest.useRealTimers();
});
beforeEach(() => {
  startAFreshDay();
  simulator.resetAccount();
  simulator.setFaults({ voice: 'ok', 'notify-voice': 'ok', notify: 'ok' });
  simulator.clearOutbox();
  simulator.clearRequests();
});

/** The script as the core writes it: each digit read as a digit, a pause between, then all of it again. */
const scriptFor = (code: string) => {
  const digits = [...code].map((digit) => `<say-as interpret-as="digits">${digit}</say-as>`).join('<break time="800ms"/>');
  return `<speak>Your security code is: <break time="500ms"/>${digits}<break time="1s"/>Again: <break time="500ms"/>${digits}</speak>`;
};

const message = (overrides: Partial<VoiceMessage> = {}): VoiceMessage => ({
  to: GB_MOBILE,
  ssml: scriptFor('123456'),
  code: '123456',
  language: 'en',
  country: 'GB',
  ...overrides,
});

const client = () => new PinpointSMSVoiceV2Client(SMS_CLIENT_OPTIONS);
/** A client that gives up after 200 ms, so that a provider that never answers costs the test little time. */
const impatientClient = () => new PinpointSMSVoiceV2Client({ ...SMS_CLIENT_OPTIONS, requestHandler: { ...SMS_CLIENT_OPTIONS.requestHandler, requestTimeout: 200 } });
const voiceRoute = (options: Partial<VoiceRouteOptions> = {}, through = client()) =>
  createVoiceRoute(through, { originationIdentity: ACCOUNT_NUMBER, timeToLiveSeconds: 600, ...options });
const notifyVoiceRoute = (options: { displayName?: string } = {}, through = client()) =>
  createNotifyVoiceRoute(through, { configurationId: LOCAL_NOTIFY_CONFIGURATION_ID, timeToLiveSeconds: 600, ...options });

const reads = (operation: string) => simulator.requests('account').filter((request) => (request.payload as { operation?: string }).operation === operation);

describe('the voice route (SendVoiceMessage)', () => {
  it('reads the SSML from the configured number, with the language\'s voice, the price cap, the configuration set and the code\'s validity', async () => {
    const [route] = createVoiceRoutes(
      resolveSettings({
        voiceRoutes: ['voice'],
        voiceOriginationIdentity: ACCOUNT_NUMBER,
        allowedVoiceCountries: ['GB'],
        maxPricePerMinute: '0.10',
        configurationSetName: 'verification',
        codeTtlSeconds: 300,
      }),
    );

    const receipt = await route!.call(message());

    expect(receipt).toEqual({ route: 'voice', messageId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const [request] = simulator.requests('voice');
    expect(request?.headers['x-amz-target']).toBe('PinpointSMSVoiceV2.SendVoiceMessage');
    expect(request?.headers.authorization).toMatch(/\/us-east-1\/sms-voice\/aws4_request/);
    expect(request?.payload).toEqual({
      DestinationPhoneNumber: GB_MOBILE,
      OriginationIdentity: ACCOUNT_NUMBER,
      MessageBody: message().ssml,
      MessageBodyTextType: 'SSML',
      VoiceId: 'JOANNA',
      MaxPricePerMinute: '0.10',
      ConfigurationSetName: 'verification',
      TimeToLive: 300,
    });
    const transcript = 'Your security code is: 1 2 3 4 5 6 Again: 1 2 3 4 5 6';
    expect(simulator.outbox()).toEqual([
      {
        to: GB_MOBILE,
        route: 'voice',
        channel: 'voice',
        body: transcript,
        transcript,
        ssml: message().ssml,
        at: expect.any(String),
        messageId: receipt.messageId,
        configurationSetName: 'verification',
      },
    ]);
  });

  it('sends no MaxPricePerMinute or ConfigurationSetName when none is configured', async () => {
    await voiceRoute().call(message());

    const [request] = simulator.requests('voice');
    expect(request?.payload).not.toHaveProperty('MaxPricePerMinute');
    expect(request?.payload).not.toHaveProperty('ConfigurationSetName');
  });

  // Polly's standard voices of each language (Amazon Polly Developer Guide, "Standard voices").
  it.each([
    ['de', 'VICKI'],
    ['en', 'JOANNA'],
    ['es', 'LUCIA'],
    ['fr', 'LEA'],
    ['it', 'BIANCA'],
    ['pt', 'INES'],
    ['ru', 'TATYANA'],
  ] as const)('reads language %s with %s', async (language, voiceId) => {
    await voiceRoute().call(message({ language }));

    expect((simulator.requests('voice')[0]?.payload as SendVoiceMessageRequest).VoiceId).toBe(voiceId);
  });

  it.each([
    [1, 5],
    [600, 600],
    [1_000_000, 259_200],
  ])('asks for a TimeToLive the API takes: a validity of %i s is %i s', async (validity, timeToLive) => {
    await voiceRoute({ timeToLiveSeconds: validity }).call(message());

    expect((simulator.requests('voice')[0]?.payload as SendVoiceMessageRequest).TimeToLive).toBe(timeToLive);
    expect(simulator.outbox()).toHaveLength(1);
  });

  const usNumber = (changes: Partial<SimulatedIdentity>): SimulatedIdentity => ({ ...localAccount().originationIdentities[0]!, ...changes });

  it.each([
    ['a number without the VOICE capability', 'ConflictException NUMBER_CAPABILITIES_MISMATCH', { originationIdentities: [usNumber({ capabilities: ['SMS'] })] }, ACCOUNT_NUMBER],
    ['a number that is not ACTIVE yet', 'ConflictException RESOURCE_NOT_ACTIVE', { originationIdentities: [usNumber({ status: 'PENDING' })] }, ACCOUNT_NUMBER],
    ['a sender id', 'ConflictException NUMBER_CAPABILITIES_MISMATCH', { originationIdentities: [{ identity: 'Acme', kind: 'sender-id', isoCountryCode: 'GB', capabilities: ['SMS'], status: 'ACTIVE' }] }, 'Acme'],
    ['a number the account does not have', 'ResourceNotFoundException', {}, US_TOLL_FREE],
    ['a sandboxed account, to an unverified destination', 'ConflictException DESTINATION_PHONE_NUMBER_NOT_VERIFIED', { smsSandbox: true, verifiedDestinations: [] }, ACCOUNT_NUMBER],
    ['an opted-out destination', 'ConflictException DESTINATION_PHONE_NUMBER_OPTED_OUT', { optedOutNumbers: [GB_MOBILE] }, ACCOUNT_NUMBER],
    ['a voice spend limit of 0', 'ServiceQuotaExceededException MONTHLY_SPEND_LIMIT_REACHED_FOR_VOICE', { monthlySpendLimitUsd: 0 }, ACCOUNT_NUMBER],
  ])('%s is rejected (%s); nothing is called', async (_, error, account, originationIdentity) => {
    const [sdkError, reason] = error.split(' ');
    simulator.setAccount(account);

    const failure = await failureOf(voiceRoute({ originationIdentity }).call(message()));

    expect(failure).toMatchObject({ route: 'voice', kind: 'rejected', cause: expect.objectContaining({ name: sdkError }) });
    expect((failure.cause as { Reason?: string }).Reason).toBe(reason);
    expect(simulator.outbox()).toEqual([]);
  });

  it('a sandboxed account calls a verified destination', async () => {
    simulator.setAccount({ smsSandbox: true, verifiedDestinations: [GB_MOBILE] });

    await expect(voiceRoute().call(message())).resolves.toMatchObject({ route: 'voice' });
    expect(simulator.outbox()).toHaveLength(1);
  });

  const account = localAccount();
  it.each([
    ['its phone- id', 'phone-00000000000000000000000000000000'],
    ['its ARN', arnOf(account, 'phone-number/phone-00000000000000000000000000000000')],
    ['a pool id', 'pool-0123456789abcdef0123456789abcdef'],
    ['a pool ARN', arnOf(account, 'pool/pool-0123456789abcdef0123456789abcdef')],
  ])('calls from the number named by %s', async (_, originationIdentity) => {
    await expect(voiceRoute({ originationIdentity }).call(message())).resolves.toMatchObject({ route: 'voice' });
  });
});

describe('the notify-voice route (SendNotifyVoiceMessage)', () => {
  const sends = () => simulator.requests('notify-voice');

  it('calls with the language\'s voice template read by the language\'s voice, the code\'s validity and the configuration set, as settings wire it', async () => {
    const [route] = createVoiceRoutes(
      resolveSettings({
        voiceRoutes: ['notify-voice'],
        notifyConfigurationId: LOCAL_NOTIFY_CONFIGURATION_ID,
        allowedVoiceCountries: ['DE'],
        configurationSetName: 'verification',
        codeTtlSeconds: 300,
      }),
    );

    const receipt = await route!.call(message({ to: DE_MOBILE, country: 'DE', language: 'de' }));

    expect(receipt).toEqual({ route: 'notify-voice', messageId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(sends()[0]?.headers['x-amz-target']).toBe('PinpointSMSVoiceV2.SendNotifyVoiceMessage');
    expect(sends().map((request) => request.payload)).toEqual([
      {
        NotifyConfigurationId: LOCAL_NOTIFY_CONFIGURATION_ID,
        DestinationPhoneNumber: DE_MOBILE,
        TemplateId: 'notify-voice-code-verification-german-001',
        TemplateVariables: { code: '123456' },
        VoiceId: 'VICKI',
        TimeToLive: 300,
        ConfigurationSetName: 'verification',
      },
    ]);
    // Notify's own words, and the code read one digit at a time: the service's script is not what Notify reads.
    const transcript = `Hier ist ${DISPLAY_NAME}. Ihr Bestätigungscode lautet 1 2 3 4 5 6. Noch einmal: 1 2 3 4 5 6.`;
    expect(simulator.outbox()).toEqual([
      {
        to: DE_MOBILE,
        route: 'notify-voice',
        channel: 'voice',
        body: transcript,
        transcript,
        resolvedMessageBody: `Hier ist ${DISPLAY_NAME}. Ihr Bestätigungscode lautet 123456. Noch einmal: 123456.`,
        at: expect.any(String),
        messageId: receipt.messageId,
        configurationSetName: 'verification',
      },
    ]);
  });

  it.each([
    ['en', 'notify-voice-code-verification-english-001', 'JOANNA'],
    // The catalogue's Portuguese template is Brazilian, and lists Brazilian voices only: the first of them reads it.
    ['pt', 'notify-voice-code-verification-portuguese-001', 'CAMILA'],
    // Notify has no Russian template: the English one, read by an English voice, not a Russian one.
    ['ru', 'notify-voice-code-verification-english-001', 'JOANNA'],
  ] as const)('language %s is called with %s, read by %s', async (language, templateId, voiceId) => {
    await notifyVoiceRoute().call(message({ language }));

    expect(sends().map((request) => request.payload)).toEqual([expect.objectContaining({ TemplateId: templateId, VoiceId: voiceId })]);
    expect(simulator.outbox()).toHaveLength(1);
  });

  it('reads the catalogue once per route, filtered to voice code-verification templates', async () => {
    const route = notifyVoiceRoute();

    await route.call(message());
    nextSecond();
    await route.call(message({ to: DE_MOBILE, country: 'DE', language: 'de' }));

    expect(reads('DescribeNotifyTemplates').map((read) => read.payload)).toEqual([
      {
        operation: 'DescribeNotifyTemplates',
        Filters: [
          { Name: 'template-type', Values: ['OTP_VERIFICATION'] },
          { Name: 'channels', Values: ['VOICE'] },
        ],
      },
    ]);
    expect(simulator.outbox()).toHaveLength(2);
  });

  it('refuses a brand other than the configuration\'s display name, which the template says: rejected, nothing called', async () => {
    const failure = await failureOf(notifyVoiceRoute().call(message({ brand: 'Acme' })));

    expect(failure).toMatchObject({ route: 'notify-voice', kind: 'rejected', message: expect.stringContaining(`"${DISPLAY_NAME}"`) });
    expect(failure.cause).toBeUndefined();
    expect(sends()).toEqual([]);
    expect(simulator.outbox()).toEqual([]);
  });

  it('calls with a brand equal to the display name', async () => {
    await expect(notifyVoiceRoute().call(message({ brand: DISPLAY_NAME }))).resolves.toMatchObject({ route: 'notify-voice' });
  });

  it('refuses a code longer than the template\'s code variable takes: rejected, nothing called', async () => {
    const failure = await failureOf(notifyVoiceRoute().call(message({ code: '123456789' })));

    expect(failure).toMatchObject({ route: 'notify-voice', kind: 'rejected', message: expect.stringContaining('9-digit code') });
    expect(sends()).toEqual([]);
    expect(simulator.outbox()).toEqual([]);
  });

  it('a configuration without the VOICE channel is rejected (ValidationException CHANNEL_NOT_ENABLED); nothing called or counted', async () => {
    simulator.setAccount({ notify: { enabledChannels: ['SMS'] } });

    const failure = await failureOf(notifyVoiceRoute().call(message()));

    expect(failure).toMatchObject({ route: 'notify-voice', kind: 'rejected', cause: expect.objectContaining({ name: 'ValidationException', Reason: 'CHANNEL_NOT_ENABLED' }) });
    expect(simulator.outbox()).toEqual([]);
    expect(simulator.notifyUsedToday()).toBe(0);
  });

  it('shares the tier\'s quota with Notify\'s texts: a call in the second of a text is throttled', async () => {
    const through = client();
    await createNotifyRoute(through, { configurationId: LOCAL_NOTIFY_CONFIGURATION_ID, timeToLiveSeconds: 600 }).send({ ...message(), body: 'unused' });
    nextSecond(); // the voice route's own catalogue read

    const route = notifyVoiceRoute({}, through);
    await route.call(message({ to: DE_MOBILE, country: 'DE' }));
    const failure = await failureOf(route.call(message()));

    expect(failure).toMatchObject({ route: 'notify-voice', kind: 'throttled' });
    expect(simulator.outbox().map((sent) => sent.channel)).toEqual(['sms', 'voice']);
    expect(simulator.notifyUsedToday()).toBe(2);
  });
});

describe.each([
  ['voice', () => voiceRoute(), () => voiceRoute({}, impatientClient())],
  ['notify-voice', () => notifyVoiceRoute(), () => notifyVoiceRoute({}, impatientClient())],
] as const)('how the %s route fails', (name, route, impatientRoute) => {
  it.each([
    ['throttle', 'throttled', 'ThrottlingException', 0],
    ['error', 'unconfirmed', 'InternalServerException', 0],
    ['error-after-accept', 'unconfirmed', 'InternalServerException', 1],
    ['reject', 'rejected', 'ValidationException', 0],
  ] as const)('a provider %s is a %s route failure', async (fault, kind, sdkError, taken) => {
    simulator.setFaults({ [name]: fault });

    const failure = await failureOf(route().call(message()));

    expect(failure).toMatchObject({ route: name, kind, cause: expect.objectContaining({ name: sdkError }) });
    expect(simulator.requests(name)).toHaveLength(1); // no retry: the next route is the retry
    expect(simulator.outbox().map((call) => [call.route, call.channel])).toEqual(Array(taken).fill([name, 'voice']));
  });

  it('a provider that never answers is unconfirmed: it placed the call', async () => {
    simulator.setFaults({ [name]: 'timeout' });

    const failure = await failureOf(impatientRoute().call(message()));

    expect(failure).toMatchObject({ route: name, kind: 'unconfirmed', cause: expect.objectContaining({ name: 'TimeoutError' }) });
    expect(simulator.outbox().map((call) => [call.route, call.channel])).toEqual([[name, 'voice']]);
  });
});

describe('voice routes from settings', () => {
  const both = { voiceOriginationIdentity: ACCOUNT_NUMBER, notifyConfigurationId: LOCAL_NOTIFY_CONFIGURATION_ID, allowedVoiceCountries: ['GB'] };

  it('builds voice, then notify-voice, by default; each says how long a call through it can take', () => {
    const routes = createVoiceRoutes(resolveSettings(both));

    // One request (1 s to connect, 2.5 s to answer); Notify's adds its catalogue reads' 1.5 s.
    expect(routes.map((route) => [route.name, route.maxDurationMs])).toEqual([
      ['voice', 3_500],
      ['notify-voice', 5_000],
    ]);
  });

  it('builds the routes in the configured order', () => {
    expect(createVoiceRoutes(resolveSettings({ ...both, voiceRoutes: ['notify-voice', 'voice'] })).map((route) => route.name)).toEqual(['notify-voice', 'voice']);
  });

  it('builds none when calls are off', () => {
    expect(createVoiceRoutes(resolveSettings({}))).toEqual([]);
  });

  it('the simulator keeps a fault switch for each voice route beside the SMS routes\', and knows no other', () => {
    expect(simulator.setFaults({ voice: 'throttle' })).toEqual({ sns: 'ok', notify: 'ok', 'sms-voice-v2': 'ok', pinpoint: 'ok', voice: 'throttle', 'notify-voice': 'ok' });
    expect(() => simulator.setFaults({ 'voice-v2': 'ok' })).toThrow(/unknown route "voice-v2"; routes are sns, notify, sms-voice-v2, pinpoint, voice, notify-voice/);
  });

  it('gives the SMS and the voice routes one End User Messaging client when given one getter', () => {
    const smsVoiceClient = sharedSmsVoiceClient();

    expect(smsVoiceClient()).toBe(smsVoiceClient());
  });
});

describe('the simulator refuses what SendVoiceMessage\'s model refuses, naming the field; nothing is called', () => {
  const valid: SendVoiceMessageRequest = {
    DestinationPhoneNumber: GB_MOBILE,
    OriginationIdentity: ACCOUNT_NUMBER,
    MessageBody: scriptFor('4242'),
    MessageBodyTextType: 'SSML',
    VoiceId: 'JOANNA',
  };
  const placing = (request: Record<string, unknown>) =>
    client()
      .send(new SendVoiceMessageCommand({ ...valid, ...request } as SendVoiceMessageRequest))
      .catch((error: unknown) => error);

  it('places the valid call the cases below change', async () => {
    await expect(placing({})).resolves.toMatchObject({ MessageId: expect.any(String) });
  });

  it.each([
    ['no DestinationPhoneNumber', 'DestinationPhoneNumber', { DestinationPhoneNumber: undefined }],
    ['a destination that is not a phone number', 'DestinationPhoneNumber', { DestinationPhoneNumber: '+0123' }],
    ['no OriginationIdentity', 'OriginationIdentity', { OriginationIdentity: undefined }],
    ['an OriginationIdentity outside its pattern', 'OriginationIdentity', { OriginationIdentity: 'pool 0123' }],
    ['a blank body', 'MessageBody', { MessageBody: '   ' }],
    ['an SSML body over 6000 characters', 'MessageBody', { MessageBody: `<speak>${'1'.repeat(5_990)}</speak>` }],
    ['a TEXT body over 3000 characters', 'MessageBody', { MessageBody: 'a'.repeat(3_001), MessageBodyTextType: 'TEXT' }],
    ['a body over 3000 characters, TEXT by default', 'MessageBody', { MessageBody: 'a'.repeat(3_001), MessageBodyTextType: undefined }],
    ['SSML without a <speak> root', 'MessageBody', { MessageBody: '<p>Your code is 4242</p>' }],
    ['SSML that is not well-formed', 'MessageBody', { MessageBody: '<speak>Your code is <break time="1s"></speak>' }],
    ['SSML with a bare ampersand', 'MessageBody', { MessageBody: '<speak>Tom & Jerry</speak>' }],
    ['SSML with text after its root', 'MessageBody', { MessageBody: '<speak>4242</speak> again' }],
    ['a pause over 10 s', 'MessageBody', { MessageBody: '<speak>4242<break time="11s"/></speak>' }],
    ['a pause over 10 000 ms', 'MessageBody', { MessageBody: '<speak>4242<break time="10001ms"/></speak>' }],
    ['a body type the API does not have', 'MessageBodyTextType', { MessageBodyTextType: 'MARKDOWN' }],
    ['a Polly voice the API does not list', 'VoiceId', { VoiceId: 'KEVIN' }],
    ['a voice in lower case', 'VoiceId', { VoiceId: 'joanna' }],
    ['a configuration set name outside its pattern', 'ConfigurationSetName', { ConfigurationSetName: 'my set' }],
    ['a price without a decimal point', 'MaxPricePerMinute', { MaxPricePerMinute: '1' }],
    ['a price with 6 decimals', 'MaxPricePerMinute', { MaxPricePerMinute: '0.123456' }],
    ['a TimeToLive under 5 seconds', 'TimeToLive', { TimeToLive: 4 }],
    ['a TimeToLive over 72 hours', 'TimeToLive', { TimeToLive: 259_201 }],
    ['a Context of 6 entries', 'Context', { Context: Object.fromEntries([1, 2, 3, 4, 5, 6].map((n) => [`k${n}`, 'v'])) }],
    ['a Context key with a space', 'Context', { Context: { 'verification id': 'v' } }],
    ['a Context value ending in a space', 'Context', { Context: { verification: 'v ' } }],
    ['a ProtectConfigurationId over 256 characters', 'ProtectConfigurationId', { ProtectConfigurationId: 'p'.repeat(257) }],
    ['a DryRun that is not a boolean', 'DryRun', { DryRun: 'yes' }],
    ['a MessageFeedbackEnabled that is not a boolean', 'MessageFeedbackEnabled', { MessageFeedbackEnabled: 1 }],
  ])('%s: ValidationException naming %s', async (_, field, change) => {
    const failure = await placing(change);

    expect(failure).toBeInstanceOf(ValidationException);
    expect((failure as ValidationException).Fields?.map((f) => f.Name)).toEqual([field]);
    expect(simulator.outbox()).toEqual([]);
  });

  it.each([
    ['a pause of exactly 10 s', { MessageBody: '<speak>4242<break time="10s"/></speak>' }],
    ['escaped characters, a comment and an XML declaration', { MessageBody: '<?xml version="1.0"?><speak><!-- x -->Tom &amp; Jerry &#38; co</speak>' }],
    ['a TEXT body of 3000 characters', { MessageBody: 'a'.repeat(3_000), MessageBodyTextType: 'TEXT' }],
    ['the last voice of the enum', { VoiceId: 'ZHIYU' }],
    ['every optional member', { ConfigurationSetName: 'verification', MaxPricePerMinute: '0.10', TimeToLive: 600, Context: { verification: 'v-1' }, ProtectConfigurationId: 'protect-0123', MessageFeedbackEnabled: true }],
  ])('takes %s', async (_, change) => {
    await expect(placing(change)).resolves.toMatchObject({ MessageId: expect.any(String) });
  });

  it('reads a body as the person hears it: tags gone, entities read, a <sub> by its alias', async () => {
    await placing({ MessageBody: '<speak>Tom &amp; Jerry &#38; <sub alias="Acme">ACME Inc</sub>: <say-as interpret-as="digits">4242</say-as></speak>' });

    expect(simulator.outbox().map((call) => call.transcript)).toEqual(['Tom & Jerry & Acme: 4 2 4 2']);
  });

  it('DryRun checks the call and places none', async () => {
    const answer = await placing({ DryRun: true });

    expect(answer).toMatchObject({ $metadata: { httpStatusCode: 200 } });
    expect((answer as { MessageId?: string }).MessageId).toBeUndefined();
    expect(simulator.outbox()).toEqual([]);
  });
});

describe('the simulator refuses what SendNotifyVoiceMessage\'s model and the catalogue refuse, naming the field', () => {
  const valid: SendNotifyVoiceMessageRequest = {
    NotifyConfigurationId: LOCAL_NOTIFY_CONFIGURATION_ID,
    DestinationPhoneNumber: GB_MOBILE,
    TemplateId: 'notify-voice-code-verification-english-001',
    TemplateVariables: { code: '4242' },
    VoiceId: 'JOANNA',
  };
  const calling = (request: Record<string, unknown>) =>
    client()
      .send(new SendNotifyVoiceMessageCommand({ ...valid, ...request } as SendNotifyVoiceMessageRequest))
      .catch((error: unknown) => error);

  it('calls with the valid request the cases below change, and ignores a member it does not have (as AWS JSON APIs do)', async () => {
    await expect(calling({ OriginationIdentity: ACCOUNT_NUMBER })).resolves.toMatchObject({ MessageId: expect.any(String) });
    expect(simulator.outbox()).toHaveLength(1);
  });

  it.each([
    ['no NotifyConfigurationId', 'NotifyConfigurationId', { NotifyConfigurationId: undefined }],
    ['no TemplateVariables', 'TemplateVariables', { TemplateVariables: undefined }],
    ['a TimeToLive under 5 seconds', 'TimeToLive', { TimeToLive: 4 }],
    ['a Polly voice the API does not list', 'VoiceId', { VoiceId: 'KEVIN' }],
    ['a voice the template does not list', 'VoiceId', { VoiceId: 'HANS' }],
    ['an SMS template', 'TemplateId', { TemplateId: 'notify-code-verification-english-001' }],
    ['a code the template\'s pattern refuses', 'TemplateVariables.code', { TemplateVariables: { code: '42ab' } }],
  ])('%s: ValidationException naming %s; nothing called or counted', async (_, field, change) => {
    const failure = await calling(change);

    expect(failure).toBeInstanceOf(ValidationException);
    expect((failure as ValidationException).Fields?.map((f) => f.Name)).toEqual([field]);
    expect(simulator.outbox()).toEqual([]);
    expect(simulator.notifyUsedToday()).toBe(0);
  });
});
