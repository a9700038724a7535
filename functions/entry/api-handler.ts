import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { UNEXPECTED_FAILURE } from '../core/errors';
import type { Logger, Metrics } from '../core/ports';
import { errorResponseFor, httpResponse } from './api-response';
import { asSpelled, isHttpEvent, readInvocation, type Invocation, type InvocationOptions, type OutputCase } from './invocation';

export type ApiHandler = (event: unknown, context: Context) => Promise<unknown>;

/** What a handler needs of a logger beyond the core's port: the Lambda context and per-request keys (Powertools Logger). */
export interface RequestLogger extends Logger {
  addContext(context: Context): void;
  appendKeys(keys: Record<string, unknown>): void;
  resetKeys(): void;
}

/** What a handler needs of its metrics: publishing at the end of each invocation (Powertools Metrics). */
export interface MetricsPublisher {
  publishStoredMetrics(): void;
  /** Counts a cold start on the first invocation of an on-demand Lambda container; a no-op otherwise. */
  captureColdStartMetric(): void;
  /** A property of this invocation's metric record that is not a dimension (so it costs nothing per value). */
  addMetadata(key: string, value: string): void;
}

export interface Observability {
  logger: RequestLogger;
  metrics: Metrics & MetricsPublisher;
}

/**
 * Reads the invocation (HTTP event or direct) before the route runs, and
 * shapes what the route returns (or throws) for the kind of invocation: an API
 * Gateway response for HTTP, the plain body for a direct invocation, with the
 * field names in the invocation's `output-case`. Errors never escape as a
 * throw, so a direct caller always gets a body. Around each invocation: the log
 * context and correlation id, then the metrics flush.
 */
function apiContract(
  { logger, metrics }: Observability,
  options: InvocationOptions,
): MiddlewareObj<unknown, unknown, Error, Context> {
  /** Per invocation: how it came, and how its answer is written (kebab until the invocation is read). */
  const shapes = new WeakMap<object, { http: boolean; outputCase: OutputCase }>();
  const finish = () => {
    metrics.publishStoredMetrics();
    logger.resetKeys();
  };
  return {
    before: (request) => {
      metrics.captureColdStartMetric(); // counted once per container, and only in Lambda
      logger.addContext(request.context);
      const http = isHttpEvent(request.event);
      logger.appendKeys({
        via: http ? 'http' : 'direct',
        // API Gateway's request id ties these lines to the access log; a direct invocation has Lambda's.
        correlation_id: http ? (request.event as APIGatewayProxyEventV2).requestContext.requestId : request.context.awsRequestId,
      });
      const shape = { http, outputCase: 'kebab' as OutputCase };
      shapes.set(request, shape);
      const invocation = readInvocation(request.event, { ...options, requestId: request.context.awsRequestId });
      // Lambda's own timeout: what the send's routes may use is measured against it.
      const remaining = request.context.getRemainingTimeInMillis?.();
      if (typeof remaining === 'number' && remaining > 0) invocation.remainingMs = remaining;
      shape.outputCase = invocation.outputCase;
      if (invocation.caller.startsWith('key:')) {
        // API-key mode: the key's user, in every log line and metric record of the request.
        logger.appendKeys({ user_id: invocation.caller.slice(4) });
        metrics.addMetadata('userId', invocation.caller.slice(4));
      }
      request.event = invocation;
    },
    after: (request) => {
      const { http, outputCase } = shapes.get(request)!;
      const body = withOutputCase(request.response as object, outputCase);
      request.response = http ? httpResponse(200, body) : body;
      finish();
    },
    onError: (request) => {
      const { http, outputCase } = shapes.get(request) ?? { http: isHttpEvent(request.event), outputCase: 'kebab' };
      const spellings = (request.event as Partial<Invocation> | undefined)?.spellings;
      const error = spellings ? asSpelled(request.error, spellings) : request.error;
      const { status, body, headers } = errorResponseFor(error, logger);
      // The failure is answered, not thrown, so Lambda's Errors metric never sees it: counted here for the alarm.
      if (body['api-error'] === UNEXPECTED_FAILURE.apiError) metrics.count('UnexpectedFailures');
      const shaped = withOutputCase(body, outputCase);
      request.response = http ? httpResponse(status, shaped, headers) : shaped;
      finish();
    },
  };
}

/** An answer's field names in the requested case: `number-valid`, `numberValid` or `number_valid`. */
function withOutputCase(body: object, outputCase: OutputCase): object {
  if (outputCase === 'kebab') return body;
  const rename = (name: string) =>
    outputCase === 'snake' ? name.replace(/-/g, '_') : name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
  return Object.fromEntries(Object.entries(body).map(([name, value]) => [rename(name), value]));
}

/**
 * A Lambda handler for one API route: parse the invocation, run the route, shape the answer.
 * An idempotent route reads idempotency keys (see {@link Invocation.idempotencyKey}); `methods` are the HTTP
 * methods the route takes (its path's other methods reach it too, and are answered 405).
 */
export function createApiHandler(
  route: (invocation: Invocation) => Promise<object>,
  observability: Observability,
  options: { idempotent: boolean; methods: readonly string[]; endpoints?: readonly string[] },
): ApiHandler {
  return middy<unknown, unknown, Error, Context>()
    .use(apiContract(observability, options))
    // The contract has replaced the raw event with the invocation it read.
    .handler(async (invocation: unknown) => route(invocation as Invocation));
}
