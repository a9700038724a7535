/**
 * The NeutrinoAPI contract: the requests NeutrinoAPI's documentation and its
 * current Node.js client (NeutrinoAPI/neutrino-api-client-node 4.7.x) send,
 * against the local service in API-key mode, and the answers such a client
 * reads. Written from their documentation, not their code:
 *  - every call carries `User-ID` and `API-Key` headers and `Content-Type: application/json`;
 *  - `smsVerify` and `phoneVerify` POST a JSON body of their parameters, every optional one present, "" when unset,
 *    numbers as strings;
 *  - `verifySecurityCode` GETs with the parameters in the query string and an empty body;
 *  - the Node.js client joins base URL, "/" and endpoint; its Python, Java, Go, Rust, C# and PHP clients join base URL
 *    and endpoint with nothing between (so they need a base URL that ends in "/");
 *  - a 200 with a JSON content type is data; any other status is an error whose `api-error` and `api-error-msg`
 *    the client reads (and names with its APIErrorCode table); with `api-error` 1 the Java clients also read
 *    `api-parameter-name` and `api-parameter-type`, and crash without them;
 *  - the Python client's examples spell parameters in snake case (`code_length`), and it sends them as they are.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbApiKeyStore } from '../../functions/adapters/dynamodb-api-keys';
import { LOCAL_AWS_CONFIG } from '../../local/dynamodb-local';
import { startLocalService, type LocalService } from '../../local/server';
import { runKeysCommand } from '../../tools/keys';
import { usFictional } from '../support/fixtures';
import { API_ERROR_CODES } from '../../functions/core/errors';
import { NEUTRINO_CLIENT_ERROR_CODES } from '../support/neutrino-codes';

let service: LocalService;
let client: DynamoDBClient;
const keys: Record<string, string> = {};

beforeAll(async () => {
  process.env.SMS_VERIFY_AUTH = 'api-key';
  process.env.CALLER_SEND_LIMIT = '40';
  // Every number here is in one prefix (NANPA's fictional +1 201 555 01xx); that limit has its own tests.
  process.env.PREFIX_SEND_LIMIT = '0';
  process.env.LIMIT_BY_MAX_FAILED_CHECKS = '3';
  service = await startLocalService({ port: 0, print: () => undefined });
  client = new DynamoDBClient({ ...LOCAL_AWS_CONFIG, endpoint: service.tableEndpoint });
  const store = new DynamoDbApiKeyStore(client, service.tableName);
  for (const user of ['neutrino-user', 'other-user', 'busy-user']) {
    const printed: string[] = [];
    await runKeysCommand(['create', user], { store, print: (line) => printed.push(line), now: Date.now });
    keys[user] = printed[1]!;
  }
});
afterAll(async () => {
  client?.destroy();
  await service?.stop();
  for (const name of ['SMS_VERIFY_AUTH', 'CALLER_SEND_LIMIT', 'PREFIX_SEND_LIMIT', 'LIMIT_BY_MAX_FAILED_CHECKS']) delete process.env[name];
});
beforeEach(() => service.simulator.clearOutbox());

/** One call as NeutrinoAPI's client makes it, against `baseUrl` (the service's, unless given). */
async function neutrino(
  method: 'GET' | 'POST',
  endpoint: string,
  params: Record<string, string>,
  { user = 'neutrino-user', baseUrl = service.url, headers = {} }: { user?: string; baseUrl?: string; headers?: Record<string, string> } = {},
) {
  const query = method === 'GET' ? `?${new URLSearchParams(params)}` : '';
  const response = await fetch(`${baseUrl}/${endpoint}${query}`, {
    method,
    headers: { 'User-ID': user, 'API-Key': keys[user] ?? '', 'Content-Type': 'application/json', ...headers },
    body: method === 'POST' ? JSON.stringify(params) : undefined,
  });
  const contentType = response.headers.get('content-type') ?? '';
  const body = contentType.includes('application/json') ? ((await response.json()) as Record<string, unknown>) : await response.text();
  return { status: response.status, contentType, body };
}

