/**
 * AWS End User Messaging SMS (pinpoint-sms-voice-v2, AWS JSON 1.0: POST / with `X-Amz-Target:
 * PinpointSMSVoiceV2.<Operation>`; aws-models/pinpoint-sms-voice-v2.json, API Reference): `SendTextMessage`, and the
 * account reads the doctor makes (`DescribeAccountAttributes`, `DescribeSpendLimits`, `DescribePhoneNumbers`,
 * `DescribeSenderIds`, `DescribeRegistrations`, `DescribeOptedOutNumbers`). `SendVoiceMessage` is in voice-message.ts,
 * Notify's operations in notify.ts, `PutMessageFeedback` in message-feedback.ts, the events a configuration set's
 * destination receives in events.ts.
 *
 * Unlike SNS, `SendTextMessage` refuses what the account cannot deliver, at once: a sandboxed account's unverified
 * destination (ConflictException DESTINATION_PHONE_NUMBER_NOT_VERIFIED), a US destination without a registered
 * identity (ConflictException NO_ORIGINATION_IDENTITIES_FOUND), a reached spend limit (ServiceQuotaExceededException
 * MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT); the reasons are the model's enums. Every send operation refuses a
 * ConfigurationSetName the account does not have (configurationSetRefusal), before the route's fault switch, as Notify
 * refuses a configuration it does not have.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { VoiceId } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { arnOf, COUNTRIES_REQUIRING_IDENTITY, hasRegisteredIdentity, isoCountryOf, originationOf, phoneNumberIdAt, type SimulatedAccount } from './account';
import { json10Answer, json10Error, json10Invalid, violationsOf, type MemberRule, type Shape, type Violation } from './protocol';
import type { OutboxMessage, Provider, SimulatedRoute } from './provider';

/** SendTextMessage's members this project sends, with the shapes' traits (aws-models/pinpoint-sms-voice-v2.json). */
export const SEND_TEXT_MESSAGE = {
  // PhoneNumber: length 1-20, ^\+?[1-9][0-9]{1,18}$
  DestinationPhoneNumber: { required: true, string: { min: 1, max: 20, pattern: /^\+?[1-9][0-9]{1,18}$/ } },
  // TextMessageOriginationIdentity: length 1-256, ^[A-Za-z0-9_:/\+-]+$
  OriginationIdentity: { string: { min: 1, max: 256, pattern: /^[A-Za-z0-9_:/+-]+$/ } },
  // TextMessageBody: length 1-1600, ^(?!\s*$)[\s\S]+$
  MessageBody: { string: { min: 1, max: 1600, pattern: /^(?!\s*$)[\s\S]+$/ } },
  MessageType: { enum: ['TRANSACTIONAL', 'PROMOTIONAL'] },
  // ConfigurationSetNameOrArn: length 1-256, ^[A-Za-z0-9_:/-]+$
  ConfigurationSetName: { string: { min: 1, max: 256, pattern: /^[A-Za-z0-9_:/-]+$/ } },
  // ProtectConfigurationIdOrArn: length 1-256, ^[A-Za-z0-9_:/-]+$
  ProtectConfigurationId: { string: { min: 1, max: 256, pattern: /^[A-Za-z0-9_:/-]+$/ } },
  // MaxPrice: length 2-8, ^[0-9]{0,2}\.[0-9]{1,5}$
  MaxPrice: { string: { min: 2, max: 8, pattern: /^[0-9]{0,2}\.[0-9]{1,5}$/ } },
  // TimeToLive: range 5-259200
  TimeToLive: { integer: { min: 5, max: 259_200 } },
  // ContextMap: 0-5 entries; ContextKey 1-100 ^\S+$; ContextValue 1-800 ^(?!\s)^[\s\S]+(?<!\s)$
  Context: { map: { maxEntries: 5, key: { min: 1, max: 100, pattern: /^\S+$/ }, value: { min: 1, max: 800, pattern: /^(?!\s)[\s\S]+(?<!\s)$/ } } },
  DryRun: { boolean: true },
  MessageFeedbackEnabled: { boolean: true },
} satisfies Shape;

/** The model's VoiceId enum (59 Amazon Polly standard voices), as the SDK is generated from it. */
export const VOICE_ID: MemberRule = { enum: Object.values(VoiceId) };

export function sendTextMessageViolations(request: Record<string, unknown>): Violation[] {
  return violationsOf(SEND_TEXT_MESSAGE, request);
}

