import maxMetadata from 'libphonenumber-js/max/metadata';
import minMetadata from 'libphonenumber-js/min/metadata';
import { createPhoneNumberReader, destinationPrefix, maskNumber } from '../../functions/core/phone-number';
import { GB_FIXED_LINE, GB_MOBILE, US_PREMIUM_RATE, US_TOLL_FREE, usFictional } from '../support/fixtures';

const full = createPhoneNumberReader(maxMetadata);
const minimal = createPhoneNumberReader(minMetadata);

describe('reading phone numbers', () => {
  it.each([
    ['+447400123456', undefined],
    ['447400123456', undefined],
    ['+44 7400 123456', undefined],
    ['+44 (0)7400-123456', undefined],
    ['0044 7400 123456', undefined],
    ['07400 123456', 'GB'],
    ['07400123456', 'gb'],
    ['+447400123456', 'US'],
  ])('reads %j (country %s) as the one E.164 number', (text, country) => {
    const reading = full.read(text, country);

    expect(reading).toEqual({
      valid: true,
      e164: GB_MOBILE,
      country: 'GB',
      type: 'MOBILE',
      countryCallingCode: '44',
      nationalNumber: '7400123456',
    });
  });

  it.each([
    ['letters', '+44 7400 ABC456'],
    ['a vanity number', '1-800-FLOWERS'],
    ['an extension', '+447400123456 ext 12'],
    ['too many digits', '+4474001234567'],
    ['an unassigned range', '+447700900123'],
    ['emoji', '+44 7400 123456 📱'],
    ['injection text', "' OR 1=1 --"],
    ['only punctuation', '()-.'],
  ])('refuses %s', (_, text) => {
    expect(full.read(text)).toEqual({ valid: false });
  });

  it('refuses a national number without a country, saying it may be one', () => {
    expect(full.read('07400123456')).toEqual({ valid: false, national: true });
    expect(full.read('020 7946 0000')).toEqual({ valid: false, national: true });
    expect(full.read('0044 7400 12345')).toEqual({ valid: false });
  });

  it('refuses a country it does not know', () => {
    expect(full.read('07400123456', 'XX')).toEqual({ valid: false });
    expect(full.isSupportedCountry('xx')).toBe(false);
    expect(full.isSupportedCountry('gb')).toBe(true);
  });

  it.each([
    [GB_MOBILE, 'MOBILE'],
    [usFictional(0), 'FIXED_LINE_OR_MOBILE'],
    [GB_FIXED_LINE, 'FIXED_LINE'],
    [US_PREMIUM_RATE, 'PREMIUM_RATE'],
    [US_TOLL_FREE, 'TOLL_FREE'],
  ])('knows that %s is %s', (number, type) => {
    expect(full.read(number)).toMatchObject({ valid: true, type });
  });

  it('names the destination prefix: country calling code and the first national digits', () => {
    const reading = full.read(GB_MOBILE);
    if (!reading.valid) throw new Error('invalid');

    expect(destinationPrefix(reading, 4)).toBe('+447400');
    expect(destinationPrefix(reading, 2)).toBe('+4474');
  });

  it('normalises to the same E.164 with minimal metadata (verify) as with full metadata (send)', () => {
    for (const [text, country] of [
      ['07400 123456', 'GB'],
      ['+1 (201) 555-0142', undefined],
      ['0151 23456789', 'DE'],
    ] as const) {
      const fromFull = full.read(text, country);
      expect(fromFull.valid).toBe(true);
      expect(minimal.read(text, country)).toMatchObject({ valid: true, e164: fromFull.valid && fromFull.e164 });
    }
  });
});

describe('masking numbers for logs', () => {
  it('keeps the country code and the last four digits', () => {
    expect(maskNumber('+447400123456')).toBe('+44******3456');
    expect(maskNumber('+12015550142')).toBe('+12*****0142');
  });

  it('hides short input completely', () => {
    expect(maskNumber('+1234')).toBe('+****');
  });
});
