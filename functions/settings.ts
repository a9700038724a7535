import countryCodes from './phone-metadata/countries.json';

/**
 * Deployment settings: one definition shared by the CDK stack (typed props and
 * context), the Lambda functions (environment variables) and the local runtime.
 *
 * Every setting has a camelCase name (stack prop and CDK context key) and an
 * environment variable with the same name in SCREAMING_SNAKE_CASE, e.g.
 * `codeTtlSeconds` ↔ `CODE_TTL_SECONDS`. The stack writes the variables; the
 * functions read them once per container and refuse to start on a bad value.
 */

export const ROUTE_NAMES = ['sns', 'notify', 'sms-voice-v2', 'pinpoint'] as const;
export type RouteName = (typeof ROUTE_NAMES)[number];
/** Routes that place a call which reads the code aloud: End User Messaging's SendVoiceMessage, and Notify's. */
export const VOICE_ROUTE_NAMES = ['voice', 'notify-voice'] as const;
export type VoiceRouteName = (typeof VOICE_ROUTE_NAMES)[number];

/** libphonenumber's number types that a deployment may choose to send to. */
export const SMS_NUMBER_TYPES = ['MOBILE', 'FIXED_LINE_OR_MOBILE', 'PERSONAL_NUMBER', 'VOIP'] as const;
export type SmsNumberType = (typeof SMS_NUMBER_TYPES)[number];
/**
 * Number types a call may go to. Premium rate, shared cost, UAN, pager, voicemail and toll-free ranges are never
 * called, whatever the settings: they are where international revenue share fraud pumps calls.
 */
export const VOICE_NUMBER_TYPES = ['MOBILE', 'FIXED_LINE', 'FIXED_LINE_OR_MOBILE', 'PERSONAL_NUMBER', 'VOIP'] as const;
export type VoiceNumberType = (typeof VOICE_NUMBER_TYPES)[number];

interface IntegerSpec {
  readonly type: 'integer';
  readonly default: number;
  readonly min: number;
  readonly max: number;
  /** The value must be a multiple of this (a CloudWatch period must be a whole number of minutes). */
  readonly step?: number;
  readonly description: string;
}

interface TextSpec {
  readonly type: 'text';
  readonly pattern: RegExp;
  readonly rule: string;
  readonly description: string;
}

interface ListSpec {
  readonly type: 'list';
  readonly item: RegExp;
  readonly rule: string;
  readonly description: string;
}

interface BooleanSpec {
  readonly type: 'boolean';
  readonly default: boolean;
  readonly description: string;
}

interface ChoiceSpec {
  readonly type: 'choice';
  readonly values: readonly string[];
  readonly default: string;
  readonly description: string;
}

/**
 * `stack`: a setting of the deployment itself (how the API authorizes, what the stack creates), read by the
 * construct and never passed to a function. Every other setting also reaches the functions as an environment variable.
 */
type Scope = { readonly scope?: 'stack' };

/** The ISO 3166-1 alpha-2 codes libphonenumber-js knows (generated: tools/generate-phone-metadata.ts). */
const COUNTRIES: ReadonlySet<string> = new Set(countryCodes);
const COUNTRY = /^[A-Z]{2}$/;
/** Codes people write for a country that ISO 3166-1 names otherwise. */
const COUNTRY_ALIASES: Readonly<Record<string, string>> = { UK: 'GB', EL: 'GR', EN: 'GB' };

/** What a country setting's entry should have been, when it is not a code libphonenumber-js knows. */
function countryMistake(entry: string): string | undefined {
  if (COUNTRIES.has(entry)) return undefined;
  const upper = entry.toUpperCase();
  const meant = COUNTRY_ALIASES[upper] ?? (COUNTRIES.has(upper) ? upper : undefined);
  if (meant) return `"${entry}" is not a country code; did you mean ${meant}?`;
  return `"${entry}" is not an ISO 3166-1 alpha-2 country code (two capital letters, such as GB or US)`;
}

