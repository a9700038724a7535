import { createHmac } from 'node:crypto';
import type { Digester, RandomSource } from './ports';

export const MIN_CODE_LENGTH = 4;
export const MAX_CODE_LENGTH = 12;
export const DEFAULT_CODE_LENGTH = 5;

/**
 * A code of `length` decimal digits, uniformly distributed over all 10^length
 * digit strings (leading zeros included): one draw from [0, 10^length). 10^12 is
 * below the 2^48 range that a secure `randomInt` accepts.
 */
export function generateCode(length: number, random: RandomSource): string {
  if (!Number.isInteger(length) || length < MIN_CODE_LENGTH || length > MAX_CODE_LENGTH) {
    throw new RangeError(`code length must be ${MIN_CODE_LENGTH}-${MAX_CODE_LENGTH}, got ${length}`);
  }
  return String(random.randomInt(10 ** length)).padStart(length, '0');
}

/**
 * HMAC-SHA-256 keyed with the deployment's secret. For codes, over the number
 * and the code: the table never holds a code, a leaked table cannot be
 * brute-forced without the key, and a digest is bound to its number. For
 * callers, over their identity: rate-limit records name no IP address.
 */
export function createDigester(loadKey: () => Promise<Uint8Array>): Digester {
  const hmac = async (text: string) => createHmac('sha256', await loadKey()).update(text).digest('base64url');
  return {
    code: (e164, code) => hmac(`${e164}\n${code}`),
    caller: (callerId) => hmac(`caller\n${callerId}`),
  };
}
