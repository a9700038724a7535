/**
 * End User Messaging's message feedback and delivery events in the SMS simulator, through the real SDK client: each
 * of the four send operations keeps on its outbox entry the MessageId it answered (with the request's feedback flag,
 * configuration set and Context); PutMessageFeedback sets, and later changes, the feedback on that entry and refuses
 * what the model refuses; a message sent with a configuration set publishes the events the User Guide shows; and a
 * configuration set the account does not have is refused by each send operation.
 *
 * Notify sends one message a second on the Basic tier: only `Date` is faked (test/support/notify-clock.ts), each test
 * starts on a UTC day of its own, and a test that sends twice through Notify moves the clock on a second between.
 */
import {
  AccessDeniedException,
  InternalServerException,
  PinpointSMSVoiceV2Client,
  PutMessageFeedbackCommand,
  ResourceNotFoundException,
  SendNotifyTextMessageCommand,
  SendNotifyVoiceMessageCommand,
  SendTextMessageCommand,
  SendVoiceMessageCommand,
  ValidationException,
  type MessageFeedbackStatus,
} from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SMS_CLIENT_OPTIONS } from '../../functions/adapters/client-options';
import { SmsSimulator, type SmsEvent } from '../../local/sms-simulator';
import { arnOf, LOCAL_CONFIGURATION_SET, LOCAL_NOTIFY_CONFIGURATION_ID, localAccount } from '../../local/simulator/account';
import { NOTIFY_ORIGINATION } from '../../local/simulator/notify';
import { GB_MOBILE, usFictional } from '../support/fixtures';
import { fakeDateOnly, nextSecond, startAFreshDay } from '../support/notify-clock';

/** The simulated account's toll-free number, which texts and calls (localAccount). */
const ACCOUNT_NUMBER = '+18005550100';
const TEXT = 'Your security code is 123456';

let simulator: SmsSimulator;
const published: SmsEvent[] = [];

beforeAll(async () => {
  fakeDateOnly();
  simulator = await SmsSimulator.start({ onEvent: (event) => published.push(event) });
  Object.assign(process.env, simulator.endpoints());
});
afterAll(async () => {
  await simulator.stop();
  jest.useRealTimers();
});
beforeEach(() => {
  startAFreshDay();
  simulator.resetAccount();
  simulator.setFaults({ 'sms-voice-v2': 'ok', voice: 'ok', notify: 'ok', 'notify-voice': 'ok', sns: 'ok' });
  simulator.clearOutbox();
  simulator.clearRequests();
  published.length = 0;
});

const client = () => new PinpointSMSVoiceV2Client(SMS_CLIENT_OPTIONS);

/** The members every send operation has that this file varies. */
interface Extras {
  ConfigurationSetName?: string;
  MessageFeedbackEnabled?: boolean;
  Context?: Record<string, string>;
  DryRun?: boolean;
}

/** Each send operation, to GB_MOBILE, as a caller would make it valid. */
const SENDS: Record<string, (extras?: Extras) => Promise<{ MessageId?: string }>> = {
  SendTextMessage: (extras) =>
    client().send(new SendTextMessageCommand({ DestinationPhoneNumber: GB_MOBILE, OriginationIdentity: ACCOUNT_NUMBER, MessageBody: TEXT, MessageType: 'TRANSACTIONAL', ...extras })),
  SendVoiceMessage: (extras) =>
    client().send(new SendVoiceMessageCommand({ DestinationPhoneNumber: GB_MOBILE, OriginationIdentity: ACCOUNT_NUMBER, MessageBody: 'Your code is 1 2 3 4 5 6', ...extras })),
  SendNotifyTextMessage: (extras) =>
    client().send(
      new SendNotifyTextMessageCommand({
        NotifyConfigurationId: LOCAL_NOTIFY_CONFIGURATION_ID,
        DestinationPhoneNumber: GB_MOBILE,
        TemplateId: 'notify-code-verification-english-001',
        TemplateVariables: { code: '123456' },
        ...extras,
      }),
    ),
  SendNotifyVoiceMessage: (extras) =>
    client().send(
      new SendNotifyVoiceMessageCommand({
        NotifyConfigurationId: LOCAL_NOTIFY_CONFIGURATION_ID,
        DestinationPhoneNumber: GB_MOBILE,
        TemplateId: 'notify-voice-code-verification-english-001',
        TemplateVariables: { code: '123456' },
        ...extras,
      }),
    ),
};
const OPERATIONS = Object.keys(SENDS);
const send = (operation: string, extras?: Extras) => SENDS[operation]!(extras);

