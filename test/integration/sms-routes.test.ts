/**
 * The SNS and Pinpoint adapters with the real SDK clients, against the local
 * simulator of both providers' wire protocols (reached through the standard
 * AWS_ENDPOINT_URL_SNS / AWS_ENDPOINT_URL_PINPOINT variables).
 */
import { PinpointSMSVoiceV2Client, ValidationException } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { SNSClient } from '@aws-sdk/client-sns';
import { createSmsRoutes } from '../../functions/adapters/sms-routes';
import { createSmsVoiceV2Route } from '../../functions/adapters/sms-voice-v2-route';
import { createSnsRoute } from '../../functions/adapters/sns-sms-route';
import { SmsRouteError, type SmsMessage } from '../../functions/core/ports';
import { resolveSettings } from '../../functions/settings';
import { SmsSimulator } from '../../local/sms-simulator';
import { GB_MOBILE, PINPOINT_APPLICATION_ID } from '../support/fixtures';

let simulator: SmsSimulator;
beforeAll(async () => {
  simulator = await SmsSimulator.start();
  Object.assign(process.env, simulator.endpoints());
});
afterAll(() => simulator.stop());
beforeEach(() => {
  simulator.clearOutbox();
  simulator.clearRequests();
  simulator.setFaults({ sns: 'ok', pinpoint: 'ok', 'sms-voice-v2': 'ok' });
});

const settings = resolveSettings({
  smsRoutes: ['sns', 'pinpoint'],
  pinpointApplicationId: PINPOINT_APPLICATION_ID,
  senderId: 'Acme',
  originationNumber: '+12015550123',
  maxPrice: '0.05',
});
const message: SmsMessage = { to: GB_MOBILE, body: 'Your Acme security code is 04242', code: '04242', language: 'en', brand: 'Acme', country: 'GB' };

