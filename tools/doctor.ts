/**
 * `npx sms-verify doctor`: what stands between a deployment and a text on a phone, per country. It reads the account
 * with read-only calls (tools/doctor/facts.ts), judges each route the deployment uses (tools/doctor/diagnosis.ts),
 * and prints which route would carry a code today and what blocks each other one, with what to do.
 *
 * Which deployment: `--stack <name>` (the send function's settings, read from its configuration), `--local` (npm
 * start on this machine and its simulated account), or neither (the account, for the settings in the environment:
 * by default SNS alone). Which countries: `--countries GB,US`, else allowedCountries less deniedCountries, else a
 * few large ones. `--number +447400123456` also says whether that person can get a text from each route (opted out by
 * replying STOP, not verified for a sandbox). Exit 0 when every country has a route, 1 when one has none, 2 when
 * the doctor could not tell.
 */
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PinpointSMSVoiceV2Client } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { SNSClient } from '@aws-sdk/client-sns';
import { InvalidSettingError, readSettingsFromEnvironment, type DeploymentSettings } from '../functions/settings';
import { parseOptions, resolveTarget, TargetError, type Target } from './deployment';
import { diagnose, type Diagnosis } from './doctor/diagnosis';
import { readAccountFacts } from './doctor/facts';

export const DOCTOR_USAGE =
  'usage: sms-verify doctor [--stack <name> | --local] [--countries GB,US] [--number +447400123456] [--json]   [--region <r>] [--profile <p>]';

/** Checked when the deployment allows every country and none is named: where most verification traffic goes. */
const DEFAULT_COUNTRIES = ['US', 'CA', 'GB', 'DE', 'FR', 'IN', 'AU', 'BR', 'JP', 'MX'];

export async function doctorMain(args: readonly string[], print: (line: string) => void = console.log, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let deployment: Deployment;
  let countries: string[];
  let json: boolean;
  let number: string | undefined;
  if (args.includes('--help')) {
    print(DOCTOR_USAGE);
    return 0;
  }
  try {
    const parsed = parseOptions(args.filter((arg) => arg !== '--json'), ['--countries', '--number']);
    json = args.includes('--json');
    if (parsed.positional.length > 0) throw new TargetError(`unexpected ${parsed.positional[0]}`);
    deployment = await findDeployment(parsed.options, env);
    countries = countriesToCheck(parsed.values.countries, deployment.settings);
    number = parsed.values.number;
    // E.164, as the APIs take it (aws-models: PhoneNumber ^\+?[1-9][0-9]{1,18}$; the doctor asks for the "+").
    if (number !== undefined && !/^\+[1-9][0-9]{1,18}$/.test(number)) throw new TargetError(`--number takes an E.164 number such as +447400123456, not "${number}"`);
  } catch (error) {
    if (!(error instanceof TargetError || error instanceof InvalidSettingError)) throw error;
    print(`sms-verify doctor: ${error.message}\n${DOCTOR_USAGE}`);
    return 2;
  }
  const endpoint = deployment.target.simulatorUrl ? { endpoint: deployment.target.simulatorUrl } : {};
  const sns = new SNSClient({ ...deployment.target.aws, ...endpoint });
  const smsVoice = new PinpointSMSVoiceV2Client({ ...deployment.target.aws, ...endpoint });
  try {
    const notifyConfigurationId = deployment.settings.smsRoutes.includes('notify') ? deployment.settings.notifyConfigurationId : undefined;
    const facts = await readAccountFacts({ sns, smsVoice }, notifyConfigurationId, number);
    const diagnosis = diagnose(deployment.settings, facts, countries);
    if (json) print(JSON.stringify({ deployment: deployment.description, routes: deployment.settings.smsRoutes, ...diagnosis }, null, 2));
    else for (const line of report(deployment, diagnosis)) print(line);
    return diagnosis.exitCode;
  } finally {
    sns.destroy();
    smsVoice.destroy();
  }
}

interface Deployment {
  target: Pick<Target, 'aws' | 'simulatorUrl'>;
  settings: DeploymentSettings;
  description: string;
}

async function findDeployment(options: ReturnType<typeof parseOptions>['options'], env: NodeJS.ProcessEnv): Promise<Deployment> {
  if (options.table) throw new TargetError('the doctor reads a stack (--stack) or npm start (--local), not a table');
  if (options.local) {
    const target = await resolveTarget(options, env);
    return { target, settings: readSettingsFromEnvironment(target.functionEnvironment ?? {}), description: 'npm start (simulated account)' };
  }
  if (options.stack) {
    const target = await resolveTarget(options, env);
    const functionName = target.outputs?.SendFunctionName;
    if (!functionName) throw new TargetError(`stack ${options.stack} has no SendFunctionName output: is it an sms-verify stack?`);
    return { target, settings: await functionSettings(functionName, target.aws), description: `stack ${options.stack}` };
  }
  const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  return {
    target: { aws: { region, profile: options.profile } },
    settings: readSettingsFromEnvironment(env),
    description: `the account${region ? ` in ${region}` : ''}, for the settings in this shell's environment`,
  };
}

