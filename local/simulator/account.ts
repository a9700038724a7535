import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { NOTIFY_BASIC_COUNTRIES } from '../../functions/adapters/sms-account-rules';
import { E164, stringViolation } from './protocol';

/**
 * The simulated AWS account behind the SMS simulator: what decides whether a
 * real account can deliver a code (the SMS sandbox, the spend limit, the
 * origination identities and their registrations, the Notify configuration,
 * the configuration sets, the EventBridge event buses, the caller's permissions). The simulated APIs
 * answer from it, and so does every read call `sms-verify doctor` makes.
 * `PUT /local/account` on npm start's server changes it, so that a test or a
 * person can put it in any state a real account can be in.
 */

export type RegistrationStatus =
  | 'CREATED'
  | 'SUBMITTED'
  | 'AWS_REVIEWING'
  | 'REVIEWING'
  | 'REQUIRES_AUTHENTICATION'
  | 'PROVISIONING'
  | 'COMPLETE'
  | 'REQUIRES_UPDATES'
  | 'CLOSED'
  | 'DELETED';

export interface SimulatedIdentity {
  /** A phone number in E.164, or a sender id. */
  identity: string;
  kind: 'phone-number' | 'sender-id';
  isoCountryCode: string;
  numberType?: 'LONG_CODE' | 'TOLL_FREE' | 'TEN_DLC' | 'SHORT_CODE' | 'SIMULATOR';
  capabilities: Array<'SMS' | 'VOICE'>;
  status: 'ACTIVE' | 'PENDING';
  /** The registration a country requires for it (US toll-free and 10DLC numbers, some sender ids). */
  registration?: { id: string; status: RegistrationStatus };
}

export interface SimulatedNotifyConfiguration {
  id: string;
  displayName: string;
  status: 'PENDING' | 'ACTIVE' | 'REJECTED' | 'REQUIRES_VERIFICATION';
  tier: 'BASIC' | 'ADVANCED';
  enabledCountries: string[];
  enabledChannels: Array<'SMS' | 'VOICE'>;
}

export interface SimulatedAccount {
  region: string;
  accountId: string;
  /** One flag for SNS and End User Messaging: SNS delivers SMS through End User Messaging. */
  smsSandbox: boolean;
  /** The destinations verified while in the sandbox: the only ones a sandboxed account texts. */
  verifiedDestinations: string[];
  /**
   * Numbers that replied STOP: on the account's SNS opt-out list and End User Messaging's `Default` list. SNS takes a
   * Publish to one and delivers nothing; SendTextMessage refuses it (ConflictException DESTINATION_PHONE_NUMBER_OPTED_OUT).
   */
  optedOutNumbers: string[];
  /** SNS's MonthlySpendLimit and End User Messaging's enforced text limit, in whole USD. */
  monthlySpendLimitUsd: number;
  originationIdentities: SimulatedIdentity[];
  notify: SimulatedNotifyConfiguration | undefined;
  /**
   * End User Messaging's configuration sets, by name: a send naming another (by name or ARN) is refused
   * (ResourceNotFoundException, ResourceType configuration-set); one naming one of these publishes its events.
   */
  configurationSets: string[];
  /**
   * EventBridge's event buses, by name; `default` is always among them, as every account has its default bus. A
   * PutEvents entry naming another (by name or ARN) is answered an EventId and goes nowhere, as EventBridge does
   * (eventbridge.ts).
   */
  eventBuses: string[];
  /**
   * IAM actions the caller lacks, e.g. `sms-voice:DescribeSpendLimits` or `events:PutEvents`: the operation is
   * answered AccessDeniedException.
   */
  deniedActions: string[];
}

// What AWS allows is stated once, for the routes, the stack, the doctor and this simulator alike.
export {
  COUNTRIES_REQUIRING_IDENTITY,
  NOTIFY_ADVANCED_PER_SECOND,
  NOTIFY_BASIC_COUNTRIES,
  NOTIFY_BASIC_DAILY_LIMIT,
  NOTIFY_BASIC_PER_SECOND,
  NOTIFY_DESTINATION_DAILY_LIMIT,
} from '../../functions/adapters/sms-account-rules';
export const LOCAL_NOTIFY_CONFIGURATION_ID = 'notify-local-0123456789abcdef';
/** npm start's configuration set, whose event destination the simulator publishes to (SmsSimulator.smsEvents). */
export const LOCAL_CONFIGURATION_SET = 'sms-verify-local';
/** ConfigurationSetName (aws-models/pinpoint-sms-voice-v2.json): length 1-64, ^[A-Za-z0-9_-]+$. */
const CONFIGURATION_SET_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** npm start's own event bus, beside the account's `default` (SmsSimulator.busEvents). */
export const LOCAL_EVENT_BUS = 'sms-verify-local';
/**
 * EventBusName, what CreateEventBus names a bus (api-models-aws eventbridge-2015-10-07.json): length 1-256,
 * ^[/\.\-_A-Za-z0-9]+$. The `/` is for partner buses (`aws.partner/…`), which PutEvents cannot name.
 */
