/**
 * Lambda entry for POST /verify-security-code (and direct invocation): checks a code.
 * It loads no SMS client and only the minimal phone metadata: a check needs
 * the number's E.164 form, not its type.
 */
import type { MetadataJson } from 'libphonenumber-js/core';
import minMetadata from './phone-metadata/min.json';
import { createObservability } from './adapters/observability';
import { systemClock } from './adapters/system';
import { createPhoneNumberReader } from './core/phone-number';
import { createVerifyHandler } from './entry/verify-handler';
import { createRuntime } from './entry/runtime';

const { settings, store, digester } = createRuntime(process.env);

export const handler = createVerifyHandler(
  {
    phoneNumbers: createPhoneNumberReader(minMetadata as unknown as MetadataJson),
    store,
    digester,
    clock: systemClock,
  },
  settings,
  createObservability('sms-verify-verify'),
);
