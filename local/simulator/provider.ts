/**
 * What each simulated API gets from the simulator: the account it answers
 * from, the route's fault switch, the outbox it delivers to, and the message
 * feedback End User Messaging keeps on the messages it sent.
 */
import type { RouteName, VoiceRouteName } from '../../functions/settings';
import type { SimulatedAccount } from './account';

export const FAULT_MODES = ['ok', 'throttle', 'error', 'error-after-accept', 'reject', 'timeout'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

/** A route of either channel: the simulator's fault switches, outbox and requests are kept by it. */
export type SimulatedRoute = RouteName | VoiceRouteName;

/** The routes whose messages End User Messaging sent: the ones its message feedback and events know. */
export const END_USER_MESSAGING_ROUTES: readonly SimulatedRoute[] = ['sms-voice-v2', 'voice', 'notify', 'notify-voice'];

export interface OutboxMessage {
  to: string;
  /** A text's words; for a call, its transcript, so that whatever lists texts shows calls too. */
  body: string;
  route: SimulatedRoute;
  at: string;
  channel: 'sms' | 'voice';
  /** A call: what the person hears, as plain text (a code read digit by digit is its digits, spaced). */
  transcript?: string;
  /** A call placed with SendVoiceMessage's SSML: the script as sent. */
  ssml?: string;
  /** A call through Notify: its template as filled (what the API answers as ResolvedMessageBody). */
  resolvedMessageBody?: string;
  /**
   * The id the API answered (SNS's MessageId, Pinpoint's per address, End User Messaging's MessageId). A message the
   * provider took and never answered for (`error-after-accept`, `timeout`) has the id it would have answered.
   */
  messageId: string;
  /** End User Messaging: the request set MessageFeedbackEnabled; the message waits for PutMessageFeedback. */
  messageFeedbackEnabled?: true;
  /** End User Messaging: the configuration set the request named (its name or ARN, as given). */
  configurationSetName?: string;
  /** End User Messaging: the request's Context, which its events echo. */
  context?: Record<string, string>;
  /** End User Messaging: the latest PutMessageFeedback status, and when it was put. */
  feedback?: FeedbackStatus;
  feedbackAt?: string;
}

/** PutMessageFeedback's MessageFeedbackStatus (aws-models/pinpoint-sms-voice-v2.json, MessageFeedbackStatus). */
export type FeedbackStatus = 'RECEIVED' | 'FAILED';

/** What an API tells the simulator about a message it sends, beyond the message: what its events report. */
export interface Sending {
  /** The identity the message goes out from, as End User Messaging's events name it (a number, or a sender id). */
  originationPhoneNumber: string;
  messageType?: 'TRANSACTIONAL' | 'PROMOTIONAL';
}

/** A message an API took (it answered with a message id) but the account would never deliver, and why. */
export interface DroppedMessage extends OutboxMessage {
  reason: string;
}

/** A request as it reached the simulated provider, decoded, for tests that assert the exact call. */
export interface ProviderRequest {
  route: SimulatedRoute | 'account';
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** SNS: the form parameters; the JSON APIs: the parsed body. */
  payload: unknown;
}

export interface Provider {
  readonly account: SimulatedAccount;
  fault(route: SimulatedRoute): FaultMode;
  /**
   * The message reached the person: it goes to the outbox. With `sending`, and a configuration set on the message,
   * End User Messaging's delivery events for it are published (events.ts).
   */
  accept(message: Omit<OutboxMessage, 'at'>, sending?: Sending): void;
  /** The API took the message and answered with a message id, but the account delivers nothing (the sandbox, …). */
  drop(message: Omit<OutboxMessage, 'at'>, reason: string, sending?: Sending): void;
  /**
   * Keeps `status` on the message End User Messaging answered `messageId` for (outbox or dropped), replacing an
   * earlier one; false when none of its messages has that id.
   */
  putFeedback(messageId: string, status: FeedbackStatus): boolean;
  record(request: ProviderRequest): void;
  /** Whether the caller lacks this IAM action (`sns:GetSMSAttributes`): the API answers it as access denied. */
  denied(action: string): boolean;
  now(): number;
}
