import type { Metrics } from '../core/ports';
import { parseSendRequest } from '../core/parameters';
import { DEFAULT_CODE_LENGTH } from '../core/security-code';
import { sendPolicyFrom, sendSecurityCode, type SendDependencies, type SendOutcome } from '../core/send-code';
import type { DeploymentSettings } from '../settings';
import { createApiHandler, type ApiHandler, type MetricsPublisher, type RequestLogger } from './api-handler';

export interface SendResponseBody {
  sent: boolean;
  'number-valid': boolean;
  'security-code': string;
  reason?: string;
  hint?: string;
  /** With `number-locked`: seconds until the lock ends. */
  'retry-after'?: number;
}

export function toSendResponseBody(outcome: SendOutcome): SendResponseBody {
  const body: SendResponseBody = {
    sent: outcome.sent,
    'number-valid': outcome.numberValid,
    'security-code': outcome.securityCode,
  };
  if (!outcome.sent) body.reason = outcome.reason;
  if ('hint' in outcome && outcome.hint) body.hint = outcome.hint;
  if ('retryAfterSeconds' in outcome) body['retry-after'] = outcome.retryAfterSeconds;
  return body;
}

/** The send route over any set of ports: the Lambda entry wires AWS adapters, tests and benchmarks wire fakes. */
export function createSendHandler(
  ports: Omit<SendDependencies, 'logger' | 'metrics' | 'policy'>,
  settings: DeploymentSettings,
  observability: { logger: RequestLogger; metrics: Metrics & MetricsPublisher },
): ApiHandler {
  const deps: SendDependencies = { ...ports, ...observability, policy: sendPolicyFrom(settings) };
  const defaults = {
    codeLength: DEFAULT_CODE_LENGTH,
    limit: settings.defaultLimit,
    limitTtlDays: settings.defaultLimitTtlDays,
  };
  return createApiHandler(
    async ({ parameters, caller, idempotencyKey }) => {
      const request = parseSendRequest(parameters, defaults, ports.phoneNumbers);
      return toSendResponseBody(await sendSecurityCode(request, { caller, idempotencyKey }, deps));
    },
    observability,
    { idempotent: true, methods: ['POST'] },
  );
}
