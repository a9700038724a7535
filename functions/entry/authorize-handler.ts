/**
 * The HTTP API's Lambda authorizer in API-key mode (REQUEST type, simple
 * responses): `User-ID` and `API-Key` headers against the keys in the table.
 *
 * It lets every request through to its route and says in the context who the
 * caller is, or why the credentials were refused; the route's function then
 * answers a refusal first, in the API's envelope (401/43 or 403/43, naming the
 * headers to send). An HTTP API has no gateway responses: had the authorizer
 * refused, API Gateway would answer `{"message":"Forbidden"}` itself, and,
 * with identity sources, `{"message":"Unauthorized"}` for missing headers. So
 * it has none, API Gateway caches nothing, and the authorizer remembers keys
 * itself for `authorizerCacheSeconds` (core/api-keys.ts).
 */
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { authorize, type ApiKeyStore } from '../core/api-keys';
import type { Logger } from '../core/ports';

/** The key's user (the caller of the per-caller limits, in logs and metrics), or why there is none. */
export type AuthorizerContext = { userId: string } | { refused: 'missing' | 'invalid' };

export type AuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>;

export type AuthorizerHandler = (event: APIGatewayRequestAuthorizerEventV2) => Promise<AuthorizerResult>;

export function createAuthorizerHandler(store: Pick<ApiKeyStore, 'get'>, logger: Logger): AuthorizerHandler {
  return async (event) => {
    const header = (name: string) =>
      Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === name)?.[1];
    const result = await authorize(header('user-id'), header('api-key'), store);
    if (!result.authorized) {
      // Only a user id the table knows: callers swap the two headers, and a key fits the user-id pattern.
      logger.info('Credentials refused', { why: result.why, userId: result.userId });
      return { isAuthorized: true, context: { refused: result.why === 'missing' ? 'missing' : 'invalid' } };
    }
    return { isAuthorized: true, context: { userId: result.userId } };
  };
}