const putFeedback = (MessageId: string | undefined, MessageFeedbackStatus: string | undefined) =>
  client().send(new PutMessageFeedbackCommand({ MessageId, MessageFeedbackStatus: MessageFeedbackStatus as MessageFeedbackStatus }));

/** A text through End User Messaging; its MessageId. */
async function sendText(extras?: Extras): Promise<string> {
  const { MessageId } = await send('SendTextMessage', extras);
  return MessageId!;
}

describe('each send keeps the MessageId it answered on its outbox entry', () => {
  it.each(OPERATIONS)('%s: the id, the feedback flag, the configuration set and the Context', async (operation) => {
    const answer = await send(operation, { MessageFeedbackEnabled: true, ConfigurationSetName: LOCAL_CONFIGURATION_SET, Context: { 'sms-verify-send': 'send-1' } });

    expect(simulator.outbox()).toEqual([
      expect.objectContaining({
        messageId: answer.MessageId,
        messageFeedbackEnabled: true,
        configurationSetName: LOCAL_CONFIGURATION_SET,
        context: { 'sms-verify-send': 'send-1' },
      }),
    ]);
  });

  it.each(OPERATIONS)('%s without them: the id alone', async (operation) => {
    const answer = await send(operation);

    const [entry] = simulator.outbox();
    expect(entry?.messageId).toBe(answer.MessageId);
    expect(entry).not.toHaveProperty('messageFeedbackEnabled');
    expect(entry).not.toHaveProperty('configurationSetName');
    expect(entry).not.toHaveProperty('context');
  });

  it('SNS keeps the MessageId Publish answered', async () => {
    const answer = await new SNSClient(SMS_CLIENT_OPTIONS).send(new PublishCommand({ PhoneNumber: GB_MOBILE, Message: TEXT }));

    expect(simulator.outbox().map((entry) => entry.messageId)).toEqual([answer.MessageId]);
  });
});

describe('PutMessageFeedback', () => {
  it('sets RECEIVED on the message, and a later FAILED replaces it', async () => {
    const messageId = await sendText({ MessageFeedbackEnabled: true });

    await expect(putFeedback(messageId, 'RECEIVED')).resolves.toMatchObject({ MessageId: messageId, MessageFeedbackStatus: 'RECEIVED' });
    const received = simulator.outbox()[0]!;
    expect(received).toMatchObject({ messageId, feedback: 'RECEIVED', feedbackAt: new Date().toISOString() });

    nextSecond();
    await expect(putFeedback(messageId, 'FAILED')).resolves.toMatchObject({ MessageId: messageId, MessageFeedbackStatus: 'FAILED' });
    expect(simulator.outbox()[0]).toMatchObject({ messageId, feedback: 'FAILED', feedbackAt: new Date().toISOString() });
    expect(Date.parse(simulator.outbox()[0]!.feedbackAt!)).toBeGreaterThan(Date.parse(received.feedbackAt!));
  });

  it('takes feedback on a message sent without MessageFeedbackEnabled (the model does not refuse it)', async () => {
    const messageId = await sendText();

    await expect(putFeedback(messageId, 'RECEIVED')).resolves.toMatchObject({ MessageFeedbackStatus: 'RECEIVED' });
    expect(simulator.outbox()[0]).toMatchObject({ feedback: 'RECEIVED' });
  });

  it('is recorded with the account operations', async () => {
    const messageId = await sendText();

    await putFeedback(messageId, 'RECEIVED');

    expect(simulator.requests('account').map((request) => request.payload)).toEqual([
      { operation: 'PutMessageFeedback', MessageId: messageId, MessageFeedbackStatus: 'RECEIVED' },
    ]);
  });

  it.each([
    ['an id no send answered', () => Promise.resolve('0123456789abcdef')],
    ['an SNS message id (SNS answers ids of its own)', async () => (await new SNSClient(SMS_CLIENT_OPTIONS).send(new PublishCommand({ PhoneNumber: GB_MOBILE, Message: TEXT }))).MessageId!],
  ])('%s: ResourceNotFoundException, ResourceType message', async (_, messageIdOf) => {
    const messageId = await messageIdOf();

    const failure = await putFeedback(messageId, 'RECEIVED').catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ResourceNotFoundException);
    expect(failure).toMatchObject({ ResourceType: 'message', ResourceId: messageId });
  });

  it.each([
    ['a status outside the enum', 'MessageFeedbackStatus', 'valid', 'DELIVERED'],
    ['no status', 'MessageFeedbackStatus', 'valid', undefined],
    ['an id outside its pattern', 'MessageId', 'not an id', 'RECEIVED'],
    ['an id longer than 64', 'MessageId', 'a'.repeat(65), 'RECEIVED'],
    ['no id', 'MessageId', undefined, 'RECEIVED'],
  ])('%s: ValidationException naming %s, and no feedback kept', async (_, field, id, status) => {
    const messageId = await sendText();

    const failure = await putFeedback(id === 'valid' ? messageId : id, status).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ValidationException);
    expect((failure as ValidationException).Reason).toBe('FIELD_VALIDATION_FAILED');
    expect((failure as ValidationException).Fields?.map((f) => f.Name)).toEqual([field]);
    expect(simulator.outbox()[0]).not.toHaveProperty('feedback');
  });

  it('a caller without sms-voice:PutMessageFeedback: AccessDeniedException, and no feedback kept', async () => {
    const messageId = await sendText({ MessageFeedbackEnabled: true });
    simulator.setAccount({ deniedActions: ['sms-voice:PutMessageFeedback'] });

    await expect(putFeedback(messageId, 'RECEIVED')).rejects.toBeInstanceOf(AccessDeniedException);
    expect(simulator.outbox()[0]).not.toHaveProperty('feedback');
  });
});

