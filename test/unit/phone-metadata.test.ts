import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { getCountries, getExampleNumber, parsePhoneNumberFromString, type CountryCode, type MetadataJson } from 'libphonenumber-js/core';
import fullMax from 'libphonenumber-js/max/metadata';
import fullMin from 'libphonenumber-js/min/metadata';
import mobileExamples from 'libphonenumber-js/mobile/examples';
import parseMax from '../../functions/phone-metadata/max.json';
import parseMin from '../../functions/phone-metadata/min.json';
import { generatedMetadata, PARSE_METADATA_DIRECTORY } from '../../tools/generate-phone-metadata';

describe('parse-only phone metadata', () => {
  it('is what the installed libphonenumber-js generates (run tools/generate-phone-metadata.ts after an upgrade)', () => {
    const fresh = generatedMetadata();
    for (const name of ['min', 'max', 'countries'] as const) {
      expect(readFileSync(path.join(PARSE_METADATA_DIRECTORY, `${name}.json`), 'utf8')).toBe(fresh[name]);
    }
  });

  it('is much smaller than the full metadata', () => {
    expect(JSON.stringify(parseMax).length).toBeLessThan(JSON.stringify(fullMax).length * 0.75);
    expect(JSON.stringify(parseMin).length).toBeLessThan(JSON.stringify(fullMin).length * 0.5);
  });

  it('parses every country\'s example numbers, written every way, exactly as the full metadata does', () => {
    let compared = 0;
    for (const country of getCountries(fullMax)) {
      const example = getExampleNumber(country as CountryCode, mobileExamples, fullMax);
      if (!example) continue;
      for (const text of [example.number, example.formatInternational(), example.formatNational(), example.formatNational().replace(/ /g, '-')]) {
        for (const [full, stripped] of [
          [fullMax, parseMax],
          [fullMin, parseMin],
        ] as const) {
          const expected = parsePhoneNumberFromString(text, country as CountryCode, full);
          const actual = parsePhoneNumberFromString(text, country as CountryCode, stripped as unknown as MetadataJson);
          expect({ e164: actual?.number, valid: actual?.isValid(), type: actual?.getType() }).toEqual({
            e164: expected?.number,
            valid: expected?.isValid(),
            type: expected?.getType(),
          });
          compared += 1;
        }
      }
    }
    expect(compared).toBeGreaterThan(1500);
  });
});
