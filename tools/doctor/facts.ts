/**
 * What the doctor reads of an account: the SMS sandbox, spend limits, origination identities and registrations,
 * and the Notify configuration; only read calls, each given as what it answered or why it could not be read (a
 * missing permission is named by its IAM action, so that the person can grant it). Notify's management reads take
 * one request a second per account (User Guide, "Notify quotas"): the doctor makes one, after the others.
 */
import {
  DescribeAccountAttributesCommand,
  DescribeNotifyConfigurationsCommand,
  DescribeOptedOutNumbersCommand,
  DescribeSpendLimitsCommand,
  paginateDescribePhoneNumbers,
  paginateDescribeRegistrations,
  paginateDescribeSenderIds,
  type PinpointSMSVoiceV2Client,
} from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { CheckIfPhoneNumberIsOptedOutCommand, type SNSClient } from '@aws-sdk/client-sns';
import { NOTIFY_READS_PER_SECOND } from '../../functions/adapters/sms-account-rules';
import { readMonthlySpendLimit, readOriginationNumbers, readSandboxed, readVerifiedDestinations, type SnsOriginationNumber } from '../../functions/adapters/sns-account';

/** A read's answer, or why there is none. */
export type Reading<T> = { ok: true; value: T } | { ok: false; action: string; denied: boolean; message: string };

export interface EumIdentity {
  /** The phone number, sender id, or their id. */
  identity: string;
  ids: string[];
  kind: 'phone-number' | 'sender-id';
  isoCountryCode: string;
  status: string;
  capabilities: string[];
  numberType?: string;
  registrationId?: string;
}

export interface NotifyConfigurationFacts {
  id: string;
  displayName: string;
  status: string;
  tier: string;
  enabledCountries: string[];
  enabledChannels: string[];
}

export interface AccountFacts {
  sns: {
    sandboxed: Reading<boolean>;
    verifiedDestinations: Reading<string[]>;
    originationNumbers: Reading<SnsOriginationNumber[]>;
    monthlySpendLimitUsd: Reading<number | undefined>;
  };
  endUserMessaging: {
    /** ACCOUNT_TIER: SANDBOX or PRODUCTION. */
    accountTier: Reading<string | undefined>;
    /** Enforced monthly spend limits by name (TEXT_MESSAGE_MONTHLY_SPEND_LIMIT, NOTIFY_MESSAGE_MONTHLY_SPEND_LIMIT, …), USD. */
    spendLimits: Reading<Record<string, number>>;
    identities: Reading<EumIdentity[]>;
    /** Registration status by id. */
    registrations: Reading<Record<string, string>>;
  };
  /** The configuration the deployment sends through, when it has the notify route; undefined value when not found. */
  notify?: Reading<NotifyConfigurationFacts | undefined>;
  /** One person's number, when the doctor is asked about it: whether it replied STOP to this account. */
  number?: {
    e164: string;
    /** On SNS's opt-out list. */
    snsOptedOut: Reading<boolean>;
    /** On End User Messaging's `Default` opt-out list (the one a sender without its own list uses). */
    optedOut: Reading<boolean>;
  };
}

export interface FactClients {
  sns: SNSClient;
  smsVoice: PinpointSMSVoiceV2Client;
}

export async function readAccountFacts(clients: FactClients, notifyConfigurationId: string | undefined, number?: string): Promise<AccountFacts> {
  const { sns, smsVoice } = clients;
  const eum = <T>(operation: string, read: () => Promise<T>) => reading(`sms-voice:${operation}`, read);
  const [sandboxed, verifiedDestinations, originationNumbers, monthlySpendLimitUsd, accountTier, spendLimits, identities, registrations] =
    await Promise.all([
      reading('sns:GetSMSSandboxAccountStatus', () => readSandboxed(sns)),
      reading('sns:ListSMSSandboxPhoneNumbers', () => readVerifiedDestinations(sns)),
      reading('sns:ListOriginationNumbers', () => readOriginationNumbers(sns)),
      reading('sns:GetSMSAttributes', () => readMonthlySpendLimit(sns)),
      eum('DescribeAccountAttributes', async () => {
        const answer = await smsVoice.send(new DescribeAccountAttributesCommand({}));
        return answer.AccountAttributes?.find((attribute) => attribute.Name === 'ACCOUNT_TIER')?.Value;
      }),
      eum('DescribeSpendLimits', async () => {
        const answer = await smsVoice.send(new DescribeSpendLimitsCommand({}));
        return Object.fromEntries((answer.SpendLimits ?? []).map((limit) => [limit.Name ?? '', Number(limit.EnforcedLimit ?? 0)]));
      }),
      readIdentities(smsVoice),
      eum('DescribeRegistrations', async () => {
        const statuses: Record<string, string> = {};
        for await (const page of paginateDescribeRegistrations({ client: smsVoice }, {})) {
          for (const registration of page.Registrations ?? []) statuses[registration.RegistrationId ?? ''] = registration.RegistrationStatus ?? '';
        }
        return statuses;
      }),
    ]);
  const facts: AccountFacts = {
    sns: { sandboxed, verifiedDestinations, originationNumbers, monthlySpendLimitUsd },
    endUserMessaging: { accountTier, spendLimits, identities, registrations },
  };
  if (number) facts.number = await readOptOuts(clients, number);
  if (notifyConfigurationId) facts.notify = await readNotifyConfiguration(smsVoice, notifyConfigurationId);
  return facts;
}