const EVENT_BUS_NAME = { min: 1, max: 256, pattern: /^[/.\-_A-Za-z0-9]+$/ } as const;

/**
 * The account npm start simulates: out of the sandbox, a spend limit with room, a registered US toll-free number
 * that texts and calls (a US destination needs one), a Basic-tier Notify configuration that is active, with its
 * SMS and VOICE channels, and configuration sets for npm start and for the route tests (which name `verification`).
 * Every route, of either channel, can deliver.
 */
export function localAccount(): SimulatedAccount {
  return {
    region: 'us-east-1',
    accountId: '000000000000',
    smsSandbox: false,
    verifiedDestinations: [],
    optedOutNumbers: [],
    monthlySpendLimitUsd: 100,
    originationIdentities: [
      {
        identity: '+18005550100',
        kind: 'phone-number',
        isoCountryCode: 'US',
        numberType: 'TOLL_FREE',
        capabilities: ['SMS', 'VOICE'],
        status: 'ACTIVE',
        registration: { id: 'registration-local-0001', status: 'COMPLETE' },
      },
    ],
    notify: {
      id: LOCAL_NOTIFY_CONFIGURATION_ID,
      displayName: 'sms-verify',
      status: 'ACTIVE',
      tier: 'BASIC',
      enabledCountries: [...NOTIFY_BASIC_COUNTRIES],
      enabledChannels: ['SMS', 'VOICE'],
    },
    configurationSets: [LOCAL_CONFIGURATION_SET, 'verification'],
    eventBuses: ['default', LOCAL_EVENT_BUS],
    deniedActions: [],
  };
}

/** The ARN of a simulated resource, as End User Messaging writes them. */
export function arnOf(account: SimulatedAccount, resource: string): string {
  return `arn:aws:sms-voice:${account.region}:${account.accountId}:${resource}`;
}

/** The id DescribePhoneNumbers gives the account's phone number at `index`: `phone-` and 32 characters, as AWS's look. */
export function phoneNumberIdAt(index: number): string {
  return `phone-${String(index).padStart(32, '0')}`;
}

/** The account's identity `given` names: a phone number by its number, phone- id or ARN; a sender id by itself or its ARN. */
export function identityNamed(account: SimulatedAccount, given: string): SimulatedIdentity | undefined {
  const phoneNumbers = account.originationIdentities.filter((identity) => identity.kind === 'phone-number');
  const number = phoneNumbers.find(
    (identity, i) => given === identity.identity || given === phoneNumberIdAt(i) || given === arnOf(account, `phone-number/${phoneNumberIdAt(i)}`),
  );
  return (
    number ??
    account.originationIdentities.find(
      (identity) => identity.kind === 'sender-id' && (given === identity.identity || given === arnOf(account, `sender-id/${identity.identity}/${identity.isoCountryCode}`)),
    )
  );
}

/**
 * The identity End User Messaging sends from, as its events name it: the one the request named; else (none named,
 * or a pool, which the simulated account does not keep) one of the account's ACTIVE identities with the capability,
 * of the destination's country first, as End User Messaging picks one. Empty when the account has none.
 */
export function originationOf(account: SimulatedAccount, given: string | undefined, isoCountryCode: string, capability: 'SMS' | 'VOICE'): string {
  const named = given === undefined ? undefined : identityNamed(account, given);
  if (named) return named.identity;
  if (given !== undefined && E164.test(given)) return given;
  const usable = account.originationIdentities.filter((identity) => identity.status === 'ACTIVE' && identity.capabilities.includes(capability));
  return (usable.find((identity) => identity.isoCountryCode === isoCountryCode) ?? usable[0])?.identity ?? '';
}

