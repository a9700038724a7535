/**
 * The primary adapter's first job: turn whatever invoked the function into
 * plain request parameters. Two kinds of event arrive:
 *  - an API Gateway HTTP API (payload 2.0) event, whose body is JSON or form-encoded;
 *  - a direct Lambda invocation, whose event *is* the parameter object.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyEventV2WithIAMAuthorizer } from 'aws-lambda';
import {
  BodyTooLargeError,
  InvalidParameterError,
  MalformedBodyError,
  UnsupportedContentTypeError,
} from '../core/errors';
import type { RawParameters } from '../core/parameters';

export const MAX_BODY_BYTES = 16 * 1024;

export type Invocation =
  | { kind: 'http'; parameters: RawParameters; sourceIp: string | undefined }
  | { kind: 'direct'; parameters: RawParameters };

export function isHttpEvent(event: unknown): event is APIGatewayProxyEventV2 {
  return (
    typeof event === 'object' &&
    event !== null &&
    (event as { version?: unknown }).version === '2.0' &&
    typeof (event as { routeKey?: unknown }).routeKey === 'string' &&
    typeof (event as { requestContext?: unknown }).requestContext === 'object'
  );
}

export function readInvocation(event: unknown): Invocation {
  if (isHttpEvent(event)) {
    return {
      kind: 'http',
      parameters: readHttpParameters(event),
      sourceIp: (event as APIGatewayProxyEventV2WithIAMAuthorizer).requestContext.http?.sourceIp,
    };
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new MalformedBodyError('The invocation event must be a JSON object of request parameters');
  }
  return { kind: 'direct', parameters: event as RawParameters };
}

function readHttpParameters(event: APIGatewayProxyEventV2): RawParameters {
  const query = event.rawQueryString ? new URLSearchParams(event.rawQueryString) : undefined;
  const firstQueryParameter = query?.keys().next().value;
  if (firstQueryParameter !== undefined) {
    throw new InvalidParameterError(
      firstQueryParameter,
      `Parameters go in the request body; query parameter "${firstQueryParameter.slice(0, 40)}" is not read`,
    );
  }

  const body = decodeBody(event);
  const contentType = (header(event, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (contentType === 'application/x-www-form-urlencoded') return readForm(body);
  // A missing Content-Type is read as JSON: that is what API clients mean when they forget it.
  if (contentType === 'application/json' || contentType === '') return readJson(body);
  throw new UnsupportedContentTypeError(
    'Content-Type must be application/json or application/x-www-form-urlencoded',
  );
}

function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  // API Gateway lower-cases header names in payload 2.0; a hand-made event may not.
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}

function decodeBody(event: APIGatewayProxyEventV2): string {
  const raw = event.body ?? '';
  // Base64 grows a body by 4/3: refuse an oversized one before decoding it.
  const encodedLimit = event.isBase64Encoded ? Math.ceil(MAX_BODY_BYTES / 3) * 4 : MAX_BODY_BYTES * 4;
  const tooLarge = () => new BodyTooLargeError(`The request body must be at most ${MAX_BODY_BYTES} bytes`);
  if (raw.length > encodedLimit) throw tooLarge();
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > MAX_BODY_BYTES) throw tooLarge();
  return bytes.toString('utf8');
}

function readJson(body: string): RawParameters {
  if (body.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new MalformedBodyError('The request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new MalformedBodyError('The request body must be a JSON object of request parameters');
  }
  return parsed as RawParameters;
}

function readForm(body: string): RawParameters {
  const parameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(body)) {
    if (Object.hasOwn(parameters, name)) {
      throw new InvalidParameterError(name, `Parameter "${name.slice(0, 40)}" is given more than once`);
    }
    parameters[name] = value;
  }
  return parameters;
}