/** NeutrinoAPI's own SMS Verify example, with a fictional number. */
const smsVerifyExample = (number: string): Record<string, string> => ({
  number,
  'country-code': '',
  'security-code': '',
  'language-code': 'en',
  'code-length': '5',
  limit: '10',
  'brand-name': '',
  'limit-ttl': '1',
});

describe('smsVerify and verifySecurityCode, as the client sends them', () => {
  it('sends a code with NeutrinoAPI\'s own example parameters, then verifies it by GET (with number added)', async () => {
    const number = usFictional(60);
    const sent = await neutrino('POST', 'sms-verify', smsVerifyExample(number));

    expect(sent).toEqual({
      status: 200,
      contentType: expect.stringContaining('application/json'),
      body: { sent: true, 'number-valid': true, 'security-code': expect.stringMatching(/^\d{5}$/) },
    });
    expect(service.simulator.outbox()).toHaveLength(1);
    const code = (sent.body as Record<string, string>)['security-code']!;
    await expect(neutrino('GET', 'verify-security-code', { 'security-code': code, 'limit-by': '', number })).resolves.toEqual({
      status: 200,
      contentType: expect.stringContaining('application/json'),
      body: { verified: true },
    });
    await expect(neutrino('GET', 'verify-security-code', { 'security-code': code, 'limit-by': '', number })).resolves.toMatchObject({
      body: { verified: false },
    });
  });

  it('takes the same parameters form-encoded, and a POST check', async () => {
    const number = usFictional(61);
    const response = await fetch(`${service.url}/sms-verify`, {
      method: 'POST',
      headers: { 'User-ID': 'neutrino-user', 'API-Key': keys['neutrino-user']!, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...smsVerifyExample(number), 'security-code': '24680' }),
    });
    expect(response.status).toBe(200);
    await expect(neutrino('POST', 'verify-security-code', { number, 'security-code': '24680', 'country-code': '' })).resolves.toMatchObject({
      body: { verified: true },
    });
  });

  it('names the missing number when a check leaves it out, as NeutrinoAPI\'s example does', async () => {
    await expect(neutrino('GET', 'verify-security-code', { 'security-code': '123456', 'limit-by': '' })).resolves.toEqual({
      status: 400,
      contentType: expect.stringContaining('application/json'),
      body: { 'api-error': 1, 'api-error-msg': 'Missing required parameter "number"', 'api-parameter-name': 'number', 'api-parameter-type': 'string' },
    });
  });
});

/** NeutrinoAPI's own Phone Verify example, with a fictional number. */
const phoneVerifyExample = (number: string): Record<string, string> => ({
  number,
  'country-code': '',
  'security-code': '',
  'language-code': 'en',
  'code-length': '6',
  limit: '3',
  'playback-delay': '800',
  'limit-ttl': '1',
});

describe('phoneVerify, as the client sends it', () => {
  it('places a call with NeutrinoAPI\'s own example parameters, read as calling, and the code verifies like a texted one', async () => {
    const number = usFictional(60);
    const called = await neutrino('POST', 'phone-verify', phoneVerifyExample(number));

    expect(called).toEqual({
      status: 200,
      contentType: expect.stringContaining('application/json'),
      body: { calling: true, 'number-valid': true, 'security-code': expect.stringMatching(/^\d{6}$/) },
    });
    const code = (called.body as Record<string, string>)['security-code']!;
    expect(service.simulator.outbox()).toEqual([expect.objectContaining({ to: number, channel: 'voice', transcript: expect.stringContaining([...code].join(' ')) })]);
    await expect(neutrino('GET', 'verify-security-code', { number, 'security-code': code })).resolves.toMatchObject({ body: { verified: true } });
  });

  it('names a playback-delay out of range as a code-1 answer the Java clients read', async () => {
    await expect(neutrino('POST', 'phone-verify', { ...phoneVerifyExample(usFictional(61)), 'playback-delay': '9000' })).resolves.toMatchObject({
      status: 400,
      body: { 'api-error': 1, 'api-parameter-name': 'playback-delay', 'api-parameter-type': 'integer' },
    });
    expect(service.simulator.outbox()).toEqual([]);
  });
});

