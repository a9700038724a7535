import { createFakeService, lambdaContext } from '../support/fake-service';
import { GB_MOBILE } from '../support/fixtures';
import { httpEvent } from '../support/http-events';

describe('handlers: HTTP events', () => {
  it('answers a JSON send with 200 and the NeutrinoAPI fields', async () => {
    const { send, routes } = createFakeService();

    const response = await send(httpEvent('/sms-verify', { number: GB_MOBILE }), lambdaContext());

    expect(response).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      body: JSON.stringify({ sent: true, 'number-valid': true, 'security-code': '12345' }),
    });
    expect(routes[0]!.sent).toHaveLength(1);
  });

  it('answers another method on a route\'s path 405 with Allow, and the $default route 404, both in the envelope', async () => {
    const { send, verify, routes, store } = createFakeService();
    const event = httpEvent('/sms-verify', { number: GB_MOBILE });
    const get = { ...event, routeKey: 'ANY /sms-verify', requestContext: { ...event.requestContext, http: { ...event.requestContext.http, method: 'GET' } } };
    const elsewhere = { ...httpEvent('/sms-verify/x', { number: GB_MOBILE }), routeKey: '$default' };

    await expect(send(get, lambdaContext())).resolves.toEqual({
      statusCode: 405,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store', allow: 'POST' },
      body: JSON.stringify({ 'api-error': 46, 'api-error-msg': '/sms-verify does not take GET; use POST' }),
    });
    await expect(verify(elsewhere, lambdaContext())).resolves.toMatchObject({
      statusCode: 404,
      body: expect.stringContaining('"api-error":45'),
    });
    expect(routes[0]!.sent).toEqual([]);
    expect(store.records.size).toBe(0);
  });

  it('reads form-encoded bodies, base64-encoded or not', async () => {
    const { send, verify } = createFakeService();
    const form = 'number=07400123456&country-code=GB&code-length=5';

    const sent = await send(httpEvent('/sms-verify', form, { contentType: 'application/x-www-form-urlencoded', base64: true }), lambdaContext());
    const verified = await verify(
      httpEvent('/verify-security-code', 'number=%2B447400123456&security-code=12345', {
        contentType: 'application/x-www-form-urlencoded; charset=utf-8',
      }),
      lambdaContext(),
    );

    expect(JSON.parse((sent as { body: string }).body)).toMatchObject({ sent: true });
    expect(verified).toMatchObject({ statusCode: 200, body: '{"verified":true}' });
  });

  it.each([
    ['not JSON', '{"number":', 'application/json', 400, 9],
    ['a JSON array', '[1,2]', 'application/json', 400, 9],
    ['JSON null', 'null', 'application/json', 400, 9],
    ['an unsupported content type', 'number=1', 'text/plain', 415, 29],
    ['a repeated form parameter', 'number=1&number=2', 'application/x-www-form-urlencoded', 400, 1],
    ['an oversized body', JSON.stringify({ number: 'x'.repeat(17_000) }), 'application/json', 413, 44],
  ])('refuses %s with the documented status and api-error', async (_, body, contentType, status, apiError) => {
    const { send, store, routes } = createFakeService();

    const response = (await send(httpEvent('/sms-verify', body, { contentType }), lambdaContext())) as {
      statusCode: number;
      body: string;
    };

    expect(response.statusCode).toBe(status);
    expect(JSON.parse(response.body)).toMatchObject({ 'api-error': apiError, 'api-error-msg': expect.any(String) });
    expect(store.records.size).toBe(0);
    expect(routes[0]!.sent).toHaveLength(0);
  });

  it('refuses parameters in the query string, naming them', async () => {
    const { send } = createFakeService();

    const response = await send(httpEvent('/sms-verify', { number: GB_MOBILE }, { query: 'number=1' }), lambdaContext());

    expect(response).toMatchObject({ statusCode: 400 });
    expect(JSON.parse((response as { body: string }).body)['api-error-msg']).toContain('"number"');
  });

  it('answers 429/14 when the number reached its limit', async () => {
    const { send } = createFakeService();
    await send(httpEvent('/sms-verify', { number: GB_MOBILE, limit: 1 }), lambdaContext());

    const response = await send(httpEvent('/sms-verify', { number: GB_MOBILE, limit: 1 }), lambdaContext());

    expect(response).toMatchObject({ statusCode: 429 });
    expect(JSON.parse((response as { body: string }).body)).toMatchObject({ 'api-error': 14 });
  });

  it('answers 503/5 when the store is unavailable, and 500/51 without detail for a bug', async () => {
    const { send, store, logger } = createFakeService();
    const { DependencyUnavailableError } = await import('../../functions/core/errors');
    store.failWith = new DependencyUnavailableError('store-unavailable');

    const unavailable = await send(httpEvent('/sms-verify', { number: GB_MOBILE }), lambdaContext());
    store.failWith = new TypeError('secret internal detail');
    const broken = await send(httpEvent('/sms-verify', { number: GB_MOBILE }), lambdaContext());

    expect(unavailable).toMatchObject({ statusCode: 503 });
    expect(JSON.parse((unavailable as { body: string }).body)).toMatchObject({ 'api-error': 5 });
    expect(broken).toMatchObject({ statusCode: 500 });
    expect((broken as { body: string }).body).not.toContain('secret internal detail');
    expect(JSON.parse((broken as { body: string }).body)).toMatchObject({ 'api-error': 51 });
    expect(logger.lines.join('\n')).not.toContain('secret internal detail');
  });
});

