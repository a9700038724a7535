import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { Logger } from '../core/ports';
import { errorResponseFor, httpResponse } from './api-response';
import { isHttpEvent, readInvocation, type Invocation } from './invocation';

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
}

export interface Observability {
  logger: RequestLogger;
  metrics: MetricsPublisher;
}

/**
 * Shapes what the use case returns (or throws) for the kind of invocation:
 * an API Gateway response for HTTP, the plain body for a direct invocation.
 * Errors never escape as a throw, so a direct caller always gets a body.
 * Around each invocation: the log context and correlation id, then the metrics flush.
 */
function apiContract({ logger, metrics }: Observability): MiddlewareObj<unknown, unknown, Error, Context> {
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
    },
    after: (request) => {
      if (isHttpEvent(request.event)) request.response = httpResponse(200, request.response as object);
      finish();
    },
    onError: (request) => {
      const { status, body, headers } = errorResponseFor(request.error, logger);
      request.response = isHttpEvent(request.event) ? httpResponse(status, body, headers) : body;
      finish();
    },
  };
}

/**
 * A Lambda handler for one API route: parse the invocation, run the route, shape the answer.
 * An idempotent route reads idempotency keys (see {@link Invocation.idempotencyKey}); `methods` are the HTTP
 * methods the route takes (its path's other methods reach it too, and are answered 405).
 */
export function createApiHandler(
  route: (invocation: Invocation) => Promise<object>,
  observability: Observability,
  options: { idempotent: boolean; methods: readonly string[] },
): ApiHandler {
  return middy<unknown, unknown, Error, Context>()
    .use(apiContract(observability))
    .handler(async (event: unknown, context: Context) =>
      route(readInvocation(event, { ...options, requestId: context.awsRequestId })),
    );
}
