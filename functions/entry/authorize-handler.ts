/**
 * The HTTP API's Lambda authorizer in API-key mode (REQUEST type, simple
 * responses): `User-ID` and `API-Key` headers against the keys in the table.
 * API Gateway caches the answer per pair of headers for a short while, so a
 * revoked key stops working within that time.
 */
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { authorize, type ApiKeyStore } from '../core/api-keys';
import type { Logger } from '../core/ports';

export interface AuthorizerContext {
  /** The key's user: the caller of the per-caller limits, in logs and metrics. */
  userId: string;
}

/** A refusal carries no context; API Gateway answers it 403 without calling the route. */
export type AuthorizerResult =
  | APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>
  | { isAuthorized: false };

export type AuthorizerHandler = (event: APIGatewayRequestAuthorizerEventV2) => Promise<AuthorizerResult>;

export function createAuthorizerHandler(store: Pick<ApiKeyStore, 'get'>, logger: Logger): AuthorizerHandler {
  return async (event) => {
    const header = (name: string) =>
      Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === name)?.[1];
    const result = await authorize(header('user-id'), header('api-key'), store);
    if (!result.authorized) {
      // Only a user id the table knows: callers swap the two headers, and a key fits the user-id pattern.
      logger.info('Credentials refused', { why: result.why, userId: result.userId });
      return { isAuthorized: false };
    }
    return { isAuthorized: true, context: { userId: result.userId } };
  };
}
