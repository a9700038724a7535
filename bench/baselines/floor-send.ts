/** The floor for the send function: only the AWS SDK clients it needs, created as it creates them. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PinpointClient } from '@aws-sdk/client-pinpoint';
import { PinpointSMSVoiceV2Client } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';

const clients = [
  new DynamoDBClient({}),
  new SecretsManagerClient({}),
  new SNSClient({}),
  new PinpointClient({}),
  new PinpointSMSVoiceV2Client({}),
];
export const handler = async () => ({ clients: clients.length });
