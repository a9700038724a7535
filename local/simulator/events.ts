/**
 * The events End User Messaging publishes to a configuration set's event destinations (CloudWatch Logs, Firehose,
 * SNS; EventBridge's `detail` is the same object) for a message sent with a ConfigurationSetName; a message sent
 * without one has none. User Guide, "Example AWS End User Messaging SMS event data"
 * (https://docs.aws.amazon.com/sms-voice/latest/userguide/configuration-sets-event-format.html), "Event types for SMS,
 * MMS, and voice" (https://docs.aws.amazon.com/sms-voice/latest/userguide/configuration-sets-event-types.html; the
 * model's EventType enum) and "Monitoring with EventBridge"
 * (https://docs.aws.amazon.com/sms-voice/latest/userguide/monitor-event-bridge.html).
 *
 * The guide's attributes, in its order and formats: eventVersion "1.0"; eventTimestamp and messageRequestTimestamp in
 * Unix milliseconds; isoCountryCode ISO 3166-1 alpha-2; messageEncoding GSM or Unicode; totalMessagePrice and
 * totalCarrierFee in USD; `context` the request's Context as given, absent when it gave none (the EventBridge
 * examples have none). The optional carrier attributes (mcc, mnc, carrierName) and isInternationalSend are left out:
 * the simulator knows no carrier.
 *
 * A text that reaches the person: TEXT_SUCCESSFUL ("Message has been accepted by phone carrier") then TEXT_DELIVERED
 * ("Message has been accepted by phone"), as the EventBridge examples show for one message, each of the two with
 * isFinal true: a consumer must let the later event win even when the earlier said final.
 *
 * Assumed, as the guide's pages at hand show no call's event and no failure's:
 *  - a call that reaches the person: VOICE_INITIATED, VOICE_RINGING, VOICE_ANSWERED (isFinal false), then
 *    VOICE_COMPLETED (isFinal true); its events carry the text's attributes that apply to a call (not
 *    messageEncoding, messageType, totalMessageParts, totalCarrierFee);
 *  - messageStatus is the event type without its channel prefix, as the text examples' are;
 *  - a message the API took and the account dropped: one final TEXT_UNKNOWN ("can't be delivered for a reason not
 *    covered by one of the other event types") or VOICE_FAILED, described by the reason it was dropped (no End User
 *    Messaging send drops a message today: each refuses at once what the account would not deliver);
 *  - the events follow one another a millisecond apart, from the request's time;
 *  - prices are flat figures from the guide's examples (a US text part 0.00581, its carrier fee 0.00302), a call
 *    0.013 a minute, not a price list.
 */
import { countSegments } from '../../functions/core/messages';
import { isoCountryOf } from './account';
import type { DroppedMessage, OutboxMessage, Sending } from './provider';

/** What every event has, texts and calls alike. */
interface EventAttributes {
  eventVersion: '1.0';
  /** Unix time in milliseconds. */
  eventTimestamp: number;
  /** True for the message's final status; a text's TEXT_SUCCESSFUL may be followed by a TEXT_DELIVERED nonetheless. */
  isFinal: boolean;
  /** The number (or sender id) the message went out from. */
  originationPhoneNumber: string;
  destinationPhoneNumber: string;
  isoCountryCode: string;
  /** The MessageId the send answered. */
  messageId: string;
  /** When End User Messaging received the send, Unix time in milliseconds. */
  messageRequestTimestamp: number;
  messageStatus: string;
  messageStatusDescription: string;
  /** The request's Context, as given; absent when it gave none. */
  context?: Record<string, string>;
  /** USD. */
  totalMessagePrice: number;
}

export type TextEventType = 'TEXT_SUCCESSFUL' | 'TEXT_DELIVERED' | 'TEXT_UNKNOWN';
export type VoiceEventType = 'VOICE_INITIATED' | 'VOICE_RINGING' | 'VOICE_ANSWERED' | 'VOICE_COMPLETED' | 'VOICE_FAILED';

