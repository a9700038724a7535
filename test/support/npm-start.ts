/**
 * Runs `npm start` as a person would, on a free port, in its own process
 * group, and stops it as Ctrl-C in a terminal does (SIGINT to the group).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { freePort } from '../../local/dynamodb-local';

export interface RunningNpmStart {
  url: string;
  /** Everything the command printed so far. */
  output(): string;
  /**
   * Ctrl-C. Resolves once no process of the group is left (npm, tsx, node and
   * DynamoDB Local's Java), or with the survivors' group id after 15 s.
   */
  interrupt(): Promise<{ allStopped: boolean }>;
}

export async function npmStart(env: NodeJS.ProcessEnv = {}): Promise<RunningNpmStart> {
  const port = await freePort();
  // As a person's shell would have it: no DynamoDB endpoint or table of the test run's, unless the test gives one.
  const { AWS_ENDPOINT_URL_DYNAMODB: _endpoint, TABLE_NAME: _table, ...inherited } = process.env;
  const child: ChildProcess = spawn('npm', ['start'], {
    cwd: path.join(__dirname, '..', '..'),
    env: { ...inherited, ...env, PORT: String(port) },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stopping: Promise<{ allStopped: boolean }> | undefined;
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const group = child.pid!;

  const deadline = Date.now() + 60_000;
  while (!output.includes('Press Ctrl-C to stop.')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      process.kill(-child.pid!, 'SIGKILL');
      throw new Error(`npm start did not come up:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const url = /running locally at (http:\/\/\S+)/.exec(output)![1]!;
  return {
    url,
    output: () => output,
    interrupt() {
      stopping ??= (async () => {
        signalGroup(group, 'SIGINT');
        const deadline = Date.now() + 15_000;
        while (groupAlive(group)) {
          if (Date.now() > deadline) {
            signalGroup(group, 'SIGKILL');
            return { allStopped: false };
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        return { allStopped: true };
      })();
      return stopping;
    },
  };
}

function signalGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-group, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Whether any process of the group is still there (signal 0 only checks). */
function groupAlive(group: number): boolean {
  try {
    process.kill(-group, 0);
    return true;
  } catch {
    return false;
  }
}