export const SETTING_SPECS = {
  auth: {
    type: 'choice',
    values: ['iam', 'api-key'],
    default: 'iam',
    scope: 'stack',
    description:
      'How the HTTP API authorizes callers: iam (SigV4, execute-api:Invoke) or api-key (NeutrinoAPI\'s User-ID and ' +
      'API-Key headers, checked by a Lambda authorizer against keys kept as digests in the table).',
  },
  alarmTopicArn: {
    type: 'text',
    // An SNS topic ARN: arn:<partition>:sns:<region>:<account>:<name> (SNS topic names: 1-256 of [A-Za-z0-9_-], .fifo).
    pattern: /^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/,
    rule: 'an SNS topic ARN',
    scope: 'stack',
    description: 'SNS topic every alarm notifies, on alarm and on recovery (a pager, chat or e-mail subscription of your own).',
  },
  alarmEmail: {
    type: 'text',
    pattern: /^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$/,
    rule: 'an e-mail address',
    scope: 'stack',
    description: 'Makes a topic for the alarms with this address subscribed (AWS mails a confirmation link first).',
  },
  events: {
    type: 'boolean',
    default: false,
    scope: 'stack',
    description:
      'Publishes what happened to each code (sent, verified, replaced, revoked, a failed check, a lock, delivery ' +
      'receipts, feedback reported) to an EventBridge bus the stack makes, off the request path (docs/EVENTS.md).',
  },
  existingTableName: {
    type: 'text',
    // DynamoDB table names: 3-255 of [a-zA-Z0-9_.-].
    pattern: /^[a-zA-Z0-9_.-]{3,255}$/,
    rule: 'a DynamoDB table name',
    scope: 'stack',
    description:
      'Adopt this existing table (made by an earlier deployment, kept when it was deleted) instead of making one: its ' +
      'codes, limits, locks and API keys carry on. It must have the service\'s key (pk, a string) and TTL (expiresAt).',
  },
  existingCodeKeySecretArn: {
    type: 'text',
    pattern: /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/,
    rule: 'a Secrets Manager secret ARN (with its 6-character suffix)',
    scope: 'stack',
    description:
      'Adopt this existing code key (made by an earlier deployment) instead of making one: codes in flight stay ' +
      'verifiable across a redeploy from scratch. Give it with existingTableName.',
  },
  sendConcurrency: {
    type: 'integer',
    default: 100,
    min: 0,
    max: 10_000,
    scope: 'stack',
    description:
      'Reserved concurrency of the send function: at most this many sends at once, so that a slow provider cannot take ' +
      "the Region's concurrency from every other function (0: not reserved).",
  },
  verifyConcurrency: {
    type: 'integer',
    default: 100,
    min: 0,
    max: 10_000,
    scope: 'stack',
    description: 'Reserved concurrency of the verify function (0: not reserved).',
  },
  authorizerConcurrency: {
    type: 'integer',
    default: 50,
    min: 0,
    max: 10_000,
    scope: 'stack',
    description: "Reserved concurrency of API-key mode's authorizer (0: not reserved).",
  },
  authorizerCacheSeconds: {
    type: 'integer',
    default: 300,
    min: 0,
    // API Gateway takes up to 3 600; a revoked key must stop working within five minutes at most.
    max: 300,
    scope: 'stack',
    description:
      'API-key mode: how long the authorizer remembers a key it read, in each container. A revoked key works until ' +
      'then; 0 reads the table for every request.',
  },
  smsRoutes: {
    type: 'list',
    item: /^(sns|notify|sms-voice-v2|pinpoint)$/,
    rule: `route names (${ROUTE_NAMES.join(', ')})`,
    description:
      'SMS routes in the order they are used. Default: sns; then notify when notifyConfigurationId or ' +
      'notifyDisplayName is set; then sms-voice-v2 when originationIdentity or configurationSetName is set; then ' +
      'pinpoint when pinpointApplicationId is set.',
  },
  notifyConfigurationId: {
    type: 'text',
    // NotifyConfigurationIdOrArn: length 1-256, ^[A-Za-z0-9_:/-]+$ (aws-models/pinpoint-sms-voice-v2.json)
    pattern: /^[A-Za-z0-9_:/-]{1,256}$/,
    rule: 'a Notify configuration id or ARN',
    description: 'An existing End User Messaging Notify configuration (id or ARN); enables the notify route.',
  },
  notifyDisplayName: {
    type: 'text',
    // DisplayName of CreateNotifyConfiguration: length 1-15, ^[A-Za-z0-9_ -]+$ (aws-models/pinpoint-sms-voice-v2.json)
    pattern: /^[A-Za-z0-9_ -]{1,15}$/,
    rule: '1-15 letters, digits, spaces, "_" or "-"',
    description:
      'Makes the stack create a Notify configuration with this display name (the brand its texts show), for the ' +
      'countries of allowedCountries its Basic tier serves; enables the notify route.',
  },
  notifyDailyLimit: {
    type: 'integer',
    default: 200,
    min: 0,
    max: 10_000_000,
    scope: 'stack',
    description: "Notify sends a day the configuration's tier allows (Basic: 200): an alarm fires at 80 % of it (0: no alarm).",
  },
  pinpointApplicationId: {
    type: 'text',
    pattern: /^[0-9a-f]{32}$/,
    rule: 'a 32-character hexadecimal Pinpoint project id',
    description: 'Pinpoint project (application) id with the SMS channel enabled; enables the pinpoint route.',
  },
  originationIdentity: {
    type: 'text',
    pattern: /^[A-Za-z0-9_:/+.-]{1,256}$/,
    rule: 'a phone number, sender id, pool or their ARN or id',
    description: 'End User Messaging SMS origination identity for the sms-voice-v2 route; enables that route.',
  },
  configurationSetName: {
    type: 'text',
    pattern: /^[A-Za-z0-9_:/.-]{1,256}$/,
    rule: 'a configuration set name or ARN',
    description: 'End User Messaging SMS configuration set (event destinations, defaults) for the sms-voice-v2 route.',
  },
  protectConfigurationId: {
    type: 'text',
    pattern: /^[A-Za-z0-9_:/.-]{1,256}$/,
    rule: 'a protect configuration id or ARN',
    description: 'End User Messaging SMS protect configuration (country rules, SMS pumping protection) for sms-voice-v2.',
  },
  senderId: {
    type: 'text',
    // SNS ("AWS.SNS.SMS.SenderID") and Pinpoint take 3-11 alphanumeric characters with at least one letter.
    pattern: /^(?=.*[A-Za-z])[A-Za-z0-9]{3,11}$/,
    rule: '3-11 letters or digits, with at least one letter',
    description: 'Alphanumeric sender id, where the destination country supports one.',
  },
  originationNumber: {
    type: 'text',
    pattern: /^\+[1-9][0-9]{6,14}$/,
    rule: 'an E.164 number such as +12065550100',
    description: 'Origination phone number (long code, toll-free or 10DLC) registered in your account.',
  },
  maxPrice: {
    type: 'text',
    // End User Messaging's SendTextMessage takes MaxPrice only as ^[0-9]{0,2}\.[0-9]{1,5}$ (2-8 characters;
    // aws-models/pinpoint-sms-voice-v2.json, shape MaxPrice), and SNS any number: the setting takes what both do.
    pattern: /^[0-9]{0,2}\.[0-9]{1,5}$/,
    rule: 'a price in USD with a decimal point, at most 2 digits before it and 5 after, such as 0.05',
    description: 'Highest price in USD for one SMS on the routes that support it (SNS, End User Messaging); dearer messages are refused.',
  },
  codeTtlSeconds: {
    type: 'integer',
    default: 600,
    min: 60,
    max: 3_600,
    description: 'How long a code stays valid.',
  },
  maxFailedChecks: {
    type: 'integer',
    default: 5,
    min: 1,
    max: 20,
    description: 'Failed checks after which a number is locked.',
  },
  limitByMaxFailedChecks: {
    type: 'integer',
    default: 10,
    min: 1,
    max: 1_000,
    description: 'Failed checks carrying one limit-by value, across all numbers, within lockSeconds, after which checks carrying it are refused.',
  },
  lockSeconds: {
    type: 'integer',
    default: 900,
    min: 60,
    max: 86_400,
    description: 'How long a locked number refuses every check, counted from the failed check that locked it.',
  },
  routeSwitchSeconds: {
    type: 'integer',
    default: 600,
    min: 0,
    max: 86_400,
    description: 'A send to the same number within this window of the previous one uses the next route.',
  },
  accountViewSeconds: {
    type: 'integer',
    default: 900,
    min: 0,
    max: 86_400,
    description:
      'How long the SNS route trusts what it read of the account (SMS sandbox, verified numbers, origination numbers) ' +
      'before reading it again; 0 reads it for every send (npm start does, so that PUT /local/account takes effect at once).',
  },
  defaultLimit: {
    type: 'integer',
    default: 10,
    min: 1,
    max: 100,
    description: 'SMS per number per limit window when the request gives no `limit`.',
  },
  defaultLimitTtlDays: {
    type: 'integer',
    default: 1,
    min: 1,
    max: 365,
    description: 'Length of the limit window in days when the request gives no `limit-ttl`.',
  },
  allowedCountries: {
    type: 'list',
    item: COUNTRY,
    rule: 'ISO 3166-1 alpha-2 country codes such as GB',
    description: 'Only numbers of these countries are sent to. Empty: every country not denied.',
  },
  deniedCountries: {
    type: 'list',
    item: COUNTRY,
    rule: 'ISO 3166-1 alpha-2 country codes such as GB',
    description: 'Numbers of these countries are never sent to.',
  },
  allowedNumberTypes: {
    type: 'list',
    item: /^(MOBILE|FIXED_LINE_OR_MOBILE|PERSONAL_NUMBER|VOIP)$/,
    rule: `number types (${SMS_NUMBER_TYPES.join(', ')})`,
    description: 'Number types that are sent to. Default: MOBILE, FIXED_LINE_OR_MOBILE.',
  },
  callerSendLimit: {
    type: 'integer',
    default: 30,
    min: 0,
    max: 1_000_000,
    description: 'Sends per caller per callerSendWindowSeconds (0: no limit).',
  },
  callerSendWindowSeconds: {
    type: 'integer',
    default: 60,
    min: 1,
    max: 86_400,
    description: 'Window of callerSendLimit.',
  },
  prefixSendLimit: {
    type: 'integer',
    default: 50,
    min: 0,
    max: 1_000_000,
    description: 'Sends per destination prefix per prefixSendWindowSeconds (0: no limit).',
  },
  prefixSendWindowSeconds: {
    type: 'integer',
    default: 3_600,
    min: 1,
    max: 86_400,
    description: 'Window of prefixSendLimit.',
  },
  prefixDigits: {
    type: 'integer',
    default: 4,
    min: 1,
    max: 10,
    description: 'Digits of the national number that, with the country calling code, make a destination prefix.',
  },
  globalSendLimit: {
    type: 'integer',
    default: 1_000,
    min: 0,
    max: 10_000_000,
    description: 'SMS of the whole deployment per globalSendWindowSeconds: the circuit breaker for a runaway bill (0: no limit).',
  },
  globalSendWindowSeconds: {
    type: 'integer',
    default: 3_600,
    min: 60,
    max: 86_400,
    // The ceiling's alarm uses the window as its period, which CloudWatch takes only in whole minutes.
    step: 60,
    description: 'Window of globalSendLimit.',
  },
  voiceRoutes: {
    type: 'list',
    item: /^(voice|notify-voice)$/,
    rule: `voice route names (${VOICE_ROUTE_NAMES.join(', ')})`,
    description:
      'Routes that place a call reading the code aloud, in the order they are used. Default, when ' +
      'allowedVoiceCountries names a country: voice when voiceOriginationIdentity is set, then notify-voice when a ' +
      'Notify configuration is (its VOICE channel).',
  },
  voiceOriginationIdentity: {
    type: 'text',
    // VoiceMessageOriginationIdentity: length 1-256, ^[A-Za-z0-9_:/\+-]+$ (aws-models/pinpoint-sms-voice-v2.json). A
    // call needs a voice-capable phone number or a pool of them: its E.164 number, phone-/pool- id or ARN; a sender
    // id never calls.
    pattern: /^(\+[1-9][0-9]{1,18}|(phone|pool)-[A-Za-z0-9]{1,251}|arn:[A-Za-z0-9_:/+-]*:(phone-number|pool)\/[A-Za-z0-9_-]+)$/,
    rule: 'a voice-capable phone number (E.164), its phone- id, a pool- id, or the ARN of either (a sender id cannot call)',
    description: 'End User Messaging phone number or pool that places calls (VOICE capability); enables the voice route.',
  },
  maxPricePerMinute: {
    type: 'text',
    // MaxPrice: length 2-8, ^[0-9]{0,2}\.[0-9]{1,5}$ (aws-models/pinpoint-sms-voice-v2.json, SendVoiceMessage).
    pattern: /^[0-9]{0,2}\.[0-9]{1,5}$/,
    rule: 'a price in USD with a decimal point, such as 0.10',
    description: 'Most a call may cost per minute, in USD (SendVoiceMessage MaxPricePerMinute); the voice route only.',
  },
  allowedVoiceCountries: {
    type: 'list',
    item: COUNTRY,
    rule: 'ISO 3166-1 alpha-2 country codes such as GB',
    description: 'Calls go only to numbers of these countries. Empty (the default): no calls at all.',
  },
  allowedVoiceNumberTypes: {
    type: 'list',
    item: /^(MOBILE|FIXED_LINE|FIXED_LINE_OR_MOBILE|PERSONAL_NUMBER|VOIP)$/,
    rule: `number types (${VOICE_NUMBER_TYPES.join(', ')})`,
    description: 'Number types that are called. Default: MOBILE, FIXED_LINE, FIXED_LINE_OR_MOBILE.',
  },
  voiceFallbackAfter: {
    type: 'integer',
    default: 0,
    min: 0,
    max: 10,
    description:
      'The Nth send to a number within routeSwitchSeconds is a call instead of a text (0: never; at least 2).',
  },
  callerCallLimit: {
    type: 'integer',
    default: 5,
    min: 0,
    max: 1_000_000,
    description: 'Calls one caller may have placed per window (0: no limit).',
  },
  callerCallWindowSeconds: {
    type: 'integer',
    default: 3_600,
    min: 1,
    max: 86_400,
    description: 'Window of callerCallLimit.',
  },
  prefixCallLimit: {
    type: 'integer',
    default: 10,
    min: 0,
    max: 1_000_000,
    description: 'Calls to one destination prefix (country code and prefixDigits more digits) per window (0: no limit).',
  },
  prefixCallWindowSeconds: {
    type: 'integer',
    default: 3_600,
    min: 1,
    max: 86_400,
    description: 'Window of prefixCallLimit.',
  },
  globalCallLimit: {
    type: 'integer',
    default: 100,
    min: 0,
    max: 10_000_000,
    description: 'Calls the whole deployment may place per window (0: no ceiling).',
  },
  globalCallWindowSeconds: {
    type: 'integer',
    default: 3_600,
    min: 60,
    max: 86_400,
    step: 60,
    description: 'Window of globalCallLimit.',
  },
  callerVerifyLimit: {
    type: 'integer',
    default: 100,
    min: 0,
    max: 1_000_000,
    description: 'Checks per caller per callerVerifyWindowSeconds, across all numbers (0: no limit).',
  },
  callerVerifyWindowSeconds: {
    type: 'integer',
    default: 900,
    min: 1,
    max: 86_400,
    description: 'Window of callerVerifyLimit.',
  },
  testNumbers: {
    type: 'list',
    item: /^\+[1-9][0-9]{6,14}=[0-9]{4,12}$/,
    rule: 'entries such as +12015550100=123456 (an E.164 number, "=", its fixed code)',
    description:
      'Fictional numbers with fixed codes, for app-store review and end-to-end tests: never texted, and their code ' +
      'verifies like a sent one. Off by default; never list a real person\'s number.',
  },
  webOtpDomain: {
    type: 'text',
    pattern: /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    rule: 'a lower-case host name such as example.com',
    description: 'Adds the WebOTP line "@<domain> #<code>" so browsers on that origin offer the code.',
  },
  androidAppHash: {
    type: 'text',
    pattern: /^[A-Za-z0-9+/]{11}$/,
    rule: 'the 11-character app hash of the SMS Retriever API',
    description: 'Adds your Android app hash so the SMS Retriever API hands the code to your app.',
  },
  conversionGuardMinSends: {
    type: 'integer',
    default: 20,
    min: 0,
    max: 100_000,
    description:
      'The conversion guard: codes sent to one destination prefix in conversionGuardWindowSeconds before the prefix ' +
      'is judged; 0 turns the guard off.',
  },
  conversionGuardPercent: {
    type: 'integer',
    default: 20,
    min: 1,
    max: 100,
    description: 'The conversion guard pauses a prefix whose verified share of codes is below this percentage.',
  },
  conversionGuardPauseSeconds: {
    type: 'integer',
    default: 3_600,
    min: 60,
    max: 86_400,
    description: 'How long the conversion guard pauses sends and calls to a prefix.',
  },
  conversionGuardWindowSeconds: {
    type: 'integer',
    default: 3_600,
    min: 300,
    max: 86_400,
    description: 'The conversion guard\'s window: its counts of sends and verifications per prefix start again in each.',
  },
  conversionGuardCountryPrefixes: {
    type: 'integer',
    default: 3,
    min: 0,
    max: 1_000,
    description:
      'The conversion guard pauses a whole country once this many of its prefixes were paused in one guard window ' +
      '(every prefix of it seen in that window, and each new one at its first send); 0: prefixes only.',
  },
  conversionFeedback: {
    type: 'boolean',
    default: true,
    description:
      'End User Messaging routes ask for message feedback, and the outcomes function reports each message RECEIVED ' +
      'when its code is used and FAILED when a new code replaces it. Only with a configuration set whose events reach ' +
      'that function (the stack makes one).',
  },
  returnSecurityCode: {
    type: 'boolean',
    default: true,
    description: 'Whether a send answer carries a generated code in `security-code` (false: "" instead).',
  },
} as const satisfies Record<string, (IntegerSpec | TextSpec | ListSpec | BooleanSpec | ChoiceSpec) & Scope>;

