/**
 * Amazon SNS as the service and the doctor call it (query protocol: POST / with a form body `Action=…`, XML
 * answers; SNS API Reference and aws-models/sns.json): `Publish` to a phone number, and the SMS account reads
 * `GetSMSSandboxAccountStatus`, `GetSMSAttributes`, `ListSMSSandboxPhoneNumbers`, `ListOriginationNumbers`,
 * `CheckIfPhoneNumberIsOptedOut`.
 *
 * `Publish` answers a message id whenever it accepts the request: a sandboxed account's text to an unverified
 * destination, and a US text from an account without a registered US identity, are accepted and never delivered
 * (SNS Developer Guide, "SMS sandbox": "you can send SMS messages only to verified destination phone numbers"; it
 * documents no Publish error for either, and users report a message id and nothing delivered). The simulator does
 * the same: such a message is dropped, not put in the outbox.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { COUNTRIES_REQUIRING_IDENTITY, hasRegisteredIdentity, isoCountryOf } from './account';
import { E164, escapeXml, snsAnswer, snsError, type Violation } from './protocol';
import type { Provider } from './provider';

export function handleSns(provider: Provider, request: IncomingMessage, response: ServerResponse, body: string): void {
  const form = new URLSearchParams(body);
  const parameters = Object.fromEntries(form);
  const action = form.get('Action') ?? '';
  const reads: Record<string, () => string> = {
    GetSMSSandboxAccountStatus: () => `<IsInSandbox>${provider.account.smsSandbox}</IsInSandbox>`,
    GetSMSAttributes: () =>
      `<attributes><entry><key>MonthlySpendLimit</key><value>${provider.account.monthlySpendLimitUsd}</value></entry>` +
      '<entry><key>DefaultSMSType</key><value>Transactional</value></entry></attributes>',
    ListSMSSandboxPhoneNumbers: () =>
      `<PhoneNumbers>${provider.account.verifiedDestinations
        .map((phone) => `<member><PhoneNumber>${escapeXml(phone)}</PhoneNumber><Status>Verified</Status></member>`)
        .join('')}</PhoneNumbers>`,
    CheckIfPhoneNumberIsOptedOut: () => `<isOptedOut>${provider.account.optedOutNumbers.includes(parameters.phoneNumber ?? '')}</isOptedOut>`,
    ListOriginationNumbers: () =>
      `<PhoneNumbers>${provider.account.originationIdentities
        .filter((identity) => identity.kind === 'phone-number')
        .map(
          (identity) =>
            `<member><PhoneNumber>${escapeXml(identity.identity)}</PhoneNumber><Status>${identity.status}</Status>` +
            `<Iso2CountryCode>${identity.isoCountryCode}</Iso2CountryCode><RouteType>Transactional</RouteType>` +
            `<NumberCapabilities>${identity.capabilities.map((c) => `<member>${c}</member>`).join('')}</NumberCapabilities></member>`,
        )
        .join('')}</PhoneNumbers>`,
  };
  if (reads[action]) {
    provider.record({ route: 'account', path: '/', headers: request.headers, payload: parameters });
    if (provider.denied(`sns:${action}`)) {
      return snsError(response, 403, 'AuthorizationError', `User is not authorized to perform: SNS:${action}`);
    }
    return snsAnswer(response, action, reads[action]!());
  }
  if (action !== 'Publish') return snsError(response, 400, 'InvalidAction', `The action ${action || '(none)'} is not simulated`);

  provider.record({ route: 'sns', path: '/', headers: request.headers, payload: parameters });
  const violation = snsPublishViolation(parameters);
  if (violation) return snsError(response, 400, 'InvalidParameter', `Invalid parameter: ${violation.field} Reason: ${violation.message}`);
  const message = { to: form.get('PhoneNumber') ?? '', body: form.get('Message') ?? '', route: 'sns' as const, channel: 'sms' as const, messageId: randomUUID() };
  switch (provider.fault('sns')) {
    case 'throttle':
      return snsError(response, 429, 'Throttled', 'Rate exceeded');
    case 'error':
      return snsError(response, 500, 'InternalError', 'Internal failure (simulated)', 'Receiver');
    case 'error-after-accept':
      provider.accept(message);
      return snsError(response, 500, 'InternalError', 'Internal failure (simulated)', 'Receiver');
    case 'reject':
      return snsError(response, 400, 'InvalidParameter', `Invalid parameter: PhoneNumber Reason: ${message.to} is not valid to publish to`);
    case 'timeout':
      provider.accept(message); // taken, and never answered: the caller's timeout ends the wait
      return;
    case 'ok': {
      const undeliverable = whyUndeliverable(provider, message.to);
      if (undeliverable) provider.drop(message, undeliverable);
      else provider.accept(message);
      return snsAnswer(response, 'Publish', `<MessageId>${message.messageId}</MessageId>`);
    }
  }
}

/** Why the account would take a text to `to` and deliver nothing; undefined when it would deliver it. */
export function whyUndeliverable(provider: Provider, to: string): string | undefined {
  const { account } = provider;
  if (account.optedOutNumbers.includes(to)) return 'the destination opted out (replied STOP)';
  if (account.smsSandbox && !account.verifiedDestinations.includes(to)) return 'the account is in the SMS sandbox and the destination is not verified';
  const country = isoCountryOf(to);
  if (country && COUNTRIES_REQUIRING_IDENTITY.has(country) && !hasRegisteredIdentity(account, country)) {
    return `No origination entities available to send: the account has no registered ${country} origination identity`;
  }
  if (account.monthlySpendLimitUsd <= 0) return 'the monthly SMS spend limit is reached';
  return undefined;
}