describe('the events of a message sent with a configuration set', () => {
  it('a text: TEXT_SUCCESSFUL then TEXT_DELIVERED, with the guide\'s attributes and the Context echoed', async () => {
    const messageId = await sendText({ ConfigurationSetName: LOCAL_CONFIGURATION_SET, Context: { 'sms-verify-send': 'send-1', 'sms-verify-route': 'sms-voice-v2' } });

    const requested = Date.parse(simulator.outbox()[0]!.at);
    const attributes = {
      eventVersion: '1.0',
      originationPhoneNumber: ACCOUNT_NUMBER,
      destinationPhoneNumber: GB_MOBILE,
      isoCountryCode: 'GB',
      messageId,
      messageRequestTimestamp: requested,
      messageEncoding: 'GSM',
      messageType: 'TRANSACTIONAL',
      context: { 'sms-verify-send': 'send-1', 'sms-verify-route': 'sms-voice-v2' },
      totalMessageParts: 1,
      totalMessagePrice: 0.00581,
      totalCarrierFee: 0,
    };
    expect(simulator.smsEvents()).toEqual([
      { ...attributes, eventType: 'TEXT_SUCCESSFUL', eventTimestamp: requested + 1, isFinal: true, messageStatus: 'SUCCESSFUL', messageStatusDescription: 'Message has been accepted by phone carrier' },
      { ...attributes, eventType: 'TEXT_DELIVERED', eventTimestamp: requested + 2, isFinal: true, messageStatus: 'DELIVERED', messageStatusDescription: 'Message has been accepted by phone' },
    ]);
    // onEvent is called with each, in the same order.
    expect(published).toEqual(simulator.smsEvents());
  });

  it('a long Unicode text to the US: its encoding, its parts, and their price and carrier fee; no Context, no context', async () => {
    const to = usFictional(3);

    await client().send(new SendTextMessageCommand({ DestinationPhoneNumber: to, MessageBody: 'Код '.repeat(20), ConfigurationSetName: LOCAL_CONFIGURATION_SET }));

    const events = simulator.smsEvents();
    expect(events).toHaveLength(2);
    for (const event of events) {
      expect(event).toMatchObject({ isoCountryCode: 'US', originationPhoneNumber: ACCOUNT_NUMBER, messageEncoding: 'Unicode', totalMessageParts: 2, totalMessagePrice: 0.01162, totalCarrierFee: 0.00604 });
      expect(event).not.toHaveProperty('context');
    }
  });

  it('a call: VOICE_INITIATED, VOICE_RINGING, VOICE_ANSWERED, then the final VOICE_COMPLETED; no text attributes', async () => {
    const { MessageId } = await send('SendVoiceMessage', { ConfigurationSetName: arnOf(localAccount(), `configuration-set/${LOCAL_CONFIGURATION_SET}`) });

    const events = simulator.smsEvents();
    expect(events.map((event) => [event.eventType, event.messageStatus, event.isFinal])).toEqual([
      ['VOICE_INITIATED', 'INITIATED', false],
      ['VOICE_RINGING', 'RINGING', false],
      ['VOICE_ANSWERED', 'ANSWERED', false],
      ['VOICE_COMPLETED', 'COMPLETED', true],
    ]);
    for (const event of events) {
      expect(event).toMatchObject({ messageId: MessageId, originationPhoneNumber: ACCOUNT_NUMBER, destinationPhoneNumber: GB_MOBILE, isoCountryCode: 'GB' });
      for (const textOnly of ['messageEncoding', 'messageType', 'totalMessageParts', 'totalCarrierFee']) expect(event).not.toHaveProperty(textOnly);
    }
  });

  it('Notify: its text and call name the AWS-managed number they went out from', async () => {
    await send('SendNotifyTextMessage', { ConfigurationSetName: LOCAL_CONFIGURATION_SET });
    nextSecond();
    await send('SendNotifyVoiceMessage', { ConfigurationSetName: LOCAL_CONFIGURATION_SET });

    expect(simulator.smsEvents().map((event) => [event.eventType, event.originationPhoneNumber])).toEqual([
      ['TEXT_SUCCESSFUL', NOTIFY_ORIGINATION],
      ['TEXT_DELIVERED', NOTIFY_ORIGINATION],
      ['VOICE_INITIATED', NOTIFY_ORIGINATION],
      ['VOICE_RINGING', NOTIFY_ORIGINATION],
      ['VOICE_ANSWERED', NOTIFY_ORIGINATION],
      ['VOICE_COMPLETED', NOTIFY_ORIGINATION],
    ]);
  });

  it('a message taken before a 5xx has its events, which carry the id its sender never got', async () => {
    simulator.setFaults({ 'sms-voice-v2': 'error-after-accept' });

    await expect(sendText({ ConfigurationSetName: LOCAL_CONFIGURATION_SET })).rejects.toBeInstanceOf(InternalServerException);

    const [entry] = simulator.outbox();
    expect(simulator.smsEvents().map((event) => event.messageId)).toEqual([entry!.messageId, entry!.messageId]);
  });

  it.each(OPERATIONS)('%s without a configuration set: no events', async (operation) => {
    await send(operation);

    expect(simulator.outbox()).toHaveLength(1);
    expect(simulator.smsEvents()).toEqual([]);
    expect(published).toEqual([]);
  });

  it('a DryRun text: no message, no events', async () => {
    await expect(sendText({ ConfigurationSetName: LOCAL_CONFIGURATION_SET, DryRun: true })).resolves.toBeUndefined();

    expect(simulator.outbox()).toEqual([]);
    expect(simulator.smsEvents()).toEqual([]);
  });

  it('clearOutbox forgets the events with the messages', async () => {
    await sendText({ ConfigurationSetName: LOCAL_CONFIGURATION_SET });

    simulator.clearOutbox();

    expect(simulator.smsEvents()).toEqual([]);
  });
});