export type SettingName = keyof typeof SETTING_SPECS;
type Specs = typeof SETTING_SPECS;
type NamesOf<T> = { [K in SettingName]: Specs[K] extends T ? K : never }[SettingName];
type IntegerName = NamesOf<IntegerSpec>;
type TextName = NamesOf<TextSpec>;
type ListName = NamesOf<ListSpec>;
type BooleanName = NamesOf<BooleanSpec>;
type ChoiceName = NamesOf<ChoiceSpec>;

/** Settings after validation, with defaults applied. */
export type DeploymentSettings = { [K in IntegerName]: number } & { [K in BooleanName]: boolean } & {
  [K in ChoiceName]: Specs[K]['values'][number];
} & {
  [K in TextName]?: string;
} & {
  smsRoutes: RouteName[];
  testNumbers: string[];
  allowedCountries: string[];
  deniedCountries: string[];
  allowedNumberTypes: SmsNumberType[];
  voiceRoutes: VoiceRouteName[];
  allowedVoiceCountries: string[];
  allowedVoiceNumberTypes: VoiceNumberType[];
};

/** Settings as a deployment states them: every one optional. */
export type DeploymentSettingsInput = Partial<DeploymentSettings>;

export class InvalidSettingError extends Error {
  constructor(
    readonly setting: SettingName,
    message: string,
  ) {
    super(`Invalid setting ${setting} (${environmentName(setting)}): ${message}`);
    this.name = 'InvalidSettingError';
  }
}

