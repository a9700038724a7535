import minMetadata from 'libphonenumber-js/min/metadata';
import { createPhoneNumberReader } from '../../functions/core/phone-number';
import type { Digester } from '../../functions/core/ports';
import { createDigester } from '../../functions/core/security-code';
import { verifyPolicyFrom, verifySecurityCode } from '../../functions/core/verify-code';
import { resolveSettings } from '../../functions/settings';
import { CapturingLogger, CountingMetrics, InMemoryVerificationStore, ManualClock } from '../support/fakes';
import { GB_MOBILE, TEST_CODE_KEY } from '../support/fixtures';

async function setup(callerVerifyLimit = 100) {
  const store = new InMemoryVerificationStore();
  const clock = new ManualClock();
  const logger = new CapturingLogger();
  const metrics = new CountingMetrics();
  const digester: Digester = createDigester(async () => new TextEncoder().encode(TEST_CODE_KEY));
  const issue = async (code: string, number = GB_MOBILE) =>
    store.recordCode({
      e164: number,
      codeDigest: await digester.code(number, code),
      now: clock.now(),
      codeExpiresAt: clock.now() + 600_000,
      limit: 10,
      limitWindowMs: 86_400_000,
      routeSwitchWindowMs: 600_000,
      lockMs: 900_000,
      maxFailedChecks: 5,
      velocity: [],
    });
  const check = (code: string, number = GB_MOBILE, countryCode?: string, caller = 'ip:192.0.2.10') =>
    verifySecurityCode({ number, securityCode: code, countryCode }, caller, {
      phoneNumbers: createPhoneNumberReader(minMetadata),
      store,
      digester,
      clock,
      logger,
      metrics,
      policy: verifyPolicyFrom(resolveSettings({ callerVerifyLimit })),
    });
  return { store, clock, logger, metrics, issue, check };
}

describe('verifying a code', () => {
  it('accepts the right code once', async () => {
    const { issue, check } = await setup();
    await issue('12345');

    await expect(check('12345')).resolves.toBe(true);
    await expect(check('12345')).resolves.toBe(false);
  });

  it('accepts the number written another way', async () => {
    const { issue, check } = await setup();
    await issue('12345');

    await expect(check('12345', '07400 123456', 'GB')).resolves.toBe(true);
  });

  it('refuses a number that is not valid, without touching the store', async () => {
    const { check, store } = await setup();

    await expect(check('12345', 'nonsense')).resolves.toBe(false);
    expect(store.records.size).toBe(0);
  });

  it('logs why a check failed, with the number masked and no code', async () => {
    const { issue, check, logger } = await setup();
    await issue('12345');

    await check('54321');

    expect(logger.entries()).toContainEqual(expect.objectContaining({ why: 'wrong-code', number: '+44******3456' }));
    expect(logger.lines.join('\n')).not.toMatch(/12345|54321|447400123456/);
  });

  it('refuses a caller over its check limit with 429/32, while other callers go on', async () => {
    const { issue, check } = await setup(2);
    await issue('12345');
    await check('00000');
    await check('00001');

    await expect(check('12345')).rejects.toMatchObject({ name: 'VelocityLimitError', apiError: 32, httpStatus: 429 });
    await expect(check('99999', GB_MOBILE, undefined, 'ip:198.51.100.1')).resolves.toBe(false);
  });

  it('counts verifications, failures by reason, and the check that locks a number', async () => {
    const { issue, check, metrics } = await setup();
    await issue('12345');
    await check('12345');
    await check('12345', 'nonsense');
    await issue('54321');
    for (let i = 0; i < 5; i++) await check(`0000${i}`);
    await check('54321');

    expect(metrics.get('Verified')).toBe(1);
    expect(metrics.get('VerifiedByCountry Country=GB')).toBe(1);
    expect(metrics.get('VerificationFailed Reason=invalid-number')).toBe(1);
    expect(metrics.get('VerificationFailed Reason=wrong-code')).toBe(5);
    expect(metrics.get('NumbersLocked')).toBe(1);
    expect(metrics.get('VerificationFailed Reason=locked')).toBe(1);
  });
});
