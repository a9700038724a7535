/**
 * Property-based tests (fast-check) for the two places where arbitrary input
 * meets the service: reading phone numbers and parsing parameters.
 */
import fc from 'fast-check';
import { getCountries, getExampleNumber, type CountryCode } from 'libphonenumber-js/core';
import maxMetadata from 'libphonenumber-js/max/metadata';
import minMetadata from 'libphonenumber-js/min/metadata';
import mobileExamples from 'libphonenumber-js/mobile/examples';
import { InvalidParameterError } from '../../functions/core/errors';
import { parseSendRequest, parseVerifyRequest, SEND_PARAMETERS } from '../../functions/core/parameters';
import { createPhoneNumberReader } from '../../functions/core/phone-number';

const full = createPhoneNumberReader(maxMetadata);
const minimal = createPhoneNumberReader(minMetadata);
const defaults = { codeLength: 5, limit: 10, limitTtlDays: 1 };

/** libphonenumber's documented example mobile number of every country that has one. */
const EXAMPLES = getCountries(maxMetadata)
  .map((country) => ({ country, number: getExampleNumber(country as CountryCode, mobileExamples, maxMetadata) }))
  .filter((example) => example.number?.isValid());

describe('normalisation (properties)', () => {
  it('has example mobile numbers for nearly every country', () => {
    expect(EXAMPLES.length).toBeGreaterThan(200);
  });

  it('reads every way of writing a number as one E.164 number, with full and minimal metadata alike', () => {
    fc.assert(
      fc.property(fc.constantFrom(...EXAMPLES), fc.constantFrom(' ', '-', '.', ''), ({ country, number }, separator) => {
        const e164 = number!.number;
        const written = [
          [e164, undefined],
          [e164.slice(1), undefined],
          [`00${e164.slice(1)}`, undefined],
          [number!.formatInternational().replace(/ /g, separator), undefined],
          [number!.formatNational().replace(/ /g, separator), country],
          [number!.formatNational(), country.toLowerCase()],
        ] as const;
        for (const [text, countryCode] of written) {
          expect(full.read(text, countryCode)).toMatchObject({ valid: true, e164 });
          expect(minimal.read(text, countryCode)).toMatchObject({ valid: true, e164 });
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on any text, and reads nothing with letters or control characters as a number', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 64, unit: 'binary' }), fc.option(fc.constantFrom('GB', 'US', 'DE', 'xx')), (text, country) => {
        const reading = full.read(text, country ?? undefined);
        if (/[A-Za-z\p{Cc}]/u.test(text)) expect(reading.valid).toBe(false);
        if (reading.valid) expect(reading.e164).toMatch(/^\+[1-9]\d{6,14}$/);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('parameter parsing (properties)', () => {
  const outcomeOf = (parse: () => unknown): 'ok' | InvalidParameterError => {
    try {
      parse();
      return 'ok';
    } catch (error) {
      if (error instanceof InvalidParameterError) return error;
      throw error; // anything else is a bug
    }
  };

  it('answers any value of any send parameter with a request or an error naming that parameter', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SEND_PARAMETERS), fc.jsonValue(), (name, value) => {
        const outcome = outcomeOf(() => parseSendRequest({ number: '+447400123456', [name]: value }, defaults, full));
        if (outcome !== 'ok') expect(outcome.parameter).toBe(name);
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses any unknown parameter by name', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 30 }).filter((name) => !(SEND_PARAMETERS as readonly string[]).includes(name)),
        fc.jsonValue(),
        (name, value) => {
          const raw: Record<string, unknown> = { number: '+447400123456' };
          Object.defineProperty(raw, name, { value, enumerable: true });
          const outcome = outcomeOf(() => parseVerifyRequest({ ...raw, 'security-code': '1234' }, full));
          expect(outcome).toBeInstanceOf(InvalidParameterError);
          expect((outcome as InvalidParameterError).parameter).toBe(name);
        },
      ),
    );
  });

  it('accepts code-length exactly for the integers 4 to 12, as numbers or decimal strings', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 1000 }), fc.boolean(), (length, asString) => {
        const outcome = outcomeOf(() =>
          parseSendRequest({ number: '+447400123456', 'code-length': asString ? String(length) : length }, defaults, full),
        );
        if (length >= 4 && length <= 12) expect(outcome).toBe('ok');
        else expect(outcome).toMatchObject({ parameter: 'code-length' });
      }),
    );
  });

  it('keeps a security code of 4 to 12 digits exactly, leading zeros included', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{4,12}$/), (code) => {
        expect(parseSendRequest({ number: '+447400123456', 'security-code': code }, defaults, full)).toMatchObject({
          securityCode: code,
          codeLength: code.length,
        });
        expect(parseVerifyRequest({ number: '+447400123456', 'security-code': code }, full).securityCode).toBe(code);
      }),
    );
  });
});
