import type { LogFields, Logger } from '../core/ports';

type Level = 'INFO' | 'WARN' | 'ERROR';

/** One JSON object per line, so CloudWatch Logs Insights can query every field. */
export class JsonLogger implements Logger {
  private requestFields: LogFields = {};

  constructor(
    private readonly service: string,
    /** Where lines go; standard output by default (CloudWatch Logs in Lambda). */
    private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
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