describe('limit-by', () => {
  it('refuses a value after its failed checks, across numbers, with 429/33 and nothing evaluated; other values go on', async () => {
    const numbers = [usFictional(62), usFictional(63), usFictional(64), usFictional(65)];
    for (const number of numbers) await neutrino('POST', 'sms-verify', { ...smsVerifyExample(number), 'security-code': '55555' });

    for (const number of numbers.slice(0, 3)) {
      await expect(neutrino('GET', 'verify-security-code', { number, 'security-code': '00000', 'limit-by': 'user-42' })).resolves.toMatchObject({
        body: { verified: false },
      });
    }
    const refused = await neutrino('GET', 'verify-security-code', { number: numbers[3]!, 'security-code': '55555', 'limit-by': 'user-42' });

    expect(refused).toMatchObject({ status: 429, body: { 'api-error': 33, 'api-error-msg': expect.stringContaining('limit-by') } });
    // Nothing was evaluated: the right code is still there, for a check without that value.
    await expect(neutrino('GET', 'verify-security-code', { number: numbers[3]!, 'security-code': '55555', 'limit-by': 'user-43' })).resolves.toMatchObject({
      body: { verified: true },
    });
  });

  it('does not count successful checks, and refuses a value that is too long by name', async () => {
    for (const index of [66, 67, 68, 69]) {
      const number = usFictional(index);
      await neutrino('POST', 'sms-verify', { ...smsVerifyExample(number), 'security-code': '77777' });
      await expect(neutrino('GET', 'verify-security-code', { number, 'security-code': '77777', 'limit-by': 'user-44' })).resolves.toMatchObject({
        body: { verified: true },
      });
    }
    await expect(
      neutrino('GET', 'verify-security-code', { number: usFictional(66), 'security-code': '77777', 'limit-by': 'x'.repeat(129) }),
    ).resolves.toMatchObject({ status: 400, body: { 'api-error': 1, 'api-error-msg': expect.stringContaining('"limit-by"') } });
  });
});

describe('output-case and output-format', () => {
  it('renames the answer\'s fields, and the error envelope\'s, in camel or snake case', async () => {
    await expect(neutrino('POST', 'sms-verify', { ...smsVerifyExample(usFictional(70)), 'output-case': 'camel' })).resolves.toMatchObject({
      body: { sent: true, numberValid: true, securityCode: expect.any(String) },
    });
    await expect(neutrino('POST', 'sms-verify', { ...smsVerifyExample(usFictional(71)), 'output-case': 'snake' })).resolves.toMatchObject({
      body: { sent: true, number_valid: true, security_code: expect.any(String) },
    });
    await expect(neutrino('GET', 'verify-security-code', { 'security-code': '1', number: usFictional(71), 'output-case': 'camel' })).resolves.toMatchObject({
      status: 400,
      body: { apiError: 1, apiErrorMsg: expect.stringContaining('"security-code"') },
    });
    await expect(neutrino('GET', 'verify-security-code', { 'security-code': '1', number: usFictional(71), 'output-case': 'snake' })).resolves.toMatchObject({
      body: { api_error: 1, api_error_msg: expect.any(String) },
    });
  });

  it('takes output-format JSON, and refuses any other by name', async () => {
    await expect(neutrino('POST', 'sms-verify', { ...smsVerifyExample(usFictional(72)), 'output-format': 'JSON' })).resolves.toMatchObject({ status: 200 });
    await expect(neutrino('POST', 'sms-verify', { ...smsVerifyExample(usFictional(73)), 'output-format': 'XML' })).resolves.toEqual({
      status: 400,
      contentType: expect.stringContaining('application/json'),
      body: {
        'api-error': 1,
        'api-error-msg': 'Parameter "output-format" must be JSON: this service answers in JSON only',
        'api-parameter-name': 'output-format',
        'api-parameter-type': 'string',
      },
    });
    await expect(neutrino('POST', 'sms-verify', { ...smsVerifyExample(usFictional(73)), 'output-case': 'pascal' })).resolves.toMatchObject({
      body: { 'api-error': 1 },
    });
  });
});

