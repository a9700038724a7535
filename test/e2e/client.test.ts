/**
 * SmsVerifyClient over both transports: HTTPS (SigV4-signed) against the local
 * server, and direct Lambda invocation against a fake Lambda service that runs
 * the real handlers on in-memory ports.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  IdempotencyConflictError,
  InternalServiceError,
  InvalidParameterError,
  RateLimitedError,
  SmsVerifyClient,
  SmsVerifyError,
} from '../../client';
import { startLocalService, type LocalService } from '../../local/server';
import { createFakeService, lambdaContext } from '../support/fake-service';
import { GB_MOBILE, usFictional } from '../support/fixtures';

describe('over HTTPS with SigV4, against the local server', () => {
  let service: LocalService;
  const events: APIGatewayProxyEventV2[] = [];
  let client: SmsVerifyClient;
  beforeAll(async () => {
    service = await startLocalService({ port: 0, print: () => undefined, onInvoke: (_, event) => events.push(event as APIGatewayProxyEventV2) });
    client = new SmsVerifyClient({
      transport: 'https',
      url: service.url,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
    });
  }, 60_000);
  afterAll(() => service?.stop());

  it('sends and verifies with the contract\'s names and types, signing every request', async () => {
    const sent = await client.send({ number: GB_MOBILE, 'brand-name': 'Acme', 'language-code': 'pt' });
    const verified = await client.verify({ number: GB_MOBILE, 'security-code': sent['security-code'] });

    expect(sent).toEqual({ sent: true, 'number-valid': true, 'security-code': expect.stringMatching(/^\d{5}$/) });
    expect(verified).toEqual({ verified: true });
    expect(service.simulator.outbox().at(-1)?.body).toBe(`O seu código de segurança Acme é ${sent['security-code']}`);
    for (const event of events.slice(-2)) {
      expect(event.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
      );
      expect(event.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    }
  });

  it('has a code read aloud in a call (/phone-verify), checked like a texted one', async () => {
    const called = await client.call({ number: usFictional(33), 'playback-delay': 400 });

    expect(called).toEqual({ calling: true, 'number-valid': true, 'security-code': expect.stringMatching(/^\d{6}$/) });
    expect(service.simulator.outbox().at(-1)).toMatchObject({ channel: 'voice', ssml: expect.stringContaining('<break time="400ms"/>') });
    expect(events.at(-1)?.rawPath).toBe('/phone-verify');
    await expect(client.verify({ number: usFictional(33), 'security-code': called['security-code'] })).resolves.toEqual({ verified: true });
  });

  it('sends the idempotency key as the Idempotency-Key header', async () => {
    const first = await client.send({ number: usFictional(30), 'idempotency-key': 'signup-1' });
    const repeat = await client.send({ number: usFictional(30), 'idempotency-key': 'signup-1' });

    expect(repeat).toEqual(first);
    expect(events.at(-1)?.headers['idempotency-key']).toBe('signup-1');
    await expect(client.send({ number: usFictional(31), 'idempotency-key': 'signup-1' })).rejects.toBeInstanceOf(IdempotencyConflictError);
  });

  it('turns api-error answers into typed errors with status and message', async () => {
    const invalid = await client.send({ number: GB_MOBILE, 'code-length': 3 }).catch((error: unknown) => error);
    const limited = await (async () => {
      await client.send({ number: usFictional(32), limit: 1 });
      return client.send({ number: usFictional(32), limit: 1 }).catch((error: unknown) => error);
    })();

    expect(invalid).toBeInstanceOf(InvalidParameterError);
    expect(invalid).toMatchObject({ apiError: 1, status: 400, message: 'Parameter "code-length" must be an integer from 4 to 12' });
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect(limited).toMatchObject({ apiError: 14, status: 429, limit: 'number' });
  });
});

describe('over direct Lambda invocation', () => {
  const lambda = mockClient(LambdaClient);
  const service = createFakeService({ randomValues: [24680] });
  const handlers: Record<string, (event: unknown) => Promise<unknown>> = {
    'sms-verify-send': (event) => service.send(event, lambdaContext()),
    'sms-verify-verify': (event) => service.verify(event, lambdaContext()),
  };
  const client = new SmsVerifyClient({
    transport: 'lambda',
    sendFunctionName: 'sms-verify-send',
    verifyFunctionName: 'sms-verify-verify',
    lambda: new LambdaClient({ region: 'eu-west-1' }),
  });
  beforeEach(() => {
    lambda.reset();
    lambda.on(InvokeCommand).callsFake(async (input: { FunctionName: string; Payload: Uint8Array }) => {
      const answer = await handlers[input.FunctionName]!(JSON.parse(new TextDecoder().decode(input.Payload)));
      return { StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(answer)) };
    });
  });

  it('invokes the right function with the plain parameters and returns the plain answer', async () => {
    await expect(client.send({ number: GB_MOBILE })).resolves.toEqual({ sent: true, 'number-valid': true, 'security-code': '24680' });
    await expect(client.verify({ number: GB_MOBILE, 'security-code': '24680' })).resolves.toEqual({ verified: true });
    expect(lambda.commandCalls(InvokeCommand).map((call) => call.args[0].input.FunctionName)).toEqual([
      'sms-verify-send',
      'sms-verify-verify',
    ]);
  });

  it('places a call through the send function, naming the phone-verify endpoint', async () => {
    const calling = createFakeService({ randomValues: [135790], settings: { allowedVoiceCountries: ['GB'], voiceOriginationIdentity: '+18005550100' } });
    handlers['sms-verify-send'] = (event) => calling.send(event, lambdaContext());

    await expect(client.call({ number: GB_MOBILE })).resolves.toEqual({ calling: true, 'number-valid': true, 'security-code': '135790' });
    const payload = lambda.commandCalls(InvokeCommand)[0]!.args[0].input.Payload as Uint8Array;
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ number: GB_MOBILE, endpoint: 'phone-verify' });
    expect(calling.voiceRoutes[0]!.calls).toHaveLength(1);
    handlers['sms-verify-send'] = (event) => service.send(event, lambdaContext());
  });

  it('passes the idempotency key as the idempotency-key field', async () => {
    await client.send({ number: usFictional(5), 'idempotency-key': 'job-9' });

    const payload = lambda.commandCalls(InvokeCommand)[0]!.args[0].input.Payload as Uint8Array;
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ number: usFictional(5), 'idempotency-key': 'job-9' });
  });

  it('throws typed errors for api-error answers and for function errors', async () => {
    await expect(client.verify({ number: GB_MOBILE, 'security-code': 'abc' })).rejects.toMatchObject({
      name: 'InvalidParameterError',
      apiError: 1,
      status: undefined,
    });
    lambda.on(InvokeCommand).callsFake(async () => ({ StatusCode: 200, FunctionError: 'Unhandled', Payload: new TextEncoder().encode('{}') }));
    const failure = await client.send({ number: GB_MOBILE }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(InternalServiceError);
    expect(failure).toBeInstanceOf(SmsVerifyError);
  });
});