/** A name given as a setting that is none, but close to one: a typo that would otherwise be ignored. */
export class UnknownSettingError extends Error {
  constructor(
    readonly given: string,
    readonly meant: SettingName,
  ) {
    super(`Unknown setting ${given}: did you mean ${meant}?`);
    this.name = 'UnknownSettingError';
  }
}

/** The setting a name was probably meant to be (two edits away at most, any case), if any. */
export function settingMeantBy(name: string): SettingName | undefined {
  if (Object.hasOwn(SETTING_SPECS, name)) return undefined;
  return (Object.keys(SETTING_SPECS) as SettingName[]).find((setting) => editDistance(setting.toLowerCase(), name.toLowerCase()) <= 2);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** `codeTtlSeconds` → `CODE_TTL_SECONDS`. */
export function environmentName(setting: SettingName): string {
  return setting.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase();
}

/** Validates settings and fills in defaults. Throws {@link InvalidSettingError}. */
export function resolveSettings(input: DeploymentSettingsInput): DeploymentSettings {
  const integer = (name: IntegerName): number => {
    const spec = SETTING_SPECS[name];
    const value = input[name] ?? spec.default;
    if (!Number.isInteger(value) || value < spec.min || value > spec.max) {
      throw new InvalidSettingError(name, `must be an integer from ${spec.min} to ${spec.max}, got ${String(value)}`);
    }
    const step = (spec as IntegerSpec).step;
    if (step !== undefined && value % step !== 0) {
      throw new InvalidSettingError(name, `must be a multiple of ${step}, got ${String(value)}`);
    }
    return value;
  };
  const text = (name: TextName): string | undefined => {
    const value = input[name];
    if (value === undefined || value === '') return undefined;
    const spec = SETTING_SPECS[name];
    if (typeof value !== 'string' || !spec.pattern.test(value)) {
      throw new InvalidSettingError(name, `must be ${spec.rule}, got "${String(value)}"`);
    }
    return value;
  };
  const list = <T extends string>(name: ListName, fallback: readonly T[]): T[] => {
    const value: unknown = input[name] ?? fallback;
    const spec: ListSpec = SETTING_SPECS[name];
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
      throw new InvalidSettingError(name, `must be a list of ${spec.rule}, got ${JSON.stringify(value)}`);
    }
    for (const item of value as string[]) {
      const mistake = spec.item === COUNTRY ? countryMistake(item) : spec.item.test(item) ? undefined : `"${item}" is not one`;
      if (mistake) throw new InvalidSettingError(name, `must be a list of ${spec.rule}: ${mistake}`);
    }
    if (new Set(value).size !== value.length) throw new InvalidSettingError(name, 'names an entry more than once');
    return [...(value as T[])];
  };
  const boolean = (name: BooleanName): boolean => {
    const value = input[name] ?? SETTING_SPECS[name].default;
    if (typeof value !== 'boolean') throw new InvalidSettingError(name, `must be true or false, got ${String(value)}`);
    return value;
  };
  const choice = <K extends ChoiceName>(name: K): DeploymentSettings[K] => {
    const spec: ChoiceSpec = SETTING_SPECS[name];
    const value: unknown = input[name] ?? spec.default;
    if (typeof value !== 'string' || !spec.values.includes(value)) {
      throw new InvalidSettingError(name, `must be one of ${spec.values.join(', ')}, got ${JSON.stringify(value)}`);
    }
    return value as DeploymentSettings[K];
  };

  const pinpointApplicationId = text('pinpointApplicationId');
  const originationIdentity = text('originationIdentity');
  const configurationSetName = text('configurationSetName');
  const notifyConfigurationId = text('notifyConfigurationId');
  const notifyDisplayName = text('notifyDisplayName');
  // SNS first, as asked of this project; Notify right after it, so that what SNS cannot deliver (a sandboxed account,
  // a US number without an identity) goes out through Notify within the same request.
  const defaultRoutes: RouteName[] = ['sns'];
  if (notifyConfigurationId || notifyDisplayName) defaultRoutes.push('notify');
  if (originationIdentity || configurationSetName) defaultRoutes.push('sms-voice-v2');
  if (pinpointApplicationId) defaultRoutes.push('pinpoint');
  const smsRoutes = list<RouteName>('smsRoutes', defaultRoutes);
  if (smsRoutes.length === 0) throw new InvalidSettingError('smsRoutes', 'must name at least one route');
  if (smsRoutes.includes('pinpoint') && !pinpointApplicationId) {
    throw new InvalidSettingError('smsRoutes', 'the pinpoint route needs pinpointApplicationId');
  }
  if (smsRoutes.includes('notify') && !notifyConfigurationId && !notifyDisplayName) {
    throw new InvalidSettingError('smsRoutes', 'the notify route needs notifyConfigurationId (an existing configuration) or notifyDisplayName (the stack makes one)');
  }
  const allowedNumberTypes = list<SmsNumberType>('allowedNumberTypes', ['MOBILE', 'FIXED_LINE_OR_MOBILE']);
  if (allowedNumberTypes.length === 0) {
    throw new InvalidSettingError('allowedNumberTypes', 'must name at least one number type');
  }
  const voice = voiceSettings(
    {
      voiceOriginationIdentity: text('voiceOriginationIdentity'),
      allowedVoiceCountries: list('allowedVoiceCountries', []),
      notify: Boolean(notifyConfigurationId || notifyDisplayName),
    },
    (fallback) => list<VoiceRouteName>('voiceRoutes', fallback),
    integer('voiceFallbackAfter'),
  );
  const allowedVoiceNumberTypes = list<VoiceNumberType>('allowedVoiceNumberTypes', ['MOBILE', 'FIXED_LINE', 'FIXED_LINE_OR_MOBILE']);
  if (allowedVoiceNumberTypes.length === 0) {
    throw new InvalidSettingError('allowedVoiceNumberTypes', 'must name at least one number type');
  }
  // A pause is written on every window of the prefix limits it overlaps (functions/adapters/dynamodb-guard.ts): bound them.
  for (const window of ['prefixSendWindowSeconds', 'prefixCallWindowSeconds'] as const) {
    if (integer('conversionGuardMinSends') > 0 && integer('conversionGuardPauseSeconds') > 24 * integer(window)) {
      throw new InvalidSettingError('conversionGuardPauseSeconds', `a pause may span at most 24 windows of ${window} (${24 * integer(window)} s)`);
    }
  }

  return {
    auth: choice('auth'),
    authorizerCacheSeconds: integer('authorizerCacheSeconds'),
    existingTableName: text('existingTableName'),
    existingCodeKeySecretArn: text('existingCodeKeySecretArn'),
    sendConcurrency: integer('sendConcurrency'),
    verifyConcurrency: integer('verifyConcurrency'),
    authorizerConcurrency: integer('authorizerConcurrency'),
    alarmTopicArn: text('alarmTopicArn'),
    alarmEmail: text('alarmEmail'),
    smsRoutes,
    notifyConfigurationId,
    notifyDisplayName,
    notifyDailyLimit: integer('notifyDailyLimit'),
    pinpointApplicationId,
    originationIdentity,
    configurationSetName,
    protectConfigurationId: text('protectConfigurationId'),
    senderId: text('senderId'),
    originationNumber: text('originationNumber'),
    maxPrice: text('maxPrice'),
    codeTtlSeconds: integer('codeTtlSeconds'),
    maxFailedChecks: integer('maxFailedChecks'),
    limitByMaxFailedChecks: integer('limitByMaxFailedChecks'),
    lockSeconds: integer('lockSeconds'),
    routeSwitchSeconds: integer('routeSwitchSeconds'),
    accountViewSeconds: integer('accountViewSeconds'),
    defaultLimit: integer('defaultLimit'),
    defaultLimitTtlDays: integer('defaultLimitTtlDays'),
    allowedCountries: list('allowedCountries', []),
    deniedCountries: list('deniedCountries', []),
    allowedNumberTypes,
    callerSendLimit: integer('callerSendLimit'),
    callerSendWindowSeconds: integer('callerSendWindowSeconds'),
    prefixSendLimit: integer('prefixSendLimit'),
    prefixSendWindowSeconds: integer('prefixSendWindowSeconds'),
    prefixDigits: integer('prefixDigits'),
    globalSendLimit: integer('globalSendLimit'),
    globalSendWindowSeconds: integer('globalSendWindowSeconds'),
    ...voice,
    maxPricePerMinute: text('maxPricePerMinute'),
    allowedVoiceNumberTypes,
    callerCallLimit: integer('callerCallLimit'),
    callerCallWindowSeconds: integer('callerCallWindowSeconds'),
    prefixCallLimit: integer('prefixCallLimit'),
    prefixCallWindowSeconds: integer('prefixCallWindowSeconds'),
    globalCallLimit: integer('globalCallLimit'),
    globalCallWindowSeconds: integer('globalCallWindowSeconds'),
    callerVerifyLimit: integer('callerVerifyLimit'),
    callerVerifyWindowSeconds: integer('callerVerifyWindowSeconds'),
    conversionGuardMinSends: integer('conversionGuardMinSends'),
    conversionGuardPercent: integer('conversionGuardPercent'),
    conversionGuardPauseSeconds: integer('conversionGuardPauseSeconds'),
    conversionGuardWindowSeconds: integer('conversionGuardWindowSeconds'),
    conversionGuardCountryPrefixes: integer('conversionGuardCountryPrefixes'),
    conversionFeedback: boolean('conversionFeedback'),
    events: boolean('events'),
    returnSecurityCode: boolean('returnSecurityCode'),
    testNumbers: list('testNumbers', []),
    webOtpDomain: text('webOtpDomain'),
    androidAppHash: text('androidAppHash'),
  };
}

