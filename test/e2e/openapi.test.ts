/**
 * openapi.yaml describes the API as it answers: real requests to the local
 * server (valid and invalid, JSON and form) and their real answers are checked
 * against the document's schemas, with a JSON Schema 2020-12 validator (what
 * OpenAPI 3.1 uses).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse } from 'yaml';
import { startLocalService, type LocalService } from '../../local/server';
import { GB_MOBILE, usFictional } from '../support/fixtures';

interface Operation {
  requestBody: { content: Record<string, { schema: { $ref: string } }> };
  responses: Record<string, { $ref?: string; content?: Record<string, { schema: { $ref: string } }> }>;
}

const spec = parse(readFileSync(path.join(__dirname, '..', '..', 'openapi.yaml'), 'utf8')) as {
  openapi: string;
  paths: Record<string, { post: Operation }>;
  components: { responses: Record<string, { content: Record<string, { schema: { $ref: string } }> }> };
};
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema(spec, 'openapi');
const validatorFor = (ref: string) => ajv.getSchema(`openapi${ref}`) ?? ajv.compile({ $ref: `openapi${ref}` });

function responseSchemaRef(route: string, status: number): string {
  const response = spec.paths[route]!.post.responses[String(status)];
  if (!response) throw new Error(`openapi.yaml documents no ${status} for POST ${route}`);
  const resolved = response.$ref ? spec.components.responses[response.$ref.split('/').pop()!]! : response;
  return resolved.content!['application/json']!.schema.$ref;
}

let service: LocalService;
beforeAll(async () => {
  service = await startLocalService({ port: 0, print: () => undefined });
}, 60_000);
afterAll(() => service?.stop());

type Case = [name: string, route: string, contentType: string, body: Record<string, unknown>, validRequest: boolean];

const CASES: Case[] = [
  ['send, JSON, every parameter', '/sms-verify', 'application/json', { number: GB_MOBILE, 'code-length': 6, 'country-code': 'gb', 'language-code': 'fr', 'brand-name': 'Acme', limit: 5, 'limit-ttl': 2 }, true],
  ['send, form', '/sms-verify', 'application/x-www-form-urlencoded', { number: '07400123456', 'country-code': 'GB', 'code-length': '8' }, true],
  ['send, own code', '/sms-verify', 'application/json', { number: usFictional(40), 'security-code': '000123' }, true],
  ['send, NeutrinoAPI\'s example (empty optionals, strings)', '/sms-verify', 'application/json', { number: usFictional(46), 'country-code': '', 'security-code': '', 'language-code': 'en', 'code-length': '5', limit: '10', 'brand-name': '', 'limit-ttl': '1', 'output-case': 'kebab' }, true],
  ['send, not a number', '/sms-verify', 'application/json', { number: 'not a number' }, true],
  ['send, fixed line', '/sms-verify', 'application/json', { number: '+442079460000' }, true],
  ['send, bad code-length', '/sms-verify', 'application/json', { number: GB_MOBILE, 'code-length': 3 }, false],
  ['send, unknown parameter', '/sms-verify', 'application/json', { number: GB_MOBILE, colour: 'blue' }, false],
  ['send, missing number', '/sms-verify', 'application/x-www-form-urlencoded', { 'brand-name': 'Acme' }, false],
  ['verify, JSON', '/verify-security-code', 'application/json', { number: GB_MOBILE, 'security-code': '123456' }, true],
  ['verify, form', '/verify-security-code', 'application/x-www-form-urlencoded', { number: GB_MOBILE, 'security-code': '1234' }, true],
  ['verify, limit-by', '/verify-security-code', 'application/json', { number: GB_MOBILE, 'security-code': '123456', 'limit-by': 'user-1' }, true],
  ['verify, letters in the code', '/verify-security-code', 'application/json', { number: GB_MOBILE, 'security-code': '12ab' }, false],
];

describe('openapi.yaml', () => {
  it('is OpenAPI 3.1', () => {
    expect(spec.openapi).toBe('3.1.0');
  });

  it.each(CASES)('describes the request and the answer: %s', async (_, route, contentType, body, validRequest) => {
    const requestValidator = validatorFor(spec.paths[route]!.post.requestBody.content[contentType]!.schema.$ref);
    const text = contentType === 'application/json' ? JSON.stringify(body) : new URLSearchParams(body as Record<string, string>).toString();

    const response = await fetch(`${service.url}${route}`, { method: 'POST', headers: { 'content-type': contentType }, body: text });
    const answer = (await response.json()) as unknown;

    expect(requestValidator(body)).toBe(validRequest);
    expect(response.status).toBe(validRequest ? 200 : 400);
    const answerValidator = validatorFor(responseSchemaRef(route, response.status));
    expect(answerValidator(answer) ? 'valid' : answerValidator.errors).toBe('valid');
  });

  it('describes the errors of bodies that cannot be read, and of limits', async () => {
    const answers: Array<[string, Response]> = [
      ['/sms-verify', await fetch(`${service.url}/sms-verify`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' })],
      ['/sms-verify', await fetch(`${service.url}/sms-verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(20_000) })],
    ];
    for (let i = 0; i < 2; i++) {
      answers.push(['/sms-verify', await fetch(`${service.url}/sms-verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ number: usFictional(41), limit: 1 }) })]);
    }

    expect(answers.map(([, response]) => response.status)).toEqual([415, 413, 200, 429]);
    for (const [route, response] of answers) {
      const validator = validatorFor(responseSchemaRef(route, response.status));
      expect(validator(await response.json())).toBe(true);
    }
  });

  it('is served by the local server, and linked from the console', async () => {
    const served = await fetch(`${service.url}/openapi.yaml`);
    const console = await (await fetch(`${service.url}/`)).text();

    expect(served.status).toBe(200);
    expect(parse(await served.text())).toEqual(spec);
    expect(console).toContain('href="/openapi.yaml"');
  });
});
