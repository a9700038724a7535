/**
 * The primary adapter's first job: turn whatever invoked the function into
 * plain request parameters. Two kinds of event arrive:
 *  - an API Gateway HTTP API (payload 2.0) event, whose body is JSON or form-encoded;
 *  - a direct Lambda invocation, whose event *is* the parameter object.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyEventV2WithIAMAuthorizer } from 'aws-lambda';
import {
  AccessDeniedError,
  BodyTooLargeError,
  InvalidParameterError,
  MalformedBodyError,
  MethodNotAllowedError,
  NoEndpointError,
  UnsupportedContentTypeError,
} from '../core/errors';
import { withApiNames, type RawParameters } from '../core/parameters';

export const MAX_BODY_BYTES = 16 * 1024;

/** How the answer's field names are written (NeutrinoAPI's `output-case`): `sent-at`, `sentAt` or `sent_at`. */
export type OutputCase = 'kebab' | 'camel' | 'snake';
const OUTPUT_CASES: readonly OutputCase[] = ['kebab', 'camel', 'snake'];

export interface Invocation {
  kind: 'http' | 'direct';
  /** The route's own parameters, under the API's names: without `output-case` and `output-format`, which shape the answer. */
  parameters: RawParameters;
  /** How the request spelled a parameter it spelled otherwise (`code_length`): its errors name it so. */
  spellings: ReadonlyMap<string, string>;
  outputCase: OutputCase;
  /**
   * Who is asking, for the per-caller limits: the IAM principal that signed
   * the request, or in API-key mode the key's user id; the source IP when there
   * is neither (locally); `direct` for every direct invocation, whose invoker
   * Lambda does not name.
   */
  caller: string;
  /**
   * The send route's idempotency key: the `Idempotency-Key` header over HTTP,
   * the `idempotency-key` field of a direct invocation, or else, for a direct
   * invocation, the Lambda request id, which stays the same when Lambda retries
   * an asynchronous event.
   */
  idempotencyKey?: string;
  /**
   * Which of the function's endpoints was asked (a function that serves more than one, see
   * {@link InvocationOptions.endpoints}): the path over HTTP, the `endpoint` field of a direct invocation.
   */
  endpoint?: string;
  /** The time the function has left as the request starts (Lambda's context); absent outside Lambda. */
  remainingMs?: number;
}

export const DIRECT_CALLER = 'direct';
/** A direct invocation of a function with more than one endpoint names the one it means in this field. */
export const ENDPOINT_FIELD = 'endpoint';
export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const IDEMPOTENCY_FIELD = 'idempotency-key';

export interface InvocationOptions {
  /** Whether this route reads idempotency keys (the send route). */
  idempotent: boolean;
  /** The HTTP methods the route takes; POST when absent. */
  methods?: readonly string[];
  /** The Lambda request id, the implicit key of a direct invocation. */
  requestId?: string;
  /** The endpoints the function serves, the first by default (`sms-verify`, `phone-verify`). */
  endpoints?: readonly string[];
}

export function isHttpEvent(event: unknown): event is APIGatewayProxyEventV2 {
  return (
    typeof event === 'object' &&
    event !== null &&
    (event as { version?: unknown }).version === '2.0' &&
    typeof (event as { routeKey?: unknown }).routeKey === 'string' &&
    typeof (event as { requestContext?: unknown }).requestContext === 'object'
  );
}

/**
 * The routes this API answers for, besides its own: API Gateway sends the other methods of a path here
 * (`ANY /sms-verify`), and every other path to the `$default` route, so that callers get the error envelope.
 */
export const DEFAULT_ROUTE_KEY = '$default';
const API_ROUTES = 'POST /sms-verify, POST /phone-verify and POST (or GET) /verify-security-code';

export function readInvocation(event: unknown, options: InvocationOptions = { idempotent: false }): Invocation {
  const { parameters: given, ...rest } = readParameters(event, options);
  const { parameters, spellings } = withApiNames(given);
  try {
    return { ...rest, spellings, ...presentationOf(parameters) };
  } catch (error) {
    throw asSpelled(error, spellings);
  }
}

/** An error about a parameter, naming it as the request spelled it. */
export function asSpelled(error: unknown, spellings: ReadonlyMap<string, string>): unknown {
  if (!(error instanceof InvalidParameterError)) return error;
  const spelling = spellings.get(error.parameter);
  return spelling === undefined ? error : error.spelledAs(spelling);
}

