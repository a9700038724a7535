/**
 * Logs and metrics through Powertools for AWS Lambda: structured JSON logs
 * with the Lambda context and a correlation id, and CloudWatch metrics as EMF
 * lines (no API call on the request path). One pair per function, per container.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { LogFields, MetricName, Metrics as MetricsPort, TimingName } from '../core/ports';
import type { RequestLogger } from '../entry/api-handler';

/** The CloudWatch namespace of the metrics unless METRICS_NAMESPACE names the deployment's own (the construct sets it). */
export const DEFAULT_METRICS_NAMESPACE = 'SmsVerify';

export type LogLevel = 'INFO' | 'WARN' | 'ERROR' | 'SILENT';

/**
 * The level from the environment: Lambda's own AWS_LAMBDA_LOG_LEVEL (set by
 * the function's logging configuration) or LOG_LEVEL; INFO when neither is set.
 * DEBUG and TRACE read as INFO: this service has nothing more detailed to say.
 */
export function logLevelFromEnvironment(env: NodeJS.ProcessEnv): LogLevel {
  const value = (env.AWS_LAMBDA_LOG_LEVEL ?? env.LOG_LEVEL ?? 'INFO').toUpperCase();
  if (value === 'WARN' || value === 'ERROR' || value === 'SILENT') return value;
  if (value === 'FATAL') return 'ERROR';
  return 'INFO';
}

/** The core's logger port on Powertools' Logger. */
export class PowertoolsLogger implements RequestLogger {
  constructor(readonly powertools: Logger) {}

  info(message: string, fields?: LogFields): void {
    if (fields) this.powertools.info(message, fields);
    else this.powertools.info(message);
  }

  warn(message: string, fields?: LogFields): void {
    if (fields) this.powertools.warn(message, fields);
    else this.powertools.warn(message);
  }

  error(message: string, fields?: LogFields): void {
    if (fields) this.powertools.error(message, fields);
    else this.powertools.error(message);
  }

  addContext(context: Context): void {
    this.powertools.addContext(context);
  }

  appendKeys(keys: Record<string, unknown>): void {
    this.powertools.appendKeys(keys as Parameters<Logger['appendKeys']>[0]);
  }

  resetKeys(): void {
    this.powertools.resetKeys();
  }
}

/** Counts events as EMF metrics; broken-down ones are flushed at once, the rest at the end of the invocation. */
export class PowertoolsMetrics implements MetricsPort {
  constructor(readonly powertools: Metrics) {}

  count(name: MetricName, dimensions?: Record<string, string>): void {
    if (!dimensions) {
      this.powertools.addMetric(name, MetricUnit.Count, 1);
      return;
    }
    const single = this.powertools.singleMetric();
    single.addDimensions(dimensions);
    single.addMetric(name, MetricUnit.Count, 1);
  }

  milliseconds(name: TimingName, value: number, dimensions: Record<string, string> = {}): void {
    const single = this.powertools.singleMetric();
    single.addDimensions(dimensions);
    single.addMetric(name, MetricUnit.Milliseconds, value);
  }

  publishStoredMetrics(): void {
    // Powertools warns on every flush without a stored metric (an invocation whose only metrics were broken
    // down, and flushed at once, or a refused request): a log line per request that says nothing.
    if (this.powertools.hasStoredMetrics()) this.powertools.publishStoredMetrics();
  }

  captureColdStartMetric(): void {
    this.powertools.captureColdStartMetric();
  }

  addMetadata(key: string, value: string): void {
    this.powertools.addMetadata(key, value);
  }
}

export function createObservability(serviceName: string, env: NodeJS.ProcessEnv = process.env) {
  return {
    logger: new PowertoolsLogger(new Logger({ serviceName, logLevel: logLevelFromEnvironment(env) })),
    metrics: new PowertoolsMetrics(
      new Metrics({ namespace: env.METRICS_NAMESPACE?.trim() || DEFAULT_METRICS_NAMESPACE, serviceName }),
    ),
  };
}