/**
 * Calls are off unless allowedVoiceCountries names a country: a call costs many times a text, and high-cost ranges
 * are where toll fraud lives, so a deployment says where it calls. A voice route with no country, a country with no
 * voice route, and a fallback with nothing to fall back to are each refused, naming the setting.
 */
function voiceSettings(
  given: { voiceOriginationIdentity: string | undefined; allowedVoiceCountries: string[]; notify: boolean },
  voiceRoutesOr: (fallback: VoiceRouteName[]) => VoiceRouteName[],
  voiceFallbackAfter: number,
) {
  const { voiceOriginationIdentity, allowedVoiceCountries } = given;
  const defaults: VoiceRouteName[] = [];
  if (allowedVoiceCountries.length > 0 && voiceOriginationIdentity) defaults.push('voice');
  if (allowedVoiceCountries.length > 0 && given.notify) defaults.push('notify-voice');
  const voiceRoutes = voiceRoutesOr(defaults);
  if ((voiceRoutes.length > 0 || voiceOriginationIdentity) && allowedVoiceCountries.length === 0) {
    throw new InvalidSettingError('allowedVoiceCountries', 'name the countries calls may go to (such as GB,US): with none, no call is placed');
  }
  if (allowedVoiceCountries.length > 0 && voiceRoutes.length === 0) {
    throw new InvalidSettingError('voiceRoutes', 'calls need a route: set voiceOriginationIdentity (a voice-capable number) or a Notify configuration with its VOICE channel');
  }
  if (voiceRoutes.includes('voice') && !voiceOriginationIdentity) {
    throw new InvalidSettingError('voiceRoutes', 'the voice route needs voiceOriginationIdentity');
  }
  if (voiceRoutes.includes('notify-voice') && !given.notify) {
    throw new InvalidSettingError('voiceRoutes', 'the notify-voice route needs notifyConfigurationId or notifyDisplayName');
  }
  if (voiceFallbackAfter === 1) throw new InvalidSettingError('voiceFallbackAfter', 'must be 0 (off) or at least 2: a first send that is always a call is /phone-verify');
  if (voiceFallbackAfter > 0 && voiceRoutes.length === 0) {
    throw new InvalidSettingError('voiceFallbackAfter', 'a call needs voice routes and allowedVoiceCountries');
  }
  return { voiceRoutes, voiceOriginationIdentity, allowedVoiceCountries, voiceFallbackAfter };
}

