/**
 * The bad-input corpus: malformed and hostile requests to both routes, through
 * both entry points (API Gateway HTTP event and direct invocation), against
 * the real handlers on DynamoDB Local and the SMS simulator. Each gets its
 * documented answer (a 4xx whose message names the parameter, or, for a short
 * string that simply is not a phone number, 200 with number-valid:false) and
 * leaves the table and the outbox exactly as they were.
 */
import { lambdaContext } from '../support/fake-service';
import { GB_MOBILE } from '../support/fixtures';
import { httpEvent } from '../support/http-events';
import { startRealService, type RealService } from '../support/real-service';
import { scanTable } from '../support/tables';

type Route = 'send' | 'verify';

type Expected =
  | { status: 400 | 413 | 415; apiError: number; names?: string; says?: string }
  | { status: 200; body: Record<string, unknown> };

interface BadParameters {
  route: Route;
  name: string;
  /** Merged over a valid request (a number, and a code for verify); `undefined` removes a field. */
  parameters: Record<string, unknown>;
  expected: Expected;
}

const invalid = (names: string): Expected => ({ status: 400, apiError: 1, names });
const notANumber: Expected = { status: 200, body: { sent: false, 'number-valid': false, 'security-code': '', reason: 'invalid-number' } };
const notVerified: Expected = { status: 200, body: { verified: false } };
/** A send's answer says what to change; a check's answer keeps its one shape. */
const nationalNumber: Expected = {
  status: 200,
  body: { ...notANumber.body, hint: expect.stringContaining('add "country-code"') },
};

