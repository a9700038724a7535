/**
 * The service's CloudWatch dashboard and alarms, on the EMF metrics the
 * functions emit (functions/adapters/observability.ts) and the Lambda and API
 * Gateway metrics AWS keeps. Alarms notify an SNS topic when one is given.
 */
import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  SingleValueWidget,
  TextWidget,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** The services the functions log and count under (Powertools serviceName). */
export const SEND_SERVICE = 'sms-verify-send';
export const VERIFY_SERVICE = 'sms-verify-verify';
export const OUTCOMES_SERVICE = 'sms-verify-outcomes';

export interface SmsVerifyMonitoringProps {
  namespace: string;
  sendFunction: IFunction;
  verifyFunction: IFunction;
  /** API-key mode's authorizer: when it fails, every request is a 500 before any function runs. */
  authorizerFunction?: IFunction;
  /** SMS of the deployment per window (0: no ceiling), for the "ceiling near" alarm. */
  globalSendLimit: number;
  globalSendWindowSeconds: number;
  alarmTopic?: ITopic;
  /** Below this share of sent codes being verified, over an hour with at least 20 sends, the conversion alarm fires. */
  conversionAlarmPercent: number;
  /**
   * Notify sends a day the configuration's tier allows, when the notify route is used (Basic: 200); an alarm fires
   * at 80 % of it, before Notify starts refusing and every code takes the next route. 0 or absent: no alarm.
   */
  notifyDailyLimit?: number;
  /** Whether calls go through Notify too (the notify-voice route): they count against the same daily quota. */
  notifyCalls?: boolean;
  /** Whether the deployment places calls: the dashboard then shows them by route and country. */
  calls?: boolean;
  /** Calls of the deployment per window (0: no ceiling), for the "calls ceiling near" alarm. */
  globalCallLimit?: number;
  globalCallWindowSeconds?: number;
  /** The outcomes function (conversion guard, feedback, events) and its dead-letter queue; `feedback`: conversion feedback is on. */
  outcomes?: { outcomesFunction: IFunction; deadLetters: IQueue; feedback: boolean };
  /** Whether the conversion guard is on: an alarm on each pause. */
  guard?: boolean;
}

