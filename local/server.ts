/**
 * The local runtime behind `npm start`: the deployed send and verify handlers
 * behind an HTTP server that speaks like API Gateway, on DynamoDB Local and the
 * SMS simulator. Nothing here reimplements the service; it only wires the real
 * entry modules (functions/send.ts, functions/verify.ts) to local parts.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { FUNCTION_TIMEOUT_SECONDS } from '../functions/adapters/client-options';
import type { ApiHandler } from '../functions/entry/api-handler';
import { maskNumber } from '../functions/core/phone-number';
import { lambdaContext, toApiGatewayEvent, writeLambdaResult } from './api-gateway-event';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbApiKeyStore } from '../functions/adapters/dynamodb-api-keys';
import { apiKeyDigest, generateApiKey, parseUserId, type ApiKeyStore } from '../functions/core/api-keys';
import { createAuthorizerHandler, type AuthorizerHandler } from '../functions/entry/authorize-handler';
import type { LocalConfig } from '../tools/deployment';
import { DynamoDbContentionProxy } from './dynamodb-contention';
import { OutcomesRunner } from './outcomes-runner';
import { DynamoDbLocal, ensureTable, LocalSetupError, LOCAL_AWS_CONFIG } from './dynamodb-local';
import { SmsSimulator, type OutboxMessage } from './sms-simulator';
import { LOCAL_CONFIGURATION_SET, LOCAL_NOTIFY_CONFIGURATION_ID } from './simulator/account';
import { readSettingsFromEnvironment, settingsToEnvironment } from '../functions/settings';

export const LOCAL_TABLE_NAME = 'sms-verify-local';
/** The simulated account's event bus that npm start publishes the service's events to. */
export const LOCAL_EVENT_BUS = 'sms-verify-local';
/** A placeholder Pinpoint project id, so the local service runs both routes by default. */
export const LOCAL_PINPOINT_APPLICATION_ID = '10ca1000000000000000000000000000';
/** API Gateway's own request size limit; the handlers enforce the API's much smaller one. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
const CONSOLE_DIRECTORY = path.join(__dirname, 'console');

export interface LocalServiceOptions {
  /** Port for the API and console; 0 picks a free one. Default: PORT or 3000. */
  port?: number;
  host?: string;
  /** Keep DynamoDB data and the code key in this folder instead of in memory. */
  persistDir?: string;
  /** Where the banner and the SMS lines go. */
  print?: (line: string) => void;
  /** Sees each event handed to a handler and what it answered (tests use it to replay events directly). */
  onInvoke?: (routeKey: string, event: unknown, result: unknown) => void;
}

export interface LocalService {
  url: string;
  simulator: SmsSimulator;
  /** The DynamoDB the handlers talk to (DynamoDB Local, an existing endpoint, or the contention stand-in before either). */
  tableEndpoint: string;
  /** The contention stand-in, when SMS_VERIFY_CONTENTION_MS turned it on. */
  contention?: DynamoDbContentionProxy;
  tableName: string;
  handlers: { send: ApiHandler; verify: ApiHandler };
  /** The outcomes function over the table's stream and the simulator's delivery receipts. */
  outcomes: OutcomesRunner;
  stop(): Promise<void>;
}

type Route = { functionName: string; handler: ApiHandler };
/**
 * The API's paths and their functions, as the stack routes them (POST, then ANY for the other methods), and
 * `$default`; in API-key mode, the authorizer in front of them.
 */
type Routes = {
  paths: Record<string, Route>;
  default: Route;
  authorizer?: AuthorizerHandler;
  /** What GET /local/config answers: where this server's parts are, for `sms-verify --local` and the console. */
  config: LocalConfig;
  /** API-key mode: the key store, for POST /local/keys. */
  keys?: ApiKeyStore;
};

