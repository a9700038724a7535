/**
 * Makes chosen DynamoDB calls fail before they reach the table, as an
 * unavailable table does (a 503, which may or may not have been applied as far
 * as the client can tell) or a throttled one (which certainly was not), so
 * tests can break each write of a request on purpose. Faults that reach the
 * table (an answer lost after the write applied) are the contention stand-in's
 * (local/dynamodb-contention.ts, `injectFault`).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

interface Rule {
  operation: string;
  /** Only calls touching an item whose key starts with this. */
  keyPrefix?: string;
  /** Matching calls to let through before failing. */
  after: number;
  remaining: number;
  kind: 'unavailable' | 'throttled';
}

export class TableFaults {
  private rules: Rule[] = [];
  readonly failed: string[] = [];

  /**
   * The next `times` calls of `operation` (e.g. 'UpdateItemCommand') on matching items fail,
   * after `after` matching calls went through.
   */
  failNext(operation: string, keyPrefix?: string, times = 1, after = 0, kind: Rule['kind'] = 'unavailable'): void {
    this.rules.push({ operation, keyPrefix, after, remaining: times, kind });
  }

  clear(): void {
    this.rules = [];
    this.failed.length = 0;
  }

  install(client: DynamoDBClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const keys = keysOf(args.input as Record<string, unknown>);
        const rule = this.rules.find(
          (candidate) =>
            candidate.remaining > 0 &&
            candidate.operation === context.commandName &&
            (candidate.keyPrefix === undefined || keys.some((key) => key.startsWith(candidate.keyPrefix!))),
        );
        if (!rule) return next(args);
        if (rule.after > 0) {
          rule.after -= 1;
          return next(args);
        }
        rule.remaining -= 1;
        this.failed.push(`${context.commandName} ${keys.join(',')}`);
        throw rule.kind === 'throttled'
          ? Object.assign(new Error('Throughput exceeds the current capacity of your table or index (injected)'), {
              name: 'ThrottlingException',
              $fault: 'client',
              $metadata: { httpStatusCode: 400 },
            })
          : Object.assign(new Error('Service unavailable (injected)'), {
              name: 'ServiceUnavailable',
              $fault: 'server',
              $metadata: { httpStatusCode: 503 },
            });
      },
      { step: 'initialize', name: 'injectedTableFaults' },
    );
  }
}

function keysOf(input: Record<string, unknown>): string[] {
  const key = (item: unknown) => ((item as { Key?: { pk?: { S?: string } } })?.Key?.pk?.S ?? '');
  if (Array.isArray(input.TransactItems)) {
    return input.TransactItems.map((item: Record<string, unknown>) => key(Object.values(item)[0]));
  }
  return [key(input)];
}