const BAD_PARAMETERS: BadParameters[] = [
  // number
  ...(['send', 'verify'] as const).flatMap((route): BadParameters[] => [
    { route, name: 'number missing', parameters: { number: undefined }, expected: invalid('number') },
    { route, name: 'number empty', parameters: { number: '' }, expected: invalid('number') },
    { route, name: 'number blank', parameters: { number: '   ' }, expected: invalid('number') },
    { route, name: 'number null', parameters: { number: null }, expected: invalid('number') },
    { route, name: 'number as an array', parameters: { number: [GB_MOBILE] }, expected: invalid('number') },
    { route, name: 'number as an object (NoSQL operator)', parameters: { number: { $gt: '' } }, expected: invalid('number') },
    { route, name: 'number as a boolean', parameters: { number: true }, expected: invalid('number') },
    { route, name: 'number as an integer', parameters: { number: 447400123456 }, expected: invalid('number') },
    { route, name: 'number as a float', parameters: { number: 4.474e11 }, expected: invalid('number') },
    { route, name: 'number of 1000 digits', parameters: { number: '4'.repeat(1000) }, expected: invalid('number') },
    { route, name: 'number of 65 characters', parameters: { number: `+44 ${'7'.repeat(61)}` }, expected: invalid('number') },
    { route, name: 'number with a NUL', parameters: { number: '+447400\u0000123456' }, expected: invalid('number') },
    { route, name: 'number with a newline', parameters: { number: '+447400123456\nBcc: x' }, expected: invalid('number') },
    { route, name: 'number with a bell', parameters: { number: '\u0007+447400123456' }, expected: invalid('number') },
    { route, name: 'number with letters', parameters: { number: '+44 7400 ABCDEF' }, expected: route === 'send' ? notANumber : notVerified },
    { route, name: 'number with emoji', parameters: { number: '+44 7400 123456 📱' }, expected: route === 'send' ? notANumber : notVerified },
    { route, name: 'number as SQL injection', parameters: { number: "'; DROP TABLE codes; --" }, expected: route === 'send' ? notANumber : notVerified },
    { route, name: 'number as NoSQL injection text', parameters: { number: '{"$gt": ""}' }, expected: route === 'send' ? notANumber : notVerified },
    { route, name: 'number as NaN', parameters: { number: 'NaN' }, expected: route === 'send' ? notANumber : notVerified },
    { route, name: 'national number without country', parameters: { number: '07400123456' }, expected: route === 'send' ? nationalNumber : notVerified },
    { route, name: 'country-code unknown', parameters: { 'country-code': 'XX' }, expected: invalid('country-code') },
    { route, name: 'country-code alpha-3', parameters: { 'country-code': 'GBR' }, expected: invalid('country-code') },
    { route, name: 'country-code blank', parameters: { 'country-code': '  ' }, expected: invalid('country-code') },
    { route, name: 'country-code a number', parameters: { 'country-code': 44 }, expected: invalid('country-code') },
    { route, name: 'country-code with a digit', parameters: { 'country-code': 'G1' }, expected: invalid('country-code') },
    { route, name: 'unknown parameter', parameters: { colour: 'blue' }, expected: invalid('colour') },
    { route, name: 'parameter named __proto__', parameters: JSON.parse('{"__proto__": {"admin": true}}'), expected: invalid('__proto__') },
    { route, name: 'parameter named constructor', parameters: { constructor: 'x' }, expected: invalid('constructor') },
    { route, name: 'parameter with a near-miss name', parameters: { 'security-codes': '12345' }, expected: invalid('security-codes') },
    // NeutrinoAPI's Python examples spell parameters in snake case; one parameter in both spellings is a repeat.
    { route, name: 'a parameter in both spellings', parameters: { 'country-code': 'GB', country_code: 'GB' }, expected: invalid('country_code') },
    { route, name: 'security-code with letters', parameters: { 'security-code': '12a45' }, expected: invalid('security-code') },
    { route, name: 'security-code with a space', parameters: { 'security-code': '12 345' }, expected: invalid('security-code') },
    { route, name: 'security-code with a plus sign', parameters: { 'security-code': '+12345' }, expected: invalid('security-code') },
    { route, name: 'security-code with a minus sign', parameters: { 'security-code': '-12345' }, expected: invalid('security-code') },
    { route, name: 'security-code of 3 digits', parameters: { 'security-code': '123' }, expected: invalid('security-code') },
    { route, name: 'security-code of 13 digits', parameters: { 'security-code': '1234567890123' }, expected: invalid('security-code') },
    { route, name: 'security-code as a float', parameters: { 'security-code': 12345.5 }, expected: invalid('security-code') },
    { route, name: 'security-code negative', parameters: { 'security-code': -12345 }, expected: invalid('security-code') },
    { route, name: 'security-code huge', parameters: { 'security-code': 1e20 }, expected: invalid('security-code') },
    { route, name: 'security-code as an array', parameters: { 'security-code': ['12345'] }, expected: invalid('security-code') },
  ]),
  { route: 'verify', name: 'security-code missing', parameters: { 'security-code': undefined }, expected: invalid('security-code') },
  { route: 'verify', name: 'code-length (a send parameter)', parameters: { 'code-length': 5 }, expected: invalid('code-length') },
  { route: 'verify', name: 'brand-name (a send parameter)', parameters: { 'brand-name': 'Acme' }, expected: invalid('brand-name') },
  // send-only parameters
  { route: 'send', name: 'code-length 3', parameters: { 'code-length': 3 }, expected: invalid('code-length') },
  { route: 'send', name: 'code-length 13', parameters: { 'code-length': 13 }, expected: invalid('code-length') },
  { route: 'send', name: 'code-length "6.5"', parameters: { 'code-length': '6.5' }, expected: invalid('code-length') },
  { route: 'send', name: 'code-length "06"', parameters: { 'code-length': '06' }, expected: invalid('code-length') },
  { route: 'send', name: 'code-length negative', parameters: { 'code-length': -5 }, expected: invalid('code-length') },
  { route: 'send', name: 'code-length huge', parameters: { 'code-length': 1e100 }, expected: invalid('code-length') },
  { route: 'send', name: 'code-length "NaN"', parameters: { 'code-length': 'NaN' }, expected: invalid('code-length') },
  { route: 'send', name: 'code-length a boolean', parameters: { 'code-length': true }, expected: invalid('code-length') },
  { route: 'send', name: 'code-length blank', parameters: { 'code-length': ' ' }, expected: invalid('code-length') },
  { route: 'send', name: 'code-length an object', parameters: { 'code-length': { value: 6 } }, expected: invalid('code-length') },
  { route: 'send', name: 'security-code longer than code-length', parameters: { 'security-code': '123456', 'code-length': 5 }, expected: invalid('security-code') },
  { route: 'send', name: 'language-code upper case', parameters: { 'language-code': 'EN' }, expected: invalid('language-code') },
  { route: 'send', name: 'language-code unsupported', parameters: { 'language-code': 'nl' }, expected: invalid('language-code') },
  { route: 'send', name: 'language-code blank', parameters: { 'language-code': ' ' }, expected: invalid('language-code') },
  { route: 'send', name: 'language-code a locale', parameters: { 'language-code': 'en-GB' }, expected: invalid('language-code') },
  { route: 'send', name: 'language-code an array', parameters: { 'language-code': ['en'] }, expected: invalid('language-code') },
  { route: 'send', name: 'brand-name with a URL', parameters: { 'brand-name': 'https://evil.example' }, expected: invalid('brand-name') },
  { route: 'send', name: 'brand-name with a domain', parameters: { 'brand-name': 'Visit evil.com' }, expected: invalid('brand-name') },
  { route: 'send', name: 'brand-name with www', parameters: { 'brand-name': 'www.acme' }, expected: invalid('brand-name') },
  { route: 'send', name: 'brand-name with an address', parameters: { 'brand-name': 'ceo@acme' }, expected: invalid('brand-name') },
  { route: 'send', name: 'brand-name with a newline', parameters: { 'brand-name': 'Acme\nClick here' }, expected: invalid('brand-name') },
  { route: 'send', name: 'brand-name with a tab', parameters: { 'brand-name': 'Acme\tBank' }, expected: invalid('brand-name') },
  { route: 'send', name: 'brand-name of 21 characters', parameters: { 'brand-name': 'A'.repeat(21) }, expected: invalid('brand-name') },
  { route: 'send', name: 'brand-name with emoji', parameters: { 'brand-name': 'Acme 🚀' }, expected: invalid('brand-name') },
  { route: 'send', name: 'brand-name with a bidi override', parameters: { 'brand-name': 'Acme\u202Eknab' }, expected: invalid('brand-name') },
  { route: 'send', name: 'brand-name blank', parameters: { 'brand-name': '   ' }, expected: invalid('brand-name') },
  { route: 'send', name: 'brand-name an object', parameters: { 'brand-name': { name: 'Acme' } }, expected: invalid('brand-name') },
  { route: 'send', name: 'limit 0', parameters: { limit: 0 }, expected: invalid('limit') },
  { route: 'send', name: 'limit 101', parameters: { limit: 101 }, expected: invalid('limit') },
  { route: 'send', name: 'limit "ten"', parameters: { limit: 'ten' }, expected: invalid('limit') },
  { route: 'send', name: 'limit a float', parameters: { limit: 2.5 }, expected: invalid('limit') },
  { route: 'send', name: 'limit-ttl 0', parameters: { 'limit-ttl': 0 }, expected: invalid('limit-ttl') },
  { route: 'send', name: 'limit-ttl 366', parameters: { 'limit-ttl': 366 }, expected: invalid('limit-ttl') },
  { route: 'send', name: 'limit-ttl negative', parameters: { 'limit-ttl': -1 }, expected: invalid('limit-ttl') },
];