/** Why End User Messaging refuses to send to `to` from this account: the error it answers, or undefined. */
export function accountRefusal(provider: Provider, to: string, channel: 'TEXT' | 'VOICE'): { type: string; reason: string; message: string } | undefined {
  const { account } = provider;
  if (account.optedOutNumbers.includes(to)) {
    return { type: 'ConflictException', reason: 'DESTINATION_PHONE_NUMBER_OPTED_OUT', message: 'The destination phone number is opted out' };
  }
  if (account.smsSandbox && !account.verifiedDestinations.includes(to)) {
    return { type: 'ConflictException', reason: 'DESTINATION_PHONE_NUMBER_NOT_VERIFIED', message: 'The destination phone number is not verified: the account is in the sandbox' };
  }
  const country = isoCountryOf(to);
  if (country && COUNTRIES_REQUIRING_IDENTITY.has(country) && !hasRegisteredIdentity(account, country, channel === 'TEXT' ? 'SMS' : 'VOICE')) {
    return { type: 'ConflictException', reason: 'NO_ORIGINATION_IDENTITIES_FOUND', message: `No origination identity can send to ${country}` };
  }
  if (account.monthlySpendLimitUsd <= 0) {
    return { type: 'ServiceQuotaExceededException', reason: `MONTHLY_SPEND_LIMIT_REACHED_FOR_${channel}`, message: 'The monthly spend limit is reached' };
  }
  return undefined;
}

/** An error End User Messaging answers instead of sending: its type, message and the shape's members. */
export interface Refusal {
  type: string;
  message: string;
  members: Record<string, unknown>;
}

/**
 * A send's ConfigurationSetName (ConfigurationSetNameOrArn: the name or the ARN) must name one of the account's
 * configuration sets: else ResourceNotFoundException, ResourceType `configuration-set` (the model's ResourceType enum).
 */
export function configurationSetRefusal(account: SimulatedAccount, given: unknown): Refusal | undefined {
  if (typeof given !== 'string') return undefined;
  if (account.configurationSets.some((name) => given === name || given === arnOf(account, `configuration-set/${name}`))) return undefined;
  return {
    type: 'ResourceNotFoundException',
    message: `The configuration set ${given} does not exist`,
    members: { ResourceType: 'configuration-set', ResourceId: given },
  };
}

/** What a send of End User Messaging keeps on its outbox entry from the request: feedback, configuration set, Context. */
export function sentWith(payload: Record<string, unknown>): Pick<OutboxMessage, 'messageFeedbackEnabled' | 'configurationSetName' | 'context'> {
  return {
    ...(payload.MessageFeedbackEnabled === true ? { messageFeedbackEnabled: true } : {}),
    ...(typeof payload.ConfigurationSetName === 'string' ? { configurationSetName: payload.ConfigurationSetName } : {}),
    ...(payload.Context !== undefined && payload.Context !== null ? { context: { ...(payload.Context as Record<string, string>) } } : {}),
  };
}

/** An account read's error answer, as End User Messaging gives it. */
export class SimulatedError {
  constructor(
    readonly type: string,
    readonly message: string,
  ) {}
}

export function handleSendTextMessage(provider: Provider, request: IncomingMessage, response: ServerResponse, payload: Record<string, unknown>): void {
  provider.record({ route: 'sms-voice-v2', path: '/', headers: request.headers, payload });
  const violations = sendTextMessageViolations(payload);
  if (violations.length > 0) return json10Invalid(response, violations);
  const unknownSet = configurationSetRefusal(provider.account, payload.ConfigurationSetName);
  if (unknownSet) return json10Error(response, 400, unknownSet.type, unknownSet.message, unknownSet.members);
  const to = String(payload.DestinationPhoneNumber);
  const message = { to, body: String(payload.MessageBody ?? ''), route: 'sms-voice-v2' as const, channel: 'sms' as const, messageId: randomUUID(), ...sentWith(payload) };
  const sending = {
    originationPhoneNumber: originationOf(provider.account, payload.OriginationIdentity as string | undefined, isoCountryOf(to) ?? '', 'SMS'),
    // Without a MessageType, the configuration set's default applies; the simulated sets keep none, and this service sends TRANSACTIONAL.
    messageType: (payload.MessageType as 'TRANSACTIONAL' | 'PROMOTIONAL' | undefined) ?? 'TRANSACTIONAL',
  };
  if (answeredWithFault(provider, 'sms-voice-v2', response, () => provider.accept(message, sending))) return;
  const refusal = accountRefusal(provider, to, 'TEXT');
  if (refusal) return json10Error(response, 400, refusal.type, refusal.message, { Reason: refusal.reason });
  // DryRun: "checked and validated, but isn't sent"; answered without a MessageId, as SendVoiceMessage's is.
  if (payload.DryRun === true) return json10Answer(response, {});
  provider.accept(message, sending);
  json10Answer(response, { MessageId: message.messageId });
}

/**
 * How End User Messaging's send operations answer when the route's fault switch says so; `take` is called where the
 * provider takes the message before failing (error-after-accept, timeout). False for `ok`: the operation answers.
 */
