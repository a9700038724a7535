/**
 * SmsVerifyClient: a typed client for Node.js and TypeScript callers of an
 * sms-verify deployment, over direct Lambda invocation or the HTTPS API (signed
 * with SigV4, or with the `User-ID` and `API-Key` headers of API-key mode, or
 * with nothing, for `npm start`). Field names and types are the API contract's;
 * every `api-error` answer becomes a typed error, and so does a service that
 * cannot be reached.
 *
 *   const sms = new SmsVerifyClient({ transport: 'lambda', sendFunctionName, verifyFunctionName });
 *   const { sent } = await sms.send({ number: '+447400123456', 'brand-name': 'Acme' });
 *   const { verified } = await sms.verify({ number: '+447400123456', 'security-code': typed });
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
/** The languages of the SMS (the service's LANGUAGE_CODES; a test keeps the two the same). */
export type LanguageCode = 'de' | 'en' | 'es' | 'fr' | 'it' | 'pt' | 'ru';
/** Why a send was not made (the service's SendFailureReason; a test keeps the two the same). */
export type SendFailureReason =
  | 'invalid-number'
  | 'country-not-allowed'
  | 'unsupported-number-type'
  | 'number-locked'
  | 'delivery-failed'
  | 'delivery-unconfirmed';


export interface SendRequest {
  number: string;
  'code-length'?: number;
  'security-code'?: string;
  'country-code'?: string;
  'language-code'?: LanguageCode;
  'brand-name'?: string;
  limit?: number;
  'limit-ttl'?: number;
  /** Makes the send safe to retry: a repeat within 10 minutes gets the first answer and no second SMS. */
  'idempotency-key'?: string;
}

/** NeutrinoAPI Phone Verify: a call reads the code aloud; it is checked with {@link SmsVerifyClient.verify}. */
export interface CallRequest extends SendRequest {
  /** Milliseconds between the digits read, 0 to 3000 (default 800). */
  'playback-delay'?: number;
}

export interface CallResponse {
  calling: boolean;
  'number-valid': boolean;
  'security-code': string;
  reason?: SendFailureReason;
  hint?: string;
  'retry-after'?: number;
}

export interface SendResponse {
  sent: boolean;
  /** `voice` when a call carried the code instead of a text (the deployment's voiceFallbackAfter). */
  channel?: 'voice';
  'number-valid': boolean;
  'security-code': string;
  reason?: SendFailureReason;
  /** What to change, where the service can tell (a national number sent without `country-code`). */
  hint?: string;
  /** With `reason: 'number-locked'`: seconds until the number's lock ends. */
  'retry-after'?: number;
}

export interface VerifyRequest {
  number: string;
  'security-code': string;
  'country-code'?: string;
  /** A value (a user id, an IP address) whose failed checks, across numbers, are limited as well (429/33). */
  'limit-by'?: string;
}

export interface VerifyResponse {
  verified: boolean;
}