describe('SNS route', () => {
  const [sns] = createSmsRoutes(resolveSettings({ ...settings, smsRoutes: ['sns'] }));

  it('publishes a transactional SMS to the phone number with the configured attributes', async () => {
    const receipt = await sns!.send(message);

    expect(receipt).toEqual({ route: 'sns', messageId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const [request] = simulator.requests('sns');
    expect(request?.payload).toEqual({
      Action: 'Publish',
      Version: '2010-03-31',
      PhoneNumber: GB_MOBILE,
      Message: message.body,
      'MessageAttributes.entry.1.Name': 'AWS.SNS.SMS.SMSType',
      'MessageAttributes.entry.1.Value.DataType': 'String',
      'MessageAttributes.entry.1.Value.StringValue': 'Transactional',
      'MessageAttributes.entry.2.Name': 'AWS.SNS.SMS.SenderID',
      'MessageAttributes.entry.2.Value.DataType': 'String',
      'MessageAttributes.entry.2.Value.StringValue': 'Acme',
      'MessageAttributes.entry.3.Name': 'AWS.MM.SMS.OriginationNumber',
      'MessageAttributes.entry.3.Value.DataType': 'String',
      'MessageAttributes.entry.3.Value.StringValue': '+12015550123',
      'MessageAttributes.entry.4.Name': 'AWS.SNS.SMS.MaxPrice',
      'MessageAttributes.entry.4.Value.DataType': 'Number',
      'MessageAttributes.entry.4.Value.StringValue': '0.05',
    });
    expect(request?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=test\/\d{8}\/us-east-1\/sns\/aws4_request/);
    expect(simulator.outbox()).toEqual([{ to: GB_MOBILE, body: message.body, route: 'sns', channel: 'sms', at: expect.any(String), messageId: expect.any(String) }]);
  });

  it.each([
    ['throttle', 'throttled', 'ThrottledException', 0],
    ['error', 'unconfirmed', 'InternalErrorException', 0],
    ['error-after-accept', 'unconfirmed', 'InternalErrorException', 1],
    ['reject', 'rejected', 'InvalidParameterException', 0],
  ] as const)('reports a provider %s as a %s route failure', async (fault, kind, sdkError, taken) => {
    simulator.setFaults({ sns: fault });

    const failure = await sns!.send(message).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(SmsRouteError);
    expect(failure).toMatchObject({ route: 'sns', kind, cause: expect.objectContaining({ name: sdkError }) });
    expect(simulator.requests('sns')).toHaveLength(1); // no retry: the next route is the retry
    expect(simulator.outbox()).toHaveLength(taken);
  });
});

describe('Pinpoint route', () => {
  const pinpoint = createSmsRoutes(settings)[1]!;

  it('sends a transactional SMS through the application with the configured identity', async () => {
    const receipt = await pinpoint.send(message);

    expect(receipt).toEqual({ route: 'pinpoint', messageId: expect.any(String) });
    const [request] = simulator.requests('pinpoint');
    expect(request?.path).toBe(`/v1/apps/${PINPOINT_APPLICATION_ID}/messages`);
    expect(request?.payload).toEqual({
      Addresses: { [GB_MOBILE]: { ChannelType: 'SMS' } },
      MessageConfiguration: {
        SMSMessage: { Body: message.body, MessageType: 'TRANSACTIONAL', SenderId: 'Acme', OriginationNumber: '+12015550123' },
      },
    });
    expect(request?.headers.authorization).toMatch(/\/us-east-1\/mobiletargeting\/aws4_request/);
    expect(simulator.outbox()).toEqual([{ to: GB_MOBILE, body: message.body, route: 'pinpoint', channel: 'sms', at: expect.any(String), messageId: expect.any(String) }]);
  });

  it.each([
    ['throttle', 'throttled', 0],
    ['error', 'unconfirmed', 0],
    ['error-after-accept', 'unconfirmed', 1],
    ['reject', 'rejected', 0],
  ] as const)('reports a provider %s as a %s route failure', async (fault, kind, taken) => {
    simulator.setFaults({ pinpoint: fault });

    await expect(pinpoint.send(message)).rejects.toMatchObject({ name: 'SmsRouteError', route: 'pinpoint', kind });
    expect(simulator.outbox()).toHaveLength(taken);
  });
});

describe('End User Messaging SMS route (sms-voice-v2)', () => {
  const eum = createSmsRoutes(
    resolveSettings({
      smsRoutes: ['sms-voice-v2'],
      originationIdentity: '+12015550123',
      configurationSetName: 'verification',
      protectConfigurationId: 'protect-0123456789abcdef',
      maxPrice: '0.05',
      codeTtlSeconds: 300,
    }),
  )[0]!;

  it('sends a transactional text with identity, configuration set, protect configuration, price cap and a TTL within the code life', async () => {
    const receipt = await eum.send(message);

    expect(receipt).toEqual({ route: 'sms-voice-v2', messageId: expect.any(String) });
    const [request] = simulator.requests('sms-voice-v2');
    expect(request?.headers['x-amz-target']).toBe('PinpointSMSVoiceV2.SendTextMessage');
    expect(request?.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(request?.payload).toEqual({
      DestinationPhoneNumber: GB_MOBILE,
      MessageBody: message.body,
      MessageType: 'TRANSACTIONAL',
      OriginationIdentity: '+12015550123',
      ConfigurationSetName: 'verification',
      ProtectConfigurationId: 'protect-0123456789abcdef',
      MaxPrice: '0.05',
      TimeToLive: 300,
    });
    expect(request?.headers.authorization).toMatch(/\/us-east-1\/sms-voice\/aws4_request/);
    expect(simulator.outbox()).toEqual([
      { to: GB_MOBILE, body: message.body, route: 'sms-voice-v2', channel: 'sms', at: expect.any(String), messageId: receipt.messageId, configurationSetName: 'verification' },
    ]);
  });

  it.each([
    ['throttle', 'throttled', 'ThrottlingException', 0],
    ['error', 'unconfirmed', 'InternalServerException', 0],
    ['error-after-accept', 'unconfirmed', 'InternalServerException', 1],
    ['reject', 'rejected', 'ValidationException', 0],
  ] as const)('reports a provider %s as a %s route failure', async (fault, kind, sdkError, taken) => {
    simulator.setFaults({ 'sms-voice-v2': fault });

    await expect(eum.send(message)).rejects.toMatchObject({ route: 'sms-voice-v2', kind, cause: expect.objectContaining({ name: sdkError }) });
    expect(simulator.requests('sms-voice-v2')).toHaveLength(1);
    expect(simulator.outbox()).toHaveLength(taken);
  });
});

describe('a provider that never answers', () => {
  it('is unconfirmed after the request timeout: the provider took the message', async () => {
    simulator.setFaults({ sns: 'timeout' });
    const [sns] = createSmsRoutes(resolveSettings({}));

    await expect(sns!.send(message)).rejects.toMatchObject({ route: 'sns', kind: 'unconfirmed', cause: expect.objectContaining({ name: 'TimeoutError' }) });
    expect(simulator.outbox()).toHaveLength(1);
  });
});

describe('a provider nobody can reach', () => {
  it('is unreachable when the connection is refused: nothing was sent', async () => {
    const closed = await SmsSimulator.start();
    const url = closed.url;
    await closed.stop();
    process.env.AWS_ENDPOINT_URL_SNS = url;
    try {
      const [sns] = createSmsRoutes(resolveSettings({}));
      await expect(sns!.send(message)).rejects.toMatchObject({ route: 'sns', kind: 'unreachable' });
    } finally {
      process.env.AWS_ENDPOINT_URL_SNS = simulator.url;
    }
  });
});

describe('routes from settings', () => {
  it('builds SNS alone when no other route is configured', () => {
    expect(createSmsRoutes(resolveSettings({})).map((route) => route.name)).toEqual(['sns']);
  });

  it('adds End User Messaging when an origination identity is configured, before Pinpoint', () => {
    const settings = resolveSettings({ originationIdentity: 'pool-0123', pinpointApplicationId: PINPOINT_APPLICATION_ID });

    expect(createSmsRoutes(settings).map((route) => route.name)).toEqual(['sns', 'sms-voice-v2', 'pinpoint']);
  });

  it('builds the routes in the configured order', () => {
    expect(createSmsRoutes(resolveSettings({ ...settings, smsRoutes: ['pinpoint', 'sns'] })).map((r) => r.name)).toEqual([
      'pinpoint',
      'sns',
    ]);
  });
});

describe('the simulator refuses what the real APIs refuse, with their errors', () => {
  it('End User Messaging: a MaxPrice outside its pattern is a ValidationException naming the field; nothing is sent', async () => {
    const route = createSmsVoiceV2Route(new PinpointSMSVoiceV2Client({ region: 'us-east-1', maxAttempts: 1 }), {
      originationIdentity: '+12015550123',
      maxPrice: '1',
      timeToLiveSeconds: 300,
    });

    const failure = await route.send(message).catch((error: unknown) => error);

    expect(failure).toMatchObject({ name: 'SmsRouteError', route: 'sms-voice-v2', kind: 'rejected' });
    const cause = (failure as SmsRouteError).cause as ValidationException;
    expect(cause).toBeInstanceOf(ValidationException);
    expect(cause.Reason).toBe('FIELD_VALIDATION_FAILED');
    expect(cause.Fields?.map((field) => field.Name)).toEqual(['MaxPrice']);
    expect(simulator.outbox()).toEqual([]);
  });

  it('SNS: a sender id SNS does not take is an InvalidParameter; nothing is sent', async () => {
    const client = new SNSClient({ region: 'us-east-1', maxAttempts: 1 });
    const route = createSnsRoute(client, { senderId: 'A-1' });

    const failure = await route.send(message).catch((error: unknown) => error);

    expect(failure).toMatchObject({ name: 'SmsRouteError', route: 'sns', kind: 'rejected' });
    expect(((failure as SmsRouteError).cause as Error).name).toBe('InvalidParameterException');
    expect(((failure as SmsRouteError).cause as Error).message).toContain('AWS.SNS.SMS.SenderID');
    expect(simulator.outbox()).toEqual([]);
  });
});
