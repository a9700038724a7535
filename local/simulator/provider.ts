/**
 * What each simulated API gets from the simulator: the account it answers
 * from, the route's fault switch, and the outbox it delivers to.
 */
import type { RouteName, VoiceRouteName } from '../../functions/settings';
import type { SimulatedAccount } from './account';

export const FAULT_MODES = ['ok', 'throttle', 'error', 'error-after-accept', 'reject', 'timeout'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

/** A route of either channel: the simulator's fault switches, outbox and requests are kept by it. */
export type SimulatedRoute = RouteName | VoiceRouteName;

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
  /** The message reached the person: it goes to the outbox. */
  accept(message: Omit<OutboxMessage, 'at'>): void;
  /** The API took the message and answered with a message id, but the account delivers nothing (the sandbox, …). */
  drop(message: Omit<OutboxMessage, 'at'>, reason: string): void;
  record(request: ProviderRequest): void;
  /** Whether the caller lacks this IAM action (`sns:GetSMSAttributes`): the API answers it as access denied. */
  denied(action: string): boolean;
  now(): number;
}
