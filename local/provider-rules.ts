/**
 * What the real SMS APIs refuse in the fields this project sends, so that the
 * simulator refuses it too, with the provider's own error, instead of letting a
 * request through that would fail on a first real deploy. Each rule cites its
 * source; a violation names the field as the provider does.
 */

export interface Violation {
  field: string;
  message: string;
}

const E164 = /^\+[1-9][0-9]{1,14}$/;

/**
 * End User Messaging SMS `SendTextMessage` (aws-models/pinpoint-sms-voice-v2.json in aws/aws-sdk-js-v3 and
 * aws-sdk-go-v2; API Reference, SendTextMessage): the shapes' length, pattern and range traits.
 */
const SEND_TEXT_MESSAGE: Record<string, (value: unknown) => string | undefined> = {
  // PhoneNumber: E.164, length 1-20.
  DestinationPhoneNumber: (value) => pattern(value, /^\+?[1-9][0-9]{1,18}$/, 1, 20),
  // TextMessageOriginationIdentity: length 1-256, ^[A-Za-z0-9_:/\+-]+$
  OriginationIdentity: (value) => pattern(value, /^[A-Za-z0-9_:/+-]+$/, 1, 256),
  // TextMessageBody: length 1-1600, ^(?!\s*$)[\s\S]+$
  MessageBody: (value) => pattern(value, /^(?!\s*$)[\s\S]+$/, 1, 1600),
  // MessageType: enum TRANSACTIONAL | PROMOTIONAL
  MessageType: (value) => (value === 'TRANSACTIONAL' || value === 'PROMOTIONAL' ? undefined : 'Member must satisfy enum value set: [TRANSACTIONAL, PROMOTIONAL]'),
  // ConfigurationSetNameOrArn: length 1-256, ^[A-Za-z0-9_:/-]+$
  ConfigurationSetName: (value) => pattern(value, /^[A-Za-z0-9_:/-]+$/, 1, 256),
  // ProtectConfigurationIdOrArn: length 1-256, ^[A-Za-z0-9_:/-]+$
  ProtectConfigurationId: (value) => pattern(value, /^[A-Za-z0-9_:/-]+$/, 1, 256),
  // MaxPrice: length 2-8, ^[0-9]{0,2}\.[0-9]{1,5}$
  MaxPrice: (value) => pattern(value, /^[0-9]{0,2}\.[0-9]{1,5}$/, 2, 8),
  // TimeToLive: integer, range 5-259200
  TimeToLive: (value) =>
    typeof value === 'number' && Number.isInteger(value) && value >= 5 && value <= 259_200
      ? undefined
      : 'Member must have value greater than or equal to 5 and less than or equal to 259200',
};

export function sendTextMessageViolations(request: Record<string, unknown>): Violation[] {
  const violations: Violation[] = [];
  if (request.DestinationPhoneNumber === undefined) {
    violations.push({ field: 'DestinationPhoneNumber', message: 'Member must not be null' });
  }
  for (const [field, rule] of Object.entries(SEND_TEXT_MESSAGE)) {
    if (request[field] === undefined) continue;
    const message = rule(request[field]);
    if (message) violations.push({ field, message });
  }
  return violations;
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

/**
 * Pinpoint `SendMessages` on the SMS channel (Pinpoint REST API Reference, Messages; aws-models/pinpoint.json):
 * `Addresses` keyed by E.164 numbers with a `ChannelType` of the enum, an `SMSMessage` with a `Body` and a
 * `MessageType` of TRANSACTIONAL or PROMOTIONAL, and a `SenderId` as SNS takes one.
 */
export function pinpointSendMessagesViolation(request: {
  Addresses?: Record<string, { ChannelType?: string }>;
  MessageConfiguration?: { SMSMessage?: Record<string, unknown> };
}): Violation | undefined {
  const addresses = Object.entries(request.Addresses ?? {});
  if (addresses.length === 0) return { field: 'Addresses', message: 'Addresses or Endpoints must be specified' };
  for (const [address, config] of addresses) {
    const channels = ['PUSH', 'GCM', 'APNS', 'APNS_SANDBOX', 'APNS_VOIP', 'APNS_VOIP_SANDBOX', 'ADM', 'SMS', 'VOICE', 'EMAIL', 'BAIDU', 'CUSTOM', 'IN_APP'];
    if (!channels.includes(config.ChannelType ?? '')) return { field: 'ChannelType', message: `Invalid ChannelType for address ${address}` };
    if (config.ChannelType === 'SMS' && !E164.test(address)) return { field: 'Addresses', message: `Address ${address} is not a valid E.164 phone number` };
  }
  const sms = request.MessageConfiguration?.SMSMessage;
  if (!sms || typeof sms.Body !== 'string' || sms.Body.trim() === '') return { field: 'Body', message: 'SMSMessage Body is required' };
  if (sms.MessageType !== undefined && sms.MessageType !== 'TRANSACTIONAL' && sms.MessageType !== 'PROMOTIONAL') {
    return { field: 'MessageType', message: 'MessageType must be TRANSACTIONAL or PROMOTIONAL' };
  }
  if (sms.SenderId !== undefined && !/^(?=.*[A-Za-z])[A-Za-z0-9]{3,11}$/.test(String(sms.SenderId))) {
    return { field: 'SenderId', message: 'SenderId must be 3 to 11 alphanumeric characters with at least one letter' };
  }
  if (sms.OriginationNumber !== undefined && !E164.test(String(sms.OriginationNumber))) {
    return { field: 'OriginationNumber', message: 'OriginationNumber must be in E.164 format' };
  }
  return undefined;
}

function pattern(value: unknown, regex: RegExp, min: number, max: number): string | undefined {
  if (typeof value !== 'string') return 'Member must be a string';
  const length = [...value].length;
  if (length < min || length > max) return `Member must have length between ${min} and ${max}`;
  return regex.test(value) ? undefined : `Member must satisfy regular expression pattern: ${regex.source}`;
}
