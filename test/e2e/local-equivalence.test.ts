/**
 * The local server is not a second implementation: the event it builds, handed
 * straight to the deployed handler, gets the very answer the HTTP route gave.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { startLocalService, type LocalService } from '../../local/server';
import { lambdaContext } from '../support/fake-service';
import { GB_MOBILE, usFictional } from '../support/fixtures';

let service: LocalService;
const invocations: Array<{ routeKey: string; event: APIGatewayProxyEventV2; result: unknown }> = [];
beforeAll(async () => {
  service = await startLocalService({
    port: 0,
    print: () => undefined,
    onInvoke: (routeKey, event, result) => invocations.push({ routeKey, event: event as APIGatewayProxyEventV2, result }),
  });
}, 60_000);
afterAll(() => service?.stop());

async function viaHttp(path: string, body: string, contentType: string) {
  const response = await fetch(`${service.url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: response.status, contentType: response.headers.get('content-type'), body: await response.text() };
}

describe('local route and direct handler call', () => {
  it.each([
    ['verify, JSON', '/verify-security-code', JSON.stringify({ number: GB_MOBILE, 'security-code': '12345' }), 'application/json'],
    ['send with a given code, form-encoded', '/sms-verify', `number=${encodeURIComponent(usFictional(10))}&security-code=8642`, 'application/x-www-form-urlencoded'],
    ['a body that is not JSON', '/sms-verify', '{"number":', 'application/json'],
    ['an unknown parameter', '/verify-security-code', JSON.stringify({ number: GB_MOBILE, pin: 1 }), 'application/json'],
  ])('give the same answer for %s', async (_, path, body, contentType) => {
    const http = await viaHttp(path, body, contentType);
    const { event } = invocations.at(-1)!;

    const handler = path === '/sms-verify' ? service.handlers.send : service.handlers.verify;
    const direct = (await handler(event, lambdaContext())) as { statusCode: number; headers: Record<string, string>; body: string };

    expect({ status: direct.statusCode, contentType: direct.headers['content-type'], body: direct.body }).toEqual(http);
  });

  it('hands the handler a faithful API Gateway HTTP API (payload 2.0) event', async () => {
    await viaHttp('/sms-verify?', 'number=%2B12015550111&security-code=97531', 'application/x-www-form-urlencoded');
    const { event, routeKey } = invocations.at(-1)!;

    expect(routeKey).toBe('POST /sms-verify');
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /sms-verify',
      rawPath: '/sms-verify',
      rawQueryString: '',
      headers: expect.objectContaining({ 'content-type': 'application/x-www-form-urlencoded', host: expect.any(String) }),
      requestContext: {
        http: { method: 'POST', path: '/sms-verify', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1' },
        routeKey: 'POST /sms-verify',
        stage: '$default',
        requestId: expect.any(String),
        timeEpoch: expect.any(Number),
      },
      // HTTP APIs base64-encode every body that is not text, form bodies included.
      isBase64Encoded: true,
      body: Buffer.from('number=%2B12015550111&security-code=97531').toString('base64'),
    });
  });
});
