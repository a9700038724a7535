import type { JsonLogger } from '../adapters/json-logger';
import { parseSendRequest, type SendDefaults } from '../core/parameters';
import { sendSecurityCode, type SendDependencies, type SendOutcome } from '../core/send-code';
import { createApiHandler, type ApiHandler } from './api-handler';

export interface SendResponseBody {
  sent: boolean;
  'number-valid': boolean;
  'security-code': string;
  reason?: string;
}

export function toSendResponseBody(outcome: SendOutcome): SendResponseBody {
  const body: SendResponseBody = {
    sent: outcome.sent,
    'number-valid': outcome.numberValid,
    'security-code': outcome.securityCode,
  };
  if (!outcome.sent) body.reason = outcome.reason;
  return body;
}

/** The send route over any set of ports: the Lambda entry wires AWS adapters, tests and benchmarks wire fakes. */
export function createSendHandler(
  dependencies: Omit<SendDependencies, 'logger'>,
  defaults: SendDefaults,
  logger: JsonLogger,
): ApiHandler {
  const deps = { ...dependencies, logger };
  return createApiHandler(async ({ parameters }) => {
    const request = parseSendRequest(parameters, defaults, dependencies.phoneNumbers);
    return toSendResponseBody(await sendSecurityCode(request, deps));
  }, logger);
}
