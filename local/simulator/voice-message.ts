/**
 * AWS End User Messaging's `SendVoiceMessage` (pinpoint-sms-voice-v2, AWS JSON 1.0; aws-models/pinpoint-sms-voice-v2.json,
 * SendVoiceMessageRequest; API Reference, SendVoiceMessage): a call that reads a script aloud with Amazon Polly.
 *
 * As strict as the API:
 *  - the model's member constraints (required DestinationPhoneNumber and OriginationIdentity, MessageBody 1-6000 and
 *    not blank, the MessageBodyTextType and VoiceId enums, …): a ValidationException naming the member;
 *  - the body's length by its type, from MessageBodyTextType's documentation: TEXT (the default) at most 3 000
 *    characters, SSML 6 000 "including SSML tagging";
 *  - SSML that Polly would refuse (ssml.ts; that End User Messaging answers it with a ValidationException naming
 *    MessageBody is inferred).
 * Then the ConfigurationSetName, which must be one of the account's (configurationSetRefusal), before the fault switch.
 * Then the account: the OriginationIdentity must be one of its phone numbers (its number, phone- id or ARN), ACTIVE
 * and with the VOICE capability (ConflictException RESOURCE_NOT_ACTIVE, NUMBER_CAPABILITIES_MISMATCH), a sender id
 * never calls (NUMBER_CAPABILITIES_MISMATCH), an identity the account does not have is a ResourceNotFoundException.
 * A pool (pool- id or ARN) is taken as it is: the simulated account keeps no pools, and one of voice-capable numbers
 * calls. Then the destination, as for SendTextMessage (accountRefusal): opted out, the sandbox, the voice spend limit
 * (ServiceQuotaExceededException MONTHLY_SPEND_LIMIT_REACHED_FOR_VOICE). The reasons are the model's enums; which
 * one AWS answers for each case, and in which order it checks them, is not documented: assumed, as is an answer
 * without a MessageId to a DryRun ("checked and validated, but isn't sent").
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { identityNamed, isoCountryOf, originationOf, type SimulatedAccount } from './account';
import { json10Answer, json10Error, json10Invalid, violationsOf, type Shape, type Violation } from './protocol';
import type { OutboxMessage, Provider } from './provider';
import { accountRefusal, answeredWithFault, configurationSetRefusal, SEND_TEXT_MESSAGE, sentWith, VOICE_ID, type Refusal } from './sms-voice-v2';
import { ssmlProblem, transcriptOf } from './ssml';

/** SendVoiceMessageRequest (aws-models/pinpoint-sms-voice-v2.json): every member, with its shape's traits. */
export const SEND_VOICE_MESSAGE: Shape = {
  DestinationPhoneNumber: SEND_TEXT_MESSAGE.DestinationPhoneNumber,
  // VoiceMessageOriginationIdentity: length 1-256, ^[A-Za-z0-9_:/\+-]+$ (the pattern of the text's identity)
  OriginationIdentity: { ...SEND_TEXT_MESSAGE.OriginationIdentity, required: true },
  // VoiceMessageBody: length 1-6000, ^(?!\s*$)[\s\S]+$
  MessageBody: { string: { min: 1, max: 6000, pattern: /^(?!\s*$)[\s\S]+$/ } },
  MessageBodyTextType: { enum: ['TEXT', 'SSML'] },
  VoiceId: VOICE_ID,
  ConfigurationSetName: SEND_TEXT_MESSAGE.ConfigurationSetName,
  // MaxPrice: length 2-8, ^[0-9]{0,2}\.[0-9]{1,5}$
  MaxPricePerMinute: SEND_TEXT_MESSAGE.MaxPrice,
  TimeToLive: SEND_TEXT_MESSAGE.TimeToLive,
  Context: SEND_TEXT_MESSAGE.Context,
  DryRun: { boolean: true },
  ProtectConfigurationId: SEND_TEXT_MESSAGE.ProtectConfigurationId,
  MessageFeedbackEnabled: SEND_TEXT_MESSAGE.MessageFeedbackEnabled,
};

/** MessageBodyTextType's documentation: "TEXT … the maximum character limit is 3000". */
const LONGEST_TEXT_BODY = 3_000;

