import { PublishCommand, type MessageAttributeValue, type SNSClient } from '@aws-sdk/client-sns';
import type { SmsMessage, SmsReceipt, SmsRoute } from '../core/ports';
import { smsRouteFailure } from './sms-failures';

export interface SnsRouteOptions {
  senderId?: string;
  originationNumber?: string;
  /** USD; SNS refuses a message that would cost more. */
  maxPrice?: string;
}

const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });

/** SMS through Amazon SNS `Publish` to a phone number, as a transactional message. */
export function createSnsRoute(client: SNSClient, options: SnsRouteOptions): SmsRoute {
  // Built once: the attributes are the same for every message of this deployment.
  const attributes: Record<string, MessageAttributeValue> = {
    'AWS.SNS.SMS.SMSType': text('Transactional'),
  };
  if (options.senderId) attributes['AWS.SNS.SMS.SenderID'] = text(options.senderId);
  if (options.originationNumber) attributes['AWS.MM.SMS.OriginationNumber'] = text(options.originationNumber);
  if (options.maxPrice) attributes['AWS.SNS.SMS.MaxPrice'] = { DataType: 'Number', StringValue: options.maxPrice };

  return {
    name: 'sns',
    async send(message: SmsMessage): Promise<SmsReceipt> {
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
