/**
 * The Notify route (End User Messaging Notify, `SendNotifyTextMessage`) with the real SDK client, against the SMS
 * simulator's Notify and the account behind it: what the route sends, what it refuses before sending, what Notify
 * refuses itself, and that the next route carries what Notify does not.
 *
 * Notify counts time: a Basic configuration sends one text a second, 200 a day and 10 a day to one destination, and
 * its catalogue reads take one request a second. The simulator reads the time from `Date`, so `Date` alone is faked
 * here (timers and I/O stay real): each test starts on a UTC day of its own, where every quota starts from nothing,
 * and a test that needs the next second sets the clock to it instead of waiting for it.
 */
import {
  DescribeNotifyConfigurationsCommand,
  DescribeNotifyTemplatesCommand,
  InternalServerException,
  PinpointSMSVoiceV2Client,
  ResourceNotFoundException,
  SendNotifyTextMessageCommand,
  ValidationException,
  type NotifyTemplateInformation,
  type SendNotifyTextMessageRequest,
} from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { mockClient } from 'aws-sdk-client-mock';
import maxMetadata from 'libphonenumber-js/max/metadata';
import { getExampleNumber } from 'libphonenumber-js/max';
import mobileExamples from 'libphonenumber-js/mobile/examples';
import { SMS_CLIENT_OPTIONS } from '../../functions/adapters/client-options';
import { createNotifyRoute, type NotifyRouteOptions } from '../../functions/adapters/notify-route';
import { createSmsRoutes } from '../../functions/adapters/sms-routes';
import { createPhoneNumberReader } from '../../functions/core/phone-number';
import { mayHaveSent, SmsRouteError, type SmsMessage } from '../../functions/core/ports';
import { createDigester, createSealer } from '../../functions/core/security-code';
import { sendPolicyFrom, sendSecurityCode } from '../../functions/core/send-code';
import { resolveSettings, type DeploymentSettingsInput } from '../../functions/settings';
import { SmsSimulator } from '../../local/sms-simulator';
import { LOCAL_NOTIFY_CONFIGURATION_ID, localAccount } from '../../local/simulator/account';
import { CapturingLogger, CountingMetrics, InMemoryVerificationStore, ManualClock, ScriptedRandom } from '../support/fakes';
import { DE_MOBILE, GB_MOBILE, TEST_CODE_KEY, usFictional } from '../support/fixtures';

const DAY_MS = 86_400_000;
/** Notify's quotas (User Guide, "Notify quotas"), stated here rather than imported: a wrong constant must fail. */
const BASIC_DAILY_LIMIT = 200;
const DESTINATION_DAILY_LIMIT = 10;
/** The simulated account's configuration shows this name where its templates say {{displayName}}. */
const DISPLAY_NAME = localAccount().notify!.displayName;
const ENGLISH_TEMPLATE = 'notify-code-verification-english-001';
const GERMAN_TEMPLATE = 'notify-code-verification-german-001';

let simulator: SmsSimulator;

beforeAll(async () => {
  // Only Date: the SDK's timeouts, the sockets and the simulator's server run on the real timers.
  jest.useFakeTimers({
    doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'],
  });
  simulator = await SmsSimulator.start();
  Object.assign(process.env, simulator.endpoints());
});
afterAll(async () => {
  await simulator.stop();
  jest.useRealTimers();
});
beforeEach(() => {
  // 01:00 UTC of the day after the clock's (which a test may have walked on): a day no test used yet, and far from
  // midnight, so that a test that walks the clock by seconds stays on its day.
  jest.setSystemTime((Math.floor(Date.now() / DAY_MS) + 1) * DAY_MS + 3_600_000);
  simulator.resetAccount();
  simulator.setFaults({ sns: 'ok', notify: 'ok', 'sms-voice-v2': 'ok' });
  simulator.clearOutbox();
  simulator.clearRequests();
});

/** Notify's pacing counts whole seconds: the next one is 1 000 ms on. */
const nextSecond = () => jest.setSystemTime(Date.now() + 1_000);

