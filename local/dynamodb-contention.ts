/**
 * A stand-in for real DynamoDB's behaviour under contention, as an HTTP proxy
 * in front of DynamoDB Local. DynamoDB Local runs one request at a time, so two
 * transactions on the same item never meet there; in DynamoDB they do. The
 * proxy adds what the service does and Local does not:
 *
 * Transaction conflicts (DynamoDB Developer Guide, "Transaction conflict handling in DynamoDB"):
 *  - every item of a TransactWriteItems (Put, Update, Delete or ConditionCheck) is "in a transaction" from the
 *    moment the request arrives until it is answered; the proxy holds them `holdMs` longer than DynamoDB Local
 *    needs, because a real transaction (two-phase, across partitions) takes tens of milliseconds;
 *  - an overlapping TransactWriteItems that touches one of those items is cancelled: HTTP 400
 *    `TransactionCanceledException`, `CancellationReasons` with `TransactionConflict` ("Transaction is ongoing for
 *    the item.") at that item's index and `None` at every other (API Reference, TransactWriteItems, and the
 *    `CancellationReason` shape of `codegen/sdk-codegen/aws-models/dynamodb.json` in aws/aws-sdk-js-v3);
 *  - an overlapping PutItem, UpdateItem or DeleteItem on such an item fails with HTTP 400
 *    `TransactionConflictException` ("Operation was rejected because there is an ongoing transaction for the item.");
 *  - an overlapping TransactGetItems is cancelled the same way. Single-item writes hold nothing: DynamoDB
 *    serialises them on the item, and so does DynamoDB Local.
 *
 * Per-item throughput (optional, `itemWritesPerSecond`): DynamoDB serves one partition at most 1 000 write units a
 * second, so one item takes at most that many writes. Over the rate, a single-item write fails with HTTP 400
 * `ThrottlingException` carrying `throttlingReasons: [{reason: 'TableWriteKeyRangeThroughputExceeded'}]` (the
 * on-demand answer; Developer Guide, "Key range throughput exceeded"), and a transaction is cancelled with
 * `ThrottlingError` at that item's index. The SDK retries both, as it does in AWS.
 *
 * Faults of a table whose answers get lost (`injectFault`), for tests of unknown write outcomes:
 *  - `lose-answer`: the write is applied, and its answer held back past the client's timeout;
 *  - `fail-after-commit`: the write is applied, and answered HTTP 500 `InternalServerError` (which DynamoDB
 *    documents as "the request may or may not have succeeded");
 *  - `stall`: the write is held back past the client's timeout and applied only then, after the client gave up;
 *  - `fail-before-commit`: HTTP 500 without applying anything;
 *  - `throttle`: the per-item `ThrottlingException` above, for one request (refused before anything is applied).
 *
 * A second writer between a write and its repeat (`meanwhile`): a fault may start another request of the test's own
 * as soon as the faulted write has reached the table (or, for `stall` and `fail-before-commit`, as soon as it
 * arrived), and every later request on the same items waits until that other request is done, unless it carries
 * CONCURRENT_WRITER_AGENT in its user agent (the other request's own). So the faulted request's repeat, or its
 * fence, always meets what the other request wrote, as it can in DynamoDB when two requests write one item.
 *
 * Everything else is forwarded to DynamoDB Local untouched, and its answers come back byte for byte.
 */
import { createServer, request as httpRequest, Agent, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ContentionOptions {
  /** DynamoDB Local's endpoint, e.g. http://127.0.0.1:8000. */
  target: string;
  /** How much longer than DynamoDB Local a transaction holds its items (ms). Default 25. */
  holdMs?: number;
  /** Writes one item takes per rolling second before it is throttled; unlimited when absent or 0. */
  itemWritesPerSecond?: number;
}

/** What the proxy refused, for tests and the benchmark. */
export interface ContentionStats {
  transactionsCancelled: number;
  writesRejected: number;
  throttled: number;
}

type Json = Record<string, unknown>;

export type TableFaultMode = 'lose-answer' | 'fail-after-commit' | 'stall' | 'fail-before-commit' | 'throttle';

export interface TableFault {
  mode: TableFaultMode;
  /** The operation, as in the `X-Amz-Target` header: 'UpdateItem', 'TransactWriteItems', … */
  operation: string;
  /** Only requests on an item whose partition key starts with this (e.g. 'number#'). */
  keyPrefix?: string;
  /** Only requests whose body holds this text (a write id's step, such as '/revoke'). */
  bodyIncludes?: string;
  /** How many matching requests fail (default 1), after `after` matching requests went through (default 0). */
  times?: number;
  after?: number;
  /** How long a lost answer or a stalled write is held (default 3 000 ms, past the functions' 1 s timeout). */
  delayMs?: number;
  /** Another writer's request, run between the faulted write and anything else on its items (see above). */
  meanwhile?: () => Promise<unknown>;
}

/** Marks the requests of a test's second writer (the SDK's `customUserAgent`): they pass holds and faults. */
export const CONCURRENT_WRITER_AGENT = 'sms-verify-concurrent-writer';
type Key = Record<string, unknown>;

const ERROR_PREFIX = 'com.amazonaws.dynamodb.v20120810#';
/** The longest a request waits for a `meanwhile` to finish. */
const MAX_HOLD_MS = 5_000;
const SINGLE_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);

