import { SendMessagesCommand, type PinpointClient, type SMSMessage } from '@aws-sdk/client-pinpoint';
import { SmsRouteError, type SmsFailureKind, type SmsMessage, type SmsReceipt, type SmsRoute } from '../core/ports';
import { SMS_REQUEST_MAX_MS } from './client-options';
import { smsRouteFailure } from './sms-failures';

export interface PinpointRouteOptions {
  applicationId: string;
  senderId?: string;
  originationNumber?: string;
}

/**
 * Pinpoint answers 200 for a request it accepted and reports each address's
 * fate in `Result`; anything but SUCCESSFUL is a failure of this route. Its API
 * reference (apps-application-id-messages, MessageResult.DeliveryStatus) says
 * THROTTLED, PERMANENT_FAILURE, OPT_OUT and DUPLICATE were not sent;
 * TEMPORARY_FAILURE ("an internal issue"), UNKNOWN_FAILURE and TIMEOUT do not
 * say, so they count as possibly sent.
 */
const DELIVERY_FAILURES: Record<string, SmsFailureKind> = {
  THROTTLED: 'throttled',
  TEMPORARY_FAILURE: 'unconfirmed',
  UNKNOWN_FAILURE: 'unconfirmed',
  TIMEOUT: 'unconfirmed',
  PERMANENT_FAILURE: 'rejected',
  OPT_OUT: 'rejected',
  DUPLICATE: 'rejected',
};

/** SMS through Amazon Pinpoint `SendMessages` on the SMS channel, as a transactional message. */
export function createPinpointRoute(client: PinpointClient, options: PinpointRouteOptions): SmsRoute {
  const configuration: Omit<SMSMessage, 'Body'> = { MessageType: 'TRANSACTIONAL' };
  if (options.senderId) configuration.SenderId = options.senderId;
  if (options.originationNumber) configuration.OriginationNumber = options.originationNumber;

  return {
    name: 'pinpoint',
    maxDurationMs: SMS_REQUEST_MAX_MS,
    async send(message: SmsMessage): Promise<SmsReceipt> {
      let result;
      try {
        const response = await client.send(
          new SendMessagesCommand({
            ApplicationId: options.applicationId,
            MessageRequest: {
              Addresses: { [message.to]: { ChannelType: 'SMS' } },
              MessageConfiguration: { SMSMessage: { ...configuration, Body: message.body } },
            },
          }),
        );
        result = response.MessageResponse?.Result?.[message.to];
      } catch (error) {
        throw smsRouteFailure('pinpoint', error);
      }
      const status = result?.DeliveryStatus ?? 'UNKNOWN_FAILURE';
      if (status !== 'SUCCESSFUL') {
        throw new SmsRouteError('pinpoint', DELIVERY_FAILURES[status] ?? 'unconfirmed', `pinpoint: ${status}`);
      }
      return { route: 'pinpoint', messageId: result?.MessageId ?? '' };
    },
  };
}