/** SMS_VERIFY_AUTH: `api-key` checks User-ID and API-Key as the deployed authorizer does; unset, any or no credentials pass. */
function localAuthMode(): 'none' | 'api-key' {
  const value = process.env.SMS_VERIFY_AUTH ?? '';
  if (value === '' || value === 'none') return 'none';
  if (value === 'api-key') return 'api-key';
  throw new LocalSetupError(`SMS_VERIFY_AUTH must be api-key (or unset, for no credentials), not "${value}"`);
}

export async function startLocalService(options: LocalServiceOptions = {}): Promise<LocalService> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const print = options.print ?? ((line: string) => console.log(line));
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? Number(process.env.PORT ?? 3000);

  // Bind first: a busy port should fail in a moment, before Java starts.
  let routes: Routes | undefined;
  let simulator: SmsSimulator | undefined;
  const server = createServer((request, response) => {
    handleRequest(request, response, routes, simulator, options.onInvoke).catch((error: unknown) => {
      print(`local server: ${String(error)}`);
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ message: 'Internal Server Error' }));
    });
  });
  await listen(server, port, host);

  let table: LocalTable | undefined;
  let outcomes: OutcomesRunner | undefined;
  const authMode = localAuthMode();
  try {
    table = await startTable(options.persistDir);
    simulator = await SmsSimulator.start({
      onMessage: (message) => print(describeSms(message)),
      // As the configuration set's event destination publishes to the receipts topic, and the topic invokes the function.
      onEvent: (event) => outcomes?.receipt(event),
    });
    const tableName = process.env.TABLE_NAME ?? LOCAL_TABLE_NAME;
    const client = new DynamoDBClient({ ...localCredentials(table), endpoint: table.endpoint });
    await ensureTable(client, tableName);
    client.destroy();

    configureEnvironment({ table, simulator, persistDir: options.persistDir });
    // The deployed entry modules, loaded only now that the environment points them at the local parts.
    const [{ handler: send }, { handler: verify }, { handler: outcomesHandler }] = await Promise.all([
      import('../functions/send'),
      import('../functions/verify'),
      import('../functions/outcomes'),
    ]);
    outcomes = await OutcomesRunner.start({
      // The stream is DynamoDB's own API, which the contention stand-in does not speak: read it where the table is.
      endpoint: table.existing ?? table.dynamodbLocal!.endpoint,
      region: localCredentials(table).region,
      credentials: localCredentials(table).credentials ?? LOCAL_AWS_CONFIG.credentials,
      tableName,
      handler: outcomesHandler,
      pollMs: 100,
      print,
    });
    const verifyRoute = { functionName: 'sms-verify-verify', handler: verify };
    // Locally a new or revoked key takes effect at once: nothing is remembered.
    const keys = authMode === 'api-key' ? new DynamoDbApiKeyStore(new DynamoDBClient({ ...localCredentials(table), endpoint: table.endpoint }), tableName) : undefined;
    routes = {
      paths: {
        '/sms-verify': { functionName: 'sms-verify-send', handler: send },
        // The deployed stack sends both to the send function, as here.
        '/phone-verify': { functionName: 'sms-verify-send', handler: send },
        '/verify-security-code': verifyRoute,
      },
      default: verifyRoute,
      // The deployed authorizer's own handler, on the local table.
      authorizer: keys && createAuthorizerHandler(keys, { info: () => undefined, warn: () => undefined, error: () => undefined }),
      config: {
        auth: authMode,
        table: { endpoint: table.endpoint, name: tableName },
        simulator: { url: simulator.url },
        environment: settingsToEnvironment(readSettingsFromEnvironment(process.env)),
      },
      keys,
    };

    const url = `http://${host}:${(server.address() as AddressInfo).port}`;
    const ready = { table, simulator };
    print(banner(url, ready.table, ready.simulator, options.persistDir, authMode));
    return {
      url,
      simulator,
      tableEndpoint: table.endpoint,
      contention: table.contention,
      tableName: process.env.TABLE_NAME!,
      handlers: { send, verify },
      outcomes,
      async stop() {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await outcomes?.stop();
        await ready.simulator.stop();
        await ready.table.stop();
      },
    };
  } catch (error) {
    server.close();
    await outcomes?.stop();
    await simulator?.stop();
    await table?.stop();
    throw error;
  }
}

