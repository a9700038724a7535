import {
  environmentName,
  InvalidSettingError,
  readSettingsFromEnvironment,
  resolveSettings,
  settingsToEnvironment,
} from '../../functions/settings';
import { PINPOINT_APPLICATION_ID } from '../support/fixtures';

describe('deployment settings', () => {
  it('defaults to SNS alone and the documented windows', () => {
    expect(resolveSettings({})).toEqual({
      smsRoutes: ['sns'],
      pinpointApplicationId: undefined,
      senderId: undefined,
      originationNumber: undefined,
      maxPrice: undefined,
      codeTtlSeconds: 600,
      maxFailedChecks: 5,
      lockSeconds: 900,
      routeSwitchSeconds: 600,
      defaultLimit: 10,
      defaultLimitTtlDays: 1,
    });
  });

  it('adds the pinpoint route when a Pinpoint application is configured', () => {
    expect(resolveSettings({ pinpointApplicationId: PINPOINT_APPLICATION_ID }).smsRoutes).toEqual(['sns', 'pinpoint']);
  });

  it('names each environment variable after its setting', () => {
    expect(environmentName('codeTtlSeconds')).toBe('CODE_TTL_SECONDS');
    expect(environmentName('smsRoutes')).toBe('SMS_ROUTES');
  });

  it('round-trips through environment variables', () => {
    const settings = resolveSettings({
      smsRoutes: ['pinpoint', 'sns'],
      pinpointApplicationId: PINPOINT_APPLICATION_ID,
      senderId: 'Acme',
      maxPrice: '0.05',
      codeTtlSeconds: 300,
    });

    expect(readSettingsFromEnvironment(settingsToEnvironment(settings))).toEqual(settings);
    expect(settingsToEnvironment(settings)).toMatchObject({ SMS_ROUTES: 'pinpoint,sns', CODE_TTL_SECONDS: '300' });
  });

  it.each([
    [{ CODE_TTL_SECONDS: '10' }, /codeTtlSeconds \(CODE_TTL_SECONDS\).*60 to 3600/],
    [{ MAX_FAILED_CHECKS: 'five' }, /MAX_FAILED_CHECKS.*integer/],
    [{ SMS_ROUTES: 'sns,carrier-pigeon' }, /unknown route "carrier-pigeon"/],
    [{ SMS_ROUTES: 'sns,sns' }, /more than once/],
    [{ SMS_ROUTES: 'pinpoint' }, /needs pinpointApplicationId/],
    [{ SENDER_ID: 'Way too long sender' }, /SENDER_ID/],
    [{ ORIGINATION_NUMBER: '12065550100' }, /E\.164/],
  ])('refuses %j at start, naming the setting', (env, message) => {
    expect(() => readSettingsFromEnvironment(env)).toThrow(InvalidSettingError);
    expect(() => readSettingsFromEnvironment(env)).toThrow(message);
  });
});