/** Parameters any route takes: they shape the answer, and the route never sees them. */
function presentationOf(given: RawParameters): { parameters: RawParameters; outputCase: OutputCase } {
  const parameters: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  let outputCase: OutputCase = 'kebab';
  for (const [name, value] of Object.entries(given)) {
    if (name === 'output-case') {
      if (value === '') continue;
      if (typeof value !== 'string' || !(OUTPUT_CASES as readonly string[]).includes(value)) {
        throw new InvalidParameterError('output-case', 'Parameter "output-case" must be kebab, camel or snake');
      }
      outputCase = value as OutputCase;
    } else if (name === 'output-format') {
      if (value === '' || (typeof value === 'string' && value.toUpperCase() === 'JSON')) continue;
      throw new InvalidParameterError('output-format', 'Parameter "output-format" must be JSON: this service answers in JSON only');
    } else if (name === 'user-id' || name === 'api-key') {
      // NeutrinoAPI also reads credentials from parameters; a credential in a URL or a body ends up in logs.
      throw new InvalidParameterError(
        name,
        `Credentials go in the User-ID and API-Key headers, never in the request's parameters; "${name}" is not read`,
      );
    } else {
      parameters[name] = value;
    }
  }
  return { parameters, outputCase };
}

function readParameters(event: unknown, options: InvocationOptions): Omit<Invocation, 'outputCase' | 'spellings'> {
  if (isHttpEvent(event)) {
    // Credentials first: a caller the authorizer refused learns nothing else of the API.
    const caller = callerOf(event);
    const method = event.requestContext.http?.method ?? 'POST';
    const path = event.rawPath ?? event.requestContext.http?.path ?? '/';
    if (event.routeKey === DEFAULT_ROUTE_KEY) {
      // API Gateway matches paths as they are: "//sms-verify" (a base URL with a trailing slash, plus "/sms-verify")
      // is no route. Say so, rather than leave the caller to spot the second slash.
      const doubled = /^\/{2,}(sms-verify|phone-verify|verify-security-code)$/.exec(path);
      const hint = doubled ? `: the base URL ends with "/"; call /${doubled[1]}` : `; this API has ${API_ROUTES}`;
      throw new NoEndpointError(`There is no endpoint at ${method.slice(0, 10)} ${path.slice(0, 60)}${hint}`);
    }
    const allowed = options.methods ?? ['POST'];
    if (!allowed.includes(method)) throw new MethodNotAllowedError(method, path, allowed);
    const header = options.idempotent ? headerOf(event, IDEMPOTENCY_HEADER) : undefined;
    // From the route API Gateway matched ("POST /phone-verify", "ANY /phone-verify"), not the path: behind a custom
    // domain the path keeps the mapping's base path ("/verify/phone-verify").
    const endpoint = options.endpoints ? httpEndpoint(event.routeKey, options.endpoints) : undefined;
    return {
      kind: 'http',
      parameters: method === 'GET' ? readQuery(event) : readHttpParameters(event),
      caller,
      idempotencyKey: header === undefined ? undefined : idempotencyKey(header, 'Idempotency-Key'),
      ...(endpoint !== undefined ? { endpoint } : {}),
    };
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new MalformedBodyError('The invocation event must be a JSON object of request parameters');
  }
  const { [IDEMPOTENCY_FIELD]: key, [ENDPOINT_FIELD]: asked, ...parameters } = event as Record<string, unknown>;
  const direct = { kind: 'direct' as const, caller: DIRECT_CALLER, ...directEndpoint(asked, options.endpoints) };
  if (!options.idempotent || key === undefined) {
    const kept = { ...parameters, ...(options.idempotent || key === undefined ? {} : { [IDEMPOTENCY_FIELD]: key }) };
    return { ...direct, parameters: kept, idempotencyKey: options.idempotent ? options.requestId : undefined };
  }
  return { ...direct, parameters, idempotencyKey: idempotencyKey(key, IDEMPOTENCY_FIELD) };
}

function httpEndpoint(routeKey: string, endpoints: readonly string[]): string {
  const endpoint = routeKey.slice(routeKey.indexOf(' ') + 1).replace(/^\/+/, '');
  // The stack routes only these paths here; anything else is a routing mistake, never a text sent by default.
  if (!endpoints.includes(endpoint)) throw new NoEndpointError(`There is no endpoint at ${routeKey.slice(0, 80)}; this function serves ${endpoints.join(', ')}`);
  return endpoint;
}

/** The endpoint a direct invocation names, for a function with several; a parameter like any other otherwise. */
function directEndpoint(asked: unknown, endpoints: readonly string[] | undefined): { endpoint?: string } {
  if (asked === undefined) return endpoints ? { endpoint: endpoints[0] } : {};
  if (!endpoints) throw new InvalidParameterError(ENDPOINT_FIELD, `Unknown parameter "${ENDPOINT_FIELD}"`);
  if (typeof asked !== 'string' || !endpoints.includes(asked)) {
    throw new InvalidParameterError(ENDPOINT_FIELD, `Parameter "${ENDPOINT_FIELD}" must be one of ${endpoints.join(', ')}`);
  }
  return { endpoint: asked };
}

