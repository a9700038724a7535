import type { LogFields, Logger } from '../core/ports';

type Level = 'INFO' | 'WARN' | 'ERROR';
export type LogLevel = Level | 'SILENT';

const RANK: Record<LogLevel, number> = { INFO: 0, WARN: 1, ERROR: 2, SILENT: 3 };

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

/** One JSON object per line, so CloudWatch Logs Insights can query every field. */
export class JsonLogger implements Logger {
  private requestFields: LogFields = {};

  constructor(
    private readonly service: string,
    /** Where lines go; standard output by default (CloudWatch Logs in Lambda). */
    private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
    private readonly level: LogLevel = logLevelFromEnvironment(process.env),
  ) {}

  /** Fields added to every line until the next call, such as the request id. */
  setRequestFields(fields: LogFields): void {
    this.requestFields = fields;
  }

  info(message: string, fields?: LogFields): void {
    this.log('INFO', message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.log('WARN', message, fields);
  }

  error(message: string, fields?: LogFields): void {
    this.log('ERROR', message, fields);
  }

  private log(level: Level, message: string, fields?: LogFields): void {
    if (RANK[level] < RANK[this.level]) return;
    this.write(
      JSON.stringify({
        level,
        message,
        service: this.service,
        timestamp: new Date().toISOString(),
        ...this.requestFields,
        ...fields,
      }),
    );
  }
}