export class DynamoDbContentionProxy {
  readonly stats: ContentionStats = { transactionsCancelled: 0, writesRejected: 0, throttled: 0 };
  /** Requests a fault was applied to, as `<mode> <operation> <key>`. */
  readonly faulted: string[] = [];
  private faults: Array<Required<Omit<TableFault, 'meanwhile'>> & Pick<TableFault, 'meanwhile'>> = [];
  /** Items whose requests wait for another writer's request to finish (see `meanwhile`). */
  private readonly holds = new Set<{ keys: readonly string[]; done: Promise<unknown> }>();
  /** What a `meanwhile` request threw, if anything: a test asserts it is empty. */
  readonly meanwhileErrors: unknown[] = [];
  /** Held answers and stalled writes still pending, so that stop() can wait for them. */
  private readonly pending = new Set<Promise<unknown>>();
  /** Items in a transaction now, by identity (table and key). */
  private readonly held = new Set<string>();
  /** Times of recent writes per item, for the optional throughput limit. */
  private readonly writes = new Map<string, number[]>();
  private readonly keySchemas = new Map<string, Promise<string[]>>();
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  holdMs: number;
  itemWritesPerSecond: number;

  private constructor(
    private readonly server: Server,
    private readonly target: URL,
    options: ContentionOptions,
  ) {
    this.holdMs = options.holdMs ?? 25;
    this.itemWritesPerSecond = options.itemWritesPerSecond ?? 0;
  }

