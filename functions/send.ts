/**
 * Lambda entry for POST /sms-verify (and direct invocation): sends a code.
 * Module scope runs once per container: settings, clients and routes are built
 * here, never per request.
 */
import type { MetadataJson } from 'libphonenumber-js/core';
import maxMetadata from './phone-metadata/max.json';
import { createObservability } from './adapters/observability';
import { createSmsRoutes } from './adapters/sms-routes';
import { secureRandom, systemClock } from './adapters/system';
import { createPhoneNumberReader } from './core/phone-number';
import { createRuntime } from './entry/runtime';
import { createSendHandler } from './entry/send-handler';

const { settings, store, digester, sealer } = createRuntime(process.env);

export const handler = createSendHandler(
  {
    phoneNumbers: createPhoneNumberReader(maxMetadata as unknown as MetadataJson),
    store,
    digester,
    sealer,
    routes: createSmsRoutes(settings),
    clock: systemClock,
    random: secureRandom,
  },
  settings,
  createObservability('sms-verify-send'),
);
