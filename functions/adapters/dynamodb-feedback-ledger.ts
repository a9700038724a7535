/**
 * The conversion-feedback ledger on the service's table: one item per send that asked for feedback,
 * `feedback#<send id>`, written only by the outcomes function, off the request path.
 *
 *   messageIds          string set: the messages receipts named for the send
 *   route               the route of the last receipt (for metrics)
 *   outcome             RECEIVED | FAILED: what became of the send's code
 *   reportedRECEIVED, reportedFAILED   string sets: the messages each status was reported for
 *   undeliveredIds      string set: messages a final receipt said will not arrive (reported FAILED whatever the outcome)
 *   expiresAt           s: TTL, three days on (receipts can come up to 72 hours late; feedback is moot by then)
 *
 * Each note is one UpdateItem that answers the whole item (ALL_NEW): DynamoDB applies writes to one item one after
 * another, so of a receipt and an outcome that meet, the later write sees both and reports. Every write is safe to
 * repeat (a set ADD, a SET of the same value), so the SDK's retries stay on.
 */
import {
  ConditionalCheckFailedException,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { FeedbackLedger, FeedbackStatus, MessageView } from '../core/ports';
import { FEEDBACK_PREFIX, TABLE_PARTITION_KEY, TABLE_TTL_ATTRIBUTE } from './table-schema';

const RETENTION_SECONDS = 3 * 24 * 3600;

type Item = Record<string, AttributeValue>;

const keyOf = (sendId: string): Item => ({ [TABLE_PARTITION_KEY]: { S: `${FEEDBACK_PREFIX}${sendId}` } });
const reportedSet = (status: FeedbackStatus): string => `reported${status}`;
const expiresAt = (now: number): AttributeValue => ({ N: String(Math.ceil(now / 1000) + RETENTION_SECONDS) });

function outcomeOf(item: Item | undefined): FeedbackStatus | undefined {
  const outcome = item?.outcome?.S;
  return outcome === 'RECEIVED' || outcome === 'FAILED' ? outcome : undefined;
}

const STATUSES: readonly FeedbackStatus[] = ['RECEIVED', 'FAILED'];

function messageOf(item: Item | undefined, messageId: string): MessageView {
  return {
    messageId,
    reported: new Set(STATUSES.filter((status) => (item?.[reportedSet(status)]?.SS ?? []).includes(messageId))),
    undelivered: (item?.undeliveredIds?.SS ?? []).includes(messageId),
  };
}

export class DynamoDbFeedbackLedger implements FeedbackLedger {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async noteMessage(sendId: string, messageId: string, route: string, undelivered: boolean, now: number) {
    const { Attributes: item } = await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: keyOf(sendId),
        UpdateExpression: `SET #route = :route, #expiresAt = :expiresAt ADD #messageIds :messageId${undelivered ? ', #undelivered :messageId' : ''}`,
        ExpressionAttributeNames: {
          '#route': 'route',
          '#expiresAt': TABLE_TTL_ATTRIBUTE,
          '#messageIds': 'messageIds',
          ...(undelivered ? { '#undelivered': 'undeliveredIds' } : {}),
        },
        ExpressionAttributeValues: { ':route': { S: route }, ':expiresAt': expiresAt(now), ':messageId': { SS: [messageId] } },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return { outcome: outcomeOf(item), message: messageOf(item, messageId) };
  }

  async noteOutcome(sendId: string, outcome: FeedbackStatus, now: number) {
    let item: Item | undefined;
    try {
      ({ Attributes: item } = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: keyOf(sendId),
          UpdateExpression: 'SET #outcome = :outcome, #expiresAt = :expiresAt',
          // A used code was received, whatever is said about it later (a resend after the check, a late stream record).
          ...(outcome === 'FAILED' ? { ConditionExpression: 'attribute_not_exists(#outcome) OR #outcome = :outcome' } : {}),
          ExpressionAttributeNames: { '#outcome': 'outcome', '#expiresAt': TABLE_TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':outcome': { S: outcome }, ':expiresAt': expiresAt(now) },
          ReturnValues: 'ALL_NEW',
        }),
      ));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'settled' as const;
      throw error;
    }
    return { messages: (item?.messageIds?.SS ?? []).map((messageId) => messageOf(item, messageId)), route: item?.route?.S };
  }

  async markReported(sendId: string, messageId: string, status: FeedbackStatus) {
    const { Attributes: item } = await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: keyOf(sendId),
        UpdateExpression: 'ADD #reported :messageId',
        ExpressionAttributeNames: { '#reported': reportedSet(status) },
        ExpressionAttributeValues: { ':messageId': { SS: [messageId] } },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return { outcome: outcomeOf(item), message: messageOf(item, messageId) };
  }
}