export interface TextEvent extends EventAttributes {
  eventType: TextEventType;
  messageEncoding: 'GSM' | 'Unicode';
  messageType: 'TRANSACTIONAL' | 'PROMOTIONAL';
  totalMessageParts: number;
  /** USD. */
  totalCarrierFee: number;
}

export interface VoiceEvent extends EventAttributes {
  eventType: VoiceEventType;
}

/** An event as End User Messaging publishes it to a configuration set's event destination. */
export type SmsEvent = TextEvent | VoiceEvent;

const TEXT_PART_PRICE_USD = 0.00581;
const US_CARRIER_FEE_PER_PART_USD = 0.00302;
const CALL_PRICE_USD = 0.013;

type Step<T extends string> = readonly [eventType: T, isFinal: boolean, description: string];

const TEXT_DELIVERED: readonly Step<TextEventType>[] = [
  ['TEXT_SUCCESSFUL', true, 'Message has been accepted by phone carrier'],
  ['TEXT_DELIVERED', true, 'Message has been accepted by phone'],
];
const CALL_COMPLETED: readonly Step<VoiceEventType>[] = [
  ['VOICE_INITIATED', false, 'Call has been initiated'],
  ['VOICE_RINGING', false, 'Call is ringing'],
  ['VOICE_ANSWERED', false, 'Call has been answered'],
  ['VOICE_COMPLETED', true, 'Audio message has been played to the recipient'],
];

/** The events of a message that reached the person; none without a configuration set. */
export function deliveryEvents(message: OutboxMessage, sending: Sending): SmsEvent[] {
  return eventsOf(message, sending, message.channel === 'sms' ? TEXT_DELIVERED : CALL_COMPLETED, true);
}

/** The event of a message the API took and the account dropped; none without a configuration set. */
export function failureEvents(message: DroppedMessage, sending: Sending): SmsEvent[] {
  return message.channel === 'sms'
    ? eventsOf(message, sending, [['TEXT_UNKNOWN', true, message.reason]], false)
    : eventsOf(message, sending, [['VOICE_FAILED', true, message.reason]], false);
}

function eventsOf(message: OutboxMessage, sending: Sending, steps: readonly Step<TextEventType | VoiceEventType>[], delivered: boolean): SmsEvent[] {
  if (message.configurationSetName === undefined) return [];
  const requested = Date.parse(message.at);
  const isoCountryCode = isoCountryOf(message.to) ?? '';
  const { encoding, segments } = countSegments(message.body);
  return steps.map(([eventType, isFinal, messageStatusDescription], i) => {
    const common = {
      eventVersion: '1.0' as const,
      eventTimestamp: requested + i + 1,
      isFinal,
      originationPhoneNumber: sending.originationPhoneNumber,
      destinationPhoneNumber: message.to,
      isoCountryCode,
      messageId: message.messageId,
      messageRequestTimestamp: requested,
    };
    const status = { messageStatus: eventType.replace(/^(TEXT|VOICE)_/, ''), messageStatusDescription, ...(message.context ? { context: { ...message.context } } : {}) };
    if (message.channel === 'voice') return { eventType: eventType as VoiceEventType, ...common, ...status, totalMessagePrice: delivered ? CALL_PRICE_USD : 0 };
    return {
      eventType: eventType as TextEventType,
      ...common,
      messageEncoding: encoding === 'GSM-7' ? 'GSM' : 'Unicode',
      messageType: sending.messageType ?? 'TRANSACTIONAL',
      ...status,
      totalMessageParts: segments,
      totalMessagePrice: delivered ? usd(segments * TEXT_PART_PRICE_USD) : 0,
      totalCarrierFee: delivered && isoCountryCode === 'US' ? usd(segments * US_CARRIER_FEE_PER_PART_USD) : 0,
    };
  });
}

/** A price as the events write it: USD to 5 decimals. */
const usd = (amount: number) => Math.round(amount * 100_000) / 100_000;