export class SmsVerifyMonitoring extends Construct {
  readonly dashboard: Dashboard;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: SmsVerifyMonitoringProps) {
    super(scope, id);
    const { namespace } = props;
    const metric = (metricName: string, service: string, period = Duration.minutes(5), dimensions: Record<string, string> = {}) =>
      new Metric({ namespace, metricName, dimensionsMap: { service, ...dimensions }, statistic: 'Sum', period });
    const search = (metricName: string, dimension: string, service: string, label: string, filter = '') =>
      new MathExpression({
        // The namespace in double quotes: a stack or construct name with "-" or "/" is otherwise read as a search
        // operator, and the widget stays empty (CloudWatch, "Metric math syntax": SEARCH's schema).
        expression: `SEARCH('{"${namespace}",service,${dimension}} MetricName="${metricName}" service="${service}"${filter}', 'Sum', 300)`,
        label,
        period: Duration.minutes(5),
      });
    const sent = metric('CodesSent', SEND_SERVICE);
    const verified = metric('Verified', VERIFY_SERVICE);
    const ratio = (expression: string, usingMetrics: Record<string, IMetric>, label: string, period = Duration.minutes(5)) =>
      new MathExpression({ expression, usingMetrics, label, period });

    // IF guards the division: metric math documents MAX over metrics, not a metric and a scalar in one array.
    // Texts and calls alike: a delivery failure or a failover of either counts against the codes of both.
    const calls = metric('CallsPlaced', SEND_SERVICE);
    const deliveryFailureRate = ratio(
      'IF(FILL(sent, 0) + FILL(calls, 0) + FILL(failed, 0) > 0, 100 * FILL(failed, 0) / (FILL(sent, 0) + FILL(calls, 0) + FILL(failed, 0)), 0)',
      { failed: metric('DeliveryFailed', SEND_SERVICE), sent, calls },
      'Delivery failure %',
    );
    const failoverRate = ratio(
      'IF(FILL(sent, 0) + FILL(calls, 0) > 0, 100 * FILL(failovers, 0) / (FILL(sent, 0) + FILL(calls, 0)), 0)',
      { failovers: metric('Failovers', SEND_SERVICE), sent, calls },
      'Failover %',
    );
    // Codes delivered either way count: a pumping run through calls shows in conversion as one through texts does.
    const conversion = ratio(
      'IF(FILL(hourlySent, 0) + FILL(hourlyCalls, 0) >= 20, 100 * FILL(hourlyVerified, 0) / (FILL(hourlySent, 0) + FILL(hourlyCalls, 0)), 100)',
      {
        hourlySent: metric('CodesSent', SEND_SERVICE, Duration.hours(1)),
        hourlyCalls: metric('CallsPlaced', SEND_SERVICE, Duration.hours(1)),
        hourlyVerified: metric('Verified', VERIFY_SERVICE, Duration.hours(1)),
      },
      'Verified / sent % (hourly, texts and calls)',
      Duration.hours(1),
    );

    this.addAlarm('DeliveryFailureRate', deliveryFailureRate, 10, ComparisonOperator.GREATER_THAN_THRESHOLD, 2, props.alarmTopic,
      'More than 10 % of sends found no route that delivered (2 of 3 five-minute periods).');
    this.addAlarm('FailoverRate', failoverRate, 25, ComparisonOperator.GREATER_THAN_THRESHOLD, 2, props.alarmTopic,
      'More than 25 % of codes went out through a failover route: the first route is failing.');
    this.addAlarm('ConversionDrop', conversion, props.conversionAlarmPercent, ComparisonOperator.LESS_THAN_THRESHOLD, 1, props.alarmTopic,
      `Fewer than ${props.conversionAlarmPercent} % of codes sent (texts and calls) were verified in an hour with at least 20: the signature of SMS pumping or toll fraud.`);
    if (props.globalSendLimit > 0) {
      const windowSent = metric('CodesSent', SEND_SERVICE, Duration.seconds(props.globalSendWindowSeconds));
      this.addAlarm('SpendCeilingNear', windowSent, Math.floor(props.globalSendLimit * 0.8), ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, 1, props.alarmTopic,
        'The deployment has sent 80 % of its SMS ceiling (globalSendLimit) in the current window.');
    }
    if (props.calls && props.globalCallLimit) {
      const windowCalls = metric('CallsPlaced', SEND_SERVICE, Duration.seconds(props.globalCallWindowSeconds ?? 3_600));
      this.addAlarm('CallCeilingNear', windowCalls, Math.floor(props.globalCallLimit * 0.8), ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, 1, props.alarmTopic,
        'The deployment has placed 80 % of its calls ceiling (globalCallLimit) in the current window: calls cost many times a text, and toll fraud shows here.');
    }
    // Texts and calls through Notify share its tier's daily quota.
    const notifyTexts = metric('CodesSentByRoute', SEND_SERVICE, Duration.days(1), { Route: 'notify' });
    const notifyDaily: IMetric = props.notifyCalls
      ? ratio(
          'FILL(texts, 0) + FILL(calls, 0)',
          { texts: notifyTexts, calls: metric('CallsPlacedByRoute', SEND_SERVICE, Duration.days(1), { Route: 'notify-voice' }) },
          'Notify texts and calls',
          Duration.days(1),
        )
      : notifyTexts;
    if (props.notifyDailyLimit) {
      // Over the last 24 hours: Notify documents a daily quota but not when its day starts, so the alarm warns early.
      this.addAlarm('NotifyDailyQuotaNear', notifyDaily, Math.floor(props.notifyDailyLimit * 0.8), ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, 1, props.alarmTopic,
        `Notify carried 80 % of the ${props.notifyDailyLimit} messages a day its tier allows: past the quota, Notify refuses and codes take the next route (or none). Ask for the Advanced tier, or add a route.`);
    }
    const functions: Array<[string, IFunction]> = [['SendErrors', props.sendFunction], ['VerifyErrors', props.verifyFunction]];
    if (props.authorizerFunction) functions.push(['AuthorizerErrors', props.authorizerFunction]);
    if (props.guard) {
      this.addAlarm('GuardPaused', metric('GuardPaused', OUTCOMES_SERVICE), 0, ComparisonOperator.GREATER_THAN_THRESHOLD, 1, props.alarmTopic,
        'The conversion guard paused a destination prefix: codes sent there were not verified (SMS pumping). Sends and calls to it answer 429/34 until the pause ends or verifications lift it. `npx sms-verify guard list` shows it; lift it with `guard lift <prefix>` if it was real traffic.');
    }
    if (props.outcomes) {
      // Off the request path, a failure is retried and then kept in the queue: one message there is a report lost.
      const deadLetters = props.outcomes.deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' });
      this.addAlarm('OutcomesDeadLetters', deadLetters, 1, ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, 1, props.alarmTopic,
        'The outcomes function gave up on a stream batch (after an hour of retries) or a delivery receipt (after two): those codes get no conversion feedback (End User Messaging marks their messages FAILED an hour after sending) and, with events on, their events are not published. The outcomes function\'s log says why; the queue keeps a failed receipt whole, and a failed stream batch as a pointer to its records (the stream keeps them 24 hours), for 14 days.');
    }
    for (const [name, fn] of functions) {
      const errors = fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' });
      if (name === 'AuthorizerErrors') {
        this.addAlarm(name, errors, 0, ComparisonOperator.GREATER_THAN_THRESHOLD, 1, props.alarmTopic,
          'The API-key authorizer failed: API Gateway answers those requests 500 before any function runs (see authorizerError in the access log).');
        continue;
      }
      // A function answers its unexpected failures (500/51) itself, so Lambda counts only crashes and timeouts as
      // errors: the failures it answered are its own metric, UnexpectedFailures.
      const service = name === 'SendErrors' ? SEND_SERVICE : VERIFY_SERVICE;
      const failures = ratio('FILL(errors, 0) + FILL(answered, 0)', { errors, answered: metric('UnexpectedFailures', service) }, `${name}: crashes and answered failures`);
      this.addAlarm(name, failures, 0, ComparisonOperator.GREATER_THAN_THRESHOLD, 1, props.alarmTopic,
        'The function failed: an unexpected error answered 500/51, or the function crashed or ran out of time.');
    }

    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(6) });
    this.dashboard.addWidgets(
      new TextWidget({ markdown: `# SMS verification\nMetrics in \`${namespace}\`. Conversion by country is the first place to look for SMS pumping.`, width: 24, height: 2 }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'Codes sent by route', left: [search('CodesSentByRoute', 'Route', SEND_SERVICE, '')], width: 8 }),
      new GraphWidget({ title: 'Delivery', left: [sent, metric('DeliveryFailed', SEND_SERVICE), metric('DeliveryUnconfirmed', SEND_SERVICE), metric('Failovers', SEND_SERVICE)], width: 8 }),
      new GraphWidget({ title: 'Route failures', left: [search('RouteFailures', 'Route,Failure', SEND_SERVICE, '')], width: 8 }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'Verifications', left: [verified, search('VerificationFailed', 'Reason', VERIFY_SERVICE, ''), metric('NumbersLocked', VERIFY_SERVICE)], width: 8 }),
      new GraphWidget({ title: 'Limits hit', left: [search('LimitReached', 'Limit', SEND_SERVICE, ''), search('LimitReached', 'Limit', VERIFY_SERVICE, '')], width: 8 }),
      new SingleValueWidget({ title: 'Rates', metrics: [deliveryFailureRate, failoverRate, conversion], width: 8 }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'Codes sent by country', left: [search('CodesSentByCountry', 'Country', SEND_SERVICE, '')], width: 12 }),
      new GraphWidget({ title: 'Codes verified by country', left: [search('VerifiedByCountry', 'Country', VERIFY_SERVICE, '')], width: 12 }),
    );
    if (props.calls) {
      this.dashboard.addWidgets(
        new GraphWidget({ title: 'Calls placed by route', left: [search('CallsPlacedByRoute', 'Route', SEND_SERVICE, '')], width: 12 }),
        new GraphWidget({ title: 'Calls placed by country (toll fraud shows here first)', left: [search('CallsPlacedByCountry', 'Country', SEND_SERVICE, '')], width: 12 }),
      );
    }
    if (props.outcomes?.feedback) {
      this.dashboard.addWidgets(
        new GraphWidget({ title: 'Conversion feedback reported', left: [search('FeedbackReported', 'Route,Status', OUTCOMES_SERVICE, '')], width: 12 }),
        new GraphWidget({ title: 'Delivery receipts', left: [search('DeliveryReceipts', 'Route,Status', OUTCOMES_SERVICE, '')], width: 12 }),
      );
      this.dashboard.addWidgets(
        new GraphWidget({ title: 'Receipts of undelivered messages, by country', left: [search('ReceiptFailuresByCountry', 'Country', OUTCOMES_SERVICE, '')], width: 12 }),
        new GraphWidget({
          title: 'Time to delivery, p90 (ms)',
          left: [
            new MathExpression({
              expression: `SEARCH('{"${namespace}",service,Route,Status} MetricName="TimeToDelivery" service="${OUTCOMES_SERVICE}"', 'p90', 300)`,
              label: '',
              period: Duration.minutes(5),
            }),
          ],
          width: 12,
        }),
      );
    }
    if (props.notifyDailyLimit !== undefined) {
      this.dashboard.addWidgets(
        new SingleValueWidget({ title: 'Notify: sent in the last 24 hours', metrics: [notifyDaily], width: 12 }),
        new GraphWidget({ title: 'Notify: failures (each goes to the next route)', left: [search('RouteFailures', 'Route,Failure', SEND_SERVICE, '', ' Route="notify"')], width: 12 }),
      );
    }
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'Function duration p99', left: [...functions, ...(props.outcomes ? [['', props.outcomes.outcomesFunction] as const] : [])].map(([, fn]) => fn.metricDuration({ statistic: 'p99', label: fn.node.id })), width: 12 }),
      new GraphWidget({
        title: 'Function errors and throttles',
        left: functions.flatMap(([, fn]) => [fn.metricErrors({ label: `${fn.node.id} errors` }), fn.metricThrottles({ label: `${fn.node.id} throttles` })]),
        width: 12,
      }),
    );
  }

  private addAlarm(
    id: string,
    metric: IMetric,
    threshold: number,
    comparisonOperator: ComparisonOperator,
    datapointsToAlarm: number,
    topic: ITopic | undefined,
    description: string,
  ): void {
    const alarm = new Alarm(this, id, {
      metric,
      threshold,
      comparisonOperator,
      evaluationPeriods: Math.max(datapointsToAlarm, datapointsToAlarm > 1 ? 3 : 1),
      datapointsToAlarm,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    if (topic) {
      alarm.addAlarmAction(new SnsAction(topic));
      alarm.addOkAction(new SnsAction(topic));
    }
    this.alarms.push(alarm);
  }
}