interface BadBody {
  route: Route;
  name: string;
  body: string;
  contentType?: string;
  base64?: boolean;
  query?: string;
  expected: Expected;
}

const nested = `{"number": ${'['.repeat(3000)}${']'.repeat(3000)}}`;
const BAD_BODIES: BadBody[] = (['send', 'verify'] as const).flatMap((route): BadBody[] => [
  { route, name: 'not JSON', body: '{number: +447400123456}', expected: { status: 400, apiError: 9 } },
  { route, name: 'truncated JSON', body: '{"number":', expected: { status: 400, apiError: 9 } },
  { route, name: 'a JSON array', body: '[{"number": "+447400123456"}]', expected: { status: 400, apiError: 9 } },
  { route, name: 'JSON null', body: 'null', expected: { status: 400, apiError: 9 } },
  { route, name: 'a JSON string', body: '"+447400123456"', expected: { status: 400, apiError: 9 } },
  { route, name: 'a JSON number', body: '447400123456', expected: { status: 400, apiError: 9 } },
  { route, name: 'an empty JSON body', body: '', expected: invalid('number') },
  { route, name: 'deeply nested JSON', body: nested, expected: invalid('number') },
  { route, name: 'a repeated JSON key', body: `{"number": "${GB_MOBILE}", "number": "+12015550100"}`, expected: invalid('number') },
  { route, name: 'a 20 KiB body', body: JSON.stringify({ number: GB_MOBILE, pad: 'x'.repeat(20 * 1024) }), expected: { status: 413, apiError: 44 } },
  { route, name: 'a 20 KiB base64 body', body: JSON.stringify({ number: GB_MOBILE, pad: 'x'.repeat(20 * 1024) }), base64: true, expected: { status: 413, apiError: 44 } },
  { route, name: 'base64 that is not JSON', body: '\u00ff\u00fe garbage', base64: true, expected: { status: 400, apiError: 9 } },
  { route, name: 'text/plain', body: `number=${GB_MOBILE}`, contentType: 'text/plain', expected: { status: 415, apiError: 29 } },
  { route, name: 'XML', body: `<number>${GB_MOBILE}</number>`, contentType: 'application/xml', expected: { status: 415, apiError: 29 } },
  { route, name: 'multipart', body: '--b\r\ncontent-disposition: form-data; name="number"\r\n\r\n1\r\n--b--', contentType: 'multipart/form-data; boundary=b', expected: { status: 415, apiError: 29 } },
  { route, name: 'JSON sent as a form (curl -d without a Content-Type)', body: JSON.stringify({ number: GB_MOBILE }), contentType: 'application/x-www-form-urlencoded', expected: { status: 415, apiError: 29, says: 'Content-Type: application/json' } },
  { route, name: 'a form with a repeated parameter', body: `number=${encodeURIComponent(GB_MOBILE)}&number=1`, contentType: 'application/x-www-form-urlencoded', expected: invalid('number') },
  { route, name: 'a form with an unknown parameter', body: `number=${encodeURIComponent(GB_MOBILE)}&pin=1`, contentType: 'application/x-www-form-urlencoded', expected: invalid('pin') },
  { route, name: 'parameters in the query string', body: '{}', query: `number=${encodeURIComponent(GB_MOBILE)}`, expected: invalid('number') },
]);

