/**
 * End User Messaging's `PutMessageFeedback` (pinpoint-sms-voice-v2, AWS JSON 1.0; aws-models/pinpoint-sms-voice-v2.json,
 * PutMessageFeedbackRequest and PutMessageFeedbackResult; API Reference, PutMessageFeedback): the sender says whether
 * the person got a message. "When you receive a signal that a user has received the message you must use
 * PutMessageFeedback to set the message feedback record as RECEIVED; Otherwise, an hour after the message feedback
 * record is set to FAILED."
 *
 * As strict as the model: MessageId (MessageId: length 1-64, ^[A-Za-z0-9_:/-]+$) and MessageFeedbackStatus (RECEIVED |
 * FAILED) are required, each a ValidationException naming the member; the caller needs `sms-voice:PutMessageFeedback`
 * (AccessDeniedException, as the account reads answer); an id none of End User Messaging's sends answered is a
 * ResourceNotFoundException with ResourceType `message` (the model's ResourceType enum). SNS's and Pinpoint's message
 * ids are theirs, not End User Messaging's: not found either. The answer is the model's result: MessageId and
 * MessageFeedbackStatus.
 *
 * Assumed, as neither the model nor the User Guide ("Message feedback") says:
 *  - feedback on a message sent without MessageFeedbackEnabled is taken like any other (the guide turns feedback on
 *    per message or by a configuration set's default, SetDefaultMessageFeedbackEnabled, which the simulated sets
 *    do not keep);
 *  - a later call replaces the status an earlier one put;
 *  - the hour after which an unreported message counts as FAILED is not simulated.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { json10Answer, json10Error, json10Invalid, violationsOf, type Shape } from './protocol';
import type { FeedbackStatus, Provider } from './provider';

/** PutMessageFeedbackRequest (aws-models/pinpoint-sms-voice-v2.json). */
export const PUT_MESSAGE_FEEDBACK = {
  // MessageId: length 1-64, ^[A-Za-z0-9_:/-]+$
  MessageId: { required: true, string: { min: 1, max: 64, pattern: /^[A-Za-z0-9_:/-]+$/ } },
  // MessageFeedbackStatus: RECEIVED | FAILED
  MessageFeedbackStatus: { required: true, enum: ['RECEIVED', 'FAILED'] },
} satisfies Shape;

export function handlePutMessageFeedback(provider: Provider, request: IncomingMessage, response: ServerResponse, payload: Record<string, unknown>): void {
  provider.record({ route: 'account', path: '/', headers: request.headers, payload: { operation: 'PutMessageFeedback', ...payload } });
  if (provider.denied('sms-voice:PutMessageFeedback')) {
    return json10Error(response, 400, 'AccessDeniedException', 'User is not authorized to perform: sms-voice:PutMessageFeedback');
  }
  const violations = violationsOf(PUT_MESSAGE_FEEDBACK, payload);
  if (violations.length > 0) return json10Invalid(response, violations);
  const messageId = String(payload.MessageId);
  const status = payload.MessageFeedbackStatus as FeedbackStatus;
  if (!provider.putFeedback(messageId, status)) {
    return json10Error(response, 400, 'ResourceNotFoundException', `The message ${messageId} does not exist`, { ResourceType: 'message', ResourceId: messageId });
  }
  json10Answer(response, { MessageId: messageId, MessageFeedbackStatus: status });
}
