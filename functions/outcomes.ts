/**
 * Lambda entry of the outcomes function: off the request path, it reads the table's stream and End User Messaging's
 * delivery receipts, reports each message's conversion (PutMessageFeedback) when conversion feedback is on, and
 * publishes the service's events to EventBridge when EVENT_BUS_NAME names a bus. It holds no code key and sends nothing.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { PinpointSMSVoiceV2Client } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import type { MetadataJson } from 'libphonenumber-js/core';
import minMetadata from './phone-metadata/min.json';
import { OFF_PATH_CLIENT_OPTIONS } from './adapters/client-options';
import { DynamoDbFeedbackLedger } from './adapters/dynamodb-feedback-ledger';
import { createEventBridgePublisher } from './adapters/eventbridge-events';
import { createMessageFeedback } from './adapters/message-feedback';
import { createObservability } from './adapters/observability';
import { systemClock } from './adapters/system';
import { createPhoneNumberReader, destinationPrefix } from './core/phone-number';
import { guardFrom } from './adapters/guard-settings';
import { createOutcomesHandler } from './entry/outcomes-handler';
import { requiredEnvironment } from './entry/runtime';
import { readSettingsFromEnvironment } from './settings';

const settings = readSettingsFromEnvironment(process.env);
const { logger, metrics } = createObservability('sms-verify-outcomes');
const phoneNumbers = createPhoneNumberReader(minMetadata as unknown as MetadataJson);
const eventBusName = process.env.EVENT_BUS_NAME?.trim();
const testNumbers = new Set(settings.testNumbers.map((entry) => entry.split('=')[0]));

export const handler = createOutcomesHandler(
  {
    ...(settings.conversionFeedback
      ? {
          ledger: new DynamoDbFeedbackLedger(new DynamoDBClient(OFF_PATH_CLIENT_OPTIONS), requiredEnvironment(process.env, 'TABLE_NAME')),
          feedback: createMessageFeedback(new PinpointSMSVoiceV2Client(OFF_PATH_CLIENT_OPTIONS)),
        }
      : {}),
    ...(eventBusName ? { events: createEventBridgePublisher(new EventBridgeClient(OFF_PATH_CLIENT_OPTIONS), eventBusName) } : {}),
    clock: systemClock,
    logger,
    metrics,
  },
  {
    maxFailedChecks: settings.maxFailedChecks,
    countryOf: (e164) => {
      const reading = phoneNumbers.read(e164);
      return reading.valid ? reading.country : undefined;
    },
    prefixOf: (e164) => {
      // A test number's codes go to nobody: they say nothing about its range.
      if (testNumbers.has(e164)) return undefined;
      const reading = phoneNumbers.read(e164);
      return reading.valid ? destinationPrefix(reading, settings.prefixDigits) : undefined;
    },
    guard: guardFrom(settings, requiredEnvironment(process.env, 'TABLE_NAME')),
  },
  metrics,
);