describe('handlers: Phone Verify on the send function', () => {
  const VOICE = { settings: { allowedVoiceCountries: ['GB'], voiceOriginationIdentity: '+18005550100' } };

  it('answers POST /phone-verify with calling, over HTTP and by direct invocation naming the endpoint', async () => {
    const { send, voiceRoutes, routes } = createFakeService(VOICE);

    const response = await send(httpEvent('/phone-verify', { number: GB_MOBILE, 'playback-delay': 1000 }), lambdaContext());
    const direct = await send({ endpoint: 'phone-verify', number: GB_MOBILE }, lambdaContext());

    expect(JSON.parse((response as { body: string }).body)).toEqual({ calling: true, 'number-valid': true, 'security-code': '012345' });
    expect(direct).toEqual({ calling: true, 'number-valid': true, 'security-code': '012345' });
    expect(voiceRoutes[0]!.calls).toHaveLength(2);
    expect(voiceRoutes[0]!.calls[0]!.ssml).toContain('<break time="1000ms"/>');
    expect(routes[0]!.sent).toEqual([]);
  });

  it('takes the endpoint from the route API Gateway matched, so a custom domain\'s base path changes nothing', async () => {
    const { send, voiceRoutes } = createFakeService(VOICE);
    const event = httpEvent('/phone-verify', { number: GB_MOBILE });

    const response = await send({ ...event, rawPath: '/verify/phone-verify' }, lambdaContext());

    expect(JSON.parse((response as { body: string }).body)).toMatchObject({ calling: true });
    expect(voiceRoutes[0]!.calls).toHaveLength(1);
  });

  it('reads a direct invocation without an endpoint as /sms-verify, and refuses an endpoint it does not serve by name', async () => {
    const { send, routes } = createFakeService(VOICE);

    await expect(send({ number: GB_MOBILE }, lambdaContext())).resolves.toMatchObject({ sent: true });
    await expect(send({ endpoint: 'verify-security-code', number: GB_MOBILE }, lambdaContext())).resolves.toMatchObject({
      'api-error': 1,
      'api-parameter-name': 'endpoint',
      'api-error-msg': 'Parameter "endpoint" must be one of sms-verify, phone-verify',
    });
    expect(routes[0]!.sent).toHaveLength(1);
  });

  it('refuses what Phone Verify does not take, and a playback-delay out of range, by name, calling no one', async () => {
    const { send, voiceRoutes, store } = createFakeService(VOICE);

    for (const [parameters, name] of [
      [{ number: GB_MOBILE, 'playback-delay': 3001 }, 'playback-delay'],
      [{ number: GB_MOBILE, 'playback-delay': -1 }, 'playback-delay'],
      [{ number: GB_MOBILE, 'limit-by': 'x' }, 'limit-by'],
    ] as const) {
      await expect(send(httpEvent('/phone-verify', parameters), lambdaContext())).resolves.toMatchObject({ statusCode: 400, body: expect.stringContaining(`"api-parameter-name":"${name}"`) });
    }
    await expect(send(httpEvent('/sms-verify', { number: GB_MOBILE, 'playback-delay': 800 }), lambdaContext())).resolves.toMatchObject({ statusCode: 400 });
    expect(voiceRoutes[0]!.calls).toEqual([]);
    expect(store.records.size).toBe(0);
  });

  it('takes no pause between digits, in a form as in JSON', async () => {
    const { send, voiceRoutes } = createFakeService(VOICE);
    const form = `number=${encodeURIComponent(GB_MOBILE)}&playback-delay=0`;

    await expect(send(httpEvent('/phone-verify', form, { contentType: 'application/x-www-form-urlencoded' }), lambdaContext())).resolves.toMatchObject({ statusCode: 200 });
    expect(voiceRoutes[0]!.calls[0]!.ssml).toContain('<break time="0ms"/>');
  });
});

