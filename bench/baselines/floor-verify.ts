/** The floor for the verify function: only the AWS SDK clients it needs, created as it creates them. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

const clients = [new DynamoDBClient({}), new SecretsManagerClient({})];
export const handler = async () => ({ clients: clients.length });
