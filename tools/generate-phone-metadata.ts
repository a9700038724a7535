/**
 * Writes functions/phone-metadata/{min,max}.json: libphonenumber-js's "min"
 * and "max" metadata without the national formatting rules, and countries.json,
 * the ISO 3166-1 codes it knows. The service only
 * parses numbers into E.164 and reads their type; it never formats one, and the
 * formats are about half of the metadata a Lambda parses at every cold start.
 * Run after upgrading libphonenumber-js: `npx tsx tools/generate-phone-metadata.ts`
 * (a test fails while the files lag the installed package).
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import maxMetadata from 'libphonenumber-js/max/metadata';
import minMetadata from 'libphonenumber-js/min/metadata';

/** Index of the national formats in each country's entry of libphonenumber-js's compressed metadata. */
const FORMATS = 4;

type Entries = Record<string, unknown[]>;

function stripFormats(entries: Entries): Entries {
  return Object.fromEntries(
    Object.entries(entries).map(([code, entry]) => {
      const copy = [...entry];
      if (Array.isArray(copy[FORMATS])) copy[FORMATS] = [];
      return [code, copy];
    }),
  );
}

/** The metadata without national formats, for countries and for non-geographic calling codes (+800, +882, …). */
export function withoutFormats<T extends { countries: Entries; nonGeographic?: Entries }>(metadata: T): T {
  return {
    ...metadata,
    countries: stripFormats(metadata.countries),
    ...(metadata.nonGeographic ? { nonGeographic: stripFormats(metadata.nonGeographic) } : {}),
  };
}

export const PARSE_METADATA_DIRECTORY = path.join(__dirname, '..', 'functions', 'phone-metadata');

export function generatedMetadata(): Record<'min' | 'max' | 'countries', string> {
  return {
    min: `${JSON.stringify(withoutFormats(minMetadata as unknown as { countries: Entries }))}\n`,
    max: `${JSON.stringify(withoutFormats(maxMetadata as unknown as { countries: Entries }))}\n`,
    // The countries libphonenumber-js knows: the codes a country setting may name (functions/settings.ts).
    countries: `${JSON.stringify(Object.keys((minMetadata as unknown as { countries: Entries }).countries).sort())}\n`,
  };
}

if (require.main === module) {
  for (const [name, text] of Object.entries(generatedMetadata())) {
    writeFileSync(path.join(PARSE_METADATA_DIRECTORY, `${name}.json`), text);
    console.log(`functions/phone-metadata/${name}.json: ${text.length} bytes`);
  }
}