/** Names an object in JavaScript already has: each must be refused by name like any unknown parameter, never dropped. */
const RESERVED_NAMES = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf', '__defineGetter__'];
const FORM = 'application/x-www-form-urlencoded';
const RESERVED_BODIES: BadBody[] = (['send', 'verify'] as const).flatMap((route): BadBody[] => {
  const valid = new URLSearchParams(validRequest(route) as Record<string, string>).toString();
  return RESERVED_NAMES.flatMap((name): BadBody[] => [
    { route, name: `form parameter ${name}`, body: `${valid}&${name}=x`, contentType: FORM, expected: invalid(name) },
    { route, name: `form parameter ${name}, repeated`, body: `${valid}&${name}=x&${name}=y`, contentType: FORM, expected: invalid(name) },
    { route, name: `JSON parameter ${name}`, body: JSON.stringify({ ...validRequest(route) }).replace(/}$/, `, "${name}": "x"}`), expected: invalid(name) },
  ]);
});

const DIRECT_EVENTS: Array<{ name: string; event: unknown }> = [
  { name: 'a string', event: GB_MOBILE },
  { name: 'an array', event: [{ number: GB_MOBILE }] },
  { name: 'null', event: null },
  { name: 'a number', event: 447400123456 },
];

let service: RealService;
let tableBefore: string;
beforeAll(async () => {
  service = await startRealService({ smsRoutes: ['sns', 'pinpoint'] });
  // A table with state in it, so that "unchanged" means something.
  await service.send({ number: GB_MOBILE, 'security-code': '24680' }, lambdaContext());
  service.simulator.clearOutbox();
  tableBefore = JSON.stringify(await scanTable(service.client, service.tableName));
});
afterAll(() => service.stop());
afterEach(async () => {
  expect(JSON.stringify(await scanTable(service.client, service.tableName))).toBe(tableBefore);
  expect(service.simulator.outbox()).toEqual([]);
});

