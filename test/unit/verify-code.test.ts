import minMetadata from 'libphonenumber-js/min/metadata';
import { createPhoneNumberReader } from '../../functions/core/phone-number';
import type { CodeDigester } from '../../functions/core/ports';
import { createCodeDigester } from '../../functions/core/security-code';
import { verifySecurityCode } from '../../functions/core/verify-code';
import { CapturingLogger, InMemoryVerificationStore, ManualClock } from '../support/fakes';
import { GB_MOBILE, TEST_CODE_KEY } from '../support/fixtures';

async function setup() {
  const store = new InMemoryVerificationStore();
  const clock = new ManualClock();
  const logger = new CapturingLogger();
  const digester: CodeDigester = createCodeDigester(async () => new TextEncoder().encode(TEST_CODE_KEY));
  const issue = async (code: string, number = GB_MOBILE) =>
    store.recordCode({
      e164: number,
      codeDigest: await digester.digest(number, code),
      now: clock.now(),
      codeExpiresAt: clock.now() + 600_000,
      limit: 10,
      limitWindowMs: 86_400_000,
      routeSwitchWindowMs: 600_000,
      retainUntil: clock.now() + 90_000_000,
    });
  const check = (code: string, number = GB_MOBILE, countryCode?: string) =>
    verifySecurityCode(
      { number, securityCode: code, countryCode },
      {
        phoneNumbers: createPhoneNumberReader(minMetadata),
        store,
        digester,
        clock,
        logger,
        policy: { maxFailedChecks: 5, lockMs: 900_000 },
      },
    );
  return { store, clock, logger, issue, check };
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
});