/** Where the handlers keep their data: DynamoDB Local, or a DynamoDB the environment names; optionally behind the contention stand-in. */
interface LocalTable {
  endpoint: string;
  /** Set when the environment named an existing DynamoDB (AWS_ENDPOINT_URL_DYNAMODB). */
  existing?: string;
  dynamodbLocal?: DynamoDbLocal;
  contention?: DynamoDbContentionProxy;
  stop(): Promise<void>;
}

async function startTable(persistDir: string | undefined): Promise<LocalTable> {
  const existing = process.env.AWS_ENDPOINT_URL_DYNAMODB || undefined;
  const holdMs = contentionHoldMs();
  const dynamodbLocal = existing
    ? undefined
    : await DynamoDbLocal.start({
        persistPath: persistDir && path.join(persistDir, 'dynamodb'),
        port: process.env.DYNAMODB_LOCAL_PORT ? Number(process.env.DYNAMODB_LOCAL_PORT) : undefined,
      });
  const target = existing ?? dynamodbLocal!.endpoint;
  let contention: DynamoDbContentionProxy | undefined;
  try {
    if (holdMs !== undefined) contention = await DynamoDbContentionProxy.start({ target, holdMs });
  } catch (error) {
    await dynamodbLocal?.stop();
    throw error;
  }
  return {
    endpoint: contention?.endpoint ?? target,
    existing,
    dynamodbLocal,
    contention,
    async stop() {
      await contention?.stop();
      await dynamodbLocal?.stop();
    },
  };
}

/** SMS_VERIFY_CONTENTION_MS: how long the stand-in holds a transaction's items; unset leaves it out. */
function contentionHoldMs(): number | undefined {
  const value = process.env.SMS_VERIFY_CONTENTION_MS;
  if (value === undefined || value === '') return undefined;
  const holdMs = Number(value);
  if (!Number.isInteger(holdMs) || holdMs < 0 || holdMs > 10_000) {
    throw new LocalSetupError(`SMS_VERIFY_CONTENTION_MS must be a whole number of milliseconds from 0 to 10000, not "${value}"`);
  }
  return holdMs;
}

/** DynamoDB Local checks no credentials; an existing DynamoDB keeps the environment's own, if it has any. */
function localCredentials(table: LocalTable): { region: string; credentials?: { accessKeyId: string; secretAccessKey: string } } {
  if (table.existing && process.env.AWS_ACCESS_KEY_ID) return { region: process.env.AWS_REGION ?? LOCAL_AWS_CONFIG.region };
  return LOCAL_AWS_CONFIG;
}

/** Where npm start places calls: low-cost destinations far from the ranges toll fraud pumps. */
export const LOCAL_VOICE_COUNTRIES = ['GB', 'US', 'CA', 'IE', 'DE', 'FR'] as const;
/** The simulated account's toll-free number, which is voice-capable (local/simulator/account.ts). */
const LOCAL_VOICE_NUMBER = '+18005550100';

