import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { JsonLogger } from '../adapters/json-logger';
import { errorResponseFor, httpResponse } from './api-response';
import { isHttpEvent, readInvocation, type Invocation } from './invocation';

export type ApiHandler = (event: unknown, context: Context) => Promise<unknown>;

/**
 * Shapes what the use case returns (or throws) for the kind of invocation:
 * an API Gateway response for HTTP, the plain body for a direct invocation.
 * Errors never escape as a throw, so a direct caller always gets a body.
 */
function apiContract(logger: JsonLogger): MiddlewareObj<unknown, unknown, Error, Context> {
  return {
    before: (request) => {
      logger.setRequestFields({ requestId: request.context.awsRequestId, via: isHttpEvent(request.event) ? 'http' : 'direct' });
    },
    after: (request) => {
      if (isHttpEvent(request.event)) request.response = httpResponse(200, request.response as object);
    },
    onError: (request) => {
      const { status, body } = errorResponseFor(request.error, logger);
      request.response = isHttpEvent(request.event) ? httpResponse(status, body) : body;
    },
  };
}

/**
 * A Lambda handler for one API route: parse the invocation, run the route, shape the answer.
 * An idempotent route reads idempotency keys (see {@link Invocation.idempotencyKey}).
 */
export function createApiHandler(
  route: (invocation: Invocation) => Promise<object>,
  logger: JsonLogger,
  options: { idempotent: boolean } = { idempotent: false },
): ApiHandler {
  return middy<unknown, unknown, Error, Context>()
    .use(apiContract(logger))
    .handler(async (event: unknown, context: Context) =>
      route(readInvocation(event, { idempotent: options.idempotent, requestId: context.awsRequestId })),
    );
}