/** Whether the account can text `destination` with an identity of its own where the country requires one. */
export function hasRegisteredIdentity(account: SimulatedAccount, isoCountryCode: string, capability: 'SMS' | 'VOICE' = 'SMS'): boolean {
  return account.originationIdentities.some(
    (identity) =>
      identity.isoCountryCode === isoCountryCode &&
      identity.kind === 'phone-number' &&
      identity.status === 'ACTIVE' &&
      identity.capabilities.includes(capability) &&
      (identity.registration === undefined || identity.registration.status === 'COMPLETE'),
  );
}

/** The destination's country, as the providers read it (libphonenumber-js, with full metadata). */
export function isoCountryOf(e164: string): string | undefined {
  return parsePhoneNumberFromString(e164)?.country;
}

export class AccountChangeError extends Error {
  override readonly name = 'AccountChangeError';
}

/**
 * Applies `changes` (a JSON object of the fields above, `notify` merged into the configuration or `null` to remove
 * it) to the account; throws naming the field when a value is not one the account can have.
 */
export function changeAccount(account: SimulatedAccount, changes: Record<string, unknown>): SimulatedAccount {
  const next: SimulatedAccount = structuredClone(account);
  for (const [field, value] of Object.entries(changes)) {
    switch (field) {
      case 'smsSandbox':
        next.smsSandbox = expectBoolean(field, value);
        break;
      case 'monthlySpendLimitUsd':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new AccountChangeError('monthlySpendLimitUsd must be a whole number of USD, 0 or more');
        next.monthlySpendLimitUsd = value;
        break;
      case 'verifiedDestinations':
      case 'optedOutNumbers':
      case 'deniedActions':
        if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw new AccountChangeError(`${field} must be a list of strings`);
        next[field] = [...(value as string[])];
        break;
      case 'originationIdentities':
        if (!Array.isArray(value)) throw new AccountChangeError('originationIdentities must be a list');
        next.originationIdentities = value as SimulatedIdentity[];
        break;
      case 'notify':
        next.notify = value === null ? undefined : changedNotify(next.notify, value);
        break;
      case 'configurationSets':
        if (!Array.isArray(value) || !value.every((name) => typeof name === 'string' && CONFIGURATION_SET_NAME.test(name))) {
          throw new AccountChangeError('configurationSets must be a list of configuration set names (1-64 of A-Z a-z 0-9 _ -)');
        }
        next.configurationSets = [...(value as string[])];
        break;
      case 'eventBuses':
        if (!Array.isArray(value) || !value.every((name) => stringViolation(name, EVENT_BUS_NAME) === undefined)) {
          throw new AccountChangeError('eventBuses must be a list of event bus names (1-256 of A-Z a-z 0-9 / . - _)');
        }
        if (!value.includes('default')) throw new AccountChangeError('eventBuses must include default: every account has its default event bus');
        next.eventBuses = [...(value as string[])];
        break;
      default:
        throw new AccountChangeError(
          `unknown field "${field}"; the account has smsSandbox, verifiedDestinations, optedOutNumbers, monthlySpendLimitUsd, originationIdentities, notify, configurationSets, eventBuses, deniedActions`,
        );
    }
  }
  return next;
}

function changedNotify(current: SimulatedNotifyConfiguration | undefined, value: unknown): SimulatedNotifyConfiguration {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AccountChangeError('notify must be an object or null');
  const merged = { ...(current ?? localAccount().notify!), ...(value as Partial<SimulatedNotifyConfiguration>) };
  if (!['PENDING', 'ACTIVE', 'REJECTED', 'REQUIRES_VERIFICATION'].includes(merged.status)) {
    throw new AccountChangeError('notify.status must be PENDING, ACTIVE, REJECTED or REQUIRES_VERIFICATION');
  }
  if (!['BASIC', 'ADVANCED'].includes(merged.tier)) throw new AccountChangeError('notify.tier must be BASIC or ADVANCED');
  if (!Array.isArray(merged.enabledCountries)) throw new AccountChangeError('notify.enabledCountries must be a list of country codes');
  if (!Array.isArray(merged.enabledChannels) || !merged.enabledChannels.every((channel) => channel === 'SMS' || channel === 'VOICE')) {
    throw new AccountChangeError('notify.enabledChannels must be a list of SMS and VOICE');
  }
  return merged;
}

function expectBoolean(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new AccountChangeError(`${field} must be true or false`);
  return value;
}