/** An `api-error` answer. `status` is known over HTTPS; a direct invocation has none. */
export class SmsVerifyError extends Error {
  constructor(
    readonly apiError: number,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
/** 400/1: a parameter is missing, unknown, repeated or invalid; the message names it, and so does `parameter`. */
export class InvalidParameterError extends SmsVerifyError {
  /** The parameter, as the request spelled it (`api-parameter-name`). */
  parameter?: string;
}
/** 400/9 or 415/29: the request could not be read. */
export class UnreadableRequestError extends SmsVerifyError {}
/** 413/44. */
export class RequestTooLargeError extends SmsVerifyError {}
const LIMITS = {
  14: 'number',
  31: 'caller-send',
  4: 'prefix-send',
  2: 'global-send',
  11: 'caller-call',
  15: 'prefix-call',
  8: 'global-call',
  32: 'caller-verify',
  33: 'limit-by',
  34: 'conversion-guard',
} as const;

/** 429/14, 31, 4, 2, 11, 15, 8, 32, 33, 34: a limit is reached (34: the conversion guard paused the prefix); `limit` says which. */
export class RateLimitedError extends SmsVerifyError {
  get limit(): (typeof LIMITS)[keyof typeof LIMITS] {
    return LIMITS[this.apiError as keyof typeof LIMITS];
  }
}
/** 409/25 (key reused for another request) or 409/6 (first request still running; retry shortly). */
export class IdempotencyConflictError extends SmsVerifyError {}
/** 503/5: a dependency is unavailable or busy; nothing changed, safe to retry. */
export class ServiceUnavailableError extends SmsVerifyError {}
/**
 * 503/30: the service could not confirm whether the request took effect; the message says what may have changed
 * (a send: no SMS went out, but a limit may count it; a check: the code may have been used). Retrying is safe.
 */
export class OutcomeUnknownError extends SmsVerifyError {}
/** 500/51, or a function error of a direct invocation. */
export class InternalServiceError extends SmsVerifyError {}
/** 401/43 or 403/43 (API-key mode): the `User-ID` and `API-Key` headers are missing, or name no live key. */
export class AccessDeniedError extends SmsVerifyError {}
/** No answer came: the URL is wrong, the service is down, or the network failed. `apiError` is 0. */
export class ServiceUnreachableError extends SmsVerifyError {}

const ERROR_CLASSES: Record<number, typeof SmsVerifyError> = {
  1: InvalidParameterError,
  2: RateLimitedError,
  4: RateLimitedError,
  5: ServiceUnavailableError,
  6: IdempotencyConflictError,
  8: RateLimitedError,
  9: UnreadableRequestError,
  11: RateLimitedError,
  14: RateLimitedError,
  15: RateLimitedError,
  25: IdempotencyConflictError,
  29: UnreadableRequestError,
  30: OutcomeUnknownError,
  31: RateLimitedError,
  32: RateLimitedError,
  33: RateLimitedError,
  34: RateLimitedError,
  43: AccessDeniedError,
  44: RequestTooLargeError,
  51: InternalServiceError,
};

export function errorFromAnswer(
  body: { 'api-error': number; 'api-error-msg': string; 'api-parameter-name'?: string },
  status?: number,
): SmsVerifyError {
  const ErrorClass = ERROR_CLASSES[body['api-error']] ?? SmsVerifyError;
  const error = new ErrorClass(body['api-error'], body['api-error-msg'], status);
  if (error instanceof InvalidParameterError) error.parameter = body['api-parameter-name'];
  return error;
}

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export type SmsVerifyClientOptions =
  | {
      transport: 'lambda';
      /** The stack's SendFunctionName output; leave out for a caller that only verifies. */
      sendFunctionName?: string;
      /** The stack's VerifyFunctionName output; leave out for a caller that only sends. */
      verifyFunctionName?: string;
      /** Default: a LambdaClient with the default region and credentials. */
      lambda?: LambdaClient;
    }
  | {
      transport: 'https';
      /** The stack's ApiUrl output, e.g. https://abc123.execute-api.eu-west-1.amazonaws.com */
      url: string;
      /** A deployment with IAM authorization (the default): requests are signed with SigV4. */
      auth?: 'sigv4';
      region: string;
      /** Default: the SDK's default credential chain. */
      credentials?: Credentials | (() => Promise<Credentials>);
    }
  | {
      transport: 'https';
      url: string;
      /** A deployment in API-key mode: a key made with `sms-verify keys create <user-id>`. */
      auth: { userId: string; apiKey: string };
    }
  | {
      transport: 'https';
      /** `npm start`'s URL, e.g. http://127.0.0.1:3000; it checks no credentials unless started in API-key mode. */
      url: string;
      auth: 'none';
    };

type Route = 'send' | 'call' | 'verify';

export class SmsVerifyClient {
  private readonly invoke: (route: Route, request: object) => Promise<unknown>;

  constructor(options: SmsVerifyClientOptions) {
    this.invoke = options.transport === 'lambda' ? viaLambda(options) : viaHttps(options);
  }

  /** Sends a code. Resolves with the answer, `sent: false` included; rejects with an {@link SmsVerifyError}. */
  async send(request: SendRequest): Promise<SendResponse> {
    return (await this.invoke('send', request)) as SendResponse;
  }

  /**
   * Has a code read aloud in a call (`/phone-verify`). Resolves with the answer, `calling: false` included; rejects with
   * an {@link SmsVerifyError}. Over Lambda it invokes the send function, which places calls too.
   */
  async call(request: CallRequest): Promise<CallResponse> {
    return (await this.invoke('call', request)) as CallResponse;
  }

  /** Checks a code. Resolves `{ verified }`; rejects with an {@link SmsVerifyError}. */
  async verify(request: VerifyRequest): Promise<VerifyResponse> {
    return (await this.invoke('verify', request)) as VerifyResponse;
  }
}

function isApiError(body: unknown): body is { 'api-error': number; 'api-error-msg': string } {
  return typeof body === 'object' && body !== null && typeof (body as Record<string, unknown>)['api-error'] === 'number';
}

function viaLambda(options: Extract<SmsVerifyClientOptions, { transport: 'lambda' }>) {
  const lambda = options.lambda ?? new LambdaClient({});
  return async (route: Route, request: object) => {
    const functionName = route === 'verify' ? options.verifyFunctionName : options.sendFunctionName;
    if (!functionName) throw new Error(`SmsVerifyClient: no ${route === 'verify' ? 'verify' : 'send'} function name was given`);
    // The send function serves both endpoints; a direct invocation names the one it means.
    const payload = route === 'call' ? { ...request, endpoint: 'phone-verify' } : request;
    const result = await lambda
      .send(new InvokeCommand({ FunctionName: functionName, Payload: new TextEncoder().encode(JSON.stringify(payload)) }))
      .catch((error: unknown) => {
        // An SDK error without an HTTP status never reached Lambda (a network failure, a wrong endpoint).
        if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== undefined) throw error;
        throw new ServiceUnreachableError(0, `Could not reach Lambda to invoke ${functionName}: ${(error as Error).message}`);
      });
    const body: unknown = result.Payload ? JSON.parse(new TextDecoder().decode(result.Payload)) : undefined;
    if (result.FunctionError) {
      throw new InternalServiceError(51, `The ${route} function failed: ${result.FunctionError}`);
    }
    if (isApiError(body)) throw errorFromAnswer(body);
    return body;
  };
}

type HttpsOptions = Extract<SmsVerifyClientOptions, { transport: 'https' }>;
type Authenticate = (url: URL, headers: Record<string, string>, body: string) => Promise<Record<string, string>>;

function viaHttps(options: HttpsOptions) {
  const base = new URL(options.url);
  const authenticate = authenticator(options);
  return async (route: Route, request: object) => {
    const { 'idempotency-key': idempotencyKey, ...parameters } = request as Record<string, unknown>;
    const path = { send: 'sms-verify', call: 'phone-verify', verify: 'verify-security-code' }[route];
    const url = new URL(path, base.href.endsWith('/') ? base : `${base.href}/`);
    const body = JSON.stringify(parameters);
    const headers: Record<string, string> = { host: url.host, 'content-type': 'application/json' };
    if (typeof idempotencyKey === 'string') headers['idempotency-key'] = idempotencyKey;
    // fetch sets Host itself (to the value signed); it refuses to be given one.
    const { host: _host, ...sent } = await authenticate(url, headers, body);
    let response: Response;
    try {
      response = await fetch(url, { method: 'POST', headers: sent, body });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new ServiceUnreachableError(0, `Could not reach ${url.origin}: ${cause?.code ?? cause?.message ?? String(error)}`);
    }
    const answer: unknown = await response.json().catch(() => undefined);
    if (isApiError(answer)) throw errorFromAnswer(answer, response.status);
    if (!response.ok) throw new SmsVerifyError(0, `HTTP ${response.status} from ${url.pathname}`, response.status);
    return answer;
  };
}

/** How each kind of deployment wants its requests: signed with SigV4, with an API key's headers, or as they are. */
function authenticator(options: HttpsOptions): Authenticate {
  if (options.auth === 'none') return async (_url, headers) => headers;
  if (typeof options.auth === 'object') {
    const { userId, apiKey } = options.auth;
    return async (_url, headers) => ({ ...headers, 'user-id': userId, 'api-key': apiKey });
  }
  const credentials =
    options.credentials ??
    (async () => (await import('@aws-sdk/credential-provider-node')).defaultProvider()());
  const signer = new SignatureV4({ service: 'execute-api', region: options.region, credentials, sha256: Hash.bind(null, 'sha256') });
  return async (url, headers, body) =>
    (
      await signer.sign({
        method: 'POST',
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path: url.pathname,
        headers,
        body,
      })
    ).headers;
}
