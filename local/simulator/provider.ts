/**
 * What each simulated API gets from the simulator: the account it answers
 * from, the route's fault switch, and the outbox it delivers to.
 */
import type { RouteName } from '../../functions/settings';
import type { SimulatedAccount } from './account';

export const FAULT_MODES = ['ok', 'throttle', 'error', 'error-after-accept', 'reject', 'timeout'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

export interface OutboxMessage {
  to: string;
  body: string;
  route: RouteName;
  at: string;
  /** `voice` for a call, whose body is what would be said; a text otherwise. */
  channel?: 'sms' | 'voice';
}

/** A message an API took (it answered with a message id) but the account would never deliver, and why. */
export interface DroppedMessage extends OutboxMessage {
  reason: string;
}

/** A request as it reached the simulated provider, decoded, for tests that assert the exact call. */
export interface ProviderRequest {
  route: RouteName | 'account';
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** SNS: the form parameters; the JSON APIs: the parsed body. */
  payload: unknown;
}

export interface Provider {
  readonly account: SimulatedAccount;
  fault(route: RouteName): FaultMode;
  /** The message reached the person: it goes to the outbox. */
  accept(message: Omit<OutboxMessage, 'at'>): void;
  /** The API took the message and answered with a message id, but the account delivers nothing (the sandbox, …). */
  drop(message: Omit<OutboxMessage, 'at'>, reason: string): void;
  record(request: ProviderRequest): void;
  /** Whether the caller lacks this IAM action (`sns:GetSMSAttributes`): the API answers it as access denied. */
  denied(action: string): boolean;
  now(): number;
}
