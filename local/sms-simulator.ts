/**
 * A local stand-in for the SMS providers, EventBridge and the account behind
 * them, speaking their real wire protocols so that the production adapters and
 * the real AWS SDK clients run unchanged against it (point them here with
 * AWS_ENDPOINT_URL_SNS, AWS_ENDPOINT_URL_PINPOINT,
 * AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2 and AWS_ENDPOINT_URL_EVENTBRIDGE:
 * endpoints()). Each API has its own file under local/simulator/, which states
 * the API's rules and cites the model:
 *
 *  - sns.ts: SNS, query protocol (`Publish`, and the SMS account reads);
 *  - pinpoint.ts: Pinpoint, REST-JSON (`SendMessages`);
 *  - sms-voice-v2.ts: End User Messaging SMS, JSON 1.0 (`SendTextMessage`, and the account reads);
 *  - message-feedback.ts: End User Messaging's `PutMessageFeedback`, kept on the message's outbox entry;
 *  - events.ts: the events End User Messaging publishes to a configuration set's event destination (smsEvents());
 *  - voice-message.ts: End User Messaging's calls (`SendVoiceMessage`), with ssml.ts for the SSML Polly reads;
 *  - notify.ts: End User Messaging Notify (`SendNotifyTextMessage`, `SendNotifyVoiceMessage`, its configuration,
 *    templates and countries);
 *  - eventbridge.ts: EventBridge, JSON 1.1 (`PutEvents`), keeping what the account's event buses take (busEvents());
 *  - account.ts: the simulated account all of them answer from (sandbox, spend limit, identities, Notify,
 *    configuration sets, event buses).
 *
 * A request that breaks the real API's rules gets the provider's own validation error, whatever the route's fault
 * switch says. A message that reaches the person lands in the outbox (`channel` sms or voice; a call with what the
 * person hears); one the API takes but the account would never deliver (the sandbox, a missing US identity) is kept
 * apart, with the reason. Each entry keeps the message id the API answered (or would have answered, when it never
 * did), and, from End User Messaging, the request's feedback flag, configuration set and Context. Each route, of either channel, can be switched to fail the way the real provider fails:
 *   ok        accept the message
 *   throttle  the provider's throttling error
 *   error     a 5xx without taking the message
 *   error-after-accept  the same 5xx after taking the message (it reaches the outbox): none of the APIs says
 *             which of the two a 5xx was, so the service must treat both alike
 *   reject    a permanent failure for this message (a validation error, or Pinpoint's PERMANENT_FAILURE)
 *   timeout   the provider takes the message (it reaches the outbox) but never answers
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROUTE_NAMES, VOICE_ROUTE_NAMES } from '../functions/settings';
import { changeAccount, localAccount, type SimulatedAccount } from './simulator/account';
import { createNotify } from './simulator/notify';
import { handlePinpoint } from './simulator/pinpoint';
import { createEventBridge, type BusEvent } from './simulator/eventbridge';
import { deliveryEvents, failureEvents, type SmsEvent } from './simulator/events';
import { handlePutMessageFeedback } from './simulator/message-feedback';
import { json10Error, json11Error, readBody, respond } from './simulator/protocol';
import {
  END_USER_MESSAGING_ROUTES,
  FAULT_MODES,
  type DroppedMessage,
  type FaultMode,
  type OutboxMessage,
  type Provider,
  type ProviderRequest,
  type SimulatedRoute,
} from './simulator/provider';
import { ACCOUNT_READS, handleSendTextMessage, SimulatedError } from './simulator/sms-voice-v2';
import { handleSns } from './simulator/sns';
import { handleSendVoiceMessage } from './simulator/voice-message';

export { type SmsEvent, type TextEvent, type VoiceEvent } from './simulator/events';
export { type BusEvent } from './simulator/eventbridge';
export { FAULT_MODES, type DroppedMessage, type FaultMode, type FeedbackStatus, type OutboxMessage, type ProviderRequest, type SimulatedRoute } from './simulator/provider';
/** The routes a fault switch is kept for: the SMS routes, then the voice routes. */
export const SIMULATED_ROUTES: readonly SimulatedRoute[] = [...ROUTE_NAMES, ...VOICE_ROUTE_NAMES];
export type Faults = Record<SimulatedRoute, FaultMode>;

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
  /** Called for each event End User Messaging publishes to a configuration set's event destination (smsEvents()). */
  onEvent?: (event: SmsEvent) => void;
  /** Called for each event one of the account's EventBridge buses takes (busEvents()). */
  onBusEvent?: (event: BusEvent) => void;
  /** The account to start from; npm start's own (every route delivers) when absent. */
  account?: SimulatedAccount;
}

