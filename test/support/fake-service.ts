/**
 * The send and verify handlers wired to in-memory fakes: the pure handler and
 * core, for unit tests (and the benchmark's core-overhead figure).
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { MetadataJson } from 'libphonenumber-js/core';
import maxMetadata from '../../functions/phone-metadata/max.json';
import minMetadata from '../../functions/phone-metadata/min.json';
import { createPhoneNumberReader } from '../../functions/core/phone-number';
import { createDigester, createSealer } from '../../functions/core/security-code';
import { createSendHandler } from '../../functions/entry/send-handler';
import { createVerifyHandler } from '../../functions/entry/verify-handler';
import { resolveSettings, type DeploymentSettingsInput } from '../../functions/settings';
import { CapturingLogger, CountingMetrics, FakeSmsRoute, FakeVoiceRoute, InMemoryVerificationStore, ManualClock, ScriptedRandom } from './fakes';
import { TEST_CODE_KEY } from './fixtures';

export function createFakeService(options: { settings?: DeploymentSettingsInput; randomValues?: number[] } = {}) {
  const settings = resolveSettings({
    smsRoutes: ['sns', 'pinpoint'],
    pinpointApplicationId: '0123456789abcdef0123456789abcdef',
    ...options.settings,
  });
  const store = new InMemoryVerificationStore();
  const routes = settings.smsRoutes.map((name) => new FakeSmsRoute(name));
  const voiceRoutes = settings.voiceRoutes.map((name) => new FakeVoiceRoute(name));
  const clock = new ManualClock();
  const random = new ScriptedRandom(options.randomValues ?? [12345]);
  const loadKey = async () => new TextEncoder().encode(TEST_CODE_KEY);
  const digester = createDigester(loadKey);
  const sealer = createSealer(loadKey);
  const logger = new CapturingLogger();
  const metrics = new CountingMetrics();
  const send = createSendHandler(
    {
      phoneNumbers: createPhoneNumberReader(maxMetadata as unknown as MetadataJson),
      store,
      digester,
      sealer,
      routes,
      voiceRoutes,
      clock,
      random,
    },
    settings,
    { logger, metrics },
  );
  const verify = createVerifyHandler(
    {
      phoneNumbers: createPhoneNumberReader(minMetadata as unknown as MetadataJson),
      store,
      digester,
      clock,
    },
    settings,
    { logger, metrics },
  );
  return { settings, store, routes, voiceRoutes, clock, random, logger, metrics, send, verify };
}

/**
 * Enough of a Lambda context for the handlers. Each call is a new invocation
 * with its own request id (a direct send's implicit idempotency key); pass an
 * id to replay an invocation, as Lambda does when it retries an async event.
 */
export function lambdaContext(requestId: string = randomUUID()): Context {
  return { awsRequestId: requestId } as Context;
}