/** 1 to 255 printable ASCII characters, as clients generate them (UUIDs, hashes, order ids). */
function idempotencyKey(value: unknown, name: string): string {
  if (typeof value !== 'string' || !/^[\x21-\x7e][\x20-\x7e]{0,254}$/.test(value)) {
    throw new InvalidParameterError(name, `Parameter "${name}" must be 1 to 255 printable ASCII characters`);
  }
  return value;
}

function callerOf(event: APIGatewayProxyEventV2): string {
  // API-key mode: the user id the authorizer vouched for (never a header the function reads itself). The authorizer
  // lets refused credentials through so that they are answered here, in the envelope; nothing else runs for them.
  const keyMode = (event.requestContext as { authorizer?: { lambda?: { userId?: unknown; refused?: unknown } } }).authorizer?.lambda;
  if (keyMode !== undefined) {
    if (typeof keyMode.userId === 'string' && keyMode.userId !== '') return `key:${keyMode.userId}`;
    throw new AccessDeniedError(keyMode.refused === 'missing' ? 'missing' : 'invalid');
  }
  const iam = (event as Partial<APIGatewayProxyEventV2WithIAMAuthorizer>).requestContext?.authorizer?.iam;
  if (iam?.userArn) {
    // A role's sessions are one caller: a session name is the caller's to choose, so it must not split a limit.
    return `iam:${iam.userArn.replace(/^(arn:[^:]+:sts::\d+:assumed-role\/[^/]+)\/.*$/, '$1')}`;
  }
  return `ip:${event.requestContext.http?.sourceIp ?? 'unknown'}`;
}

/** A GET's parameters: the query string, read like a form (repeated and reserved names refused by name). */
function readQuery(event: APIGatewayProxyEventV2): RawParameters {
  return readForm(event.rawQueryString ?? '');
}

/** A POST's parameters: the body only; a query string is refused, since it would be logged along the way. */
function readHttpParameters(event: APIGatewayProxyEventV2): RawParameters {
  const query = event.rawQueryString ? new URLSearchParams(event.rawQueryString) : undefined;
  const firstQueryParameter = query?.keys().next().value;
  if (firstQueryParameter !== undefined) {
    throw new InvalidParameterError(
      firstQueryParameter,
      `Parameters of a POST go in the request body; query parameter "${firstQueryParameter.slice(0, 40)}" is not read`,
    );
  }

  const body = decodeBody(event);
  const contentType = (headerOf(event, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (contentType === 'application/x-www-form-urlencoded') {
    // curl -d sends form encoding unless told otherwise: a JSON object under it would read as one odd parameter.
    if (isJsonObject(body)) {
      throw new UnsupportedContentTypeError(
        'The body is JSON but its Content-Type is application/x-www-form-urlencoded (curl\'s default for -d): send the header "Content-Type: application/json"',
      );
    }
    return readForm(body);
  }
  // A missing Content-Type is read as JSON: that is what API clients mean when they forget it.
  if (contentType === 'application/json' || contentType === '') return readJson(body);
  throw new UnsupportedContentTypeError(
    'Content-Type must be application/json or application/x-www-form-urlencoded',
  );
}

function headerOf(event: APIGatewayProxyEventV2, name: string): string | undefined {
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

function isJsonObject(body: string): boolean {
  if (!body.trimStart().startsWith('{')) return false;
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null;
  } catch {
    return false;
  }
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
  const repeated = repeatedTopLevelKey(body);
  if (repeated !== undefined) {
    throw new InvalidParameterError(repeated, `Parameter "${repeated.slice(0, 40)}" is given more than once`);
  }
  return parsed as RawParameters;
}

/**
 * JSON.parse keeps the last of two equal keys without a word, so
 * `{"number": "+44…", "number": "+1…"}` would mean whatever parser reads it.
 * This scan of an already valid JSON text finds a key repeated at the top level.
 */
function repeatedTopLevelKey(json: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const character = json[i];
    if (character === '{' || character === '[') depth++;
    else if (character === '}' || character === ']') depth--;
    else if (character === '"') {
      const start = i;
      for (i++; json[i] !== '"'; i++) if (json[i] === '\\') i++;
      if (depth !== 1) continue;
      let next = i + 1;
      while (/\s/.test(json[next] ?? '')) next++;
      if (json[next] !== ':') continue;
      const key = JSON.parse(json.slice(start, i + 1)) as string;
      if (seen.has(key)) return key;
      seen.add(key);
    }
  }
  return undefined;
}

function readForm(body: string): RawParameters {
  // No prototype: `__proto__=x` must become a parameter named "__proto__" (refused as unknown, like any other),
  // not a silent assignment to the object's prototype.
  const parameters: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of new URLSearchParams(body)) {
    if (Object.hasOwn(parameters, name)) {
      throw new InvalidParameterError(name, `Parameter "${name.slice(0, 40)}" is given more than once`);
    }
    parameters[name] = value;
  }
  return parameters;
}