/** Waits (in real time: only Date is faked) until `condition` holds. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

const notifyClient = () => new PinpointSMSVoiceV2Client(SMS_CLIENT_OPTIONS);
const notifyRoute = (options: Partial<NotifyRouteOptions> = {}) =>
  createNotifyRoute(notifyClient(), { configurationId: LOCAL_NOTIFY_CONFIGURATION_ID, timeToLiveSeconds: 600, ...options });

const message = (overrides: Partial<SmsMessage> = {}): SmsMessage => ({
  to: GB_MOBILE,
  body: 'Your security code is 123456',
  code: '123456',
  language: 'en',
  country: 'GB',
  ...overrides,
});

/** The account reads (Notify's catalogue and configuration, SNS's sandbox and numbers) the simulator received. */
const reads = (operation: string) =>
  simulator.requests('account').filter((request) => (request.payload as { operation?: string }).operation === operation);
const sends = () => simulator.requests('notify');

const failureOf = (sending: Promise<unknown>): Promise<SmsRouteError> =>
  sending.then(
    () => {
      throw new Error('the send succeeded');
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(SmsRouteError);
      return error as SmsRouteError;
    },
  );

describe('what the Notify route sends', () => {
  it('sends the code in the language\'s template, with the configuration, the TTL and the configuration set, as settings wire it', async () => {
    const [route] = createSmsRoutes(
      resolveSettings({ smsRoutes: ['notify'], notifyConfigurationId: LOCAL_NOTIFY_CONFIGURATION_ID, configurationSetName: 'verification', codeTtlSeconds: 300 }),
    );

    const receipt = await route!.send(message({ to: DE_MOBILE, country: 'DE', language: 'de', body: 'Ihr Sicherheitscode lautet 123456' }));

    expect(receipt).toEqual({ route: 'notify', messageId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(sends()).toHaveLength(1);
    const [request] = sends();
    expect(request?.headers['x-amz-target']).toBe('PinpointSMSVoiceV2.SendNotifyTextMessage');
    expect(request?.headers.authorization).toMatch(/\/us-east-1\/sms-voice\/aws4_request/);
    expect(request?.payload).toEqual({
      NotifyConfigurationId: LOCAL_NOTIFY_CONFIGURATION_ID,
      DestinationPhoneNumber: DE_MOBILE,
      TemplateId: GERMAN_TEMPLATE,
      TemplateVariables: { code: '123456' },
      TimeToLive: 300,
      ConfigurationSetName: 'verification',
    });
    // Notify's own words and the configuration's name: the service's text (`body`) is not what Notify sends.
    expect(simulator.outbox()).toEqual([
      {
        to: DE_MOBILE,
        body: `${DISPLAY_NAME}: Ihr Bestätigungscode lautet 123456. Geben Sie ihn nicht weiter.`,
        route: 'notify',
        channel: 'sms',
        at: expect.any(String),
        messageId: receipt.messageId,
        configurationSetName: 'verification',
      },
    ]);
  });

  it.each([
    ['en', ENGLISH_TEMPLATE, `${DISPLAY_NAME}: your verification code is 123456. Do not share it.`],
    ['pt', 'notify-code-verification-portuguese-001', `${DISPLAY_NAME}: seu código de verificação é 123456. Não o compartilhe.`],
    // Notify has no Russian template: a code in English beats no code.
    ['ru', ENGLISH_TEMPLATE, `${DISPLAY_NAME}: your verification code is 123456. Do not share it.`],
  ] as const)('language %s is sent with %s', async (language, templateId, body) => {
    await notifyRoute().send(message({ language }));

    expect(sends().map((request) => (request.payload as SendNotifyTextMessageRequest).TemplateId)).toEqual([templateId]);
    expect(simulator.outbox().map((sent) => sent.body)).toEqual([body]);
  });

  it('sends no ConfigurationSetName when none is configured', async () => {
    await notifyRoute().send(message());

    expect(sends()[0]?.payload).not.toHaveProperty('ConfigurationSetName');
  });

  it('reads the template catalogue once per route, filtered to SMS code-verification templates', async () => {
    const route = notifyRoute();

    await route.send(message());
    nextSecond();
    await route.send(message({ to: DE_MOBILE, country: 'DE', language: 'de' }));

    expect(reads('DescribeNotifyTemplates')).toHaveLength(1);
    expect(reads('DescribeNotifyTemplates')[0]?.payload).toEqual({
      operation: 'DescribeNotifyTemplates',
      Filters: [
        { Name: 'template-type', Values: ['OTP_VERIFICATION'] },
        { Name: 'channels', Values: ['SMS'] },
      ],
    });
    expect(simulator.outbox()).toHaveLength(2);
  });

  it('asks again a second later when the catalogue read is throttled, and sends (containers that start together)', async () => {
    // Notify answers one catalogue read a second per account: the second container's first read is throttled.
    await notifyRoute().send(message());
    const route = notifyRoute();

    const sending = route.send(message({ to: DE_MOBILE, country: 'DE' }));
    await until(() => reads('DescribeNotifyTemplates').length === 2);
    nextSecond();

    await expect(sending).resolves.toMatchObject({ route: 'notify' });
    expect(reads('DescribeNotifyTemplates')).toHaveLength(3);
    expect(simulator.outbox().map((sent) => sent.to)).toEqual([GB_MOBILE, DE_MOBILE]);
  });

  it('fails a send over as throttled when the catalogue read is throttled again, and reads it on the next send', async () => {
    await notifyRoute().send(message());
    const route = notifyRoute();

    const failure = await failureOf(route.send(message({ to: DE_MOBILE, country: 'DE' })));

    expect(failure).toMatchObject({ route: 'notify', kind: 'throttled', cause: expect.objectContaining({ name: 'ThrottlingException' }) });
    expect(reads('DescribeNotifyTemplates')).toHaveLength(3);
    expect(sends()).toHaveLength(1);

    nextSecond();
    await expect(route.send(message({ to: DE_MOBILE, country: 'DE' }))).resolves.toMatchObject({ route: 'notify' });
    expect(reads('DescribeNotifyTemplates')).toHaveLength(4);
  });

  it('refuses as rejected when the caller may not read the catalogue, and reads it again once it may', async () => {
    simulator.setAccount({ deniedActions: ['sms-voice:DescribeNotifyTemplates'] });
    const route = notifyRoute();

    const failure = await failureOf(route.send(message()));

    expect(failure).toMatchObject({ route: 'notify', kind: 'rejected', cause: expect.objectContaining({ name: 'AccessDeniedException' }) });
    expect(sends()).toEqual([]);

    simulator.setAccount({ deniedActions: [] });
    nextSecond();
    await expect(route.send(message())).resolves.toMatchObject({ route: 'notify' });
    expect(reads('DescribeNotifyTemplates')).toHaveLength(2);
  });
});

describe('what the Notify route refuses before sending', () => {
  it('sends an 8-digit code, and refuses a 9-digit one as rejected: Notify\'s templates take at most 8 digits', async () => {
    const route = notifyRoute();
    await route.send(message({ code: '12345678' }));
    nextSecond();

    const failure = await failureOf(route.send(message({ to: DE_MOBILE, country: 'DE', code: '123456789' })));

    expect(failure).toMatchObject({ route: 'notify', kind: 'rejected', message: expect.stringContaining('9-digit code') });
    expect(sends().map((request) => (request.payload as SendNotifyTextMessageRequest).TemplateVariables)).toEqual([{ code: '12345678' }]);
    expect(simulator.outbox().map((sent) => sent.to)).toEqual([GB_MOBILE]);
  });

  it('refuses a brand other than the configuration\'s display name, which Notify would show in its place', async () => {
    const failure = await failureOf(notifyRoute().send(message({ brand: 'Acme' })));

    expect(failure).toMatchObject({ route: 'notify', kind: 'rejected', message: expect.stringContaining(`"${DISPLAY_NAME}"`) });
    expect(failure.cause).toBeUndefined();
    expect(sends()).toEqual([]);
    expect(simulator.outbox()).toEqual([]);
    // The display name was read from the configuration: the deployment did not give it.
    expect(reads('DescribeNotifyConfigurations').map((read) => read.payload)).toEqual([
      { operation: 'DescribeNotifyConfigurations', NotifyConfigurationIds: [LOCAL_NOTIFY_CONFIGURATION_ID] },
    ]);
  });

  it('sends a brand equal to the display name, reading the configuration once', async () => {
    const route = notifyRoute();

    await route.send(message({ brand: DISPLAY_NAME }));
    nextSecond();
    await route.send(message({ to: DE_MOBILE, country: 'DE', brand: DISPLAY_NAME }));

    expect(simulator.outbox().map((sent) => sent.body)).toEqual([
      `${DISPLAY_NAME}: your verification code is 123456. Do not share it.`,
      `${DISPLAY_NAME}: your verification code is 123456. Do not share it.`,
    ]);
    expect(reads('DescribeNotifyConfigurations')).toHaveLength(1);
  });

  it('compares the brand with the display name the deployment gives, without reading the configuration', async () => {
    const route = notifyRoute({ displayName: 'Acme' });

    await expect(route.send(message({ brand: 'Acme' }))).resolves.toMatchObject({ route: 'notify' });
    await expect(route.send(message({ to: DE_MOBILE, country: 'DE', brand: DISPLAY_NAME }))).rejects.toMatchObject({ kind: 'rejected' });

    expect(reads('DescribeNotifyConfigurations')).toEqual([]);
    expect(sends()).toHaveLength(1);
  });

  it('sends a message without a brand without reading the configuration', async () => {
    await notifyRoute().send(message());

    expect(reads('DescribeNotifyConfigurations')).toEqual([]);
    expect(simulator.outbox()).toHaveLength(1);
  });

  it('refuses a country no template serves, before sending', async () => {
    // Austria: not among Notify's countries, so no template lists it (a libphonenumber example number).
    const austrian = getExampleNumber('AT', mobileExamples)!.number;

    const failure = await failureOf(notifyRoute().send(message({ to: austrian, country: 'AT' })));

    expect(failure).toMatchObject({ route: 'notify', kind: 'rejected', message: expect.stringContaining('serves AT') });
    expect(sends()).toEqual([]);
  });
});

/**
 * What the simulator does not produce: templates of shapes AWS's catalogue (and so the simulator's) does not have
 * today, and a catalogue read that fails with a 5xx or a timeout. A stubbed client answers the read; the rules under
 * test are the route's own.
 */
describe('catalogues and read failures, from a stubbed client', () => {
  const template = (overrides: Partial<NotifyTemplateInformation>): NotifyTemplateInformation => ({
    TemplateId: 'template-expiry',
    Version: 1,
    TemplateType: 'OTP_VERIFICATION',
    Channels: ['SMS'],
    Status: 'ACTIVE',
    LanguageCode: 'en-US',
    Content: 'Your verification code is {{code}}. It expires in {{expiry}} minutes.',
    Variables: {
      code: { Type: 'STRING', Required: true, Source: 'CUSTOMER', MaxLength: 10 },
      expiry: { Type: 'INTEGER', Required: true, Source: 'CUSTOMER', DefaultValue: '10' },
    },
    CreatedTimestamp: new Date(0),
    ...overrides,
  });

  function stubbedRoute(templates: NotifyTemplateInformation[]) {
    const client = new PinpointSMSVoiceV2Client({ region: 'us-east-1' });
    const stub = mockClient(client);
    stub.on(DescribeNotifyTemplatesCommand).resolves({ NotifyTemplates: templates });
    stub.on(SendNotifyTextMessageCommand).resolves({ MessageId: 'message-1' });
    return { route: createNotifyRoute(client, { configurationId: LOCAL_NOTIFY_CONFIGURATION_ID, timeToLiveSeconds: 600 }), stub };
  }

  it('refuses as rejected a template with a required variable besides the code: the service has nothing to fill it with', async () => {
    const { route, stub } = stubbedRoute([template({})]);

    const failure = await failureOf(route.send(message()));

    expect(failure).toMatchObject({ route: 'notify', kind: 'rejected' });
    expect(stub.commandCalls(SendNotifyTextMessageCommand)).toEqual([]);
  });

  it('uses a template whose other variable is optional', async () => {
    const optional = template({ Variables: { ...template({}).Variables, expiry: { Type: 'INTEGER', Required: false, Source: 'CUSTOMER' } } });
    const { route, stub } = stubbedRoute([optional]);

    await route.send(message());

    expect(stub.commandCalls(SendNotifyTextMessageCommand).map((call) => call.args[0].input)).toEqual([
      expect.objectContaining({ TemplateId: 'template-expiry', TemplateVariables: { code: '123456' } }),
    ]);
    expect(stub.commandCalls(DescribeNotifyConfigurationsCommand)).toEqual([]);
  });

  it.each([
    ['a 5xx', new InternalServerException({ message: 'Internal failure', $metadata: { httpStatusCode: 500, attempts: 1 } })],
    ['a timeout', Object.assign(new Error('Request timed out'), { name: 'TimeoutError' })],
  ])('a catalogue read that fails with %s sent nothing: the failure says so, and the code need not stay valid', async (_, error) => {
    const client = new PinpointSMSVoiceV2Client({ region: 'us-east-1' });
    const stub = mockClient(client);
    stub.on(DescribeNotifyTemplatesCommand).rejects(error);
    const route = createNotifyRoute(client, { configurationId: LOCAL_NOTIFY_CONFIGURATION_ID, timeToLiveSeconds: 600 });

    const failure = await failureOf(route.send(message()));

    expect(failure).toMatchObject({ route: 'notify', kind: 'unreachable', cause: error });
    expect(mayHaveSent(failure.kind)).toBe(false);
    expect(stub.commandCalls(SendNotifyTextMessageCommand)).toEqual([]);
  });

  it('gives up on a catalogue read that outlasts its budget (nothing sent), and uses its answer for the next send', async () => {
    const client = new PinpointSMSVoiceV2Client({ region: 'us-east-1' });
    const stub = mockClient(client);
    let answer: (value: { NotifyTemplates: NotifyTemplateInformation[] }) => void = () => undefined;
    stub.on(DescribeNotifyTemplatesCommand).callsFake(() => new Promise((resolve) => (answer = resolve)));
    stub.on(SendNotifyTextMessageCommand).resolves({ MessageId: 'message-1' });
    const route = createNotifyRoute(client, { configurationId: LOCAL_NOTIFY_CONFIGURATION_ID, timeToLiveSeconds: 600 });

    const failure = await failureOf(route.send(message()));

    expect(failure).toMatchObject({ route: 'notify', kind: 'unreachable', message: expect.stringContaining('not read within 1500 ms') });
    expect(route.maxDurationMs).toBe(1_500 + 3_500);
    answer({ NotifyTemplates: [template({ Variables: { code: { Type: 'STRING', Required: true, Source: 'CUSTOMER' } } })] });
    await expect(route.send(message())).resolves.toEqual({ route: 'notify', messageId: 'message-1' });
    expect(stub.commandCalls(DescribeNotifyTemplatesCommand)).toHaveLength(1);
  });

  it('does not keep an empty catalogue: the next send reads it again', async () => {
    const client = new PinpointSMSVoiceV2Client({ region: 'us-east-1' });
    const stub = mockClient(client);
    const codeOnly = { code: { Type: 'STRING' as const, Required: true, Source: 'CUSTOMER' as const } };
    stub.on(DescribeNotifyTemplatesCommand).resolvesOnce({ NotifyTemplates: [] }).resolves({ NotifyTemplates: [template({ Variables: codeOnly })] });
    stub.on(SendNotifyTextMessageCommand).resolves({ MessageId: 'message-1' });
    const route = createNotifyRoute(client, { configurationId: LOCAL_NOTIFY_CONFIGURATION_ID, timeToLiveSeconds: 600 });

    await expect(route.send(message())).rejects.toMatchObject({ kind: 'rejected' });
    await expect(route.send(message())).resolves.toEqual({ route: 'notify', messageId: 'message-1' });
    expect(stub.commandCalls(DescribeNotifyTemplatesCommand)).toHaveLength(2);
  });

  it('passes over an INACTIVE template of the language for the English one', async () => {
    const codeOnly = { code: { Type: 'STRING' as const, Required: true, Source: 'CUSTOMER' as const } };
    const { route, stub } = stubbedRoute([
      template({ TemplateId: 'german-retired', LanguageCode: 'de-DE', Status: 'INACTIVE', Variables: codeOnly }),
      template({ TemplateId: 'english', Variables: codeOnly }),
    ]);

    await route.send(message({ language: 'de' }));

    expect(stub.commandCalls(SendNotifyTextMessageCommand)[0]?.args[0].input.TemplateId).toBe('english');
  });
});

describe('what Notify refuses itself, through the route', () => {
  it.each([
    ['throttle', 'throttled', 'ThrottlingException', 0],
    ['error', 'unconfirmed', 'InternalServerException', 0],
    ['error-after-accept', 'unconfirmed', 'InternalServerException', 1],
    ['reject', 'rejected', 'ValidationException', 0],
  ] as const)('a provider %s is a %s route failure', async (fault, kind, sdkError, taken) => {
    simulator.setFaults({ notify: fault });

    const failure = await failureOf(notifyRoute().send(message()));

    expect(failure).toMatchObject({ route: 'notify', kind, cause: expect.objectContaining({ name: sdkError }) });
    expect(sends()).toHaveLength(1); // no retry: the next route is the retry
    expect(simulator.outbox()).toHaveLength(taken);
  });

  it.each([
    ['a configuration that is not ACTIVE', 'ConflictException', 'NOTIFY_CONFIGURATION_NOT_ACTIVE', { notify: { status: 'PENDING' } }],
    ['a country the configuration does not enable', 'ValidationException', 'COUNTRY_NOT_ENABLED', { notify: { enabledCountries: ['US'] } }],
    ['a configuration without the SMS channel', 'ValidationException', 'CHANNEL_NOT_ENABLED', { notify: { enabledChannels: ['VOICE'] } }],
    ['a spend limit of 0', 'ServiceQuotaExceededException', 'MONTHLY_SPEND_LIMIT_REACHED_FOR_NOTIFY', { monthlySpendLimitUsd: 0 }],
  ])('%s is rejected (%s %s); nothing is sent', async (_, sdkError, reason, account) => {
    simulator.setAccount(account);

    const failure = await failureOf(notifyRoute().send(message()));

    expect(failure).toMatchObject({ route: 'notify', kind: 'rejected', cause: expect.objectContaining({ name: sdkError, Reason: reason }) });
    expect(sends()).toHaveLength(1);
    expect(simulator.outbox()).toEqual([]);
    expect(simulator.notifyUsedToday()).toBe(0);
  });

  it('a configuration the account does not have is rejected (ResourceNotFoundException)', async () => {
    const failure = await failureOf(notifyRoute({ configurationId: 'notify-elsewhere-0123' }).send(message()));

    expect(failure).toMatchObject({ route: 'notify', kind: 'rejected' });
    expect(failure.cause).toBeInstanceOf(ResourceNotFoundException);
    expect(failure.cause).toMatchObject({ ResourceType: 'notify-configuration', ResourceId: 'notify-elsewhere-0123' });
    expect(simulator.outbox()).toEqual([]);
  });

  it('the Basic tier sends one text a second: the second within the second is throttled, the next second sends', async () => {
    const route = notifyRoute();
    await route.send(message());

    const failure = await failureOf(route.send(message({ to: DE_MOBILE, country: 'DE' })));

    expect(failure).toMatchObject({ route: 'notify', kind: 'throttled', cause: expect.objectContaining({ name: 'ThrottlingException' }) });
    expect(simulator.outbox().map((sent) => sent.to)).toEqual([GB_MOBILE]);
    nextSecond();
    await expect(route.send(message({ to: DE_MOBILE, country: 'DE' }))).resolves.toMatchObject({ route: 'notify' });
    expect(simulator.notifyUsedToday()).toBe(2);
  });

  it('the Advanced tier sends more than one a second', async () => {
    simulator.setAccount({ notify: { tier: 'ADVANCED' } });
    const route = notifyRoute();

    await route.send(message());
    await route.send(message({ to: DE_MOBILE, country: 'DE' }));

    expect(simulator.outbox()).toHaveLength(2);
  });

  it('one destination gets at most 10 a day: the 11th is rejected (ServiceQuotaExceededException), another destination is not', async () => {
    const route = notifyRoute();
    for (let sent = 0; sent < DESTINATION_DAILY_LIMIT; sent++) {
      await route.send(message());
      nextSecond();
    }

    const failure = await failureOf(route.send(message()));

    expect(failure).toMatchObject({ route: 'notify', kind: 'rejected', cause: expect.objectContaining({ name: 'ServiceQuotaExceededException' }) });
    await expect(route.send(message({ to: DE_MOBILE, country: 'DE' }))).resolves.toMatchObject({ route: 'notify' });
    expect(simulator.outbox().filter((sent) => sent.to === GB_MOBILE)).toHaveLength(DESTINATION_DAILY_LIMIT);
  });

  it('the Basic tier sends 200 a day: the 201st is rejected (DAILY_NOTIFY_TIER_MESSAGE_LIMIT); the next day sends again', async () => {
    // 20 destinations, 10 each: the daily quota is reached before any destination's.
    const client = notifyClient();
    for (let sent = 0; sent < BASIC_DAILY_LIMIT; sent++) {
      await client.send(
        new SendNotifyTextMessageCommand({
          NotifyConfigurationId: LOCAL_NOTIFY_CONFIGURATION_ID,
          DestinationPhoneNumber: usFictional(sent % 20),
          TemplateId: ENGLISH_TEMPLATE,
          TemplateVariables: { code: '123456' },
        }),
      );
      nextSecond();
    }
    expect(simulator.notifyUsedToday()).toBe(BASIC_DAILY_LIMIT);
    const route = notifyRoute();

    const failure = await failureOf(route.send(message()));

    expect(failure).toMatchObject({ route: 'notify', kind: 'rejected', cause: expect.objectContaining({ name: 'ServiceQuotaExceededException', Reason: 'DAILY_NOTIFY_TIER_MESSAGE_LIMIT' }) });
    expect(simulator.outbox()).toHaveLength(BASIC_DAILY_LIMIT);
    jest.setSystemTime(Date.now() + DAY_MS);
    await expect(route.send(message())).resolves.toMatchObject({ route: 'notify' });
    expect(simulator.notifyUsedToday()).toBe(1);
  });

  it('Notify sends through AWS\'s identities: neither the sandbox nor a missing US number stops it', async () => {
    simulator.setAccount({ smsSandbox: true, verifiedDestinations: [], originationIdentities: [] });
    const route = notifyRoute();

    await route.send(message());
    nextSecond();
    await route.send(message({ to: usFictional(0), country: 'US' }));

    expect(simulator.outbox().map((sent) => sent.to)).toEqual([GB_MOBILE, usFictional(0)]);
  });
});

describe('failover: what Notify does not carry, the next route does', () => {
  function sendWith(settings: DeploymentSettingsInput) {
    const resolved = resolveSettings(settings);
    const loadKey = async () => new TextEncoder().encode(TEST_CODE_KEY);
    const metrics = new CountingMetrics();
    const deps = {
      phoneNumbers: createPhoneNumberReader(maxMetadata),
      store: new InMemoryVerificationStore(),
      routes: createSmsRoutes(resolved),
      digester: createDigester(loadKey),
      sealer: createSealer(loadKey),
      clock: new ManualClock(),
      random: new ScriptedRandom([123456]),
      logger: new CapturingLogger(),
      metrics,
      policy: sendPolicyFrom(resolved),
      voiceRoutes: [],
    };
    const send = (request: { number: string; securityCode?: string; brandName?: string }) =>
      sendSecurityCode(
        { channel: 'sms', codeLength: request.securityCode?.length ?? 6, language: 'en', limit: 10, limitTtlDays: 1, ...request },
        { caller: 'ip:192.0.2.10' },
        deps,
      );
    return { send, metrics };
  }
  const notifyThenEum: DeploymentSettingsInput = {
    smsRoutes: ['notify', 'sms-voice-v2'],
    notifyConfigurationId: LOCAL_NOTIFY_CONFIGURATION_ID,
    originationIdentity: '+12015550123',
  };

  it('Notify carries what it can', async () => {
    const { send } = sendWith(notifyThenEum);

    await expect(send({ number: GB_MOBILE })).resolves.toEqual({ sent: true, numberValid: true, securityCode: '123456', route: 'notify', channel: 'sms' });
    expect(simulator.outbox()).toEqual([
      { to: GB_MOBILE, body: `${DISPLAY_NAME}: your verification code is 123456. Do not share it.`, route: 'notify', channel: 'sms', at: expect.any(String), messageId: expect.any(String) },
    ]);
  });

  it.each([
    ['a 9-digit code', { securityCode: '123456789' }, 'Your security code is 123456789'],
    ['a brand that is not the display name', { brandName: 'Acme' }, 'Your Acme security code is 123456'],
  ])('%s: Notify sends nothing and End User Messaging sends the service\'s text', async (_, request, body) => {
    const { send, metrics } = sendWith(notifyThenEum);

    await expect(send({ number: GB_MOBILE, ...request })).resolves.toMatchObject({ sent: true, route: 'sms-voice-v2' });

    expect(sends()).toEqual([]);
    expect(simulator.outbox()).toEqual([{ to: GB_MOBILE, body, route: 'sms-voice-v2', channel: 'sms', at: expect.any(String), messageId: expect.any(String) }]);
    expect(metrics.get('RouteFailures Route=notify Failure=rejected')).toBe(1);
    expect(metrics.get('Failovers')).toBe(1);
  });

  it('a configuration Notify refuses to send from (PENDING): End User Messaging sends', async () => {
    simulator.setAccount({ notify: { status: 'PENDING' } });
    const { send } = sendWith(notifyThenEum);

    await expect(send({ number: GB_MOBILE })).resolves.toMatchObject({ sent: true, route: 'sms-voice-v2' });
    expect(sends()).toHaveLength(1);
    expect(simulator.outbox().map((sent) => sent.route)).toEqual(['sms-voice-v2']);
  });

  it.each([
    ['a sandboxed account, to an unverified destination', { smsSandbox: true, verifiedDestinations: [] }, GB_MOBILE],
    ['an account without a US number, to a US destination', { originationIdentities: [] }, usFictional(1)],
  ])('the default routes (SNS, then Notify): for %s SNS publishes nothing and Notify sends', async (_, account, number) => {
    simulator.setAccount(account);
    const { send } = sendWith({ notifyConfigurationId: LOCAL_NOTIFY_CONFIGURATION_ID });

    await expect(send({ number })).resolves.toMatchObject({ sent: true, route: 'notify' });
    expect(simulator.requests('sns')).toEqual([]);
    expect(simulator.dropped()).toEqual([]);
    expect(simulator.outbox().map((sent) => [sent.to, sent.route])).toEqual([[number, 'notify']]);
  });
});

describe('the simulator refuses what Notify\'s model refuses, naming the field', () => {
  const valid: SendNotifyTextMessageRequest = {
    NotifyConfigurationId: LOCAL_NOTIFY_CONFIGURATION_ID,
    DestinationPhoneNumber: GB_MOBILE,
    TemplateId: ENGLISH_TEMPLATE,
    TemplateVariables: { code: '123456' },
  };

  it.each([
    ['a TimeToLive under 5 seconds', 'TimeToLive', { TimeToLive: 4 }],
    ['a TimeToLive over 72 hours', 'TimeToLive', { TimeToLive: 259_201 }],
    ['no NotifyConfigurationId', 'NotifyConfigurationId', { NotifyConfigurationId: undefined }],
    ['no TemplateVariables', 'TemplateVariables', { TemplateVariables: undefined }],
    ['an empty variable value', 'TemplateVariables', { TemplateVariables: { code: '' } }],
    ['a destination that is not a phone number', 'DestinationPhoneNumber', { DestinationPhoneNumber: '+0123' }],
    ['a TemplateId outside its pattern', 'TemplateId', { TemplateId: 'english template' }],
    ['a code the template\'s pattern refuses', 'TemplateVariables.code', { TemplateVariables: { code: '12ab56' } }],
    ['a code longer than the template takes', 'TemplateVariables.code', { TemplateVariables: { code: '123456789' } }],
    ['a variable the template does not have', 'TemplateVariables.brand', { TemplateVariables: { code: '123456', brand: 'Acme' } }],
  ])('%s: ValidationException naming %s; nothing sent or counted', async (_, field, change) => {
    const failure = await notifyClient()
      .send(new SendNotifyTextMessageCommand({ ...valid, ...change } as SendNotifyTextMessageRequest))
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ValidationException);
    expect((failure as ValidationException).Reason).toBe('FIELD_VALIDATION_FAILED');
    expect((failure as ValidationException).Fields?.map((f) => f.Name)).toEqual([field]);
    expect(simulator.outbox()).toEqual([]);
    expect(simulator.notifyUsedToday()).toBe(0);
  });

  it('a template the catalogue does not have is a ResourceNotFoundException', async () => {
    const failure = await notifyClient()
      .send(new SendNotifyTextMessageCommand({ ...valid, TemplateId: 'notify-code-verification-klingon-001' }))
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ResourceNotFoundException);
    expect(failure).toMatchObject({ ResourceType: 'notify-template', ResourceId: 'notify-code-verification-klingon-001' });
  });
});

