/**
 * The request contract (NeutrinoAPI SMS Verify compatible): raw parameters, as
 * they arrive in a JSON body, a form body or a direct invocation, are parsed
 * into typed requests here and nowhere else. Every refusal names the parameter.
 */
import { InvalidParameterError, type ParameterType } from './errors';
import { LANGUAGE_CODES, type LanguageCode } from './messages';
import { MAX_CODE_LENGTH, MIN_CODE_LENGTH } from './security-code';

export type RawParameters = Readonly<Record<string, unknown>>;

/** How a code reaches the person: a text (/sms-verify), or a call that reads it aloud (/phone-verify). */
export type Channel = 'sms' | 'voice';

export interface SendRequest {
  channel: Channel;
  /** A call's pause between the digits it reads, in milliseconds (`playback-delay`). */
  playbackDelayMs?: number;
  number: string;
  codeLength: number;
  /** A caller-supplied code (e.g. TOTP); generated when absent. */
  securityCode?: string;
  countryCode?: string;
  language: LanguageCode;
  brandName?: string;
  limit: number;
  limitTtlDays: number;
}

export interface VerifyRequest {
  number: string;
  securityCode: string;
  countryCode?: string;
  /** A value (a user id, an IP address) whose failed checks, across numbers, are limited as well. */
  limitBy?: string;
}

export interface SendDefaults {
  codeLength: number;
  limit: number;
  limitTtlDays: number;
}

export const SEND_PARAMETERS = [
  'number',
  'code-length',
  'security-code',
  'country-code',
  'language-code',
  'brand-name',
  'limit',
  'limit-ttl',
] as const;
/**
 * NeutrinoAPI Phone Verify's parameters, and `brand-name`, which this service's calls say before the code as its
 * texts do (an addition: NeutrinoAPI's calls name no brand).
 */
export const PHONE_VERIFY_PARAMETERS = [...SEND_PARAMETERS, 'playback-delay'] as const;
export const VERIFY_PARAMETERS = ['number', 'security-code', 'country-code', 'limit-by'] as const;
/** What every route reads besides its own parameters, or refuses by name. */
export const SHARED_PARAMETERS = ['output-case', 'output-format', 'user-id', 'api-key', 'idempotency-key'] as const;
const KNOWN_NAMES: ReadonlySet<string> = new Set<string>([...SEND_PARAMETERS, ...PHONE_VERIFY_PARAMETERS, ...VERIFY_PARAMETERS, ...SHARED_PARAMETERS]);

/** Parameters under the names this API reads, and how the request spelled each one it spelled another way. */
export interface NamedParameters {
  parameters: RawParameters;
  /** Name → the request's spelling, for names the request spelled otherwise (`code-length` → `code_length`). */
  spellings: ReadonlyMap<string, string>;
}

/**
 * NeutrinoAPI's Python client sends the keys of its own examples as they are, in snake case (`code_length`,
 * `language_code`, `limit_ttl`): each is read as the parameter it spells. A request that gives one parameter in
 * both spellings is refused, as a repeated name is.
 */
export function withApiNames(given: RawParameters): NamedParameters {
  const parameters: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const spellings = new Map<string, string>();
  for (const [spelled, value] of Object.entries(given)) {
    const kebab = spelled.replace(/_/g, '-');
    const name = !KNOWN_NAMES.has(spelled) && KNOWN_NAMES.has(kebab) ? kebab : spelled;
    if (Object.hasOwn(parameters, name)) {
      const other = spellings.get(name) ?? name;
      throw new InvalidParameterError(spelled, `Parameter "${name}" is given more than once (as "${printable(other)}" and "${printable(spelled)}")`);
    }
    parameters[name] = value;
    if (name !== spelled) spellings.set(name, spelled);
  }
  return { parameters, spellings };
}
export const MAX_LIMIT_BY_LENGTH = 128;

export const MAX_NUMBER_LENGTH = 64;
export const MAX_BRAND_LENGTH = 20;

export interface ParameterRules {
  isSupportedCountry(countryCode: string): boolean;
}

/**
 * A call's pause between digits: NeutrinoAPI's default of 800 ms, and at most 3 s, so that a 12-digit code read
 * twice still makes a short call (the call's cost is its length).
 */
export const DEFAULT_PLAYBACK_DELAY_MS = 800;
export const MAX_PLAYBACK_DELAY_MS = 3_000;
/** NeutrinoAPI Phone Verify's default code length (SMS Verify's is 5). */
export const PHONE_VERIFY_CODE_LENGTH = 6;

export function parseSendRequest(given: RawParameters, defaults: SendDefaults, rules: ParameterRules): SendRequest {
  rejectUnknown(given, SEND_PARAMETERS);
  return { channel: 'sms', ...codeRequest(given, defaults, rules) };
}

