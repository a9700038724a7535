import { composeMessage, countSegments, LANGUAGE_CODES } from '../../functions/core/messages';

describe('SMS templates', () => {
  const longestCode = '012345678901';
  const longestBrand = 'Ááááááááááááááááááá9'; // 20 characters that force UCS-2

  it.each(LANGUAGE_CODES)('%s: carries the code and the brand', (language) => {
    const text = composeMessage({ language, code: '04321', brand: 'Acme' });

    expect(text).toContain('04321');
    expect(text).toContain('Acme');
    expect(composeMessage({ language, code: '04321' })).not.toContain('undefined');
  });

  it.each(LANGUAGE_CODES)('%s: fits one segment with a 12-digit code and a 20-character brand, in any encoding', (language) => {
    for (const brand of [longestBrand, 'A'.repeat(20), undefined]) {
      expect(countSegments(composeMessage({ language, code: longestCode, brand })).segments).toBe(1);
    }
  });

  it('writes each language in its own words', () => {
    expect(composeMessage({ language: 'en', code: '1234', brand: 'Acme' })).toBe('Your Acme security code is 1234');
    expect(composeMessage({ language: 'de', code: '1234' })).toBe('Ihr Sicherheitscode lautet 1234');
    expect(composeMessage({ language: 'ru', code: '1234' })).toBe('Ваш код безопасности: 1234');
    expect(new Set(LANGUAGE_CODES.map((language) => composeMessage({ language, code: '1234' }))).size).toBe(7);
  });
});

describe('autofill lines', () => {
  it('ends with the WebOTP origin line, after a blank line, and carries the app hash before it', () => {
    expect(composeMessage({ language: 'de', code: '123456', autofill: { webOtpDomain: 'login.example.com' } })).toBe(
      'Ihr Sicherheitscode lautet 123456\n\n@login.example.com #123456',
    );
    expect(composeMessage({ language: 'en', code: '1234', autofill: { androidAppHash: 'FA+9qCX9VSu' } })).toBe(
      'Your security code is 1234\nFA+9qCX9VSu',
    );
  });

  it('keeps an English message with both lines in one GSM-7 segment', () => {
    const text = composeMessage({
      language: 'en',
      code: '012345678901',
      brand: 'A'.repeat(20),
      autofill: { webOtpDomain: 'accounts.example.com', androidAppHash: 'FA+9qCX9VSu' },
    });

    expect(countSegments(text)).toMatchObject({ encoding: 'GSM-7', segments: 1 });
  });
});

describe('counting SMS segments', () => {
  it('counts GSM-7 septets, extension characters twice', () => {
    expect(countSegments('Hello €')).toEqual({ encoding: 'GSM-7', units: 8, segments: 1 });
    expect(countSegments('a'.repeat(161))).toEqual({ encoding: 'GSM-7', units: 161, segments: 2 });
  });

  it('switches to UCS-2 for any character outside GSM-7', () => {
    expect(countSegments('Код 1234')).toEqual({ encoding: 'UCS-2', units: 8, segments: 1 });
    expect(countSegments('ç'.repeat(71))).toEqual({ encoding: 'UCS-2', units: 71, segments: 2 });
  });
});
