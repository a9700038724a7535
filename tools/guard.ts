/**
 * `npx sms-verify guard <command>`: the conversion guard's pauses (functions/core/guard.ts), for an operator.
 *
 *   list            the destination prefixes paused now, until when, and the counts that paused them
 *   lift <prefix>   lifts a prefix's pause at once (e.g. +447400), as a verification that brought it back would; or a
 *                   country's (e.g. GB): every prefix of it the guard paused, and no new one paused at its first send
 *
 * Which deployment: `--stack <name>` (its TableName output, and the send function's settings), `--local` (npm start on
 * this machine), or `--table <name>` (or TABLE_NAME, with the settings in this shell's environment). AWS credentials
 * and region come as for any AWS tool, or `--profile`, `--region`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbGuard } from '../functions/adapters/dynamodb-guard';
import { guardPolicyFrom } from '../functions/adapters/guard-settings';
import { readSettingsFromEnvironment, type DeploymentSettings } from '../functions/settings';
import { parseOptions, resolveTarget, TargetError } from './deployment';
import { functionSettings } from './doctor';

export const GUARD_USAGE = 'usage: sms-verify guard list | lift <prefix or country>   --stack <name> | --local | --table <name>   [--region <r>] [--profile <p>]';

/** A destination prefix as the guard names it: `+`, the country calling code and the first digits. */
const PREFIX = /^\+\d{2,16}$/;

export async function runGuardCommand(
  args: readonly string[],
  deps: { guard: DynamoDbGuard; print: (line: string) => void; now: () => number },
): Promise<number> {
  const [command, prefix] = args;
  try {
    switch (command) {
      case 'list': {
        const paused = await deps.guard.listPaused(deps.now());
        if (paused.length === 0) deps.print('No destination prefix is paused.');
        for (const entry of paused) {
          deps.print(`${entry.prefix}\tpaused until ${new Date(entry.pausedUntil).toISOString()}\t${entry.verified} of ${entry.sends} codes verified`);
        }
        return 0;
      }
      case 'lift': {
        if (prefix && /^[A-Z]{2}$/.test(prefix)) {
          const lifted = await deps.guard.liftCountry(prefix, deps.now(), `operator:${deps.now()}`);
          deps.print(lifted ? `Lifted the pause of ${prefix} and of its prefixes.` : `${prefix} is not paused.`);
          return 0;
        }
        if (!prefix || !PREFIX.test(prefix)) {
          deps.print(`sms-verify guard: lift takes a destination prefix or a country as \`guard list\` shows it, e.g. +447400 or GB${prefix ? `, not "${prefix}"` : ''}`);
          return 2;
        }
        // The counters to lift are those the guard item names: the settings in this shell play no part.
        const lifted = await deps.guard.lift(prefix, deps.now(), `operator:${deps.now()}`);
        deps.print(lifted ? `Lifted the pause of ${prefix}: sends and calls to it go out again.` : `${prefix} is not paused.`);
        return 0;
      }
      default:
        deps.print(GUARD_USAGE);
        return 2;
    }
  } catch (error) {
    deps.print(`sms-verify guard: ${(error as Error).message}`);
    return 1;
  }
}

/** The guard command from the command line: finds the deployment's table and settings, then runs the command. */
export async function guardMain(args: readonly string[], print: (line: string) => void = console.log): Promise<number> {
  let target;
  let settings: DeploymentSettings;
  let positional: string[];
  try {
    const parsed = parseOptions(args);
    positional = parsed.positional;
    target = await resolveTarget(parsed.options);
    settings = target.functionEnvironment
      ? readSettingsFromEnvironment(target.functionEnvironment)
      : target.outputs?.SendFunctionName
        ? await functionSettings(target.outputs.SendFunctionName, target.aws)
        : readSettingsFromEnvironment(process.env);
  } catch (error) {
    if (!(error instanceof TargetError)) throw error;
    print(`sms-verify guard: ${error.message}\n${GUARD_USAGE}`);
    return 2;
  }
  const policy = guardPolicyFrom(settings);
  const client = new DynamoDBClient({ ...target.aws, ...(target.tableEndpoint ? { endpoint: target.tableEndpoint } : {}) });
  try {
    // The settings only say how far back a pause can reach; what to lift is named on the guard item itself.
    return await runGuardCommand(positional, { guard: new DynamoDbGuard(client, target.tableName, policy.windowMs, policy.pauseMs), print, now: Date.now });
  } finally {
    client.destroy();
  }
}