export function answeredWithFault(provider: Provider, route: SimulatedRoute, response: ServerResponse, take: () => void): boolean {
  switch (provider.fault(route)) {
    case 'throttle':
      json10Error(response, 400, 'ThrottlingException', 'Rate exceeded');
      return true;
    case 'error':
      json10Error(response, 500, 'InternalServerException', 'Internal failure (simulated)');
      return true;
    case 'error-after-accept':
      take();
      json10Error(response, 500, 'InternalServerException', 'Internal failure (simulated)');
      return true;
    case 'reject':
      json10Error(response, 400, 'ValidationException', 'Destination is not reachable (simulated)', { Reason: 'DESTINATION_COUNTRY_BLOCKED' });
      return true;
    case 'timeout':
      take(); // taken, and never answered: the caller's timeout ends the wait
      return true;
    case 'ok':
      return false;
  }
}

/** The account reads of End User Messaging, as the doctor makes them (each answered from the simulated account). */
export const ACCOUNT_READS: Record<string, (provider: Provider, payload: Record<string, unknown>) => unknown> = {
  // OptOutListName is required; the account has the list every account starts with, `Default`.
  DescribeOptedOutNumbers: ({ account }, payload) => {
    if (payload.OptOutListName !== 'Default' && !String(payload.OptOutListName ?? '').endsWith(':opt-out-list/Default')) {
      return new SimulatedError('ResourceNotFoundException', `The opt-out list ${String(payload.OptOutListName)} does not exist`);
    }
    const asked = (payload.OptedOutNumbers as string[] | undefined) ?? account.optedOutNumbers;
    return {
      OptOutListArn: arnOf(account, 'opt-out-list/Default'),
      OptOutListName: 'Default',
      OptedOutNumbers: account.optedOutNumbers
        .filter((number) => asked.includes(number))
        .map((number) => ({ OptedOutNumber: number, OptedOutTimestamp: 1_790_000_000, EndUserOptedOut: true })),
    };
  },
  DescribeAccountAttributes: ({ account }) => ({
    AccountAttributes: [{ Name: 'ACCOUNT_TIER', Value: account.smsSandbox ? 'SANDBOX' : 'PRODUCTION' }],
  }),
  DescribeSpendLimits: ({ account }) => ({
    SpendLimits: ['TEXT_MESSAGE_MONTHLY_SPEND_LIMIT', 'VOICE_MESSAGE_MONTHLY_SPEND_LIMIT', 'NOTIFY_MESSAGE_MONTHLY_SPEND_LIMIT'].map((Name) => ({
      Name,
      EnforcedLimit: account.monthlySpendLimitUsd,
      MaxLimit: Math.max(account.monthlySpendLimitUsd, 1),
      Overridden: false,
    })),
  }),
  DescribePhoneNumbers: ({ account }) => ({
    PhoneNumbers: account.originationIdentities
      .filter((identity) => identity.kind === 'phone-number')
      .map((identity, i) => ({
        PhoneNumberArn: arnOf(account, `phone-number/${phoneNumberIdAt(i)}`),
        PhoneNumberId: phoneNumberIdAt(i),
        PhoneNumber: identity.identity,
        Status: identity.status,
        IsoCountryCode: identity.isoCountryCode,
        MessageType: 'TRANSACTIONAL',
        NumberCapabilities: identity.capabilities,
        NumberType: identity.numberType ?? 'LONG_CODE',
        MonthlyLeasingPrice: '2.00',
        TwoWayEnabled: false,
        SelfManagedOptOutsEnabled: false,
        OptOutListName: 'Default',
        DeletionProtectionEnabled: false,
        ...(identity.registration ? { RegistrationId: identity.registration.id } : {}),
        CreatedTimestamp: 1_790_000_000,
      })),
  }),
  DescribeSenderIds: ({ account }) => ({
    SenderIds: account.originationIdentities
      .filter((identity) => identity.kind === 'sender-id')
      .map((identity) => ({
        SenderIdArn: arnOf(account, `sender-id/${identity.identity}/${identity.isoCountryCode}`),
        SenderId: identity.identity,
        IsoCountryCode: identity.isoCountryCode,
        MessageTypes: ['TRANSACTIONAL'],
        MonthlyLeasingPrice: '0.00',
        DeletionProtectionEnabled: false,
        Registered: identity.registration?.status === 'COMPLETE',
        ...(identity.registration ? { RegistrationId: identity.registration.id } : {}),
      })),
  }),
  DescribeRegistrations: ({ account }) => ({
    Registrations: account.originationIdentities.flatMap((identity) =>
      identity.registration
        ? [
            {
              RegistrationArn: arnOf(account, `registration/${identity.registration.id}`),
              RegistrationId: identity.registration.id,
              RegistrationType: identity.numberType === 'TEN_DLC' ? 'US_TEN_DLC_CAMPAIGN_REGISTRATION' : 'US_TOLL_FREE_REGISTRATION',
              RegistrationStatus: identity.registration.status,
              CurrentVersionNumber: 1,
              CreatedTimestamp: 1_790_000_000,
            },
          ]
        : [],
    ),
  }),
};
