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
  /** The sandbox and its verified destinations, when both were read. */
  sandbox?: { sandboxed: boolean; verifiedDestinations: ReadonlySet<string> };
  /** Countries with an active, SMS-capable origination number in the account, when they were read. */
  numberCountries?: ReadonlySet<string>;
}

/** The account is read within the send's own time; a read that takes longer than this is given up, not waited for. */
const VIEW_READ_BUDGET_MS = 1_000;
/** A view with a part that could not be read (a throttle, a missing permission) is read again this soon. */
const PARTIAL_VIEW_LIFETIME_MS = 30_000;

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
  let view: { read: Promise<AccountView>; at: number; lifetimeMs: number } | undefined;
  const accountView = async (): Promise<AccountView> => {
    if (!view || view.at <= now() - view.lifetimeMs) {
      const current = { read: readAccountView(client), at: now(), lifetimeMs: viewLifetimeMs };
      // A part that could not be read decides nothing, and is asked again soon rather than in accountViewSeconds.
      void current.read.then((read) => {
        if (!read.sandbox || !read.numberCountries) current.lifetimeMs = Math.min(viewLifetimeMs, PARTIAL_VIEW_LIFETIME_MS);
      });
      view = current;
    }
    // A view the account would not give in time decides nothing: SNS is tried.
    const read = await withinMs(view.read, VIEW_READ_BUDGET_MS);
    return read === OUT_OF_TIME ? {} : read;
  };

  return {
    name: 'sns',
    maxDurationMs: VIEW_READ_BUDGET_MS + SMS_REQUEST_MAX_MS,
    async send(message: SmsMessage): Promise<SmsReceipt> {
      const { sandbox, numberCountries } = await accountView();
      if (sandbox?.sandboxed && !sandbox.verifiedDestinations.has(message.to)) {
        throw undeliverable('the account is in the SMS sandbox and this destination is not verified');
      }
      if (message.country && COUNTRIES_REQUIRING_IDENTITY.has(message.country) && numberCountries && !numberCountries.has(message.country)) {
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

/** Each part on its own: one read that fails (a throttle, a missing permission) loses only what it would have told. */
async function readAccountView(client: SNSClient): Promise<AccountView> {
  const [sandboxed, verified, numbers] = await Promise.allSettled([readSandboxed(client), readVerifiedDestinations(client), readOriginationNumbers(client)]);
  return {
    ...(sandboxed.status === 'fulfilled' && verified.status === 'fulfilled'
      ? { sandbox: { sandboxed: sandboxed.value, verifiedDestinations: new Set(verified.value) } }
      : {}),
    ...(numbers.status === 'fulfilled' ? { numberCountries: countriesWithNumber(numbers.value) } : {}),
  };
}