  static async start(options: ContentionOptions, port = 0): Promise<DynamoDbContentionProxy> {
    let proxy: DynamoDbContentionProxy | undefined;
    const server = createServer((request, response) => {
      proxy!.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify({ __type: `${ERROR_PREFIX}InternalServerError`, message: String(error) }));
      });
    });
    proxy = new DynamoDbContentionProxy(server, new URL(options.target), options);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    return proxy;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  resetStats(): void {
    this.stats.transactionsCancelled = 0;
    this.stats.writesRejected = 0;
    this.stats.throttled = 0;
  }

  /** Makes matching requests fail as a table that loses answers does. */
  injectFault(fault: TableFault): void {
    this.faults.push({ times: 1, after: 0, delayMs: 3_000, keyPrefix: '', bodyIncludes: '', ...fault });
  }

  clearFaults(): void {
    this.faults = [];
    this.faulted.length = 0;
    this.meanwhileErrors.length = 0;
  }

  /** Waits until every held answer and stalled write has gone through. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async stop(): Promise<void> {
    await this.settled();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.agent.destroy();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readAll(request);
    const operation = String(request.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    const concurrentWriter = `${request.headers['user-agent'] ?? ''} ${request.headers['x-amz-user-agent'] ?? ''}`.includes(CONCURRENT_WRITER_AGENT);
    if (!concurrentWriter && this.holds.size > 0) await this.waitForHolds(body);
    const fault = concurrentWriter ? undefined : this.faultFor(operation, body);
    if (fault) return this.applyFault(fault, operation, body, response);
    if (operation === 'TransactWriteItems') return this.transactWrite(request, body, response);
    if (operation === 'TransactGetItems') return this.transactGet(request, body, response);
    if (SINGLE_WRITES.has(operation)) return this.singleWrite(request, body, response);
    return this.forward(request, body, response);
  }

  private async transactWrite(request: IncomingMessage, body: Buffer, response: ServerResponse): Promise<void> {
    const input = JSON.parse(body.toString('utf8')) as { TransactItems?: Json[] };
    const items = await Promise.all(
      (input.TransactItems ?? []).map(async (entry) => {
        const [, action] = Object.entries(entry)[0] ?? [];
        return this.identity(action as Json | undefined);
      }),
    );
    const conflicted = items.map((id) => id !== undefined && this.held.has(id));
    if (conflicted.some(Boolean)) {
      this.stats.transactionsCancelled += 1;
      return cancelTransaction(response, conflicted.map((hit) => (hit ? 'TransactionConflict' : 'None')));
    }
    const throttled = items.map((id) => id !== undefined && this.overRate(id));
    if (throttled.some(Boolean)) {
      this.stats.throttled += 1;
      return cancelTransaction(response, throttled.map((hit) => (hit ? 'ThrottlingError' : 'None')));
    }
    const mine = [...new Set(items.filter((id): id is string => id !== undefined))];
    for (const id of mine) {
      this.held.add(id);
      this.countWrite(id);
    }
    try {
      if (this.holdMs > 0) await sleep(this.holdMs);
      await this.forward(request, body, response);
    } finally {
      for (const id of mine) this.held.delete(id);
    }
  }

  private async transactGet(request: IncomingMessage, body: Buffer, response: ServerResponse): Promise<void> {
    const input = JSON.parse(body.toString('utf8')) as { TransactItems?: Array<{ Get?: Json }> };
    const items = await Promise.all((input.TransactItems ?? []).map((entry) => this.identity(entry.Get)));
    const conflicted = items.map((id) => id !== undefined && this.held.has(id));
    if (conflicted.some(Boolean)) {
      this.stats.transactionsCancelled += 1;
      return cancelTransaction(response, conflicted.map((hit) => (hit ? 'TransactionConflict' : 'None')));
    }
    return this.forward(request, body, response);
  }

  private async singleWrite(request: IncomingMessage, body: Buffer, response: ServerResponse): Promise<void> {
    const id = await this.identity(JSON.parse(body.toString('utf8')) as Json);
    if (id !== undefined && this.held.has(id)) {
      this.stats.writesRejected += 1;
      return sendError(response, 'TransactionConflictException', {
        message: 'Operation was rejected because there is an ongoing transaction for the item.',
      });
    }
    if (id !== undefined && this.overRate(id)) {
      this.stats.throttled += 1;
      return sendThrottled(response);
    }
    if (id !== undefined) this.countWrite(id);
    return this.forward(request, body, response);
  }

  private async waitForHolds(body: Buffer): Promise<void> {
    const keys = partitionKeysOf(JSON.parse(body.toString('utf8') || '{}') as Json);
    for (const hold of [...this.holds]) {
      // Bounded, so that a `meanwhile` that waits on a held item itself fails its test instead of hanging it.
      if (hold.keys.some((key) => keys.includes(key))) await Promise.race([hold.done, sleep(MAX_HOLD_MS)]);
    }
  }

  /** Runs a fault's `meanwhile` request, holding every other request on the faulted items until it is done. */
  private startMeanwhile(fault: TableFault, body: Buffer): void {
    const meanwhile = fault.meanwhile;
    if (!meanwhile) return;
    fault.meanwhile = undefined; // once per fault, however many requests it fails
    const hold = {
      keys: partitionKeysOf(JSON.parse(body.toString('utf8')) as Json),
      done: meanwhile().catch((error: unknown) => this.meanwhileErrors.push(error)),
    };
    this.holds.add(hold);
    void this.track(hold.done.finally(() => this.holds.delete(hold)));
  }

  private faultFor(operation: string, body: Buffer): (typeof this.faults)[number] | undefined {
    const candidates = this.faults.filter((fault) => fault.times > 0 && fault.operation === operation);
    if (candidates.length === 0) return undefined;
    const keys = partitionKeysOf(JSON.parse(body.toString('utf8')) as Json);
    const text = body.toString('utf8');
    const fault = candidates.find(
      (candidate) => keys.some((key) => key.startsWith(candidate.keyPrefix)) && text.includes(candidate.bodyIncludes),
    );
    if (!fault) return undefined;
    if (fault.after > 0) {
      fault.after -= 1;
      return undefined;
    }
    fault.times -= 1;
    this.faulted.push(`${fault.mode} ${operation} ${keys.join(',')}`);
    return fault;
  }

  private async applyFault(
    fault: (typeof this.faults)[number],
    operation: string,
    body: Buffer,
    response: ServerResponse,
  ): Promise<void> {
    const internalError = () =>
      sendError(response, 'InternalServerError', { message: 'Internal server error' }, 500);
    const apply = () => this.call(operation, JSON.parse(body.toString('utf8')) as Json);
    switch (fault.mode) {
      case 'fail-before-commit':
        this.startMeanwhile(fault, body);
        return internalError();
      case 'throttle':
        // Refused for load, which DynamoDB does before applying anything: the one fault a client knows changed nothing.
        this.startMeanwhile(fault, body);
        return sendThrottled(response);
      case 'fail-after-commit':
        await apply();
        this.startMeanwhile(fault, body);
        return internalError();
      case 'lose-answer': {
        await apply();
        this.startMeanwhile(fault, body);
        // The client gives up first; the answer never comes (the connection is dropped when it closes its side).
        return this.track(sleep(fault.delayMs).then(() => response.destroy()));
      }
      case 'stall':
        // Applied late, after the client gave up: its answer goes nowhere.
        this.startMeanwhile(fault, body);
        return this.track(sleep(fault.delayMs).then(apply).then(() => response.destroy()));
    }
  }

  private async track(work: Promise<unknown>): Promise<void> {
    this.pending.add(work);
    try {
      await work;
    } finally {
      this.pending.delete(work);
    }
  }

  /** True when the item has taken its writes for the last second already. */
  private overRate(id: string): boolean {
    if (this.itemWritesPerSecond <= 0) return false;
    const now = Date.now();
    const recent = (this.writes.get(id) ?? []).filter((at) => at > now - 1000);
    this.writes.set(id, recent);
    return recent.length >= this.itemWritesPerSecond;
  }

  private countWrite(id: string): void {
    if (this.itemWritesPerSecond <= 0) return;
    const recent = this.writes.get(id) ?? [];
    recent.push(Date.now());
    this.writes.set(id, recent);
  }

  /** An item's identity: its table and primary key (taken from `Key`, or from a Put's `Item` by the key schema). */
  private async identity(action: Json | undefined): Promise<string | undefined> {
    const table = action?.TableName;
    if (typeof table !== 'string') return undefined;
    let key = action?.Key as Key | undefined;
    if (!key && action?.Item) {
      const names = await this.keySchema(table);
      const item = action.Item as Key;
      key = Object.fromEntries(names.map((name) => [name, item[name]]));
    }
    if (!key) return undefined;
    const sorted = Object.keys(key).sort().map((name) => [name, key[name]]);
    return `${table}\u0000${JSON.stringify(sorted)}`;
  }

  private keySchema(table: string): Promise<string[]> {
    let names = this.keySchemas.get(table);
    if (!names) {
      names = this.call('DescribeTable', { TableName: table }).then((result) => {
        const schema = (result.Table as { KeySchema?: Array<{ AttributeName: string }> } | undefined)?.KeySchema ?? [];
        return schema.map((element) => element.AttributeName);
      });
      names.catch(() => this.keySchemas.delete(table));
      this.keySchemas.set(table, names);
    }
    return names;
  }

  /** One request of the proxy's own to DynamoDB Local (it checks no signature). */
  private async call(operation: string, input: Json): Promise<Json> {
    const body = Buffer.from(JSON.stringify(input));
    const result = await new Promise<Buffer>((resolve, reject) => {
      const outgoing = httpRequest(
        this.target,
        {
          method: 'POST',
          agent: this.agent,
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            'x-amz-target': `DynamoDB_20120810.${operation}`,
            authorization: 'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
            'content-length': body.length,
          },
        },
        (answer) => readAll(answer).then(resolve, reject),
      );
      outgoing.once('error', reject);
      outgoing.end(body);
    });
    return JSON.parse(result.toString('utf8')) as Json;
  }

  private async forward(request: IncomingMessage, body: Buffer, response: ServerResponse): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const outgoing = httpRequest(
        new URL(request.url ?? '/', this.target),
        { method: request.method, headers: { ...request.headers, host: this.target.host }, agent: this.agent },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
          answer.once('end', resolve);
          answer.once('error', reject);
        },
      );
      outgoing.once('error', reject);
      outgoing.end(body);
    });
  }
}

