/**
 * What became of each code, off the request path: the outcomes function's sources and destinations
 * (functions/outcomes.ts, functions/core/outcomes.ts, functions/core/events.ts).
 *
 *  - always: the table's stream (number items only) into the function, retried, then one dead-letter queue;
 *  - conversion feedback: the configuration set the End User Messaging routes send through, its event destination
 *    (a topic of delivery receipts) into the function, the ledger items and PutMessageFeedback;
 *  - events: PutEvents on the bus the stack made.
 *
 * End User Messaging: a configuration set takes up to 5 event destinations; an SNS destination needs a topic policy
 * that lets `sms-voice.amazonaws.com` publish, and an encrypted topic a key policy that lets it use the key
 * (User Guide, "Event destinations"; "Amazon SNS event destination"). Events carry the send's Context.
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { FilterCriteria, FilterRule, StartingPosition, type Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { CfnConfigurationSet } from 'aws-cdk-lib/aws-smsvoice';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { FEEDBACK_PREFIX, GUARD_PREFIX, NUMBER_PREFIX, TABLE_PARTITION_KEY } from '../functions/adapters/table-schema';

/**
 * Stream batches: up to 100 records; a failed one is retried from the record that failed until that record is an
 * hour old (feedback is moot by then: End User Messaging has marked the message FAILED), then dead-lettered. A
 * retry count would drop the records behind a failure after a few seconds of an outage.
 */
export const STREAM_BATCH_SIZE = 100;
export const STREAM_MAX_RECORD_AGE_HOURS = 1;
/** End User Messaging's event types the receipts topic gets: every text and call status (the model's EventType). */
const RECEIPT_EVENT_TYPES = ['TEXT_ALL', 'VOICE_ALL'];

export interface OutcomesProps {
  /** The service's table, with its stream (NEW_AND_OLD_IMAGES). */
  table: ITableV2;
  /** The outcomes function, made by the construct like the others. */
  fn: LambdaFunction;
  /** Conversion feedback: the name of the configuration set to make, which the send function sends through. */
  configurationSetName?: string;
  /** Events: the bus the function publishes to. */
  eventBus?: IEventBus;
  /** The conversion guard: the function counts per prefix and pauses a prefix on its limit counters. */
  guard?: boolean;
}

export class Outcomes extends Construct {
  /** Stream batches and receipts the function gave up on: an alarm watches it (monitoring.ts). */
  readonly deadLetters: Queue;
  /** Conversion feedback's configuration set and receipts topic. */
  readonly configurationSet?: CfnConfigurationSet;
  readonly receipts?: Topic;

  constructor(scope: Construct, id: string, props: OutcomesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { fn, table } = props;
    const configurationSetArn = props.configurationSetName
      ? stack.formatArn({ service: 'sms-voice', resource: 'configuration-set', resourceName: props.configurationSetName })
      : undefined;

    // Receipts and a receipt the function gave up on carry full phone numbers: with conversion feedback the topic and
    // the dead-letter queue are encrypted under a key of the stack's own that End User Messaging may use (an AWS
    // managed key's policy cannot let a service publish). Deleted with the stack: it keeps nothing. Without receipts
    // the queue keeps only pointers to stream records, under SQS's own encryption.
    const key = props.configurationSetName
      ? new Key(this, 'Key', {
          description: 'sms-verify outcomes: delivery receipts and dead letters',
          enableKeyRotation: true,
          removalPolicy: RemovalPolicy.DESTROY,
          pendingWindow: Duration.days(7),
        })
      : undefined;
    this.deadLetters = new Queue(this, 'DeadLetters', {
      ...(key ? { encryption: QueueEncryption.KMS, encryptionMasterKey: key } : { encryption: QueueEncryption.SQS_MANAGED }),
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the outcomes function; an alarm watches it.',
    });

    // The stream: only the number items' changes reach the function (a filter costs nothing; an invocation does).
    fn.addEventSource(
      new DynamoEventSource(table, {
        startingPosition: StartingPosition.LATEST,
        batchSize: STREAM_BATCH_SIZE,
        retryAttempts: -1,
        reportBatchItemFailures: true,
        maxRecordAge: Duration.hours(STREAM_MAX_RECORD_AGE_HOURS),
        onFailure: new SqsDlq(this.deadLetters),
        filters: [FilterCriteria.filter({ dynamodb: { Keys: { [TABLE_PARTITION_KEY]: { S: FilterRule.beginsWith(NUMBER_PREFIX) } } } })],
      }),
    );
    for (const action of key ? ['kms:GenerateDataKey*', 'kms:ReEncrypt*'] : []) {
      Validations.of(fn.role!).acknowledge({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: 'CDK\'s grant to send to the KMS-encrypted dead-letter queue, on that queue\'s one key.',
      });
    }

    if (props.configurationSetName && configurationSetArn && key) {
      key.addToResourcePolicy(
        new PolicyStatement({
          principals: [new ServicePrincipal('sms-voice.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': stack.account }, ArnLike: { 'aws:SourceArn': configurationSetArn } },
        }),
      );
      this.receipts = new Topic(this, 'Receipts', { displayName: 'sms-verify delivery receipts', enforceSSL: true, masterKey: key });
      this.receipts.addToResourcePolicy(
        new PolicyStatement({
          principals: [new ServicePrincipal('sms-voice.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [this.receipts.topicArn],
          // Only this configuration set's events: another set in the account cannot forge receipts.
          conditions: { StringEquals: { 'aws:SourceAccount': stack.account }, ArnLike: { 'aws:SourceArn': configurationSetArn } },
        }),
      );
      this.configurationSet = new CfnConfigurationSet(this, 'ConfigurationSet', {
        configurationSetName: props.configurationSetName,
        eventDestinations: [
          { eventDestinationName: 'receipts', enabled: true, matchingEventTypes: RECEIPT_EVENT_TYPES, snsDestination: { topicArn: this.receipts.topicArn } },
        ],
      });
      // After the topic's policy: events published before End User Messaging may publish would be lost.
      this.configurationSet.node.addDependency(this.receipts);

      // Receipts: SNS invokes the function asynchronously; Lambda retries twice, then the dead-letter queue.
      this.receipts.addSubscription(new LambdaSubscription(fn));
      fn.configureAsyncInvoke({ retryAttempts: 2, onFailure: new SqsDestination(this.deadLetters) });

      // The function writes its own ledger items and nothing else of the table, and reports feedback.
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['dynamodb:UpdateItem'],
          resources: [table.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${FEEDBACK_PREFIX}*`] } },
        }),
      );
      fn.addToRolePolicy(new PolicyStatement({ actions: ['sms-voice:PutMessageFeedback'], resources: ['*'] }));
      Validations.of(fn.role!).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'PutMessageFeedback names a message id, which IAM has no resource type for; the action is the whole grant.',
      });
    }

    if (props.eventBus) props.eventBus.grantPutEventsTo(fn);

    if (props.guard) {
      // Its counts per prefix (read back to find a pause), and the pause it writes on, and lifts from, the prefix's
      // own limit counters.
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['dynamodb:UpdateItem', 'dynamodb:GetItem'],
          resources: [table.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${GUARD_PREFIX}*`] } },
        }),
      );
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['dynamodb:UpdateItem'],
          resources: [table.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['velocity#prefix-send#*', 'velocity#prefix-call#*'] } },
        }),
      );
    }
  }
}
