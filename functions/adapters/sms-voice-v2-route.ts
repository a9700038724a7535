import {
  SendTextMessageCommand,
  type PinpointSMSVoiceV2Client,
  type SendTextMessageRequest,
} from '@aws-sdk/client-pinpoint-sms-voice-v2';
import type { SmsMessage, SmsReceipt, SmsRoute } from '../core/ports';
import { SMS_REQUEST_MAX_MS } from './client-options';
import { feedbackMembers } from './message-feedback';
import { smsRouteFailure } from './sms-failures';

export interface SmsVoiceV2RouteOptions {
  originationIdentity?: string;
  configurationSetName?: string;
  /** Ask for message feedback and name the send in the Context (message-feedback.ts). */
  messageFeedback?: boolean;
  protectConfigurationId?: string;
  /** USD; End User Messaging refuses a message that would cost more. */
  maxPrice?: string;
  /** How long the carrier may keep trying; never longer than the code stays valid. */
  timeToLiveSeconds: number;
}

/**
 * SMS through AWS End User Messaging SMS (`SendTextMessage`, pinpoint-sms-voice-v2),
 * the successor of Pinpoint's SMS sending, as a transactional message.
 */
export function createSmsVoiceV2Route(client: PinpointSMSVoiceV2Client, options: SmsVoiceV2RouteOptions): SmsRoute {
  const configuration: Omit<SendTextMessageRequest, 'DestinationPhoneNumber' | 'MessageBody'> = {
    MessageType: 'TRANSACTIONAL',
    TimeToLive: options.timeToLiveSeconds,
  };
  if (options.originationIdentity) configuration.OriginationIdentity = options.originationIdentity;
  if (options.configurationSetName) configuration.ConfigurationSetName = options.configurationSetName;
  if (options.protectConfigurationId) configuration.ProtectConfigurationId = options.protectConfigurationId;
  if (options.maxPrice) configuration.MaxPrice = options.maxPrice;

  return {
    name: 'sms-voice-v2',
    maxDurationMs: SMS_REQUEST_MAX_MS,
    async send(message: SmsMessage): Promise<SmsReceipt> {
      try {
        const result = await client.send(
          new SendTextMessageCommand({
            ...configuration,
            ...feedbackMembers(options.messageFeedback, 'sms-voice-v2', message.sendId),
            DestinationPhoneNumber: message.to,
            MessageBody: message.body,
          }),
        );
        return { route: 'sms-voice-v2', messageId: result.MessageId ?? '' };
      } catch (error) {
        throw smsRouteFailure('sms-voice-v2', error);
      }
    },
  };
}
