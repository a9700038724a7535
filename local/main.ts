/**
 * `npm start`: the service on this machine with no AWS account.
 *   --persist            keep data in .local-data/ (git ignores it) instead of in memory
 *   PORT=3001            listen elsewhere (default 3000)
 *   SMS_VERIFY_PERSIST=1 same as --persist
 *   SMS_VERIFY_DATA_DIR  keep persisted data in this folder instead
 * Any deployment setting can be given as its environment variable, e.g. CODE_TTL_SECONDS=120.
 */
import * as path from 'node:path';
import { LocalSetupError } from './dynamodb-local';
import { startLocalService } from './server';

async function main(): Promise<void> {
  const persist = process.argv.includes('--persist') || ['1', 'true'].includes(process.env.SMS_VERIFY_PERSIST ?? '');
  const service = await startLocalService({
    persistDir: persist ? (process.env.SMS_VERIFY_DATA_DIR ?? path.join(__dirname, '..', '.local-data')) : undefined,
  });
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping DynamoDB Local and the SMS simulator…`);
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`Could not stop cleanly: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  // Setup problems get one line that says what to do; anything else is a bug worth its stack trace.
  console.error(error instanceof LocalSetupError ? `sms-verify: ${error.message}` : error);
  process.exit(1);
});