describe('DryRun', () => {
  it('answers the resolved text and sends nothing, counting nothing', async () => {
    const answer = await notifyClient().send(
      new SendNotifyTextMessageCommand({
        NotifyConfigurationId: LOCAL_NOTIFY_CONFIGURATION_ID,
        DestinationPhoneNumber: DE_MOBILE,
        TemplateId: GERMAN_TEMPLATE,
        TemplateVariables: { code: '4321' },
        DryRun: true,
      }),
    );

    expect(answer).toMatchObject({ TemplateId: GERMAN_TEMPLATE, ResolvedMessageBody: `${DISPLAY_NAME}: Ihr Bestätigungscode lautet 4321. Geben Sie ihn nicht weiter.` });
    expect(answer.MessageId).toBeUndefined();
    expect(simulator.outbox()).toEqual([]);
    expect(simulator.notifyUsedToday()).toBe(0);
  });

  it('is validated like a send', async () => {
    const failure = await notifyClient()
      .send(
        new SendNotifyTextMessageCommand({
          NotifyConfigurationId: LOCAL_NOTIFY_CONFIGURATION_ID,
          DestinationPhoneNumber: GB_MOBILE,
          TemplateId: ENGLISH_TEMPLATE,
          TemplateVariables: { code: '123456789' },
          DryRun: true,
        }),
      )
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ValidationException);
    expect((failure as ValidationException).Fields?.map((f) => f.Name)).toEqual(['TemplateVariables.code']);
  });
});