describe('errors, as the client reads them', () => {
  it('the number\'s limit is 14 (TELEPHONY_BLOCKED), the caller\'s is 31 (USER_DEFINED_DAILY_LIMIT), per key user', async () => {
    const number = usFictional(74);
    await neutrino('POST', 'sms-verify', { ...smsVerifyExample(number), limit: '1' });
    await expect(neutrino('POST', 'sms-verify', { ...smsVerifyExample(number), limit: '1' })).resolves.toMatchObject({
      status: 429,
      body: { 'api-error': 14 },
    });

    // CALLER_SEND_LIMIT is 40 a minute here, per key user: one user's sends use up no one else's. The minute is a
    // fixed window: start the 41 sends with 15 s of it left, so they all fall in one.
    const intoMinuteMs = Date.now() % 60_000;
    if (intoMinuteMs > 45_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinuteMs + 50));
    const answers = [];
    for (let i = 0; i < 41; i++) answers.push(await neutrino('POST', 'sms-verify', smsVerifyExample(usFictional(i % 20)), { user: 'busy-user' }));
    expect(answers.slice(0, 40).every((answer) => answer.status === 200)).toBe(true);
    expect(answers[40]).toMatchObject({ status: 429, body: { 'api-error': 31 } });
    await expect(neutrino('POST', 'sms-verify', smsVerifyExample(usFictional(78)), { user: 'other-user' })).resolves.toMatchObject({ status: 200 });
  }, 60_000);

  it('credentials in the parameters are refused by name, and point to the headers', async () => {
    await expect(neutrino('POST', 'sms-verify', { ...smsVerifyExample(usFictional(75)), 'api-key': 'x' })).resolves.toMatchObject({
      status: 400,
      body: { 'api-error': 1, 'api-error-msg': expect.stringContaining('Credentials go in the User-ID and API-Key headers') },
    });
    await expect(neutrino('GET', 'verify-security-code', { number: usFictional(75), 'security-code': '12345', 'user-id': 'x' })).resolves.toMatchObject({
      status: 400,
      body: { 'api-error': 1, 'api-error-msg': expect.stringContaining('"user-id"') },
    });
    expect(service.simulator.outbox()).toEqual([]);
  });

  it('wrong or missing credentials get 403/43 and 401/43 in the envelope, naming the headers, and change nothing', async () => {
    await expect(neutrino('POST', 'sms-verify', smsVerifyExample(usFictional(76)), { headers: { 'API-Key': 'svk_wrong' } })).resolves.toEqual({
      status: 403,
      contentType: expect.stringContaining('application/json'),
      body: { 'api-error': 43, 'api-error-msg': 'Access denied: the User-ID and API-Key headers name no live key' },
    });
    const anonymous = await fetch(`${service.url}/sms-verify`, { method: 'POST', body: JSON.stringify(smsVerifyExample(usFictional(76))) });
    expect(anonymous.status).toBe(401);
    await expect(anonymous.json()).resolves.toEqual({ 'api-error': 43, 'api-error-msg': 'Send your credentials in the User-ID and API-Key headers' });
    // Credentials come first: a refused caller learns nothing of the rest (here, a path that does not exist).
    const nowhere = await fetch(`${service.url}/nowhere`, { method: 'POST', headers: { 'User-ID': 'neutrino-user', 'API-Key': 'svk_wrong' } });
    expect(nowhere.status).toBe(403);
    expect(service.simulator.outbox()).toEqual([]);
  });

  it('a base URL ending in "/" is answered 404/45 with a hint, not silently served', async () => {
    await expect(neutrino('POST', 'sms-verify', smsVerifyExample(usFictional(77)), { baseUrl: `${service.url}/` })).resolves.toMatchObject({
      status: 404,
      body: { 'api-error': 45, 'api-error-msg': expect.stringContaining('the base URL ends with "/"') },
    });
  });
});