/** Every rule the request breaks: the model's members, then the body's length by its type, then its SSML. */
export function sendVoiceMessageViolations(request: Record<string, unknown>): Violation[] {
  const violations = violationsOf(SEND_VOICE_MESSAGE, request);
  if (violations.length > 0 || typeof request.MessageBody !== 'string') return violations;
  const body = request.MessageBody;
  if (request.MessageBodyTextType === 'SSML') {
    const problem = ssmlProblem(body);
    return problem ? [{ field: 'MessageBody', message: problem }] : [];
  }
  return [...body].length > LONGEST_TEXT_BODY
    ? [{ field: 'MessageBody', message: `Member must have length less than or equal to ${LONGEST_TEXT_BODY} when MessageBodyTextType is TEXT` }]
    : [];
}

export function handleSendVoiceMessage(provider: Provider, request: IncomingMessage, response: ServerResponse, payload: Record<string, unknown>): void {
  provider.record({ route: 'voice', path: '/', headers: request.headers, payload });
  const violations = sendVoiceMessageViolations(payload);
  if (violations.length > 0) return json10Invalid(response, violations);
  const unknownSet = configurationSetRefusal(provider.account, payload.ConfigurationSetName);
  if (unknownSet) return json10Error(response, 400, unknownSet.type, unknownSet.message, unknownSet.members);
  const call = { ...callOf(payload), messageId: randomUUID(), ...sentWith(payload) };
  const sending = { originationPhoneNumber: originationOf(provider.account, String(payload.OriginationIdentity), isoCountryOf(call.to) ?? '', 'VOICE') };
  if (answeredWithFault(provider, 'voice', response, () => provider.accept(call, sending))) return;
  const refusal = identityRefusal(provider.account, String(payload.OriginationIdentity)) ?? destinationRefusal(provider, call.to);
  if (refusal) return json10Error(response, 400, refusal.type, refusal.message, refusal.members);
  if (payload.DryRun === true) return json10Answer(response, {});
  provider.accept(call, sending);
  json10Answer(response, { MessageId: call.messageId });
}

/** The call as the outbox keeps it: the script as sent and what the person hears. */
function callOf(payload: Record<string, unknown>): Omit<OutboxMessage, 'at' | 'messageId'> {
  const body = String(payload.MessageBody ?? '');
  const ssml = payload.MessageBodyTextType === 'SSML';
  const transcript = ssml ? transcriptOf(body) : body.replace(/\s+/g, ' ').trim();
  return { to: String(payload.DestinationPhoneNumber), body: transcript, route: 'voice', channel: 'voice', transcript, ...(ssml ? { ssml: body } : {}) };
}

/** Why the account cannot call from `given`, or undefined. */
function identityRefusal(account: SimulatedAccount, given: string): Refusal | undefined {
  if (/^pool-|:pool\//.test(given)) return undefined;
  const identity = identityNamed(account, given);
  if (!identity) {
    return { type: 'ResourceNotFoundException', message: `The origination identity ${given} does not exist`, members: { ResourceType: 'phone-number', ResourceId: given } };
  }
  if (identity.kind === 'sender-id') return conflict('NUMBER_CAPABILITIES_MISMATCH', 'A sender id cannot place calls', 'sender-id', given);
  if (identity.status !== 'ACTIVE') return conflict('RESOURCE_NOT_ACTIVE', `The phone number is ${identity.status}, not ACTIVE`, 'phone-number', given);
  if (!identity.capabilities.includes('VOICE')) return conflict('NUMBER_CAPABILITIES_MISMATCH', 'The phone number has no VOICE capability', 'phone-number', given);
  return undefined;
}

function destinationRefusal(provider: Provider, to: string): Refusal | undefined {
  const refusal = accountRefusal(provider, to, 'VOICE');
  return refusal && { type: refusal.type, message: refusal.message, members: { Reason: refusal.reason } };
}

function conflict(reason: string, message: string, resourceType: string, resourceId: string): Refusal {
  return { type: 'ConflictException', message, members: { Reason: reason, ResourceType: resourceType, ResourceId: resourceId } };
}
