#!/usr/bin/env node
/**
 * `npx sms-verify <command>`: what a team runs against its deployment (or `npm start`) from a shell.
 *
 *   keys     API keys of a deployment in API-key mode (tools/keys.ts)
 *   doctor   what blocks a text on a phone, per country and route (tools/doctor.ts)
 *   guard    the conversion guard's paused prefixes: list them, lift one (tools/guard.ts)
 *
 * Each command takes `--stack <name>` or `--local` (keys and guard also `--table <name>`) to say which deployment
 * (tools/deployment.ts).
 */
import { doctorMain } from './doctor';
import { guardMain } from './guard';
import { keysMain } from './keys';

const USAGE = [
  'usage: sms-verify <command> [options]',
  '',
  '  doctor    which route would carry a code to each country, and what blocks the others (sms-verify doctor --help)',
  '  guard     the destination prefixes the conversion guard paused: list, lift (sms-verify guard --help)',
  '  keys      create, list and revoke API keys (sms-verify keys --help)',
].join('\n');

export async function cliMain(args: readonly string[], print: (line: string) => void = console.log): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case 'keys':
      return keysMain(rest, print);
    case 'doctor':
      return doctorMain(rest, print);
    case 'guard':
      return guardMain(rest, print);
    case undefined:
    case '--help':
    case 'help':
      print(USAGE);
      return command === undefined ? 2 : 0;
    default:
      print(`sms-verify: unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

if (require.main === module) void cliMain(process.argv.slice(2)).then((code) => process.exit(code));
