import {
  GetSMSSandboxAccountStatusCommand,
  ListOriginationNumbersCommand,
  ListSMSSandboxPhoneNumbersCommand,
  PublishCommand,
  type MessageAttributeValue,
  type SNSClient,
} from '@aws-sdk/client-sns';
import { SmsRouteError, type SmsMessage, type SmsReceipt, type SmsRoute } from '../core/ports';
import { smsRouteFailure } from './sms-failures';

export interface SnsRouteOptions {
  senderId?: string;
  originationNumber?: string;
  /** USD; SNS refuses a message that would cost more. */
  maxPrice?: string;
}

const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });

/**
 * What the account lets SNS deliver. SNS takes a text it cannot deliver and answers it with a message id all the
 * same: a sandboxed account's text to an unverified destination (SNS Developer Guide, "SMS sandbox": it texts
 * "only verified destination phone numbers"), and a US text from an account with no US origination number (US
 * carriers take application texts only from a registered toll-free, 10DLC or short code number). Answering
 * `sent: true` for those would be untrue, and would keep the next route from carrying the code. So the route reads
 * the account (three read calls, at most once per VIEW_LIFETIME_MS per container) and refuses those texts itself,
 * before publishing: nothing is sent, and the next route (Notify, End User Messaging) carries the code.
 */
interface AccountView {
  sandboxed: boolean;
  verifiedDestinations: ReadonlySet<string>;
  /** Countries with an active, SMS-capable origination number in the account. */
  numberCountries: ReadonlySet<string>;
}

const VIEW_LIFETIME_MS = 15 * 60_000;
/** The account is read within the send's own time; a read that takes longer than this is given up, not waited for. */
const VIEW_READ_BUDGET_MS = 1_000;
/** Where a carrier takes an application's text only from a number registered for it. */
const COUNTRIES_REQUIRING_NUMBER: ReadonlySet<string> = new Set(['US']);

/** SMS through Amazon SNS `Publish` to a phone number, as a transactional message. */
export function createSnsRoute(client: SNSClient, options: SnsRouteOptions, now: () => number = Date.now): SmsRoute {
  // Built once: the attributes are the same for every message of this deployment.
  const attributes: Record<string, MessageAttributeValue> = {
    'AWS.SNS.SMS.SMSType': text('Transactional'),
  };
  if (options.senderId) attributes['AWS.SNS.SMS.SenderID'] = text(options.senderId);
  if (options.originationNumber) attributes['AWS.MM.SMS.OriginationNumber'] = text(options.originationNumber);
  if (options.maxPrice) attributes['AWS.SNS.SMS.MaxPrice'] = { DataType: 'Number', StringValue: options.maxPrice };

  let view: { read: Promise<AccountView | undefined>; at: number } | undefined;
  const accountView = (): Promise<AccountView | undefined> => {
    if (!view || view.at <= now() - VIEW_LIFETIME_MS) view = { read: readAccountView(client), at: now() };
    // A view the account would not give (no permission, a slow or failing read) decides nothing: SNS is tried.
    return Promise.race([view.read, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), VIEW_READ_BUDGET_MS).unref())]);
  };

  return {
    name: 'sns',
    async send(message: SmsMessage): Promise<SmsReceipt> {
      const account = await accountView();
      if (account?.sandboxed && !account.verifiedDestinations.has(message.to)) {
        throw undeliverable('the account is in the SMS sandbox and this destination is not verified');
      }
      if (message.country && COUNTRIES_REQUIRING_NUMBER.has(message.country) && account && !account.numberCountries.has(message.country)) {
        throw undeliverable(`the account has no active origination number for ${message.country}`);
      }
      try {
        const result = await client.send(
          new PublishCommand({ PhoneNumber: message.to, Message: message.body, MessageAttributes: attributes }),
        );
        return { route: 'sns', messageId: result.MessageId ?? '' };
      } catch (error) {
        throw smsRouteFailure('sns', error);
      }
    },
  };
}

/** SNS would take this text and deliver nothing: refused here, so that nothing is sent and the next route is tried. */
function undeliverable(why: string): SmsRouteError {
  return new SmsRouteError('sns', 'rejected', `sns: ${why}; SNS would take the text and deliver nothing`);
}

async function readAccountView(client: SNSClient): Promise<AccountView | undefined> {
  try {
    const [sandbox, verified, numbers] = await Promise.all([
      client.send(new GetSMSSandboxAccountStatusCommand({})),
      client.send(new ListSMSSandboxPhoneNumbersCommand({ MaxResults: 100 })),
      allOriginationNumbers(client),
    ]);
    return {
      sandboxed: sandbox.IsInSandbox === true,
      verifiedDestinations: new Set(
        (verified.PhoneNumbers ?? []).filter((number) => number.Status === 'Verified').map((number) => number.PhoneNumber ?? ''),
      ),
      numberCountries: new Set(
        numbers
          .filter((number) => number.Status === 'ACTIVE' && (number.NumberCapabilities ?? []).includes('SMS'))
          .map((number) => number.Iso2CountryCode ?? ''),
      ),
    };
  } catch {
    return undefined;
  }
}

async function allOriginationNumbers(client: SNSClient) {
  const numbers = [];
  let NextToken: string | undefined;
  do {
    const page = await client.send(new ListOriginationNumbersCommand({ MaxResults: 30, NextToken }));
    numbers.push(...(page.PhoneNumbers ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return numbers;
}