export class SmsSimulator {
  private readonly messages: OutboxMessage[] = [];
  private readonly droppedMessages: DroppedMessage[] = [];
  private readonly events: SmsEvent[] = [];
  private readonly received: ProviderRequest[] = [];
  private currentFaults: Faults = Object.fromEntries(SIMULATED_ROUTES.map((route) => [route, 'ok'])) as Faults;
  private currentAccount: SimulatedAccount;
  private readonly provider: Provider;
  private readonly notify: ReturnType<typeof createNotify>;
  private readonly eventBridge: ReturnType<typeof createEventBridge>;

  private constructor(
    private readonly server: Server,
    private readonly onMessage: ((message: OutboxMessage) => void) | undefined,
    private readonly onEvent: ((event: SmsEvent) => void) | undefined,
    onBusEvent: ((event: BusEvent) => void) | undefined,
    private readonly secrets: Record<string, string>,
    account: SimulatedAccount,
  ) {
    this.currentAccount = account;
    const simulator = this;
    this.provider = {
      get account() {
        return simulator.currentAccount;
      },
      fault: (route) => this.currentFaults[route],
      accept: (message, sending) => {
        const entry = { ...message, at: new Date().toISOString() };
        this.messages.push(entry);
        this.onMessage?.(entry);
        if (sending) this.publish(deliveryEvents(entry, sending));
      },
      drop: (message, reason, sending) => {
        const entry = { ...message, at: new Date().toISOString(), reason };
        this.droppedMessages.push(entry);
        if (sending) this.publish(failureEvents(entry, sending));
      },
      putFeedback: (messageId, status) => {
        const entry = [...this.messages, ...this.droppedMessages].find(
          (message) => message.messageId === messageId && END_USER_MESSAGING_ROUTES.includes(message.route),
        );
        if (!entry) return false;
        entry.feedback = status;
        entry.feedbackAt = new Date().toISOString();
        return true;
      },
      record: (request) => this.received.push(request),
      denied: (action) => this.currentAccount.deniedActions.includes(action),
      now: () => Date.now(),
    };
    this.notify = createNotify(this.provider);
    this.eventBridge = createEventBridge(this.provider, onBusEvent);
  }

  static async start(options: SmsSimulatorOptions = {}): Promise<SmsSimulator> {
    const server = createServer();
    const simulator = new SmsSimulator(server, options.onMessage, options.onEvent, options.onBusEvent, options.secrets ?? {}, options.account ?? localAccount());
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

  /**
   * The variables that point the AWS SDK's clients of every simulated API here (the SDK reads AWS_ENDPOINT_URL_<service>):
   * `Object.assign(process.env, simulator.endpoints())`.
   */
  endpoints(): Record<string, string> {
    // The SDK names the variable after the client's serviceId, upper-cased, spaces to `_` (EventBridge → EVENTBRIDGE).
    return {
      AWS_ENDPOINT_URL_SNS: this.url,
      AWS_ENDPOINT_URL_PINPOINT: this.url,
      AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2: this.url,
      AWS_ENDPOINT_URL_EVENTBRIDGE: this.url,
    };
  }

  get url(): string {
    const { address, port } = this.server.address() as AddressInfo;
    return `http://${address}:${port}`;
  }

  /** Texts and calls that reached the person, oldest first. */
  outbox(): OutboxMessage[] {
    return this.messages.map((message) => structuredClone(message));
  }

  /** Messages an API took and the account would never deliver, with why, oldest first. */
  dropped(): DroppedMessage[] {
    return this.droppedMessages.map((message) => structuredClone(message));
  }

  /** The events End User Messaging published to its configuration sets' event destinations, oldest first. */
  smsEvents(): SmsEvent[] {
    return this.events.map((event) => structuredClone(event));
  }

  /** Forgets the outbox, the dropped messages and their events. */
  clearOutbox(): void {
    this.messages.length = 0;
    this.droppedMessages.length = 0;
    this.events.length = 0;
  }

  /** The events the account's EventBridge buses took (PutEvents), oldest first. */
  busEvents(): BusEvent[] {
    return this.eventBridge.events();
  }

  clearBusEvents(): void {
    this.eventBridge.clear();
  }

  /**
   * Makes the next `count` PutEvents calls that the API would take answer InternalException, taking nothing (0 to
   * stop); a request the API refuses anyway does not use one up. Throws on a count that is not a whole number.
   */
  failPutEvents(count: number): void {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`failPutEvents takes a whole number of calls, not ${count}`);
    this.eventBridge.failNext(count);
  }

