import type { APIGatewayProxyEventV2 } from 'aws-lambda';

export interface HttpEventOptions {
  contentType?: string;
  base64?: boolean;
  query?: string;
  sourceIp?: string;
}

/** An API Gateway HTTP API (payload 2.0) event as AWS sends it for a POST. */
export function httpEvent(path: string, body: unknown, options: HttpEventOptions = {}): APIGatewayProxyEventV2 {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const contentType = options.contentType ?? 'application/json';
  return {
    version: '2.0',
    routeKey: `POST ${path}`,
    rawPath: path,
    rawQueryString: options.query ?? '',
    headers: { 'content-type': contentType, 'content-length': String(Buffer.byteLength(text)), host: 'api.example.com' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method: 'POST', path, protocol: 'HTTP/1.1', sourceIp: options.sourceIp ?? '192.0.2.10', userAgent: 'test' },
      requestId: 'request',
      routeKey: `POST ${path}`,
      stage: '$default',
      time: '25/Nov/2026:12:00:00 +0000',
      timeEpoch: Date.UTC(2026, 10, 25, 12),
    },
    body: options.base64 ? Buffer.from(text).toString('base64') : text,
    isBase64Encoded: options.base64 ?? false,
  };
}
