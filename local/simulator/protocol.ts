/**
 * What every simulated API shares: the wire shapes of answers and errors of the
 * AWS protocols the simulated APIs speak (query/XML, REST-JSON, JSON 1.0 and 1.1), and
 * request shapes written as the models write them (a member's length, pattern,
 * range or enum), so that each API's file states its rules as data and cites
 * the model it follows.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface Violation {
  field: string;
  message: string;
}

/** One member of a request shape, as the API model constrains it. */
export interface MemberRule {
  required?: boolean;
  /** A string member: its length and pattern. */
  string?: { min: number; max: number; pattern: RegExp };
  /** An integer member: its range. */
  integer?: { min: number; max: number };
  enum?: readonly string[];
  boolean?: true;
  /** A map of strings: entries, key length and pattern, value length. */
  map?: { maxEntries: number; key: { min: number; max: number; pattern: RegExp }; value: { min: number; max: number; pattern?: RegExp } };
}

export type Shape = Readonly<Record<string, MemberRule>>;

/** Every member of `request` that breaks its rule, worded as Smithy's validation words it. */
export function violationsOf(shape: Shape, request: Record<string, unknown>): Violation[] {
  const violations: Violation[] = [];
  for (const [field, rule] of Object.entries(shape)) {
    const value = request[field];
    if (value === undefined || value === null) {
      if (rule.required) violations.push({ field, message: 'Member must not be null' });
      continue;
    }
    const message = memberViolation(rule, value);
    if (message) violations.push({ field, message });
  }
  return violations;
}

function memberViolation(rule: MemberRule, value: unknown): string | undefined {
  if (rule.string) return stringViolation(value, rule.string);
  if (rule.integer) {
    const { min, max } = rule.integer;
    return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
      ? undefined
      : `Member must have value greater than or equal to ${min} and less than or equal to ${max}`;
  }
  if (rule.enum) return typeof value === 'string' && rule.enum.includes(value) ? undefined : `Member must satisfy enum value set: [${rule.enum.join(', ')}]`;
  if (rule.boolean) return typeof value === 'boolean' ? undefined : 'Member must be a boolean';
  if (rule.map) {
    if (typeof value !== 'object' || Array.isArray(value)) return 'Member must be a map';
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length > rule.map.maxEntries) return `Member must have length less than or equal to ${rule.map.maxEntries}`;
    for (const [key, entry] of entries) {
      const keyProblem = stringViolation(key, rule.map.key);
      if (keyProblem) return `Map keys must satisfy constraint: [${keyProblem}]`;
      const valueProblem = stringViolation(entry, { pattern: /[\s\S]*/, ...rule.map.value });
      if (valueProblem) return `Map value at '${key}' failed to satisfy constraint: ${valueProblem}`;
    }
  }
  return undefined;
}

export function stringViolation(value: unknown, { min, max, pattern }: { min: number; max: number; pattern: RegExp }): string | undefined {
  if (typeof value !== 'string') return 'Member must be a string';
  const length = [...value].length;
  if (length < min || length > max) return `Member must have length between ${min} and ${max}`;
  return pattern.test(value) ? undefined : `Member must satisfy regular expression pattern: ${pattern.source}`;
}

export const E164 = /^\+[1-9][0-9]{1,14}$/;

export function respond(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'content-type': contentType, 'x-amzn-requestid': randomUUID() });
  response.end(body);
}

/** An AWS JSON 1.0 error (End User Messaging): the `__type`, a message, and the shape's own members. */
export function json10Error(response: ServerResponse, status: number, type: string, message: string, members: Record<string, unknown> = {}): void {
  response.setHeader('x-amzn-ErrorType', type);
  respond(response, status, 'application/x-amz-json-1.0', JSON.stringify({ __type: type, message, ...members }));
}

export function json10Answer(response: ServerResponse, body: unknown): void {
  respond(response, 200, 'application/x-amz-json-1.0', JSON.stringify(body));
}

/** An AWS JSON 1.0 ValidationException for field violations, as End User Messaging words it. */
export function json10Invalid(response: ServerResponse, violations: readonly Violation[]): void {
  const summary = violations.map((v) => `Value at '${v.field}' failed to satisfy constraint: ${v.message}`).join('; ');
  json10Error(response, 400, 'ValidationException', `${violations.length} validation error(s) detected: ${summary}`, {
    Reason: 'FIELD_VALIDATION_FAILED',
    Fields: violations.map((v) => ({ Name: v.field, Message: v.message })),
  });
}

/** An AWS JSON 1.1 error (EventBridge): the `__type` and a message, as 1.0's but with 1.1's content type. */
export function json11Error(response: ServerResponse, status: number, type: string, message: string): void {
  response.setHeader('x-amzn-ErrorType', type);
  respond(response, status, 'application/x-amz-json-1.1', JSON.stringify({ __type: type, message }));
}

export function json11Answer(response: ServerResponse, body: unknown): void {
  respond(response, 200, 'application/x-amz-json-1.1', JSON.stringify(body));
}

export const SNS_NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';

/** An SNS query-protocol error (XML). */
export function snsError(response: ServerResponse, status: number, code: string, message: string, type = 'Sender'): void {
  respond(
    response,
    status,
    'text/xml',
    `<ErrorResponse xmlns="${SNS_NAMESPACE}"><Error><Type>${type}</Type><Code>${code}</Code>` +
      `<Message>${escapeXml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  );
}

/** An SNS query-protocol answer: `<ActionResponse><ActionResult>…</ActionResult>…`. */
export function snsAnswer(response: ServerResponse, action: string, result: string): void {
  respond(
    response,
    200,
    'text/xml',
    `<${action}Response xmlns="${SNS_NAMESPACE}"><${action}Result>${result}</${action}Result>` +
      `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
  );
}

/** A Pinpoint REST-JSON error. */
export function pinpointError(response: ServerResponse, status: number, type: string, message: string): void {
  response.setHeader('x-amzn-ErrorType', type);
  respond(response, status, 'application/json', JSON.stringify({ Message: message, RequestID: randomUUID() }));
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A guard against a runaway client, not any API's rule: each API refuses what its own limits refuse. It sits well
 * above the largest request a simulated API takes (PutEvents' entries may total 1 MB, which JSON escaping can
 * multiply).
 */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
