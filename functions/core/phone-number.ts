/**
 * Reading phone numbers as people write them, into one E.164 form, so that
 * `+44 7400 123456` and `07400123456` with country GB are one number for every
 * rule. libphonenumber-js does the parsing; the metadata is injected because the
 * send function needs full metadata (number types) and the verify function only
 * the minimal set (normalisation), which is half the size to load.
 */
import {
  parsePhoneNumberFromString,
  isSupportedCountry,
  type CountryCode,
  type MetadataJson,
  type NumberType,
  type PhoneNumber,
} from 'libphonenumber-js/core';

export type PhoneNumberReading =
  /** `national`: written without an international prefix and read without a country, so perhaps a national number. */
  | { valid: false; national?: true }
  | {
      valid: true;
      /** The number in E.164, e.g. +447400123456. */
      e164: string;
      /** ISO 3166-1 alpha-2 country of the number, when the number belongs to one. */
      country: string | undefined;
      /** The number's type; known only with full ("max") metadata. */
      type: NumberType;
      /** E.g. "44" for +447400123456. */
      countryCallingCode: string;
      /** The number without its country calling code, e.g. "7400123456". */
      nationalNumber: string;
    };

/**
 * Characters people use when writing a number. Anything else (letters, an
 * extension, emoji, control characters) makes the text "not a phone number":
 * libphonenumber would otherwise read `1-800-FLOWERS` or `… ext 12`, which
 * cannot receive a verification SMS.
 */
const PHONE_TEXT = /^\+?[0-9 ().\-/]+$/;

export interface PhoneNumberReader {
  read(text: string, countryCode?: string): PhoneNumberReading;
  isSupportedCountry(countryCode: string): boolean;
}

export function createPhoneNumberReader(metadata: MetadataJson): PhoneNumberReader {
  const supported = (countryCode: string): countryCode is CountryCode =>
    isSupportedCountry(countryCode as CountryCode, metadata);

  return {
    isSupportedCountry: (countryCode) => supported(countryCode.toUpperCase()),

    read(text, countryCode) {
      const trimmed = text.trim();
      if (!PHONE_TEXT.test(trimmed)) return { valid: false };
      const country = countryCode?.toUpperCase();
      if (country !== undefined && !supported(country)) return { valid: false };

      // Without a country, a number is international: "+" optional, "00" accepted as the international prefix.
      const international = country === undefined && !trimmed.startsWith('+');
      const candidate = international ? `+${trimmed.replace(/^00/, '')}` : trimmed;
      const parsed = parsePhoneNumberFromString(candidate, country ?? {}, metadata);
      if (parsed?.isValid()) return reading(parsed);
      // Enough digits for a number, but no way to write an international one: perhaps a national number.
      const mayBeNational = international && !trimmed.startsWith('00') && trimmed.replace(/[^0-9]/g, '').length >= 6;
      return mayBeNational ? { valid: false, national: true } : { valid: false };
    },
  };
}

function reading(parsed: PhoneNumber): PhoneNumberReading {
  return {
    valid: true,
    e164: parsed.number,
    country: parsed.country,
    type: parsed.getType(),
    countryCallingCode: parsed.countryCallingCode,
    nationalNumber: parsed.nationalNumber,
  };
}

/**
 * The destination prefix of a number: its country calling code and the first
 * digits of its national number, e.g. +447400 for +447400123456. SMS pumping
 * targets number ranges, so sends are also counted per prefix.
 */
export function destinationPrefix(reading: { countryCallingCode: string; nationalNumber: string }, digits: number): string {
  return `+${reading.countryCallingCode}${reading.nationalNumber.slice(0, digits)}`;
}

/**
 * A number safe to write in logs: country code and last four digits only,
 * e.g. `+44******3456`. Short or unparsed input keeps even less.
 */
export function maskNumber(number: string): string {
  const digits = number.replace(/[^0-9]/g, '');
  if (digits.length < 8) return `+${'*'.repeat(digits.length)}`;
  return `+${digits.slice(0, 2)}${'*'.repeat(digits.length - 6)}${digits.slice(-4)}`;
}
