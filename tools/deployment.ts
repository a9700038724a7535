/**
 * Where a command of `sms-verify` finds the deployment it works on: a deployed
 * stack (its outputs name the table), `npm start` on this machine (its server
 * says where its table and simulator are), or a table named directly. AWS
 * credentials and region come as for any AWS tool, or from `--profile` and
 * `--region`.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

export interface Target {
  /** For the AWS clients: region, profile, and for npm start's parts the endpoint and any credentials. */
  aws: { region?: string; profile?: string; credentials?: { accessKeyId: string; secretAccessKey: string } };
  tableName: string;
  /** npm start's DynamoDB, when the target is local. */
  tableEndpoint?: string;
  /** npm start's SMS simulator, when the target is local. */
  simulatorUrl?: string;
  /** The stack's outputs, when the target is a stack. */
  outputs?: Record<string, string>;
  /** npm start's functions' environment (their settings), when the target is local. */
  functionEnvironment?: Record<string, string>;
}

/** What `npm start` tells a command about itself (GET /local/config). */
export interface LocalConfig {
  auth: 'none' | 'api-key';
  table: { endpoint: string; name: string };
  simulator: { url: string };
  /** The settings the local functions run with, as environment variables. */
  environment: Record<string, string>;
}

export class TargetError extends Error {
  override readonly name = 'TargetError';
}

export interface TargetOptions {
  stack?: string;
  table?: string;
  local?: boolean;
  region?: string;
  profile?: string;
  /** npm start's port (PORT, default 3000). */
  port?: number;
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export async function resolveTarget(options: TargetOptions, env: NodeJS.ProcessEnv = process.env): Promise<Target> {
  const aws = { region: options.region ?? env.AWS_REGION, profile: options.profile };
  if (options.local) {
    const port = options.port ?? Number(env.PORT ?? 3000);
    const url = `http://127.0.0.1:${port}/local/config`;
    let config: LocalConfig;
    try {
      config = (await (await fetch(url)).json()) as LocalConfig;
    } catch {
      throw new TargetError(`no npm start answers on port ${port} (${url}); start it, or set PORT to its port`);
    }
    return {
      aws: { region: 'us-east-1', credentials: LOCAL_CREDENTIALS },
      tableName: config.table.name,
      tableEndpoint: config.table.endpoint,
      simulatorUrl: config.simulator.url,
      functionEnvironment: config.environment,
    };
  }
  if (options.stack) {
    const outputs = await stackOutputs(options.stack, aws);
    const tableName = outputs.TableName;
    if (!tableName) throw new TargetError(`stack ${options.stack} has no TableName output: is it an sms-verify stack of version 0.3 or later?`);
    return { aws, tableName, outputs };
  }
  const tableName = options.table ?? env.TABLE_NAME;
  if (!tableName) throw new TargetError('say which deployment: --stack <name>, --local (npm start), or --table <name>');
  // A DynamoDB on this machine takes any credentials; give it some when the shell has none.
  const local = /^http:\/\/(127\.0\.0\.1|localhost)(:|\/|$)/.test(env.AWS_ENDPOINT_URL_DYNAMODB ?? '');
  return local && !env.AWS_ACCESS_KEY_ID ? { aws: { region: 'us-east-1', credentials: LOCAL_CREDENTIALS }, tableName } : { aws, tableName };
}

async function stackOutputs(stackName: string, aws: Target['aws']): Promise<Record<string, string>> {
  const client = new CloudFormationClient(aws);
  try {
    const { Stacks: stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    return Object.fromEntries((stacks?.[0]?.Outputs ?? []).map((output) => [output.OutputKey ?? '', output.OutputValue ?? '']));
  } catch (error) {
    throw new TargetError(`could not read stack ${stackName} (cloudformation:DescribeStacks): ${(error as Error).message}`);
  } finally {
    client.destroy();
  }
}

/** `--name value` options and the rest, in order; `flags` are a command's own options that take a value. */
export function parseOptions(
  args: readonly string[],
  flags: readonly string[] = [],
): { options: TargetOptions; positional: string[]; values: Record<string, string> } {
  const options: TargetOptions = {};
  const positional: string[] = [];
  const values: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = () => {
      const next = args[++i];
      if (next === undefined || next.startsWith('--')) throw new TargetError(`${arg} needs a value`);
      return next;
    };
    if (arg === '--stack') options.stack = value();
    else if (arg === '--table') options.table = value();
    else if (arg === '--region') options.region = value();
    else if (arg === '--profile') options.profile = value();
    else if (arg === '--local') options.local = true;
    else if (flags.includes(arg)) values[arg.slice(2)] = value();
    else if (arg.startsWith('--')) throw new TargetError(`unknown option ${arg}`);
    else positional.push(arg);
  }
  return { options, positional, values };
}