/** `/phone-verify`: the code is read aloud in a call. */
export function parsePhoneVerifyRequest(given: RawParameters, defaults: SendDefaults, rules: ParameterRules): SendRequest {
  rejectUnknown(given, PHONE_VERIFY_PARAMETERS);
  const playbackDelayMs = optionalInteger(withoutEmptyOptionals(given, ['number']), 'playback-delay', 0, MAX_PLAYBACK_DELAY_MS);
  return { channel: 'voice', playbackDelayMs: playbackDelayMs ?? DEFAULT_PLAYBACK_DELAY_MS, ...codeRequest(given, defaults, rules) };
}

/** What a text and a call take alike. */
function codeRequest(given: RawParameters, defaults: SendDefaults, rules: ParameterRules): Omit<SendRequest, 'channel' | 'playbackDelayMs'> {
  const raw = withoutEmptyOptionals(given, ['number']);
  const codeLength = optionalInteger(raw, 'code-length', MIN_CODE_LENGTH, MAX_CODE_LENGTH);
  // NeutrinoAPI types a code to send as an integer, and a code to check as a string.
  const securityCode = optionalSecurityCode(raw, 'integer');
  if (securityCode !== undefined && codeLength !== undefined && securityCode.length !== codeLength) {
    throw new InvalidParameterError(
      'security-code',
      `Parameter "security-code" has ${securityCode.length} digits but "code-length" is ${codeLength}`,
      'integer',
    );
  }
  return {
    number: phoneNumberText(raw),
    codeLength: securityCode?.length ?? codeLength ?? defaults.codeLength,
    securityCode,
    countryCode: optionalCountryCode(raw, rules),
    language: optionalLanguage(raw) ?? 'en',
    brandName: optionalBrandName(raw),
    limit: optionalInteger(raw, 'limit', 1, 100) ?? defaults.limit,
    limitTtlDays: optionalInteger(raw, 'limit-ttl', 1, 365) ?? defaults.limitTtlDays,
  };
}

export function parseVerifyRequest(given: RawParameters, rules: ParameterRules): VerifyRequest {
  rejectUnknown(given, VERIFY_PARAMETERS);
  const raw = withoutEmptyOptionals(given, ['number', 'security-code']);
  const number = phoneNumberText(raw);
  const securityCode = optionalSecurityCode(raw, 'string');
  if (securityCode === undefined) throw missing('security-code', 'string');
  return { number, securityCode, countryCode: optionalCountryCode(raw, rules), limitBy: optionalLimitBy(raw) };
}

/**
 * NeutrinoAPI's clients and examples send every optional parameter, empty when
 * unset (`"country-code": ""`): an optional parameter given as "" is taken as
 * not given. A required one stays required, and blank is not empty.
 */
function withoutEmptyOptionals(raw: RawParameters, required: readonly string[]): RawParameters {
  const kept: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [name, value] of Object.entries(raw)) {
    if (value !== '' || required.includes(name)) kept[name] = value;
  }
  return kept;
}

/** 1 to 128 printable characters, kept only as a keyed digest. */
function optionalLimitBy(raw: RawParameters): string | undefined {
  const value = raw['limit-by'];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || [...value].length > MAX_LIMIT_BY_LENGTH || !/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]+$/u.test(value)) {
    throw new InvalidParameterError(
      'limit-by',
      `Parameter "limit-by" must be 1 to ${MAX_LIMIT_BY_LENGTH} printable characters, such as a user id or an IP address`,
    );
  }
  return value;
}

function rejectUnknown(raw: RawParameters, known: readonly string[]): void {
  for (const name of Object.keys(raw)) {
    if (!known.includes(name)) {
      throw new InvalidParameterError(
        name,
        `Unknown parameter "${printable(name)}"; this route accepts ${known.join(', ')}`,
      );
    }
  }
}

function missing(name: string, type: ParameterType = 'string'): InvalidParameterError {
  return new InvalidParameterError(name, `Missing required parameter "${name}"`, type);
}

function phoneNumberText(raw: RawParameters): string {
  const value = raw.number;
  if (value === undefined || value === null) throw missing('number');
  if (typeof value !== 'string') {
    throw new InvalidParameterError('number', 'Parameter "number" must be a string, e.g. "+447400123456"');
  }
  if (value.trim() === '') throw new InvalidParameterError('number', 'Parameter "number" must not be empty');
  if (value.length > MAX_NUMBER_LENGTH) {
    throw new InvalidParameterError('number', `Parameter "number" must be at most ${MAX_NUMBER_LENGTH} characters`);
  }
  if (/\p{Cc}/u.test(value)) {
    throw new InvalidParameterError('number', 'Parameter "number" must not contain control characters');
  }
  return value;
}

/** An integer given as a JSON number or a canonical decimal string ("6", not "06" or "6.0"). */
function optionalInteger(raw: RawParameters, name: string, min: number, max: number): number | undefined {
  const value = raw[name];
  if (value === undefined) return undefined;
  const rule = `Parameter "${name}" must be an integer from ${min} to ${max}`;
  let parsed: number;
  if (typeof value === 'number') parsed = value;
  else if (typeof value === 'string' && /^(0|[1-9][0-9]{0,5})$/.test(value)) parsed = Number(value);
  else throw new InvalidParameterError(name, rule, 'integer');
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) throw new InvalidParameterError(name, rule, 'integer');
  return parsed;
}

