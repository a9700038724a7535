import { PublishCommand, type MessageAttributeValue, type SNSClient } from '@aws-sdk/client-sns';
import { SmsRouteError, type SmsMessage, type SmsReceipt, type SmsRoute } from '../core/ports';
import { SMS_REQUEST_MAX_MS } from './client-options';
import { COUNTRIES_REQUIRING_IDENTITY } from './sms-account-rules';
import { OUT_OF_TIME, withinMs } from './time-budget';
import { countriesWithNumber, readOriginationNumbers, readSandboxed, readVerifiedDestinations } from './sns-account';
import { smsRouteFailure } from './sms-failures';

export interface SnsRouteOptions {
  senderId?: string;
  originationNumber?: string;
  /** USD; SNS refuses a message that would cost more. */
  maxPrice?: string;
  /** How long what the route read of the account holds (accountViewSeconds); 0 reads it for every send. */
  accountViewSeconds?: number;
}

const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });

/**
 * What the account lets SNS deliver. SNS takes a text it cannot deliver and answers it with a message id all the
 * same: a sandboxed account's text to an unverified destination (SNS Developer Guide, "SMS sandbox": it texts
 * "only verified destination phone numbers"), and a US text from an account with no US origination number (US
 * carriers take application texts only from a registered toll-free, 10DLC or short code number). Answering
 * `sent: true` for those would be untrue, and would keep the next route from carrying the code. So the route reads
 * the account (three read calls, at most once per accountViewSeconds per container) and refuses those texts itself,
 * before publishing: nothing is sent, and the next route (Notify, End User Messaging) carries the code.
 */
interface AccountView {
  sandboxed: boolean;
  verifiedDestinations: ReadonlySet<string>;
  /** Countries with an active, SMS-capable origination number in the account. */
  numberCountries: ReadonlySet<string>;
}

/** The account is read within the send's own time; a read that takes longer than this is given up, not waited for. */
const VIEW_READ_BUDGET_MS = 1_000;

/** SMS through Amazon SNS `Publish` to a phone number, as a transactional message. */
export function createSnsRoute(client: SNSClient, options: SnsRouteOptions, now: () => number = Date.now): SmsRoute {
  // Built once: the attributes are the same for every message of this deployment.
  const attributes: Record<string, MessageAttributeValue> = {
    'AWS.SNS.SMS.SMSType': text('Transactional'),
  };
  if (options.senderId) attributes['AWS.SNS.SMS.SenderID'] = text(options.senderId);
  if (options.originationNumber) attributes['AWS.MM.SMS.OriginationNumber'] = text(options.originationNumber);
  if (options.maxPrice) attributes['AWS.SNS.SMS.MaxPrice'] = { DataType: 'Number', StringValue: options.maxPrice };

  const viewLifetimeMs = (options.accountViewSeconds ?? 900) * 1_000;
  let view: { read: Promise<AccountView | undefined>; at: number } | undefined;
  const accountView = (): Promise<AccountView | undefined> => {
    if (!view || view.at <= now() - viewLifetimeMs) view = { read: readAccountView(client), at: now() };
    // A view the account would not give (no permission, a slow or failing read) decides nothing: SNS is tried.
    return withinMs(view.read, VIEW_READ_BUDGET_MS).then((read) => (read === OUT_OF_TIME ? undefined : read));
  };

  return {
    name: 'sns',
    maxDurationMs: VIEW_READ_BUDGET_MS + SMS_REQUEST_MAX_MS,
    async send(message: SmsMessage): Promise<SmsReceipt> {
      const account = await accountView();
      if (account?.sandboxed && !account.verifiedDestinations.has(message.to)) {
        throw undeliverable('the account is in the SMS sandbox and this destination is not verified');
      }
      if (message.country && COUNTRIES_REQUIRING_IDENTITY.has(message.country) && account && !account.numberCountries.has(message.country)) {
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
    const [sandboxed, verified, numbers] = await Promise.all([readSandboxed(client), readVerifiedDestinations(client), readOriginationNumbers(client)]);
    return { sandboxed, verifiedDestinations: new Set(verified), numberCountries: countriesWithNumber(numbers) };
  } catch {
    return undefined;
  }
}
