/**
 * End User Messaging's message feedback: what a send adds to its message so that the outcome can be reported later,
 * and the report itself (PutMessageFeedback), made off the request path by the outcomes function.
 *
 * Model (pinpoint-sms-voice-v2, PutMessageFeedback): MessageId 1-64 [A-Za-z0-9_:/-]; MessageFeedbackStatus RECEIVED |
 * FAILED. "When you receive a signal that a user has received the message you must use PutMessageFeedback to set the
 * message feedback record as RECEIVED; Otherwise, an hour after the message feedback record is set to FAILED."
 * Context (every send operation): at most 5 entries, key 1-100 non-space characters, value 1-800 characters; "that
 * data is logged to the event destination", which is how a receipt names the send it belongs to.
 */
import {
  PutMessageFeedbackCommand,
  ResourceNotFoundException,
  ValidationException,
  type PinpointSMSVoiceV2Client,
} from '@aws-sdk/client-pinpoint-sms-voice-v2';
import type { DeliveryReceipt } from '../core/outcomes';
import { maskNumber } from '../core/phone-number';
import type { FeedbackStatus, MessageFeedback } from '../core/ports';
import type { DeploymentSettings } from '../settings';

/** The Context keys a message carries: the send it holds the code of, and the route that sent it. */
export const SEND_CONTEXT_KEY = 'sms-verify-send';
export const ROUTE_CONTEXT_KEY = 'sms-verify-route';

/**
 * Whether sends ask for message feedback. Only with a configuration set: its event destination is where the receipts
 * come from that carry the message id, and a message asked for feedback and never reported counts as FAILED.
 */
export function messageFeedbackFrom(settings: Pick<DeploymentSettings, 'conversionFeedback' | 'configurationSetName'>): boolean {
  return settings.conversionFeedback && Boolean(settings.configurationSetName);
}

/** The members a send adds when feedback is on: `MessageFeedbackEnabled`, and the Context its receipts echo. */
export function feedbackMembers(
  enabled: boolean | undefined,
  route: string,
  sendId: string | undefined,
): { MessageFeedbackEnabled?: boolean; Context?: Record<string, string> } {
  if (!enabled || !sendId) return {};
  return { MessageFeedbackEnabled: true, Context: { [SEND_CONTEXT_KEY]: sendId, [ROUTE_CONTEXT_KEY]: route } };
}

export function createMessageFeedback(client: PinpointSMSVoiceV2Client): MessageFeedback {
  return {
    async report(messageId: string, status: FeedbackStatus) {
      try {
        await client.send(new PutMessageFeedbackCommand({ MessageId: messageId, MessageFeedbackStatus: status }));
        return 'reported';
      } catch (error) {
        // The message is not (or no longer) known, or the report is invalid for it: nothing a retry could change,
        // and a retry would hold up every record after it in the stream.
        if (error instanceof ResourceNotFoundException) return 'unknown-message';
        if (error instanceof ValidationException) return 'refused';
        throw error;
      }
    },
  };
}

/**
 * A receipt from an event End User Messaging published to the configuration set's event destination (SNS: the
 * event is the notification's Message). Events of other messages, without this service's Context, still count.
 * Event format: https://docs.aws.amazon.com/sms-voice/latest/userguide/configuration-sets-event-format.html
 */
export function receiptOf(event: unknown): DeliveryReceipt | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const fields = event as Record<string, unknown>;
  const { messageId, eventType, context } = fields;
  if (typeof messageId !== 'string' || typeof eventType !== 'string') return undefined;
  const values = typeof context === 'object' && context !== null ? (context as Record<string, unknown>) : {};
  const text = (value: unknown) => (typeof value === 'string' && value ? value : undefined);
  const time = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
  return {
    messageId,
    eventType,
    sendId: text(values[SEND_CONTEXT_KEY]),
    route: text(values[ROUTE_CONTEXT_KEY]),
    country: typeof fields.isoCountryCode === 'string' && /^[A-Z]{2}$/.test(fields.isoCountryCode) ? fields.isoCountryCode : undefined,
    maskedNumber: typeof fields.destinationPhoneNumber === 'string' ? maskNumber(fields.destinationPhoneNumber) : undefined,
    requestedAt: time(fields.messageRequestTimestamp),
    at: time(fields.eventTimestamp),
  };
}
