import maxMetadata from 'libphonenumber-js/max/metadata';
import { InvalidParameterError } from '../../functions/core/errors';
import { parseSendRequest, parseVerifyRequest, type RawParameters } from '../../functions/core/parameters';
import { createPhoneNumberReader } from '../../functions/core/phone-number';

const rules = createPhoneNumberReader(maxMetadata);
const defaults = { codeLength: 5, limit: 10, limitTtlDays: 1 };
const send = (raw: RawParameters) => parseSendRequest(raw, defaults, rules);
const verify = (raw: RawParameters) => parseVerifyRequest(raw, rules);

function refusal(parse: () => unknown): InvalidParameterError {
  try {
    parse();
  } catch (error) {
    if (error instanceof InvalidParameterError) return error;
    throw error;
  }
  throw new Error('expected the parameters to be refused');
}

describe('send parameters', () => {
  it('applies the contract defaults', () => {
    expect(send({ number: '+447400123456' })).toEqual({
      channel: 'sms',
      number: '+447400123456',
      codeLength: 5,
      securityCode: undefined,
      countryCode: undefined,
      language: 'en',
      brandName: undefined,
      limit: 10,
      limitTtlDays: 1,
    });
  });

  it('reads every parameter, numbers given as JSON numbers or decimal strings', () => {
    expect(
      send({
        number: '07400 123456',
        'code-length': '6',
        'security-code': '012345',
        'country-code': 'gb',
        'language-code': 'fr',
        'brand-name': 'Acme',
        limit: 3,
        'limit-ttl': '7',
      }),
    ).toEqual({
      channel: 'sms',
      number: '07400 123456',
      codeLength: 6,
      securityCode: '012345',
      countryCode: 'GB',
      language: 'fr',
      brandName: 'Acme',
      limit: 3,
      limitTtlDays: 7,
    });
  });

  it('takes an integer security code and derives the length from it', () => {
    expect(send({ number: '+447400123456', 'security-code': 987654321 })).toMatchObject({
      securityCode: '987654321',
      codeLength: 9,
    });
  });

  it.each<[string, RawParameters, string]>([
    ['number', { number: undefined }, 'Missing required parameter "number"'],
    ['number', { number: '' }, 'must not be empty'],
    ['number', { number: '   ' }, 'must not be empty'],
    ['number', { number: 447400123456 }, 'must be a string'],
    ['number', { number: ['+447400123456'] }, 'must be a string'],
    ['number', { number: '1'.repeat(65) }, 'at most 64 characters'],
    ['number', { number: '+44740\u0000123456' }, 'control characters'],
    ['code-length', { 'code-length': 3 }, 'integer from 4 to 12'],
    ['code-length', { 'code-length': 13 }, 'integer from 4 to 12'],
    ['code-length', { 'code-length': '6.5' }, 'integer from 4 to 12'],
    ['code-length', { 'code-length': 6.5 }, 'integer from 4 to 12'],
    ['code-length', { 'code-length': '06' }, 'integer from 4 to 12'],
    ['code-length', { 'code-length': true }, 'integer from 4 to 12'],
    ['security-code', { 'security-code': '12a45' }, '4 to 12 digits'],
    ['security-code', { 'security-code': ' 12345' }, '4 to 12 digits'],
    ['security-code', { 'security-code': '+12345' }, '4 to 12 digits'],
    ['security-code', { 'security-code': '123' }, '4 to 12 digits'],
    ['security-code', { 'security-code': '1234567890123' }, '4 to 12 digits'],
    ['security-code', { 'security-code': -12345 }, '4 to 12 digits'],
    ['security-code', { 'security-code': 1234.5 }, '4 to 12 digits'],
    ['security-code', { 'security-code': '12345', 'code-length': 6 }, 'has 5 digits but "code-length" is 6'],
    ['country-code', { 'country-code': 'XX' }, 'ISO 3166-1 alpha-2'],
    ['country-code', { 'country-code': 'GBR' }, 'ISO 3166-1 alpha-2'],
    ['country-code', { 'country-code': 44 }, 'ISO 3166-1 alpha-2'],
    ['language-code', { 'language-code': 'nl' }, 'one of de, en, es, fr, it, pt, ru'],
    ['language-code', { 'language-code': 'EN' }, 'one of de, en, es, fr, it, pt, ru'],
    ['brand-name', { 'brand-name': 'A'.repeat(21) }, '1 to 20 printable characters'],
    ['brand-name', { 'brand-name': 'Acme\nBank' }, '1 to 20 printable characters'],
    ['brand-name', { 'brand-name': ' ' }, '1 to 20 printable characters'],
    ['brand-name', { 'brand-name': 'Acme 🚀' }, '1 to 20 printable characters'],
    ['brand-name', { 'brand-name': 'acme.com' }, 'must not contain a link'],
    ['brand-name', { 'brand-name': 'https://x.io' }, 'must not contain a link'],
    ['brand-name', { 'brand-name': 'www.acme' }, 'must not contain a link'],
    ['limit', { limit: 0 }, 'integer from 1 to 100'],
    ['limit', { limit: 101 }, 'integer from 1 to 100'],
    ['limit-ttl', { 'limit-ttl': 366 }, 'integer from 1 to 365'],
    ['surprise', { surprise: 1 }, 'Unknown parameter "surprise"'],
  ])('refuses bad %s with a message naming it', (parameter, extra, message) => {
    const error = refusal(() => send({ number: '+447400123456', ...extra }));

    expect(error.parameter).toBe(parameter);
    expect(error.message).toContain(`"${parameter}"`);
    expect(error.message).toContain(message);
    expect(error.apiError).toBe(1);
    expect(error.httpStatus).toBe(400);
  });

  it('does not treat a short non-number as an error: the use case answers number-valid:false', () => {
    expect(send({ number: 'not a number' }).number).toBe('not a number');
  });
});