/** Points the handlers at the local parts; anything already set in the environment wins. */
function configureEnvironment({
  table,
  simulator,
  persistDir,
}: {
  table: LocalTable;
  simulator: SmsSimulator;
  persistDir: string | undefined;
}): void {
  const env = process.env;
  const { region, credentials } = localCredentials(table);
  env.AWS_REGION = region;
  if (credentials) {
    env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
    env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
    delete env.AWS_SESSION_TOKEN;
  }
  delete env.AWS_PROFILE;
  env.AWS_ENDPOINT_URL_DYNAMODB = table.endpoint;
  Object.assign(env, simulator.endpoints());
  env.TABLE_NAME ??= LOCAL_TABLE_NAME;
  env.PINPOINT_APPLICATION_ID ??= LOCAL_PINPOINT_APPLICATION_ID;
  // The simulated account's configuration set, as the stack makes one: its events are the delivery receipts the
  // outcomes function joins to each code's outcome, for conversion feedback.
  env.CONFIGURATION_SET_NAME ??= LOCAL_CONFIGURATION_SET;
  // The simulated account's bus: the outcomes function publishes the service's events there (GET /local/events).
  env.EVENT_BUS_NAME ??= LOCAL_EVENT_BUS;
  // Every route, in the order a deployment with a Notify configuration, an origination identity and a Pinpoint project
  // has them by default; the simulated account (PUT /local/account) lets each deliver.
  env.SMS_ROUTES ??= 'sns,notify,sms-voice-v2,pinpoint';
  env.NOTIFY_CONFIGURATION_ID ??= LOCAL_NOTIFY_CONFIGURATION_ID;
  // Calls, to a few low-risk countries: a deployment lists its own (allowedVoiceCountries; none by default). The
  // simulated account's toll-free number can call, and its Notify configuration has the VOICE channel.
  env.ALLOWED_VOICE_COUNTRIES ??= LOCAL_VOICE_COUNTRIES.join(',');
  env.VOICE_ORIGINATION_IDENTITY ??= LOCAL_VOICE_NUMBER;
  // The SNS route reads the account for every send, so that PUT /local/account takes effect at once.
  env.ACCOUNT_VIEW_SECONDS ??= '0';
  env.CODE_HASH_KEY ??= codeKey(persistDir);
  // EMF metric lines are for CloudWatch; on a console they only hide the SMS lines. POWERTOOLS_METRICS_DISABLED=false shows them.
  env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  delete env.CODE_HASH_SECRET_ID;
}

