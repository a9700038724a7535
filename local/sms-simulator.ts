/**
 * A local stand-in for the SMS providers, speaking their real wire protocols so
 * that the production adapters and the real AWS SDK clients run unchanged
 * against it (point them here with AWS_ENDPOINT_URL_SNS, AWS_ENDPOINT_URL_PINPOINT
 * and AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2):
 *
 *  - SNS, AWS query protocol: POST / with a form body `Action=Publish&…`, XML answers.
 *  - Pinpoint, REST-JSON: POST /v1/apps/{ApplicationId}/messages, JSON answers.
 *  - End User Messaging SMS, AWS JSON 1.0: POST / with
 *    `X-Amz-Target: PinpointSMSVoiceV2.SendTextMessage`, JSON answers.
 *
 * Each request is first checked against what the real API refuses in the
 * fields this project sends (provider-rules.ts), and a violation gets the
 * provider's own validation error, whatever the route's fault switch says.
 *
 * Every accepted message lands in an outbox. Each route's behaviour can be
 * switched to fail the way the real provider fails:
 *   ok        accept the message
 *   throttle  the provider's throttling error (SNS Throttled 429, Pinpoint TooManyRequestsException 429,
 *             End User Messaging ThrottlingException)
 *   error     a 5xx without taking the message (SNS InternalError, Pinpoint InternalServerErrorException,
 *             End User Messaging InternalServerException)
 *   error-after-accept  the same 5xx after taking the message (it reaches the outbox): none of the APIs says
 *             which of the two a 5xx was, so the service must treat both alike
 *   reject    a permanent failure for this message (SNS InvalidParameter, Pinpoint PERMANENT_FAILURE,
 *             End User Messaging ValidationException)
 *   timeout   the provider takes the message (it reaches the outbox) but never answers
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROUTE_NAMES, type RouteName } from '../functions/settings';
import { pinpointSendMessagesViolation, sendTextMessageViolations, snsPublishViolation } from './provider-rules';

export const FAULT_MODES = ['ok', 'throttle', 'error', 'error-after-accept', 'reject', 'timeout'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];
export type Faults = Record<RouteName, FaultMode>;

export interface OutboxMessage {
  to: string;
  body: string;
  route: RouteName;
  at: string;
}

/** A request as it reached the simulated provider, decoded, for tests that assert the exact call. */
export interface ProviderRequest {
  route: RouteName;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** SNS: the form parameters; Pinpoint: the parsed JSON body. */
  payload: unknown;
}

export interface SmsSimulatorOptions {
  port?: number;
  host?: string;
  /**
   * Secrets to answer Secrets Manager's GetSecretValue with (AWS JSON 1.1), by id,
   * so a benchmark can measure the functions' real first read of their key.
   */
  secrets?: Record<string, string>;
  /** Called for each accepted message, e.g. to print it on the console. */
  onMessage?: (message: OutboxMessage) => void;
}

const MAX_REQUEST_BYTES = 256 * 1024;
const SNS_NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';

export class SmsSimulator {
  private readonly messages: OutboxMessage[] = [];
  private readonly received: ProviderRequest[] = [];
  private currentFaults: Faults = Object.fromEntries(ROUTE_NAMES.map((route) => [route, 'ok'])) as Faults;

  private constructor(
    private readonly server: Server,
    private readonly onMessage: ((message: OutboxMessage) => void) | undefined,
    private readonly secrets: Record<string, string>,
  ) {}

