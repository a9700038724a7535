/**
 * Lambda entry of the outcomes function: off the request path, it reads the table's stream and End User Messaging's
 * delivery receipts, and reports each message's conversion (PutMessageFeedback). It holds no code key and sends nothing.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PinpointSMSVoiceV2Client } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { OFF_PATH_CLIENT_OPTIONS } from './adapters/client-options';
import { DynamoDbFeedbackLedger } from './adapters/dynamodb-feedback-ledger';
import { createMessageFeedback } from './adapters/message-feedback';
import { createObservability } from './adapters/observability';
import { systemClock } from './adapters/system';
import { createOutcomesHandler } from './entry/outcomes-handler';
import { requiredEnvironment } from './entry/runtime';

const { logger, metrics } = createObservability('sms-verify-outcomes');

export const handler = createOutcomesHandler(
  {
    ledger: new DynamoDbFeedbackLedger(new DynamoDBClient(OFF_PATH_CLIENT_OPTIONS), requiredEnvironment(process.env, 'TABLE_NAME')),
    feedback: createMessageFeedback(new PinpointSMSVoiceV2Client(OFF_PATH_CLIENT_OPTIONS)),
    clock: systemClock,
    logger,
    metrics,
  },
  metrics,
);