function cancelTransaction(response: ServerResponse, codes: string[]): void {
  const messages: Record<string, string> = {
    TransactionConflict: 'Transaction is ongoing for the item.',
    ThrottlingError: 'Throughput exceeds the current capacity of your table or index.',
  };
  sendError(response, 'TransactionCanceledException', {
    // DynamoDB's own wording: the reasons in order, in brackets.
    Message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
    CancellationReasons: codes.map((code) => (code === 'None' ? { Code: 'None' } : { Code: code, Message: messages[code] })),
  });
}

/** The partition key values of every item a request names (string keys only, as this project's table has). */
function partitionKeysOf(input: Json): string[] {
  const keyOf = (action: Json | undefined) => {
    const key = (action?.Key ?? action?.Item) as Record<string, { S?: string }> | undefined;
    return Object.values(key ?? {}).map((value) => value.S ?? '');
  };
  if (Array.isArray(input.TransactItems)) {
    return (input.TransactItems as Json[]).flatMap((entry) => keyOf(Object.values(entry)[0] as Json | undefined));
  }
  return keyOf(input);
}

function sendError(response: ServerResponse, type: string, fields: Json, status = 400): void {
  const body = JSON.stringify({ __type: `${ERROR_PREFIX}${type}`, ...fields });
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'x-amzn-requestid': `contention-${Date.now().toString(36)}`,
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

/** A single write refused for one item's write rate (a hot partition key). */
function sendThrottled(response: ServerResponse): void {
  sendError(response, 'ThrottlingException', {
    message: 'Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling ' +
      'your table or index so please try again shortly.',
    // The model names this member `throttlingReasons` on ThrottlingException (`ThrottlingReasons` elsewhere).
    throttlingReasons: [{ reason: 'TableWriteKeyRangeThroughputExceeded' }],
  });
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
