/**
 * Builds the event API Gateway (HTTP API, payload format 2.0) sends to a
 * Lambda for an incoming request, and turns the Lambda's answer back into an
 * HTTP response, as API Gateway does. The local server uses it so that the
 * deployed handlers see locally exactly what they see in AWS.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';

/**
 * HTTP APIs pass text bodies as they are and base64-encode every other body,
 * form-encoded ones included.
 */
function isTextContentType(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type.endsWith('+json') ||
    type === 'application/xml' ||
    type.endsWith('+xml') ||
    type === 'application/javascript'
  );
}

/**
 * @param authorizer what a Lambda authorizer's simple response put in the request's context (API-key mode), as
 *   API Gateway hands it on in `requestContext.authorizer.lambda`.
 */
export function toApiGatewayEvent(
  request: IncomingMessage,
  body: Buffer,
  routeKey: string,
  authorizer?: Record<string, string>,
): APIGatewayProxyEventV2 {
  const url = new URL(`http://localhost${request.url ?? '/'}`);
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  // Payload 2.0: header names lower-cased, repeated headers joined with commas, cookies in their own field.
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i]!.toLowerCase();
    const value = request.rawHeaders[i + 1]!;
    if (name === 'cookie') cookies.push(...value.split(/;\s*/));
    else headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  const sourceIp = (request.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  headers['x-forwarded-for'] ??= sourceIp;
  headers['x-forwarded-proto'] ??= 'http';
  headers['x-forwarded-port'] ??= String(request.socket.localPort ?? '');
  headers['x-amzn-trace-id'] ??= `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)}`;

  const queryStringParameters: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    queryStringParameters[name] = name in queryStringParameters ? `${queryStringParameters[name]},${value}` : value;
  }
  const base64 = body.length > 0 && !isTextContentType(headers['content-type']);
  const now = new Date();
  const host = headers.host ?? 'localhost';

  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(url.search ? { queryStringParameters } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: host,
      domainPrefix: host.split('.')[0] ?? host,
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      ...(authorizer ? { authorizer: { lambda: authorizer } } : {}),
      stage: '$default',
      time: formatRequestTime(now),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: base64 ? body.toString('base64') : body.toString('utf8') } : {}),
    isBase64Encoded: base64,
  };
}

/** A Lambda context for one local invocation, with the deployed timeout. */
export function lambdaContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  const requestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:local:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Writes a Lambda's HTTP answer as API Gateway would. */
export function writeLambdaResult(response: ServerResponse, result: unknown): void {
  const structured = result as APIGatewayProxyStructuredResultV2;
  if (typeof result !== 'object' || result === null || typeof structured.statusCode !== 'number') {
    // API Gateway treats any other answer as a JSON body with status 200.
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(result));
    return;
  }
  const body = structured.body ?? '';
  response.writeHead(structured.statusCode, { ...(structured.headers as Record<string, string>) });
  response.end(structured.isBase64Encoded ? Buffer.from(body, 'base64') : body);
}

function formatRequestTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}
