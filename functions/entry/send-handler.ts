import type { Metrics } from '../core/ports';
import { parsePhoneVerifyRequest, parseSendRequest, PHONE_VERIFY_CODE_LENGTH } from '../core/parameters';
import { DEFAULT_CODE_LENGTH } from '../core/security-code';
import { sendPolicyFrom, sendSecurityCode, type SendDependencies, type SendOutcome } from '../core/send-code';
import type { DeploymentSettings } from '../settings';
import { createApiHandler, type ApiHandler, type MetricsPublisher, type RequestLogger } from './api-handler';

export interface SendResponseBody {
  sent: boolean;
  /** Only when a call carried the code of a text (voiceFallbackAfter). */
  channel?: 'voice';
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
  if (outcome.sent && outcome.channel === 'voice') body.channel = 'voice';
  return { ...body, ...refusalFields(outcome) };
}

/** NeutrinoAPI Phone Verify's answer: `calling` where SMS Verify says `sent`. */
export interface PhoneVerifyResponseBody {
  calling: boolean;
  'number-valid': boolean;
  'security-code': string;
  reason?: string;
  hint?: string;
  'retry-after'?: number;
}

export function toPhoneVerifyResponseBody(outcome: SendOutcome): PhoneVerifyResponseBody {
  return {
    calling: outcome.sent,
    'number-valid': outcome.numberValid,
    'security-code': outcome.securityCode,
    ...refusalFields(outcome),
  };
}

function refusalFields(outcome: SendOutcome): Pick<SendResponseBody, 'reason' | 'hint' | 'retry-after'> {
  const fields: Pick<SendResponseBody, 'reason' | 'hint' | 'retry-after'> = {};
  if (!outcome.sent) fields.reason = outcome.reason;
  if ('hint' in outcome && outcome.hint) fields.hint = outcome.hint;
  if ('retryAfterSeconds' in outcome) fields['retry-after'] = outcome.retryAfterSeconds;
  return fields;
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
  const callDefaults = { ...defaults, codeLength: PHONE_VERIFY_CODE_LENGTH };
  return createApiHandler(
    async ({ parameters, caller, idempotencyKey, endpoint, remainingMs }) => {
      if (endpoint === 'phone-verify') {
        const request = parsePhoneVerifyRequest(parameters, callDefaults, ports.phoneNumbers);
        return toPhoneVerifyResponseBody(await sendSecurityCode(request, { caller, idempotencyKey, remainingMs }, deps));
      }
      const request = parseSendRequest(parameters, defaults, ports.phoneNumbers);
      return toSendResponseBody(await sendSecurityCode(request, { caller, idempotencyKey, remainingMs }, deps));
    },
    observability,
    // One function sends codes by text and by call: /sms-verify and /phone-verify share its clients and limits.
    { idempotent: true, methods: ['POST'], endpoints: ['sms-verify', 'phone-verify'] },
  );
}