/** The settings the deployed send function runs with: its environment (lambda:GetFunctionConfiguration). */
export async function functionSettings(functionName: string, aws: Target['aws']): Promise<DeploymentSettings> {
  const client = new LambdaClient(aws);
  try {
    const configuration = await client.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    return readSettingsFromEnvironment(configuration.Environment?.Variables ?? {});
  } catch (error) {
    if (error instanceof InvalidSettingError) throw error;
    throw new TargetError(`could not read the send function's settings (lambda:GetFunctionConfiguration on ${functionName}): ${(error as Error).message}`);
  } finally {
    client.destroy();
  }
}

function countriesToCheck(given: string | undefined, settings: DeploymentSettings): string[] {
  if (given !== undefined) {
    const countries = given.split(',').map((country) => country.trim().toUpperCase()).filter(Boolean);
    const wrong = countries.find((country) => !/^[A-Z]{2}$/.test(country));
    if (wrong || countries.length === 0) throw new TargetError(`--countries takes ISO 3166-1 codes such as GB,US${wrong ? `, not "${wrong}"` : ''}`);
    return countries;
  }
  const allowed = settings.allowedCountries.filter((country) => !settings.deniedCountries.includes(country));
  if (allowed.length > 0) return allowed;
  return DEFAULT_COUNTRIES.filter((country) => !settings.deniedCountries.includes(country));
}

function report(deployment: Deployment, diagnosis: Diagnosis): string[] {
  const lines = [`sms-verify doctor: ${deployment.description}; routes ${deployment.settings.smsRoutes.join(' → ')}`, ''];
  const width = Math.max(...diagnosis.countries.map((verdict) => verdict.country.length));
  // Each fix once, with the routes and countries it opens, in the order the routes are tried.
  const fixes = new Map<string, { routes: Set<string>; countries: Set<string> }>();
  for (const verdict of diagnosis.countries) {
    const head = verdict.route ? `✓ ${verdict.route}` : verdict.state === 'blocked' ? '✗ no route' : '? cannot tell';
    lines.push(`${verdict.country.padEnd(width)}  ${head}`);
    for (const check of verdict.checks) {
      if (check.state === 'clear') continue;
      // Routes after the carrier are not tried; what blocks them still matters when the carrier fails.
      lines.push(`${' '.repeat(width + 4)}${check.route}: ${check.why}`);
      if (check.state !== 'blocked') continue;
      const fix = fixes.get(check.fix) ?? { routes: new Set(), countries: new Set() };
      fix.routes.add(check.route);
      fix.countries.add(verdict.country);
      fixes.set(check.fix, fix);
    }
  }
  if (diagnosis.number) {
    lines.push('', `Number ${diagnosis.number.e164}:`);
    for (const check of diagnosis.number.checks) {
      const mark = check.state === 'clear' ? '✓' : check.state === 'blocked' ? '✗' : '?';
      lines.push(`  ${mark} ${check.route}: ${check.why}`);
      if (check.state === 'blocked' && check.fix) {
        const fix = fixes.get(check.fix) ?? { routes: new Set(), countries: new Set() };
        fix.routes.add(check.route);
        fix.countries.add(diagnosis.number.e164);
        fixes.set(check.fix, fix);
      }
    }
  }
  if (fixes.size > 0) {
    lines.push('', 'To do:');
    for (const [fix, opens] of fixes) lines.push(`  - ${[...opens.routes].join(', ')} (${[...opens.countries].join(', ')}): ${fix}`);
  }
  if (diagnosis.notes.length > 0) lines.push('', ...diagnosis.notes.map((note) => `Note: ${note}`));
  if (diagnosis.unreadable.length > 0) {
    lines.push('', 'Could not read (grant these read-only actions to whoever runs the doctor):');
    for (const read of diagnosis.unreadable) lines.push(`  ${read.action}${read.denied ? ' (access denied)' : `: ${read.message}`}`);
  }
  const blocked = diagnosis.countries.filter((verdict) => verdict.state === 'blocked').length;
  const unknown = diagnosis.countries.filter((verdict) => verdict.state === 'unknown').length;
  const total = diagnosis.countries.length;
  lines.push(
    '',
    blocked > 0
      ? `${blocked} of ${total} countries have no route today.`
      : unknown > 0
        ? `${unknown} of ${total} countries could not be judged.`
        : total === 1
          ? 'The country has a route.'
          : `Every one of the ${total} countries has a route.`,
  );
  return lines;
}
