/**
 * Lambda entry for POST /sms-verify and POST /phone-verify (and direct invocation): sends a code by text, or has
 * it read aloud in a call.
 * Module scope runs once per container: settings, clients and routes are built
 * here, never per request.
 */
import type { MetadataJson } from 'libphonenumber-js/core';
import maxMetadata from './phone-metadata/max.json';
import { createObservability } from './adapters/observability';
import { createSmsRoutes, sharedSmsVoiceClient } from './adapters/sms-routes';
import { createVoiceRoutes } from './adapters/voice-routes';
import { secureRandom, systemClock } from './adapters/system';
import { createPhoneNumberReader } from './core/phone-number';
import { createRuntime } from './entry/runtime';
import { createSendHandler } from './entry/send-handler';

const { settings, store, digester, sealer } = createRuntime(process.env);
// One End User Messaging client for the text and call routes that use it: one connection pool per container.
const smsVoice = sharedSmsVoiceClient();

export const handler = createSendHandler(
  {
    phoneNumbers: createPhoneNumberReader(maxMetadata as unknown as MetadataJson),
    store,
    digester,
    sealer,
    routes: createSmsRoutes(settings, smsVoice),
    voiceRoutes: createVoiceRoutes(settings, smsVoice),
    clock: systemClock,
    random: secureRandom,
  },
  settings,
  createObservability('sms-verify-send'),
);
