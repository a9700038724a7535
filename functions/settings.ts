/**
 * Deployment settings: one definition shared by the CDK stack (typed props and
 * context), the Lambda functions (environment variables) and the local runtime.
 *
 * Every setting has a camelCase name (stack prop and CDK context key) and an
 * environment variable with the same name in SCREAMING_SNAKE_CASE, e.g.
 * `codeTtlSeconds` ↔ `CODE_TTL_SECONDS`. The stack writes the variables; the
 * functions read them once per container and refuse to start on a bad value.
 */

export const ROUTE_NAMES = ['sns', 'pinpoint'] as const;
export type RouteName = (typeof ROUTE_NAMES)[number];

interface IntegerSpec {
  readonly type: 'integer';
  readonly default: number;
  readonly min: number;
  readonly max: number;
  readonly description: string;
}

interface TextSpec {
  readonly type: 'text';
  readonly pattern: RegExp;
  readonly rule: string;
  readonly description: string;
}

interface RoutesSpec {
  readonly type: 'routes';
  readonly description: string;
}

export const SETTING_SPECS = {
  smsRoutes: {
    type: 'routes',
    description:
      'SMS routes in the order they are used, comma separated (sns, pinpoint). Default: sns, then pinpoint when pinpointApplicationId is set.',
  },
  pinpointApplicationId: {
    type: 'text',
    pattern: /^[0-9a-f]{32}$/,
    rule: 'a 32-character hexadecimal Pinpoint project id',
    description: 'Pinpoint project (application) id with the SMS channel enabled; enables the pinpoint route.',
  },
  senderId: {
    type: 'text',
    pattern: /^(?=.*[A-Za-z])[A-Za-z0-9-]{1,11}$/,
    rule: '1-11 letters, digits or hyphens, with at least one letter',
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
    pattern: /^(?:0|[1-9][0-9]{0,2})(?:\.[0-9]{1,5})?$/,
    rule: 'a price in USD such as 0.05',
    description: 'Highest price in USD you are willing to pay for one SMS (SNS route); SNS refuses dearer messages.',
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
} as const satisfies Record<string, IntegerSpec | TextSpec | RoutesSpec>;

export type SettingName = keyof typeof SETTING_SPECS;

type ValueOf<S> = S extends IntegerSpec ? number : S extends RoutesSpec ? RouteName[] : string;
type IntegerNames = { [K in SettingName]: (typeof SETTING_SPECS)[K] extends IntegerSpec ? K : never }[SettingName];

/** Settings as a deployment states them: every one optional. */
export type DeploymentSettingsInput = { [K in SettingName]?: ValueOf<(typeof SETTING_SPECS)[K]> };

/** Settings after validation, with defaults applied. */
export type DeploymentSettings = { [K in IntegerNames]: number } & {
  smsRoutes: RouteName[];
  pinpointApplicationId?: string;
  senderId?: string;
  originationNumber?: string;
  maxPrice?: string;
};

export class InvalidSettingError extends Error {
  constructor(
    readonly setting: SettingName,
    message: string,
  ) {
    super(`Invalid setting ${setting} (${environmentName(setting)}): ${message}`);
    this.name = 'InvalidSettingError';
  }
}

/** `codeTtlSeconds` → `CODE_TTL_SECONDS`. */
export function environmentName(setting: SettingName): string {
  return setting.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase();
}

/** Validates settings and fills in defaults. Throws {@link InvalidSettingError}. */
export function resolveSettings(input: DeploymentSettingsInput): DeploymentSettings {
  const integer = (name: IntegerNames): number => {
    const spec = SETTING_SPECS[name];
    const value = input[name] ?? spec.default;
    if (!Number.isInteger(value) || value < spec.min || value > spec.max) {
      throw new InvalidSettingError(name, `must be an integer from ${spec.min} to ${spec.max}, got ${String(value)}`);
    }
    return value;
  };
  const text = (name: 'pinpointApplicationId' | 'senderId' | 'originationNumber' | 'maxPrice'): string | undefined => {
    const value = input[name];
    if (value === undefined || value === '') return undefined;
    const spec = SETTING_SPECS[name];
    if (!spec.pattern.test(value)) throw new InvalidSettingError(name, `must be ${spec.rule}, got "${value}"`);
    return value;
  };

  const pinpointApplicationId = text('pinpointApplicationId');
  const smsRoutes = input.smsRoutes ?? (pinpointApplicationId ? ['sns', 'pinpoint'] : ['sns']);
  if (smsRoutes.length === 0) throw new InvalidSettingError('smsRoutes', 'must name at least one route');
  for (const route of smsRoutes) {
    if (!ROUTE_NAMES.includes(route)) {
      throw new InvalidSettingError('smsRoutes', `unknown route "${route}"; routes are ${ROUTE_NAMES.join(', ')}`);
    }
  }
  if (new Set(smsRoutes).size !== smsRoutes.length) {
    throw new InvalidSettingError('smsRoutes', 'names a route more than once');
  }
  if (smsRoutes.includes('pinpoint') && !pinpointApplicationId) {
    throw new InvalidSettingError('smsRoutes', 'the pinpoint route needs pinpointApplicationId');
  }

  return {
    smsRoutes: [...smsRoutes],
    pinpointApplicationId,
    senderId: text('senderId'),
    originationNumber: text('originationNumber'),
    maxPrice: text('maxPrice'),
    codeTtlSeconds: integer('codeTtlSeconds'),
    maxFailedChecks: integer('maxFailedChecks'),
    lockSeconds: integer('lockSeconds'),
    routeSwitchSeconds: integer('routeSwitchSeconds'),
    defaultLimit: integer('defaultLimit'),
    defaultLimitTtlDays: integer('defaultLimitTtlDays'),
  };
}

/** Reads settings from environment variables (strings), as the functions and the local runtime do. */
export function readSettingsFromEnvironment(env: Readonly<Record<string, string | undefined>>): DeploymentSettings {
  const input: DeploymentSettingsInput = {};
  for (const name of Object.keys(SETTING_SPECS) as SettingName[]) {
    const raw = env[environmentName(name)]?.trim();
    if (raw === undefined || raw === '') continue;
    const spec = SETTING_SPECS[name];
    if (spec.type === 'integer') {
      if (!/^-?[0-9]+$/.test(raw)) throw new InvalidSettingError(name, `must be an integer, got "${raw}"`);
      (input as Record<string, unknown>)[name] = Number(raw);
    } else if (spec.type === 'routes') {
      input.smsRoutes = raw.split(',').map((route) => route.trim()) as RouteName[];
    } else {
      (input as Record<string, unknown>)[name] = raw;
    }
  }
  return resolveSettings(input);
}

/** The environment variables that carry resolved settings to a function. */
export function settingsToEnvironment(settings: DeploymentSettings): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of Object.keys(SETTING_SPECS) as SettingName[]) {
    const value = settings[name];
    if (value === undefined) continue;
    env[environmentName(name)] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return env;
}