function validRequest(route: Route): Record<string, unknown> {
  return route === 'send' ? { number: GB_MOBILE } : { number: GB_MOBILE, 'security-code': '13579' };
}

function requestWith(route: Route, parameters: Record<string, unknown>): Record<string, unknown> {
  const request = { ...validRequest(route) };
  for (const [name, value] of Object.entries(parameters)) {
    if (value === undefined) delete request[name];
    else Object.defineProperty(request, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return request;
}

const handler = (route: Route) => (route === 'send' ? service.send : service.verify);
const path = (route: Route) => (route === 'send' ? '/sms-verify' : '/verify-security-code');

function expectAnswer(status: number | undefined, body: Record<string, unknown>, expected: Expected): void {
  if (status !== undefined) expect(status).toBe(expected.status);
  if (expected.status === 200) {
    expect(body).toEqual(expected.body);
    return;
  }
  if (expected.apiError === 1) {
    // NeutrinoAPI's Java clients read both fields with every code 1, and fail without them.
    expect(body).toEqual({
      'api-error': 1,
      'api-error-msg': expect.any(String),
      'api-parameter-name': expected.names ?? expect.any(String),
      'api-parameter-type': expect.stringMatching(/^(string|integer)$/),
    });
  } else {
    expect(body).toEqual({ 'api-error': expected.apiError, 'api-error-msg': expect.any(String) });
  }
  if (expected.names) expect(body['api-error-msg']).toContain(`"${expected.names}"`);
  if (expected.says) expect(body['api-error-msg']).toContain(expected.says);
}

describe('bad input corpus', () => {
  it('holds at least 60 distinct malformed or hostile requests', () => {
    expect(BAD_PARAMETERS.length + BAD_BODIES.length + DIRECT_EVENTS.length).toBeGreaterThanOrEqual(60);
  });

  describe.each(['http', 'direct'] as const)('parameters via %s', (entry) => {
    it.each(BAD_PARAMETERS.map((c) => [`${c.route}: ${c.name}`, c] as const))('%s', async (_, c) => {
      const request = requestWith(c.route, c.parameters);
      if (entry === 'http') {
        const response = (await handler(c.route)(httpEvent(path(c.route), JSON.stringify(request)), lambdaContext())) as {
          statusCode: number;
          body: string;
        };
        expectAnswer(response.statusCode, JSON.parse(response.body), c.expected);
      } else {
        expectAnswer(undefined, (await handler(c.route)(request, lambdaContext())) as Record<string, unknown>, c.expected);
      }
    });
  });

  describe('bodies via http', () => {
    it.each([...BAD_BODIES, ...RESERVED_BODIES].map((c) => [`${c.route}: ${c.name}`, c] as const))('%s', async (_, c) => {
      const event = httpEvent(path(c.route), c.body, { contentType: c.contentType, base64: c.base64, query: c.query });
      const response = (await handler(c.route)(event, lambdaContext())) as { statusCode: number; body: string };

      expectAnswer(response.statusCode, JSON.parse(response.body), c.expected);
    });
  });

  describe('reserved names via direct invocation', () => {
    it.each(RESERVED_NAMES.flatMap((name) => (['send', 'verify'] as const).map((route) => [`${route}: ${name}`, route, name] as const)))(
      '%s',
      async (_, route, name) => {
        const event = JSON.parse(JSON.stringify(validRequest(route)).replace(/}$/, `, "${name}": "x"}`)) as Record<string, unknown>;
        expectAnswer(undefined, (await handler(route)(event, lambdaContext())) as Record<string, unknown>, invalid(name));
      },
    );
  });

  describe('events via direct invocation', () => {
    it.each(DIRECT_EVENTS.flatMap((c) => (['send', 'verify'] as const).map((route) => [`${route}: ${c.name}`, route, c.event] as const)))(
      '%s',
      async (_, route, event) => {
        expectAnswer(undefined, (await handler(route)(event, lambdaContext())) as Record<string, unknown>, { status: 400, apiError: 9 });
      },
    );
  });
});