describe('brand-name: nothing a phone or a browser could read as a link, domain or address', () => {
  it.each([
    ['a Cyrillic domain', 'сбербанк.рф'],
    ['a Japanese top-level domain', 'bank.みんな'],
    ['an Arabic domain', 'مثال.مصر'],
    ['a full-width dot', 'evil．com'],
    ['an ideographic full stop', 'evil。com'],
    ['a halfwidth ideographic full stop', 'evil｡com'],
    ['a full-width domain', 'ｅｖｉｌ．ｃｏｍ'],
    ['a small full stop', 'evil\uFE52com'],
    ['a one-dot leader', 'evil\u2024com'],
    ['a dot after a digit', 'web3.io'],
    ['a dot between names', 'Mr.Smith'],
    ['a full-width at sign', 'ceo＠acme'],
    ['an at sign', 'ceo@acme'],
    ['an IPv4 address', '192.168.0.1'],
    ['an IPv4 address in words', 'Go 10.0.0.1 now'],
    ['full-width IPv4 digits', '１２７.０.０.１'],
    ['an IPv6 address', 'fe80::1'],
    ['a scheme', 'hxxp://acme'],
    ['www.', 'www.acme'],
  ])('refuses %s (%s)', (_, brand) => {
    const error = refusal(() => send({ number: '+447400123456', 'brand-name': brand }));
    expect(error.parameter).toBe('brand-name');
    expect(error.message).toBe('Parameter "brand-name" must not contain a link, domain or address');
  });

  it.each(['Acme Inc.', 'Acme Co. Ltd', 'Acme Ltd. (UK)', 'Dr. Who', '1.5 Bank', 'v2.0 Labs', 'Café Bleu', 'A & B', 'Acme: Bank', 'Сбербанк', 'みんなの銀行'])(
    'accepts an ordinary brand: %s',
    (brand) => {
      expect(send({ number: '+447400123456', 'brand-name': brand }).brandName).toBe(brand);
    },
  );
});

describe('verify parameters', () => {
  it('reads number, code and country', () => {
    expect(verify({ number: '07400123456', 'security-code': '00042', 'country-code': 'GB' })).toEqual({
      number: '07400123456',
      securityCode: '00042',
      countryCode: 'GB',
    });
  });

  it.each<[string, RawParameters]>([
    ['security-code', { number: '+447400123456' }],
    ['number', { 'security-code': '12345' }],
    ['security-code', { number: '+447400123456', 'security-code': 'abcde' }],
    ['code-length', { number: '+447400123456', 'security-code': '12345', 'code-length': 5 }],
  ])('refuses a bad or missing %s', (parameter, raw) => {
    expect(refusal(() => verify(raw)).parameter).toBe(parameter);
  });
});