  /** Every request that reached a provider (PutEvents and the account reads under `account`), accepted or not, oldest first. */
  requests(route?: SimulatedRoute | 'account'): ProviderRequest[] {
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
      if (!(SIMULATED_ROUTES as readonly string[]).includes(route)) {
        throw new RangeError(`unknown route "${route}"; routes are ${SIMULATED_ROUTES.join(', ')}`);
      }
      if (!(FAULT_MODES as readonly unknown[]).includes(mode)) {
        throw new RangeError(`unknown fault "${String(mode)}" for ${route}; faults are ${FAULT_MODES.join(', ')}`);
      }
      next[route as SimulatedRoute] = mode as FaultMode;
    }
    this.currentFaults = next;
    return this.faults();
  }

  account(): SimulatedAccount {
    return structuredClone(this.currentAccount);
  }

  /** Changes the simulated account (see account.ts); throws naming a field it cannot take. */
  setAccount(changes: Record<string, unknown>): SimulatedAccount {
    this.currentAccount = changeAccount(this.currentAccount, changes);
    return this.account();
  }

  /** Puts the account back as it started (npm start's own, where every route delivers, unless given another). */
  resetAccount(account: SimulatedAccount = localAccount()): SimulatedAccount {
    this.currentAccount = structuredClone(account);
    return this.account();
  }

  /** Notify texts and calls today, as the configuration's daily quota counts them. */
  notifyUsedToday(): number {
    return this.notify.usage.usedToday;
  }

  private publish(events: readonly SmsEvent[]): void {
    for (const event of events) {
      this.events.push(event);
      this.onEvent?.(structuredClone(event));
    }
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const path = new URL(request.url ?? '/', 'http://simulator').pathname;
    if (request.method === 'POST' && /^\/v1\/apps\/([^/]+)\/messages$/.test(path)) return handlePinpoint(this.provider, request, response, path, body);
    const target = request.headers['x-amz-target'];
    if (request.method === 'POST' && path === '/' && target === 'secretsmanager.GetSecretValue') return this.getSecretValue(response, body);
    if (request.method === 'POST' && path === '/' && typeof target === 'string' && target.startsWith('AWSEvents.')) return this.eventBridgeOperation(request, response, target, body);
    if (request.method === 'POST' && path === '/' && typeof target === 'string') return this.smsVoiceV2(request, response, target, body);
    if (request.method === 'POST' && path === '/') return handleSns(this.provider, request, response, body);
    respond(response, 404, 'application/json', JSON.stringify({ message: `No simulated API at ${request.method} ${path}` }));
  }

  /** End User Messaging's JSON 1.0 operations, by `X-Amz-Target`. */
  private smsVoiceV2(request: IncomingMessage, response: ServerResponse, target: string, body: string): void {
    const operation = target.startsWith('PinpointSMSVoiceV2.') ? target.slice('PinpointSMSVoiceV2.'.length) : '';
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(body || '{}') as Record<string, unknown>;
    } catch {
      return json10Error(response, 400, 'SerializationException', 'Request body is not JSON');
    }
    switch (operation) {
      case 'SendTextMessage':
        return handleSendTextMessage(this.provider, request, response, payload);
      case 'SendVoiceMessage':
        return handleSendVoiceMessage(this.provider, request, response, payload);
      case 'SendNotifyTextMessage':
        return this.notify.sendText(request, response, payload);
      case 'SendNotifyVoiceMessage':
        return this.notify.sendVoice(request, response, payload);
      case 'PutMessageFeedback':
        return handlePutMessageFeedback(this.provider, request, response, payload);
      case 'DescribeNotifyConfigurations':
      case 'DescribeNotifyTemplates':
      case 'ListNotifyCountries':
        return this.notify.read(operation, request, response, payload);
    }
    const read = ACCOUNT_READS[operation];
    if (!read) return json10Error(response, 400, 'UnknownOperationException', `The operation ${target} is not simulated`);
    this.provider.record({ route: 'account', path: '/', headers: request.headers, payload: { operation, ...payload } });
    if (this.provider.denied(`sms-voice:${operation}`)) {
      return json10Error(response, 400, 'AccessDeniedException', `User is not authorized to perform: sms-voice:${operation}`);
    }
    const answer = read(this.provider, payload);
    if (answer instanceof SimulatedError) return json10Error(response, 400, answer.type, answer.message);
    respond(response, 200, 'application/x-amz-json-1.0', JSON.stringify(answer));
  }

  /** EventBridge's JSON 1.1 operations, by `X-Amz-Target`. */
  private eventBridgeOperation(request: IncomingMessage, response: ServerResponse, target: string, body: string): void {
    let payload: unknown;
    try {
      payload = JSON.parse(body || '{}');
    } catch {
      return json11Error(response, 400, 'SerializationException', 'Request body is not JSON');
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      return json11Error(response, 400, 'SerializationException', 'Request body is not a JSON object');
    }
    if (target === 'AWSEvents.PutEvents') return this.eventBridge.putEvents(request, response, payload as Record<string, unknown>);
    json11Error(response, 400, 'UnknownOperationException', `The operation ${target} is not simulated`);
  }

  private getSecretValue(response: ServerResponse, body: string): void {
    const { SecretId: id } = JSON.parse(body) as { SecretId?: string };
    const secret = id === undefined ? undefined : this.secrets[id];
    if (secret === undefined) {
      return json10Error(response, 400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    }
    respond(response, 200, 'application/x-amz-json-1.1', JSON.stringify({ ARN: id, Name: id, SecretString: secret, VersionId: randomUUID() }));
  }
}
