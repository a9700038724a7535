import {
  environmentName,
  InvalidSettingError,
  settingMeantBy,
  readSettingsFromEnvironment,
  resolveSettings,
  settingsToEnvironment,
} from '../../functions/settings';
import { PINPOINT_APPLICATION_ID } from '../support/fixtures';

describe('deployment settings', () => {
  it('defaults to SNS alone, the documented windows and every defence on', () => {
    expect(resolveSettings({})).toEqual({
      auth: 'iam',
      authorizerCacheSeconds: 300,
      existingTableName: undefined,
      existingCodeKeySecretArn: undefined,
      sendConcurrency: 100,
      verifyConcurrency: 100,
      authorizerConcurrency: 50,
      alarmTopicArn: undefined,
      alarmEmail: undefined,
      smsRoutes: ['sns'],
      notifyConfigurationId: undefined,
      notifyDisplayName: undefined,
      notifyDailyLimit: 200,
      pinpointApplicationId: undefined,
      senderId: undefined,
      originationNumber: undefined,
      maxPrice: undefined,
      codeTtlSeconds: 600,
      maxFailedChecks: 5,
      limitByMaxFailedChecks: 10,
      lockSeconds: 900,
      routeSwitchSeconds: 600,
      accountViewSeconds: 900,
      defaultLimit: 10,
      defaultLimitTtlDays: 1,
      allowedCountries: [],
      deniedCountries: [],
      allowedNumberTypes: ['MOBILE', 'FIXED_LINE_OR_MOBILE'],
      callerSendLimit: 30,
      callerSendWindowSeconds: 60,
      prefixSendLimit: 50,
      prefixSendWindowSeconds: 3600,
      prefixDigits: 4,
      globalSendLimit: 1000,
      globalSendWindowSeconds: 3600,
      voiceRoutes: [],
      voiceOriginationIdentity: undefined,
      allowedVoiceCountries: [],
      voiceFallbackAfter: 0,
      maxPricePerMinute: undefined,
      allowedVoiceNumberTypes: ['MOBILE', 'FIXED_LINE', 'FIXED_LINE_OR_MOBILE'],
      callerCallLimit: 5,
      callerCallWindowSeconds: 3600,
      prefixCallLimit: 10,
      prefixCallWindowSeconds: 3600,
      globalCallLimit: 100,
      globalCallWindowSeconds: 3600,
      callerVerifyLimit: 100,
      callerVerifyWindowSeconds: 900,
      conversionGuardMinSends: 20,
      conversionGuardPercent: 20,
      conversionGuardPauseSeconds: 3600,
      conversionGuardWindowSeconds: 3600,
      conversionGuardCountryPrefixes: 3,
      conversionFeedback: true,
      events: false,
      returnSecurityCode: true,
      testNumbers: [],
      webOtpDomain: undefined,
      androidAppHash: undefined,
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
      deniedCountries: ['RU', 'NG'],
      allowedNumberTypes: ['MOBILE'],
      returnSecurityCode: false,
    });

    expect(readSettingsFromEnvironment(settingsToEnvironment(settings))).toEqual(settings);
    expect(settingsToEnvironment(settings)).toMatchObject({ SMS_ROUTES: 'pinpoint,sns', CODE_TTL_SECONDS: '300' });
  });

  it.each([
    [{ CODE_TTL_SECONDS: '10' }, /codeTtlSeconds \(CODE_TTL_SECONDS\).*60 to 3600/],
    [{ MAX_FAILED_CHECKS: 'five' }, /MAX_FAILED_CHECKS.*integer/],
    [{ SMS_ROUTES: 'sns,carrier-pigeon' }, /SMS_ROUTES.*route names/],
    [{ ALLOWED_COUNTRIES: 'GB,gbr' }, /ALLOWED_COUNTRIES.*ISO 3166-1/],
    [{ ALLOWED_COUNTRIES: 'UK' }, /allowedCountries \(ALLOWED_COUNTRIES\).*"UK" is not a country code; did you mean GB\?/],
    [{ DENIED_COUNTRIES: 'ZZ' }, /deniedCountries \(DENIED_COUNTRIES\).*"ZZ" is not an ISO 3166-1 alpha-2 country code/],
    [{ ALLOWED_COUNTRIES: 'gb' }, /did you mean GB\?/],
    [{ ALLOWED_COUNTRIES: 'EL' }, /did you mean GR\?/],
    [{ AUTH: 'basic' }, /auth \(AUTH\): must be one of iam, api-key, got "basic"/],
    [{ ALLOWED_NUMBER_TYPES: 'MOBILE,PREMIUM_RATE' }, /ALLOWED_NUMBER_TYPES/],
    [{ RETURN_SECURITY_CODE: 'no' }, /RETURN_SECURITY_CODE.*true or false/],
    [{ GLOBAL_SEND_LIMIT: '-1' }, /GLOBAL_SEND_LIMIT/],
    [{ TEST_NUMBERS: '+12015550100' }, /TEST_NUMBERS.*=its fixed code|TEST_NUMBERS/],
    [{ TEST_NUMBERS: '+12015550100=12' }, /TEST_NUMBERS/],
    [{ WEB_OTP_DOMAIN: 'https://example.com' }, /WEB_OTP_DOMAIN.*host name/],
    [{ ANDROID_APP_HASH: 'short' }, /ANDROID_APP_HASH/],
    [{ SMS_ROUTES: 'sns,sns' }, /more than once/],
    [{ SMS_ROUTES: 'pinpoint' }, /needs pinpointApplicationId/],
    [{ SENDER_ID: 'Way too long sender' }, /SENDER_ID/],
    [{ SENDER_ID: 'AB' }, /senderId \(SENDER_ID\).*3-11 letters or digits/],
    [{ SENDER_ID: 'Acme-Co' }, /SENDER_ID.*3-11 letters or digits/],
    [{ SENDER_ID: '12345' }, /SENDER_ID.*at least one letter/],
    // End User Messaging's MaxPrice pattern: ^[0-9]{0,2}\.[0-9]{1,5}$
    [{ MAX_PRICE: '1' }, /maxPrice \(MAX_PRICE\).*decimal point/],
    [{ MAX_PRICE: '10' }, /MAX_PRICE/],
    [{ MAX_PRICE: '123.5' }, /MAX_PRICE/],
    [{ MAX_PRICE: '0.123456' }, /MAX_PRICE/],
    [{ GLOBAL_SEND_WINDOW_SECONDS: '90' }, /globalSendWindowSeconds \(GLOBAL_SEND_WINDOW_SECONDS\): must be a multiple of 60, got 90/],
    [{ ORIGINATION_NUMBER: '12065550100' }, /E\.164/],
  ])('refuses %j at start, naming the setting', (env, message) => {
    expect(() => readSettingsFromEnvironment(env)).toThrow(InvalidSettingError);
    expect(() => readSettingsFromEnvironment(env)).toThrow(message);
  });
});

it.each(['0.05', '.5', '10.5', '0.00645'])('takes a maxPrice both SNS and End User Messaging take: %s', (maxPrice) => {
  expect(resolveSettings({ maxPrice }).maxPrice).toBe(maxPrice);
});

it('takes every country code libphonenumber-js knows, Kosovo and Ascension included', () => {
  expect(resolveSettings({ allowedCountries: ['GB', 'US', 'XK', 'AC'] }).allowedCountries).toEqual(['GB', 'US', 'XK', 'AC']);
});

it('names the setting a near-miss name was meant to be, and nothing for names far from every setting', () => {
  expect(settingMeantBy('alowedCountries')).toBe('allowedCountries');
  expect(settingMeantBy('CodeTTLSeconds')).toBe('codeTtlSeconds');
  expect(settingMeantBy('allowedCountries')).toBeUndefined();
  expect(settingMeantBy('myOwnFlag')).toBeUndefined();
});