/** Digits as a string (leading zeros kept) or a non-negative integer. */
function optionalSecurityCode(raw: RawParameters, type: ParameterType): string | undefined {
  const value = raw['security-code'];
  if (value === undefined) return undefined;
  const rule = `Parameter "security-code" must be ${MIN_CODE_LENGTH} to ${MAX_CODE_LENGTH} digits`;
  let digits: string;
  if (typeof value === 'string') digits = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) digits = String(value);
  else throw new InvalidParameterError('security-code', rule, type);
  const pattern = new RegExp(`^[0-9]{${MIN_CODE_LENGTH},${MAX_CODE_LENGTH}}$`);
  if (!pattern.test(digits)) throw new InvalidParameterError('security-code', rule, type);
  return digits;
}

function optionalCountryCode(raw: RawParameters, rules: ParameterRules): string | undefined {
  const value = raw['country-code'];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[A-Za-z]{2}$/.test(value) || !rules.isSupportedCountry(value)) {
    throw new InvalidParameterError(
      'country-code',
      'Parameter "country-code" must be an ISO 3166-1 alpha-2 country code such as "GB"',
    );
  }
  return value.toUpperCase();
}

function optionalLanguage(raw: RawParameters): LanguageCode | undefined {
  const value = raw['language-code'];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(LANGUAGE_CODES as readonly string[]).includes(value)) {
    throw new InvalidParameterError(
      'language-code',
      `Parameter "language-code" must be one of ${LANGUAGE_CODES.join(', ')}`,
    );
  }
  return value as LanguageCode;
}

/**
 * A brand shown in the SMS. Letters, marks, digits, punctuation, symbols and
 * spaces from the Basic Multilingual Plane (so every template stays one
 * segment); no line breaks, and nothing that a phone or a browser could read as
 * a link, a domain or an address, which would turn the service into a phishing
 * channel.
 *
 * The brand is read as a phone would read it: after Unicode NFKC normalisation
 * (full-width `ｅｖｉｌ．ｃｏｍ` is `evil.com`, `＠` is `@`, the small and one-dot-leader
 * dots are `.`), and with every dot IDNA treats as a label separator (UTS #46:
 * `.`, `。`, `．`, `｡`) as a full stop. Refused then: a scheme (`https://`), `www.`,
 * `@`, an IPv4 or IPv6 address, and a dot between two runs of letters or digits
 * of any script, which is how every domain looks (`сбербанк.рф`, `bank.みんな`,
 * `مثال.مصر`, `evil.com`). A dot that does not join two such runs is kept, so
 * `Acme Inc.` and `Acme Co. Ltd` pass, and so does a decimal such as `1.5`.
 */
const BRAND_CHARACTERS = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]+$/u;
const LINK_PATTERNS = [
  /[a-z][a-z0-9+.-]*:\/\//iu, // a scheme
  /\bwww\./iu,
  /@/u,
  /(?:^|[^\p{N}.])\p{N}{1,3}(?:\.\p{N}{1,3}){3}(?![\p{N}.])/u, // IPv4
  /[0-9a-f]*:[0-9a-f]*:[0-9a-f:]*/iu, // IPv6 (two colons at least)
  /[\p{L}\p{N}][\p{M}]*\.(?=[\p{M}]*\p{L})/u, // a dot between a letter or digit and a letter: a domain label
];
/** The dots IDNA reads as label separators, after NFKC (which maps `．` to `.` and `｡` to `。`). */
const LABEL_SEPARATORS = /[\u3002]/gu;

function readsAsLink(brand: string): boolean {
  const asRead = brand.normalize('NFKC').replace(LABEL_SEPARATORS, '.');
  return LINK_PATTERNS.some((pattern) => pattern.test(asRead));
}

function optionalBrandName(raw: RawParameters): string | undefined {
  const value = raw['brand-name'];
  if (value === undefined) return undefined;
  const rule = `Parameter "brand-name" must be 1 to ${MAX_BRAND_LENGTH} printable characters`;
  if (typeof value !== 'string') throw new InvalidParameterError('brand-name', rule);
  const characters = [...value];
  if (
    value.trim() === '' ||
    characters.length > MAX_BRAND_LENGTH ||
    !BRAND_CHARACTERS.test(value) ||
    characters.some((character) => character.codePointAt(0)! > 0xffff)
  ) {
    throw new InvalidParameterError('brand-name', rule);
  }
  if (readsAsLink(value)) {
    throw new InvalidParameterError('brand-name', 'Parameter "brand-name" must not contain a link, domain or address');
  }
  return value.trim();
}

/** A parameter name safe to repeat in an error message. */
function printable(name: string): string {
  const cleaned = name.replace(/[^\x20-\x7e]/g, '?');
  return cleaned.length > 40 ? `${cleaned.slice(0, 40)}…` : cleaned;
}