describe('handlers: unexpected failures', () => {
  it('answers 500/51 and counts the failure, since Lambda never sees an error the function answered', async () => {
    const { send, store, metrics } = createFakeService();
    jest.spyOn(store, 'recordCode').mockRejectedValue(new TypeError('not a DynamoDB error'));

    await expect(send({ number: GB_MOBILE }, lambdaContext())).resolves.toMatchObject({ 'api-error': 51 });
    expect(metrics.get('UnexpectedFailures')).toBe(1);
    await expect(send({ number: 'call me' }, lambdaContext())).resolves.toMatchObject({ reason: 'invalid-number' });
    expect(metrics.get('UnexpectedFailures')).toBe(1);
  });
});

describe('handlers: the function\'s own time', () => {
  it('gives the send\'s routes only what Lambda\'s remaining time leaves, so the answer comes before Lambda\'s timeout', async () => {
    const { send, routes } = createFakeService({ settings: { pinpointApplicationId: '0123456789abcdef0123456789abcdef' } });
    routes[0]!.failure = 'rejected';
    routes[1]!.maxDurationMs = 3_500;
    const contextWith = (remaining: number) => ({ ...lambdaContext(), getRemainingTimeInMillis: () => remaining });

    await expect(send({ number: GB_MOBILE }, contextWith(4_000))).resolves.toMatchObject({ sent: false, reason: 'delivery-failed' });
    expect(routes[1]!.sent).toEqual([]);
    await expect(send({ number: GB_MOBILE }, contextWith(20_000))).resolves.toMatchObject({ sent: true });
    expect(routes[1]!.sent).toHaveLength(1);
  });
});

describe('handlers: direct invocation', () => {
  it('takes the parameters as the event and returns the plain body', async () => {
    const { send, verify } = createFakeService();

    await expect(send({ number: GB_MOBILE, 'code-length': 5 }, lambdaContext())).resolves.toEqual({
      sent: true,
      'number-valid': true,
      'security-code': '12345',
    });
    await expect(verify({ number: GB_MOBILE, 'security-code': '12345' }, lambdaContext())).resolves.toEqual({
      verified: true,
    });
  });

  it('returns errors as the api-error body, never as a throw', async () => {
    const { send } = createFakeService();

    await expect(send({ number: GB_MOBILE, colour: 'blue' }, lambdaContext())).resolves.toEqual({
      'api-error': 1,
      'api-error-msg': expect.stringContaining('"colour"'),
      'api-parameter-name': 'colour',
      'api-parameter-type': 'string',
    });
    await expect(send('just a string', lambdaContext())).resolves.toMatchObject({ 'api-error': 9 });
    await expect(send(null, lambdaContext())).resolves.toMatchObject({ 'api-error': 9 });
  });

  it('answers invalid numbers with number-valid:false and a reason', async () => {
    const { send } = createFakeService();

    await expect(send({ number: 'call me maybe' }, lambdaContext())).resolves.toEqual({
      sent: false,
      'number-valid': false,
      'security-code': '',
      reason: 'invalid-number',
    });
  });
});