/**
 * Reads a setting given as text (an environment variable, or `-c name=value`
 * CDK context) into its typed value; validation is left to {@link resolveSettings}.
 */
export function settingFromText(name: SettingName, raw: string): unknown {
  const spec = SETTING_SPECS[name];
  switch (spec.type) {
    case 'integer':
      if (!/^-?[0-9]+$/.test(raw)) throw new InvalidSettingError(name, `must be an integer, got "${raw}"`);
      return Number(raw);
    case 'list':
      return raw === '' ? [] : raw.split(',').map((item) => item.trim());
    case 'boolean':
      if (raw !== 'true' && raw !== 'false') throw new InvalidSettingError(name, `must be true or false, got "${raw}"`);
      return raw === 'true';
    case 'text':
    case 'choice':
      return raw;
  }
}

/** Reads settings from environment variables (strings), as the functions and the local runtime do. */
export function readSettingsFromEnvironment(env: Readonly<Record<string, string | undefined>>): DeploymentSettings {
  const input: Record<string, unknown> = {};
  for (const name of Object.keys(SETTING_SPECS) as SettingName[]) {
    const raw = env[environmentName(name)]?.trim();
    if (raw === undefined || (raw === '' && SETTING_SPECS[name].type !== 'list')) continue;
    input[name] = settingFromText(name, raw);
  }
  return resolveSettings(input as DeploymentSettingsInput);
}

/** The environment variables that carry resolved settings to a function (a stack's own settings stay with it). */
export function settingsToEnvironment(settings: DeploymentSettings): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of Object.keys(SETTING_SPECS) as SettingName[]) {
    if ((SETTING_SPECS[name] as Scope).scope === 'stack') continue;
    const value = settings[name];
    if (value === undefined) continue;
    env[environmentName(name)] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return env;
}