/** A random key per start; with persisted data, the key is persisted too so stored codes stay verifiable. */
function codeKey(persistDir: string | undefined): string {
  if (!persistDir) return randomBytes(32).toString('hex');
  const file = path.join(persistDir, 'code-hash-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(persistDir, { recursive: true });
  const key = randomBytes(32).toString('hex');
  writeFileSync(file, key, { mode: 0o600 });
  return key;
}

async function handleRequest(
  request: IncomingMessage,
  response: ServerResponse,
  routes: Routes | undefined,
  simulator: SmsSimulator | undefined,
  onInvoke: LocalServiceOptions['onInvoke'],
): Promise<void> {
  const url = new URL(`http://localhost${request.url ?? '/'}`);
  const method = request.method ?? 'GET';

  if (url.pathname.startsWith('/local/') || isConsoleFile(method, url.pathname)) {
    return handleLocalRoute(request, response, method, url.pathname, simulator, routes);
  }
  if (!routes) return sendJson(response, 503, { message: 'Service is starting' });
  // As the stack routes: POST /path (and GET /verify-security-code), then ANY /path (its function answers 405), then
  // $default (404 with the envelope).
  const pathRoute = routes.paths[url.pathname];
  const route = pathRoute ?? routes.default;
  const declared = method === 'POST' || (method === 'GET' && url.pathname === '/verify-security-code');
  const routeKey = pathRoute ? `${declared ? method : 'ANY'} ${url.pathname}` : '$default';
  let authorizerContext: Record<string, string> | undefined;
  if (routes.authorizer) {
    // As the deployed REQUEST authorizer runs: for every request (no identity sources, nothing cached by API
    // Gateway), its context handed to the route, whose function answers a refusal.
    const headers = Object.fromEntries(Object.entries(request.headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
    const verdict = await routes.authorizer({ type: 'REQUEST', headers } as unknown as Parameters<AuthorizerHandler>[0]);
    if (!verdict.isAuthorized) return sendJson(response, 403, { message: 'Forbidden' });
    authorizerContext = { ...verdict.context };
  }
  const body = await readBody(request);
  if (body === undefined) return sendJson(response, 413, { message: 'Request Entity Too Large' });
  const event = toApiGatewayEvent(request, body, routeKey, authorizerContext);
  const result = await route.handler(event, lambdaContext(route.functionName, FUNCTION_TIMEOUT_SECONDS * 1000));
  onInvoke?.(routeKey, event, result);
  writeLambdaResult(response, result);
}

/** The console's own files, served by the local server only (they do not exist in a deployed API). */
function isConsoleFile(method: string, pathname: string): boolean {
  return method === 'GET' && (pathname in STATIC_FILES || pathname === '/favicon.ico');
}

const STATIC_FILES: Record<string, [file: string, contentType: string]> = {
  '/': [path.join(CONSOLE_DIRECTORY, 'index.html'), 'text/html; charset=utf-8'],
  '/console.css': [path.join(CONSOLE_DIRECTORY, 'console.css'), 'text/css; charset=utf-8'],
  '/console.js': [path.join(CONSOLE_DIRECTORY, 'console.js'), 'text/javascript; charset=utf-8'],
  '/openapi.yaml': [path.join(__dirname, '..', 'openapi.yaml'), 'application/yaml; charset=utf-8'],
};

async function handleLocalRoute(
  request: IncomingMessage,
  response: ServerResponse,
  method: string,
  pathname: string,
  simulator: SmsSimulator | undefined,
  routes: Routes | undefined,
): Promise<void> {
  const staticFile = STATIC_FILES[pathname];
  if (method === 'GET' && staticFile) {
    response.writeHead(200, { 'content-type': staticFile[1], 'cache-control': 'no-store' });
    response.end(readFileSync(staticFile[0]));
    return;
  }
  if (method === 'GET' && pathname === '/favicon.ico') {
    response.writeHead(204).end();
    return;
  }
  if (!simulator || !routes) return sendJson(response, 503, { message: 'Service is starting' });
  if (pathname === '/local/config' && method === 'GET') return sendJson(response, 200, routes.config);
  if (pathname === '/local/keys' && method === 'POST') return createLocalKey(request, response, routes.keys);
  if (pathname === '/local/outbox' && method === 'GET') return sendJson(response, 200, simulator.outbox());
  // What an API took and the account would never deliver (a sandbox, no US identity), with why.
  if (pathname === '/local/dropped' && method === 'GET') return sendJson(response, 200, simulator.dropped());
  if (pathname === '/local/outbox' && method === 'DELETE') {
    simulator.clearOutbox();
    response.writeHead(204).end();
    return;
  }
  // What the outcomes function put on the bus, as EventBridge would have it: the service's events, oldest first.
  if (pathname === '/local/events' && method === 'GET') {
    return sendJson(
      response,
      200,
      simulator.busEvents().map((event) => ({ id: event.id, source: event.source, 'detail-type': event.detailType, time: event.time, detail: event.detail })),
    );
  }
  if (pathname === '/local/events' && method === 'DELETE') {
    simulator.clearBusEvents();
    response.writeHead(204).end();
    return;
  }
  if (pathname === '/local/faults' && method === 'GET') return sendJson(response, 200, simulator.faults());
  if (pathname === '/local/faults' && method === 'PUT') {
    return changeWithJson(request, response, '{"sns": "throttle"}', (changes) => simulator.setFaults(changes));
  }
  // The simulated account the providers and `sms-verify doctor --local` answer from (local/simulator/account.ts).
  if (pathname === '/local/account' && method === 'GET') return sendJson(response, 200, simulator.account());
  if (pathname === '/local/account' && method === 'PUT') {
    return changeWithJson(request, response, '{"smsSandbox": true}', (changes) => simulator.setAccount(changes));
  }
  sendJson(response, 404, { message: 'Not Found' });
}

/** A PUT whose body is a JSON object of changes: 200 with the state after them, 400 naming what is wrong. */
async function changeWithJson(
  request: IncomingMessage,
  response: ServerResponse,
  example: string,
  change: (changes: Record<string, unknown>) => unknown,
): Promise<void> {
  let changes: unknown;
  try {
    changes = JSON.parse((await readBody(request))?.toString('utf8') ?? '');
  } catch {
    changes = undefined;
  }
  if (typeof changes !== 'object' || changes === null || Array.isArray(changes)) {
    return sendJson(response, 400, { message: `Body must be a JSON object such as ${example}` });
  }
  try {
    return sendJson(response, 200, change(changes as Record<string, unknown>));
  } catch (error) {
    return sendJson(response, 400, { message: (error as Error).message });
  }
}

/** POST /local/keys {"user-id": …}: a key for the console's and tests' callers, as `sms-verify keys create` makes one. */
async function createLocalKey(request: IncomingMessage, response: ServerResponse, keys: ApiKeyStore | undefined): Promise<void> {
  if (!keys) return sendJson(response, 409, { message: 'This server checks no credentials; start it with SMS_VERIFY_AUTH=api-key' });
  let userId: string;
  try {
    const body = JSON.parse((await readBody(request))?.toString('utf8') ?? '') as { 'user-id'?: unknown };
    userId = parseUserId(String(body['user-id'] ?? ''));
  } catch (error) {
    return sendJson(response, 400, { message: error instanceof Error && error.name !== 'SyntaxError' ? error.message : 'Body must be {"user-id": "…"}' });
  }
  const apiKey = generateApiKey();
  await keys.put({ userId, keyDigest: apiKeyDigest(apiKey), createdAt: Date.now() });
  sendJson(response, 201, { 'user-id': userId, 'api-key': apiKey });
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function listen(server: Server, port: number, host: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new LocalSetupError(`Port ${port} is already in use: stop what runs there, or start on another port with PORT=${port + 1} npm start`)
          : error,
      );
    });
    server.listen(port, host, resolve);
  });
}

