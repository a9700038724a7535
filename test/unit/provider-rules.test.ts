/**
 * The SMS simulator's rules: what the real APIs refuse in the fields this
 * project sends (local/simulator/*.ts), one case per constraint.
 */
import { pinpointSendMessagesViolation } from '../../local/simulator/pinpoint';
import { sendTextMessageViolations } from '../../local/simulator/sms-voice-v2';
import { snsPublishViolation } from '../../local/simulator/sns';

const validText = { DestinationPhoneNumber: '+447400123456', MessageBody: 'Your code is 12345', MessageType: 'TRANSACTIONAL' };

describe('End User Messaging SendTextMessage', () => {
  it('takes what this project sends', () => {
    expect(
      sendTextMessageViolations({
        ...validText,
        OriginationIdentity: 'arn:aws:sms-voice:eu-west-1:111122223333:pool/pool-0123',
        ConfigurationSetName: 'verification',
        ProtectConfigurationId: 'protect-0123',
        MaxPrice: '0.05',
        TimeToLive: 600,
      }),
    ).toEqual([]);
  });

  it.each([
    ['MaxPrice', { MaxPrice: '1' }],
    ['MaxPrice', { MaxPrice: '123.5' }],
    ['MaxPrice', { MaxPrice: '0.123456' }],
    ['TimeToLive', { TimeToLive: 4 }],
    ['TimeToLive', { TimeToLive: 259_201 }],
    ['MessageType', { MessageType: 'OTP' }],
    ['MessageBody', { MessageBody: '   ' }],
    ['MessageBody', { MessageBody: 'x'.repeat(1601) }],
    ['DestinationPhoneNumber', { DestinationPhoneNumber: '07400123456' }],
    ['DestinationPhoneNumber', { DestinationPhoneNumber: undefined }],
    ['OriginationIdentity', { OriginationIdentity: 'pool 0123' }],
    ['ConfigurationSetName', { ConfigurationSetName: 'my set' }],
    ['ProtectConfigurationId', { ProtectConfigurationId: 'x'.repeat(257) }],
  ])('refuses a bad %s', (field, change) => {
    expect(sendTextMessageViolations({ ...validText, ...change }).map((violation) => violation.field)).toEqual([field]);
  });
});

describe('SNS Publish to a phone number', () => {
  const publish = (extra: Record<string, string> = {}) => ({
    Action: 'Publish',
    PhoneNumber: '+447400123456',
    Message: 'Your code is 12345',
    'MessageAttributes.entry.1.Name': 'AWS.SNS.SMS.SMSType',
    'MessageAttributes.entry.1.Value.DataType': 'String',
    'MessageAttributes.entry.1.Value.StringValue': 'Transactional',
    ...extra,
  });
  const attribute = (name: string, value: string, type = 'String') => ({
    'MessageAttributes.entry.2.Name': name,
    'MessageAttributes.entry.2.Value.DataType': type,
    'MessageAttributes.entry.2.Value.StringValue': value,
  });

  it('takes what this project sends', () => {
    expect(snsPublishViolation(publish(attribute('AWS.SNS.SMS.SenderID', 'Acme')))).toBeUndefined();
    expect(snsPublishViolation(publish(attribute('AWS.SNS.SMS.MaxPrice', '0.05', 'Number')))).toBeUndefined();
    expect(snsPublishViolation(publish(attribute('AWS.MM.SMS.OriginationNumber', '+12015550123')))).toBeUndefined();
  });

  it.each([
    ['PhoneNumber', { PhoneNumber: '447400123456' }],
    ['Message', { Message: '' }],
    ['Message', { Message: 'x'.repeat(1601) }],
    ['MessageAttributes', { 'MessageAttributes.entry.1.Value.StringValue': 'Urgent' }],
    ['MessageAttributes', attribute('AWS.SNS.SMS.SenderID', 'AB')],
    ['MessageAttributes', attribute('AWS.SNS.SMS.SenderID', 'Acme-Co')],
    ['MessageAttributes', attribute('AWS.SNS.SMS.MaxPrice', '0.05')],
    ['MessageAttributes', attribute('AWS.MM.SMS.OriginationNumber', '12015550123')],
    ['MessageAttributes', attribute('AWS.SNS.SMS.SenderID', 'Acme', 'Text')],
  ])('refuses a bad %s', (field, change) => {
    expect(snsPublishViolation(publish(change))?.field).toBe(field);
  });
});

describe('Pinpoint SendMessages on the SMS channel', () => {
  const request = (sms: Record<string, unknown> = {}, addresses: Record<string, { ChannelType?: string }> = { '+447400123456': { ChannelType: 'SMS' } }) => ({
    Addresses: addresses,
    MessageConfiguration: { SMSMessage: { Body: 'Your code is 12345', MessageType: 'TRANSACTIONAL', ...sms } },
  });

  it('takes what this project sends', () => {
    expect(pinpointSendMessagesViolation(request({ SenderId: 'Acme', OriginationNumber: '+12015550123' }))).toBeUndefined();
  });

  it.each([
    ['Addresses', request({}, {})],
    ['Addresses', request({}, { '07400123456': { ChannelType: 'SMS' } })],
    ['ChannelType', request({}, { '+447400123456': { ChannelType: 'TEXT' } })],
    ['Body', request({ Body: '' })],
    ['MessageType', request({ MessageType: 'OTP' })],
    ['SenderId', request({ SenderId: 'Acme-Co' })],
    ['OriginationNumber', request({ OriginationNumber: '2015550123' })],
  ])('refuses a bad %s', (field, body) => {
    expect(pinpointSendMessagesViolation(body)?.field).toBe(field);
  });
});