async function readIdentities(client: PinpointSMSVoiceV2Client): Promise<Reading<EumIdentity[]>> {
  const [numbers, senderIds] = await Promise.all([
    reading('sms-voice:DescribePhoneNumbers', async () => {
      const identities: EumIdentity[] = [];
      for await (const page of paginateDescribePhoneNumbers({ client }, {})) {
        for (const number of page.PhoneNumbers ?? []) {
          identities.push({
            identity: number.PhoneNumber ?? '',
            ids: [number.PhoneNumber, number.PhoneNumberId, number.PhoneNumberArn].filter((id): id is string => Boolean(id)),
            kind: 'phone-number',
            isoCountryCode: number.IsoCountryCode ?? '',
            status: number.Status ?? '',
            capabilities: number.NumberCapabilities ?? [],
            numberType: number.NumberType,
            registrationId: number.RegistrationId,
          });
        }
      }
      return identities;
    }),
    reading('sms-voice:DescribeSenderIds', async () => {
      const identities: EumIdentity[] = [];
      for await (const page of paginateDescribeSenderIds({ client }, {})) {
        for (const senderId of page.SenderIds ?? []) {
          identities.push({
            identity: senderId.SenderId ?? '',
            ids: [senderId.SenderId, senderId.SenderIdArn].filter((id): id is string => Boolean(id)),
            kind: 'sender-id',
            isoCountryCode: senderId.IsoCountryCode ?? '',
            // A sender id has no status: it is usable once it exists (and, where required, registered).
            status: 'ACTIVE',
            capabilities: ['SMS'],
            registrationId: senderId.RegistrationId,
          });
        }
      }
      return identities;
    }),
  ]);
  if (!numbers.ok) return numbers;
  if (!senderIds.ok) return senderIds;
  return { ok: true, value: [...numbers.value, ...senderIds.value] };
}

async function readOptOuts({ sns, smsVoice }: FactClients, e164: string): Promise<NonNullable<AccountFacts['number']>> {
  const [snsOptedOut, optedOut] = await Promise.all([
    reading('sns:CheckIfPhoneNumberIsOptedOut', async () => (await sns.send(new CheckIfPhoneNumberIsOptedOutCommand({ phoneNumber: e164 }))).isOptedOut === true),
    reading('sms-voice:DescribeOptedOutNumbers', async () => {
      const answer = await smsVoice.send(new DescribeOptedOutNumbersCommand({ OptOutListName: 'Default', OptedOutNumbers: [e164] }));
      return (answer.OptedOutNumbers ?? []).some((entry) => entry.OptedOutNumber === e164);
    }),
  ]);
  return { e164, snsOptedOut, optedOut };
}

/** Notify's management reads take one request a second per account; one refused for that is asked again a second later. */
const NOTIFY_READ_ATTEMPTS = 3;

async function readNotifyConfiguration(client: PinpointSMSVoiceV2Client, idOrArn: string): Promise<Reading<NotifyConfigurationFacts | undefined>> {
  return reading('sms-voice:DescribeNotifyConfigurations', async () => {
    try {
      const answer = await pacedRead(() => client.send(new DescribeNotifyConfigurationsCommand({ NotifyConfigurationIds: [idOrArn] })));
      const configuration = answer.NotifyConfigurations?.[0];
      if (!configuration) return undefined;
      return {
        id: configuration.NotifyConfigurationId ?? idOrArn,
        displayName: configuration.DisplayName ?? '',
        status: configuration.Status ?? '',
        tier: configuration.Tier ?? '',
        enabledCountries: configuration.EnabledCountries ?? [],
        enabledChannels: configuration.EnabledChannels ?? [],
      };
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  });
}

async function pacedRead<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      if ((error as Error).name !== 'ThrottlingException' || attempt >= NOTIFY_READ_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1_000 / NOTIFY_READS_PER_SECOND));
    }
  }
}

async function reading<T>(action: string, read: () => Promise<T>): Promise<Reading<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (error) {
    const name = (error as Error).name;
    // SNS answers AuthorizationError, End User Messaging AccessDeniedException.
    const denied = name === 'AuthorizationErrorException' || name === 'AuthorizationError' || name === 'AccessDeniedException';
    return { ok: false, action, denied, message: (error as Error).message || name };
  }
}