/** One console line per SMS: the number masked, the text (and so the code) visible — this is a developer's machine. */
function describeSms(message: OutboxMessage): string {
  return `${message.channel === 'voice' ? 'Call' : 'SMS'} via ${message.route} to ${maskNumber(message.to)}: ${message.body}`;
}

function banner(
  url: string,
  table: LocalTable,
  simulator: SmsSimulator,
  persistDir: string | undefined,
  authMode: 'none' | 'api-key',
): string {
  const where = table.existing
    ? `the DynamoDB at ${table.existing}, table ${process.env.TABLE_NAME}`
    : `DynamoDB Local at ${table.dynamodbLocal!.endpoint}, table ${process.env.TABLE_NAME} (${persistDir ? `kept in ${persistDir}` : 'in memory'})`;
  const contention = table.contention
    ? `\n             behind the contention stand-in at ${table.contention.endpoint} (transactions hold their items ${table.contention.holdMs} ms)`
    : '';
  return [
    '',
    `sms-verify is running locally at ${url}`,
    `  API        POST ${url}/sms-verify   POST ${url}/phone-verify   POST ${url}/verify-security-code`,
    `             NeutrinoAPI clients: base URL ${url}/ (Node.js client: ${url})`,
    `  Console    ${url}/`,
    `  Outbox     ${url}/local/outbox      Faults ${url}/local/faults`,
    `  DynamoDB   ${where}${contention}`,
    `  SMS        simulator at ${simulator.url}, routes ${process.env.SMS_ROUTES}`,
    `  Calls      to ${process.env.ALLOWED_VOICE_COUNTRIES || 'no country'}, routes ${readSettingsFromEnvironment(process.env).voiceRoutes.join(',') || 'none'}`,
    authMode === 'api-key'
      ? '  Auth       User-ID and API-Key headers required; make a key with: npm run keys -- create <user-id> --local (or in the console)'
      : '  Auth       none (any or no credentials); SMS_VERIFY_AUTH=api-key checks User-ID and API-Key',

    'Press Ctrl-C to stop.',
    '',
  ].join('\n');
}
