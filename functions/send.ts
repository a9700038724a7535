/**
 * Lambda entry for POST /sms-verify (and direct invocation): sends a code.
 * Module scope runs once per container: settings, clients and routes are built
 * here, never per request.
 */
import { PinpointClient } from '@aws-sdk/client-pinpoint';
import { SNSClient } from '@aws-sdk/client-sns';
import maxMetadata from 'libphonenumber-js/max/metadata';
import { SMS_CLIENT_OPTIONS } from './adapters/client-options';
import { JsonLogger } from './adapters/json-logger';
import { createPinpointRoute } from './adapters/pinpoint-sms-route';
import { createSnsRoute } from './adapters/sns-sms-route';
import { secureRandom, systemClock } from './adapters/system';
import { createPhoneNumberReader } from './core/phone-number';
import type { SmsRoute } from './core/ports';
import { DEFAULT_CODE_LENGTH } from './core/security-code';
import { createSendHandler } from './entry/send-handler';
import { createRuntime } from './entry/runtime';
import type { DeploymentSettings } from './settings';

function createRoutes(settings: DeploymentSettings): SmsRoute[] {
  const { senderId, originationNumber, maxPrice, pinpointApplicationId } = settings;
  return settings.smsRoutes.map((name) => {
    switch (name) {
      case 'sns':
        return createSnsRoute(new SNSClient(SMS_CLIENT_OPTIONS), { senderId, originationNumber, maxPrice });
      case 'pinpoint':
        return createPinpointRoute(new PinpointClient(SMS_CLIENT_OPTIONS), {
          // resolveSettings refuses the pinpoint route without an application id.
          applicationId: pinpointApplicationId!,
          senderId,
          originationNumber,
        });
    }
  });
}

const { settings, store, digester } = createRuntime(process.env);

export const handler = createSendHandler(
  {
    phoneNumbers: createPhoneNumberReader(maxMetadata),
    store,
    digester,
    routes: createRoutes(settings),
    clock: systemClock,
    random: secureRandom,
    policy: {
      codeTtlMs: settings.codeTtlSeconds * 1000,
      lockMs: settings.lockSeconds * 1000,
      routeSwitchWindowMs: settings.routeSwitchSeconds * 1000,
    },
  },
  { codeLength: DEFAULT_CODE_LENGTH, limit: settings.defaultLimit, limitTtlDays: settings.defaultLimitTtlDays },
  new JsonLogger('sms-verify-send'),
);
