/**
 * A call that reads the code aloud, through AWS End User Messaging SMS and Voice (`SendVoiceMessage`,
 * pinpoint-sms-voice-v2): the service's own SSML script, read by the Amazon Polly voice of the request's language,
 * from a voice-capable number or pool of the account.
 *
 * End User Messaging refuses at once what it will not call (aws-models/pinpoint-sms-voice-v2.json, SendVoiceMessage's
 * errors): an identity without the VOICE capability (ConflictException NUMBER_CAPABILITIES_MISMATCH), a sandboxed
 * account's unverified destination, an opted-out one, a reached voice spend limit (ServiceQuotaExceededException
 * MONTHLY_SPEND_LIMIT_REACHED_FOR_VOICE), a price per minute over MaxPricePerMinute. Each is a `rejected` failure,
 * and the next route carries the code.
 */
import {
  SendVoiceMessageCommand,
  type PinpointSMSVoiceV2Client,
  type SendVoiceMessageRequest,
  type VoiceId,
} from '@aws-sdk/client-pinpoint-sms-voice-v2';
import type { LanguageCode } from '../core/messages';
import type { CallReceipt, VoiceMessage, VoiceRoute } from '../core/ports';
import { SMS_REQUEST_MAX_MS } from './client-options';
import { feedbackMembers } from './message-feedback';
import { smsRouteFailure } from './sms-failures';

/**
 * The voice that reads each language: one of the API's voices (aws-models/pinpoint-sms-voice-v2.json, enum VoiceId:
 * 59 Amazon Polly standard voices) whose Polly locale speaks that language (Amazon Polly Developer Guide, "Standard
 * voices", https://docs.aws.amazon.com/polly/latest/dg/standard-voices.html). Without a VoiceId, End User Messaging
 * reads with MATTHEW, an en-US voice, whatever the script's language. One adult voice for every language, all female,
 * so that a person hears the same kind of voice in each.
 */
export const VOICE_ID_BY_LANGUAGE = {
  de: 'VICKI', // de-DE
  en: 'JOANNA', // en-US
  es: 'LUCIA', // es-ES
  fr: 'LEA', // fr-FR
  it: 'BIANCA', // it-IT
  pt: 'INES', // pt-PT
  ru: 'TATYANA', // ru-RU
} as const satisfies Record<LanguageCode, VoiceId>;

/** TimeToLive of SendVoiceMessage and SendNotifyVoiceMessage: 5 to 259 200 seconds (shape TimeToLive). */
const TIME_TO_LIVE_SECONDS = { min: 5, max: 259_200 } as const;

/** How long a call may keep being tried: the code's validity, within what the API takes. */
export function callTimeToLive(codeValiditySeconds: number): number {
  return Math.min(Math.max(Math.round(codeValiditySeconds), TIME_TO_LIVE_SECONDS.min), TIME_TO_LIVE_SECONDS.max);
}

export interface VoiceRouteOptions {
  /** A voice-capable phone number or pool of the account: its number, phone- or pool- id, or ARN. */
  originationIdentity: string;
  /** USD a minute, as the MaxPrice shape writes it; End User Messaging refuses a call that would cost more. */
  maxPricePerMinute?: string;
  configurationSetName?: string;
  /** Ask for message feedback and name the send in the Context (message-feedback.ts). */
  messageFeedback?: boolean;
  /** The code's validity: a call placed after the code expired is no use. */
  timeToLiveSeconds: number;
}

export function createVoiceRoute(client: PinpointSMSVoiceV2Client, options: VoiceRouteOptions): VoiceRoute {
  const configuration: Omit<SendVoiceMessageRequest, 'DestinationPhoneNumber' | 'MessageBody' | 'VoiceId'> = {
    OriginationIdentity: options.originationIdentity,
    // TEXT, the default, would read the tags aloud; SSML takes up to 6 000 characters, tags included.
    MessageBodyTextType: 'SSML',
    TimeToLive: callTimeToLive(options.timeToLiveSeconds),
  };
  if (options.maxPricePerMinute) configuration.MaxPricePerMinute = options.maxPricePerMinute;
  if (options.configurationSetName) configuration.ConfigurationSetName = options.configurationSetName;

  return {
    name: 'voice',
    maxDurationMs: SMS_REQUEST_MAX_MS,
    async call(message: VoiceMessage): Promise<CallReceipt> {
      try {
        const answer = await client.send(
          new SendVoiceMessageCommand({
            ...configuration,
            ...feedbackMembers(options.messageFeedback, 'voice', message.sendId),
            DestinationPhoneNumber: message.to,
            MessageBody: message.ssml,
            VoiceId: VOICE_ID_BY_LANGUAGE[message.language],
          }),
        );
        return { route: 'voice', messageId: answer.MessageId ?? '' };
      } catch (error) {
        throw smsRouteFailure('voice', error);
      }
    },
  };
}
