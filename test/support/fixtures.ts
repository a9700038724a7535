/**
 * Phone numbers for tests: only documented example or fictional numbers, never real ones.
 *  - libphonenumber's metadata example numbers (GB +44 7400 123456, DE, FR, …)
 *  - NANPA's fictional 555-0100…0199 block (+1 201 555 01xx)
 *  - Ofcom's drama numbers (+44 20 7946 0xxx) and ACMA's fictional mobiles (+61 491 570 156)
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

export const GB_MOBILE = '+447400123456';
export const GB_MOBILE_NATIONAL = '07400 123456';
export const AU_MOBILE = '+61491570156';
export const DE_MOBILE = '+4915123456789';
export const FR_MOBILE = '+33612345678';
export const GB_FIXED_LINE = '+442079460000';
export const US_PREMIUM_RATE = '+19005550123';
export const US_TOLL_FREE = '+18005550199';

/** One of the 100 fictional US numbers +1 201 555 0100 … 0199 (FIXED_LINE_OR_MOBILE). */
export function usFictional(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index > 99) throw new RangeError('index must be 0-99');
  return `+1201555${String(100 + index).padStart(4, '0')}`;
}

export const TEST_CODE_KEY = 'test-key-0123456789abcdef0123456789abcdef';
export const PINPOINT_APPLICATION_ID = '0123456789abcdef0123456789abcdef';

/**
 * A start time for tests that walk a clock through windows: midnight UTC two
 * days ahead. It must lie in the future: DynamoDB Local runs TTL deletion, and
 * items stamped with a past expiry vanish in the middle of a test.
 */
export const TEST_EPOCH = (Math.floor(Date.now() / 86_400_000) + 2) * 86_400_000;

/**
 * `count` fictional US numbers, each in its own destination prefix: NANPA keeps
 * 555-0100…0199 fictional in every area code, so +1 <area code> 555 0100 is
 * fictional wherever the area code is in service; the area codes are those
 * libphonenumber takes as valid and SMS-capable for that number.
 */
export function fictionalNumbersInDistinctPrefixes(count: number): string[] {
  const numbers: string[] = [];
  for (let areaCode = 201; areaCode <= 989 && numbers.length < count; areaCode++) {
    const candidate = parsePhoneNumberFromString(`+1${areaCode}5550100`);
    if (candidate?.isValid() && ['FIXED_LINE_OR_MOBILE', 'MOBILE'].includes(candidate.getType() ?? '')) {
      numbers.push(candidate.number);
    }
  }
  if (numbers.length < count) throw new RangeError(`only ${numbers.length} such numbers`);
  return numbers;
}

/** `count` distinct fictional US numbers (+1 <area code> 555 0100…0199), spread over area codes first. */
export function fictionalNumbers(count: number): string[] {
  const areas = fictionalNumbersInDistinctPrefixes(Math.min(count, 400));
  if (count > areas.length * 100) throw new RangeError(`at most ${areas.length * 100} such numbers`);
  return Array.from({ length: count }, (_, i) => `${areas[i % areas.length]!.slice(0, -2)}${String(Math.floor(i / areas.length)).padStart(2, '0')}`);
}