/**
 * SNS `Publish` to a phone number with its SMS attributes (SNS API Reference, Publish; SNS Developer Guide,
 * "Publishing to a mobile phone" and "Setting SMS messaging preferences"): an E.164 `PhoneNumber`, a `Message` of at
 * most 1 600 characters (SNS splits an SMS into at most 10 parts), and the reserved attributes' values.
 */
export function snsPublishViolation(parameters: Record<string, string>): Violation | undefined {
  const phone = parameters.PhoneNumber;
  if (phone === undefined || !E164.test(phone)) return { field: 'PhoneNumber', message: 'PhoneNumber must be in E.164 format' };
  const message = parameters.Message;
  if (!message) return { field: 'Message', message: 'Empty message' };
  if ([...message].length > 1600) return { field: 'Message', message: 'Message too long for SMS (at most 1600 characters)' };
  for (const [name, attribute] of Object.entries(snsMessageAttributes(parameters))) {
    if (!['String', 'Number', 'Binary', 'String.Array'].includes(attribute.DataType ?? '')) {
      return { field: 'MessageAttributes', message: `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.` };
    }
    const value = attribute.StringValue ?? '';
    const invalid = SNS_SMS_ATTRIBUTES[name]?.(value, attribute.DataType ?? '');
    if (invalid) return { field: 'MessageAttributes', message: `The message attribute '${name}' ${invalid}` };
  }
  return undefined;
}

/** The reserved SMS attributes and what SNS takes in them. */
const SNS_SMS_ATTRIBUTES: Record<string, (value: string, type: string) => string | undefined> = {
  'AWS.SNS.SMS.SMSType': (value) => (value === 'Promotional' || value === 'Transactional' ? undefined : 'must be Promotional or Transactional'),
  // 3-11 alphanumeric characters with at least one letter, no spaces.
  'AWS.SNS.SMS.SenderID': (value) => (/^(?=.*[A-Za-z])[A-Za-z0-9]{3,11}$/.test(value) ? undefined : 'must be 3 to 11 alphanumeric characters with at least one letter'),
  'AWS.SNS.SMS.MaxPrice': (value, type) => (type === 'Number' && /^[0-9]+(\.[0-9]+)?$/.test(value) ? undefined : 'must be a Number, a price in USD'),
  'AWS.MM.SMS.OriginationNumber': (value) => (E164.test(value) ? undefined : 'must be a phone number in E.164 format'),
};

/** The query protocol's `MessageAttributes.entry.N.Name` / `.Value.DataType` / `.Value.StringValue`, by name. */
function snsMessageAttributes(parameters: Record<string, string>): Record<string, { DataType?: string; StringValue?: string }> {
  const attributes: Record<string, { DataType?: string; StringValue?: string }> = {};
  for (const [key, value] of Object.entries(parameters)) {
    const match = /^MessageAttributes\.entry\.(\d+)\.Name$/.exec(key);
    if (!match) continue;
    const prefix = `MessageAttributes.entry.${match[1]}.Value.`;
    attributes[value] = { DataType: parameters[`${prefix}DataType`], StringValue: parameters[`${prefix}StringValue`] };
  }
  return attributes;
}