  static async start(options: SmsSimulatorOptions = {}): Promise<SmsSimulator> {
    const server = createServer();
    const simulator = new SmsSimulator(server, options.onMessage, options.secrets ?? {});
    server.on('request', (request, response) => {
      simulator.handle(request, response).catch((error: unknown) => {
        respond(response, 500, 'text/plain', `simulator failure: ${String(error)}`);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
    });
    return simulator;
  }

  get url(): string {
    const { address, port } = this.server.address() as AddressInfo;
    return `http://${address}:${port}`;
  }

  /** Accepted messages, oldest first. */
  outbox(): OutboxMessage[] {
    return this.messages.map((message) => ({ ...message }));
  }

  clearOutbox(): void {
    this.messages.length = 0;
  }

  /** Every request that reached a provider, accepted or not, oldest first. */
  requests(route?: RouteName): ProviderRequest[] {
    return this.received.filter((request) => route === undefined || request.route === route);
  }

  clearRequests(): void {
    this.received.length = 0;
  }

  faults(): Faults {
    return { ...this.currentFaults };
  }

  /** Sets the behaviour of the routes named; the others keep theirs. Throws on an unknown route or mode. */
  setFaults(changes: Record<string, unknown>): Faults {
    const next = { ...this.currentFaults };
    for (const [route, mode] of Object.entries(changes)) {
      if (!(ROUTE_NAMES as readonly string[]).includes(route)) {
        throw new RangeError(`unknown route "${route}"; routes are ${ROUTE_NAMES.join(', ')}`);
      }
      if (!(FAULT_MODES as readonly unknown[]).includes(mode)) {
        throw new RangeError(`unknown fault "${String(mode)}" for ${route}; faults are ${FAULT_MODES.join(', ')}`);
      }
      next[route as RouteName] = mode as FaultMode;
    }
    this.currentFaults = next;
    return this.faults();
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const path = new URL(request.url ?? '/', 'http://simulator').pathname;
    const pinpoint = /^\/v1\/apps\/([^/]+)\/messages$/.exec(path);
    if (request.method === 'POST' && pinpoint) return this.pinpointSendMessages(request, response, path, body);
    const target = request.headers['x-amz-target'];
    if (request.method === 'POST' && path === '/' && target === 'secretsmanager.GetSecretValue') {
      return this.getSecretValue(response, body);
    }
    if (request.method === 'POST' && path === '/' && typeof target === 'string') {
      return this.smsVoiceV2(request, response, target, body);
    }
    if (request.method === 'POST' && path === '/') return this.snsQuery(request, response, body);
    respond(response, 404, 'application/json', JSON.stringify({ message: `No simulated API at ${request.method} ${path}` }));
  }

  private snsQuery(request: IncomingMessage, response: ServerResponse, body: string): void {
    const form = new URLSearchParams(body);
    const parameters = Object.fromEntries(form);
    const action = form.get('Action');
    if (action !== 'Publish') {
      return snsError(response, 400, 'InvalidAction', `The action ${action ?? '(none)'} is not simulated`);
    }
    this.received.push({ route: 'sns', path: '/', headers: request.headers, payload: parameters });
    const violation = snsPublishViolation(parameters);
    if (violation) return snsError(response, 400, 'InvalidParameter', `Invalid parameter: ${violation.field} Reason: ${violation.message}`);
    const to = form.get('PhoneNumber') ?? '';
    const message = form.get('Message') ?? '';
    switch (this.currentFaults.sns) {
      case 'throttle':
        return snsError(response, 429, 'Throttled', 'Rate exceeded');
      case 'error-after-accept':
        this.accept({ to, body: message, route: 'sns' });
        return snsError(response, 500, 'InternalError', 'Internal failure (simulated)', 'Receiver');
      case 'error':
        return snsError(response, 500, 'InternalError', 'Internal failure (simulated)', 'Receiver');
      case 'reject':
        return snsError(response, 400, 'InvalidParameter', `Invalid parameter: PhoneNumber Reason: ${to} is not valid to publish to`);
      case 'timeout':
        return this.acceptWithoutAnswer({ to, body: message, route: 'sns' });
      case 'ok': {
        const messageId = randomUUID();
        this.accept({ to, body: message, route: 'sns' });
        return respond(
          response,
          200,
          'text/xml',
          `<PublishResponse xmlns="${SNS_NAMESPACE}"><PublishResult><MessageId>${messageId}</MessageId></PublishResult>` +
            `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
        );
      }
    }
  }

  private pinpointSendMessages(request: IncomingMessage, response: ServerResponse, path: string, body: string): void {
    let payload: PinpointMessageRequest;
    try {
      payload = JSON.parse(body) as PinpointMessageRequest;
    } catch {
      return pinpointError(response, 400, 'BadRequestException', 'Request body is not JSON');
    }
    this.received.push({ route: 'pinpoint', path, headers: request.headers, payload });
    const applicationId = decodeURIComponent(path.split('/')[3] ?? '');
    const violation = pinpointSendMessagesViolation(payload);
    if (violation) return pinpointError(response, 400, 'BadRequestException', violation.message);
    const text = String(payload.MessageConfiguration!.SMSMessage!.Body); // the rules made sure there is one
    const addresses = Object.entries(payload.Addresses ?? {});
    switch (this.currentFaults.pinpoint) {
      case 'throttle':
        return pinpointError(response, 429, 'TooManyRequestsException', 'Too many requests');
      case 'error-after-accept':
        for (const [to] of addresses) this.accept({ to, body: text, route: 'pinpoint' });
        return pinpointError(response, 500, 'InternalServerErrorException', 'Internal server error (simulated)');
      case 'error':
        return pinpointError(response, 500, 'InternalServerErrorException', 'Internal server error (simulated)');
      case 'timeout':
        for (const [to] of addresses) this.acceptWithoutAnswer({ to, body: text, route: 'pinpoint' });
        return;
      case 'ok':
      case 'reject': {
        const accepted = this.currentFaults.pinpoint === 'ok';
        const result: Record<string, unknown> = {};
        for (const [to, address] of addresses) {
          const messageId = randomUUID();
          if (accepted && address.ChannelType === 'SMS') this.accept({ to, body: text, route: 'pinpoint' });
          result[to] = accepted
            ? { DeliveryStatus: 'SUCCESSFUL', StatusCode: 200, MessageId: messageId, StatusMessage: `MessageId: ${messageId}` }
            : { DeliveryStatus: 'PERMANENT_FAILURE', StatusCode: 400, StatusMessage: 'Destination is unreachable (simulated)' };
        }
        return respond(
          response,
          200,
          'application/json',
          JSON.stringify({ ApplicationId: applicationId, RequestId: randomUUID(), Result: result }),
        );
      }
    }
  }

  private smsVoiceV2(request: IncomingMessage, response: ServerResponse, target: string, body: string): void {
    if (target !== 'PinpointSMSVoiceV2.SendTextMessage') {
      return json10Error(response, 400, 'UnknownOperationException', `The operation ${target} is not simulated`);
    }
    let payload: { DestinationPhoneNumber?: string; MessageBody?: string };
    try {
      payload = JSON.parse(body) as typeof payload;
    } catch {
      return json10Error(response, 400, 'SerializationException', 'Request body is not JSON');
    }
    this.received.push({ route: 'sms-voice-v2', path: '/', headers: request.headers, payload });
    const violations = sendTextMessageViolations(payload as Record<string, unknown>);
    if (violations.length > 0) {
      // Smithy's validation wording, with the fields End User Messaging lists in its ValidationException.
      const summary = violations.map((v) => `Value at '${v.field}' failed to satisfy constraint: ${v.message}`).join('; ');
      return json10Error(response, 400, 'ValidationException', `${violations.length} validation error(s) detected: ${summary}`, {
        Reason: 'FIELD_VALIDATION_FAILED',
        Fields: violations.map((v) => ({ Name: v.field, Message: v.message })),
      });
    }
    const to = payload.DestinationPhoneNumber ?? '';
    const text = payload.MessageBody ?? '';
    switch (this.currentFaults['sms-voice-v2']) {
      case 'throttle':
        return json10Error(response, 400, 'ThrottlingException', 'Rate exceeded');
      case 'error-after-accept':
        this.accept({ to, body: text, route: 'sms-voice-v2' });
        return json10Error(response, 500, 'InternalServerException', 'Internal failure (simulated)');
      case 'error':
        return json10Error(response, 500, 'InternalServerException', 'Internal failure (simulated)');
      case 'reject':
        return json10Error(response, 400, 'ValidationException', 'Destination is not reachable (simulated)', {
          Reason: 'DESTINATION_COUNTRY_BLOCKED',
        });
      case 'timeout':
        return this.acceptWithoutAnswer({ to, body: text, route: 'sms-voice-v2' });
      case 'ok': {
        this.accept({ to, body: text, route: 'sms-voice-v2' });
        return respond(response, 200, 'application/x-amz-json-1.0', JSON.stringify({ MessageId: randomUUID() }));
      }
    }
  }

  private getSecretValue(response: ServerResponse, body: string): void {
    const { SecretId: id } = JSON.parse(body) as { SecretId?: string };
    const secret = id === undefined ? undefined : this.secrets[id];
    if (secret === undefined) {
      return json10Error(response, 400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    }
    respond(response, 200, 'application/x-amz-json-1.1', JSON.stringify({ ARN: id, Name: id, SecretString: secret, VersionId: randomUUID() }));
  }

  /** The provider took the message but its answer never arrives; the caller's timeout ends the wait. */
  private acceptWithoutAnswer(message: Omit<OutboxMessage, 'at'>): void {
    this.accept(message);
  }

  private accept(message: Omit<OutboxMessage, 'at'>): void {
    const entry = { ...message, at: new Date().toISOString() };
    this.messages.push(entry);
    this.onMessage?.(entry);
  }
}

interface PinpointMessageRequest {
  Addresses?: Record<string, { ChannelType?: string }>;
  MessageConfiguration?: { SMSMessage?: { Body?: string; MessageType?: string } & Record<string, unknown> };
}

function snsError(response: ServerResponse, status: number, code: string, message: string, type = 'Sender'): void {
  respond(
    response,
    status,
    'text/xml',
    `<ErrorResponse xmlns="${SNS_NAMESPACE}"><Error><Type>${type}</Type><Code>${code}</Code>` +
      `<Message>${escapeXml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  );
}

function json10Error(
  response: ServerResponse,
  status: number,
  type: string,
  message: string,
  extra: Record<string, unknown> = {},
): void {
  response.setHeader('x-amzn-ErrorType', type);
  respond(response, status, 'application/x-amz-json-1.0', JSON.stringify({ __type: type, message, ...extra }));
}

function pinpointError(response: ServerResponse, status: number, type: string, message: string): void {
  response.setHeader('x-amzn-ErrorType', type);
  respond(response, status, 'application/json', JSON.stringify({ Message: message, RequestID: randomUUID() }));
}

function respond(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'content-type': contentType, 'x-amzn-requestid': randomUUID() });
  response.end(body);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