describe('what every official client needs', () => {
  /** How each of NeutrinoAPI's clients (4.7.1) joins its base URL and an endpoint name. */
  const JOINS: Record<string, (base: string, endpoint: string) => string> = {
    node: (base, endpoint) => `${base}/${endpoint}`,
    ...Object.fromEntries(['python', 'java', 'go', 'rust', 'csharp', 'php'].map((client) => [client, (base: string, endpoint: string) => `${base}${endpoint}`])),
  };
  /** The base URLs the docs give: ApiUrl for the Node.js client, NeutrinoApiBaseUrl (ApiUrl and "/") for the others. */
  const baseUrlFor = (client: string) => (client === 'node' ? service.url : `${service.url}/`);

  it.each(Object.keys(JOINS))('the %s client reaches sms-verify with the base URL the docs give it', async (client) => {
    const url = JOINS[client]!(baseUrlFor(client), 'sms-verify');
    expect(new URL(url).pathname).toBe('/sms-verify');
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'User-ID': 'neutrino-user', 'API-Key': keys['neutrino-user']!, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(smsVerifyExample(usFictional(80 + Object.keys(JOINS).indexOf(client)))),
    });
    expect(response.status).toBe(200);
  });

  it('every code-1 answer names the parameter and its type, as the Java clients read them', async () => {
    const answers = await Promise.all([
      neutrino('GET', 'verify-security-code', { 'security-code': '123456', 'limit-by': '' }),
      neutrino('POST', 'sms-verify', { ...smsVerifyExample(usFictional(88)), 'code-length': '3' }),
      neutrino('POST', 'sms-verify', { ...smsVerifyExample(usFictional(88)), colour: 'blue' }),
      neutrino('POST', 'sms-verify', { ...smsVerifyExample(usFictional(88)), 'output-format': 'XML' }),
    ]);

    expect(answers.map((answer) => answer.body)).toEqual([
      { 'api-error': 1, 'api-error-msg': 'Missing required parameter "number"', 'api-parameter-name': 'number', 'api-parameter-type': 'string' },
      expect.objectContaining({ 'api-error': 1, 'api-parameter-name': 'code-length', 'api-parameter-type': 'integer' }),
      expect.objectContaining({ 'api-error': 1, 'api-parameter-name': 'colour', 'api-parameter-type': 'string' }),
      expect.objectContaining({ 'api-error': 1, 'api-parameter-name': 'output-format', 'api-parameter-type': 'string' }),
    ]);
    expect(service.simulator.outbox()).toEqual([]);
  });

  it('takes the Python examples\' snake_case keys as the parameters they spell, and names them so in errors', async () => {
    const number = usFictional(89);
    const sent = await neutrino('POST', 'sms-verify', {
      number,
      country_code: '',
      security_code: '',
      language_code: 'fr',
      code_length: '7',
      limit: '10',
      brand_name: 'Acme',
      limit_ttl: '1',
    });

    expect(sent).toMatchObject({ status: 200, body: { sent: true, 'security-code': expect.stringMatching(/^\d{7}$/) } });
    expect(service.simulator.outbox()[0]!.body).toContain('Acme');
    expect(service.simulator.outbox()[0]!.body).toMatch(/code/i);
    const code = (sent.body as Record<string, string>)['security-code']!;
    await expect(neutrino('GET', 'verify-security-code', { security_code: code, limit_by: 'user-7', number })).resolves.toMatchObject({
      body: { verified: true },
    });
    const { 'code-length': _, ...withoutCodeLength } = smsVerifyExample(number);
    await expect(neutrino('POST', 'sms-verify', { ...withoutCodeLength, code_length: '3' })).resolves.toMatchObject({
      status: 400,
      body: { 'api-error': 1, 'api-parameter-name': 'code_length', 'api-error-msg': expect.stringContaining('"code_length"') },
    });
    await expect(neutrino('POST', 'sms-verify', { ...smsVerifyExample(number), limit_ttl: '2' })).resolves.toMatchObject({
      status: 400,
      body: { 'api-error': 1, 'api-parameter-name': 'limit_ttl', 'api-error-msg': expect.stringContaining('more than once') },
    });
  });

  it('every code the service answers is one the clients name the same way, or one no client names', () => {
    for (const [code, meaning] of Object.entries(API_ERROR_CODES)) {
      const clients = NEUTRINO_CLIENT_ERROR_CODES[Number(code)];
      if (meaning.neutrino) expect([code, clients]).toEqual([code, meaning.neutrino]);
      else expect([code, clients]).toEqual([code, undefined]);
    }
  });
});