describe('a configuration set the account does not have', () => {
  it.each(OPERATIONS)('%s refuses it: ResourceNotFoundException, ResourceType configuration-set; nothing sent', async (operation) => {
    const failure = await send(operation, { ConfigurationSetName: 'not-ours' }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ResourceNotFoundException);
    expect(failure).toMatchObject({ ResourceType: 'configuration-set', ResourceId: 'not-ours' });
    expect(simulator.outbox()).toEqual([]);
    expect(simulator.smsEvents()).toEqual([]);
  });

  it('nor one of the same name in another account, by its ARN', async () => {
    const elsewhere = `arn:aws:sms-voice:us-east-1:111122223333:configuration-set/${LOCAL_CONFIGURATION_SET}`;

    await expect(sendText({ ConfigurationSetName: elsewhere })).rejects.toMatchObject({ name: 'ResourceNotFoundException', ResourceId: elsewhere });
  });

  it('is refused whatever the route\'s fault switch says', async () => {
    simulator.setFaults({ 'sms-voice-v2': 'error-after-accept' });

    await expect(sendText({ ConfigurationSetName: 'not-ours' })).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect(simulator.outbox()).toEqual([]);
  });

  it('the account\'s sets are whatever it is given: a set it no longer has is refused, a new one sends', async () => {
    simulator.setAccount({ configurationSets: ['codes'] });

    await expect(sendText({ ConfigurationSetName: LOCAL_CONFIGURATION_SET })).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(sendText({ ConfigurationSetName: 'codes' })).resolves.toEqual(expect.any(String));
  });

  it.each([
    [{ configurationSets: 'codes' }],
    [{ configurationSets: ['my set'] }],
    [{ configurationSets: ['x'.repeat(65)] }],
  ])('%j is not a list of configuration set names: refused, naming the field', (changes) => {
    expect(() => simulator.setAccount(changes)).toThrow('configurationSets must be a list of configuration set names');
    expect(simulator.account()).toEqual(localAccount());
  });
});
