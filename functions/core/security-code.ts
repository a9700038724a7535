import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { Digester, RandomSource, Sealer } from './ports';

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
    text: (purpose, text) => hmac(`${purpose}\n${text}`),
  };
}

/**
 * AES-256-GCM with a key derived from the deployment's secret (HMAC of a
 * fixed label, so the digest key is never used for encryption). A repeat of an
 * idempotent send must get the first answer, which may carry the code; the
 * answer is kept sealed, never in plain text.
 */
export function createSealer(loadKey: () => Promise<Uint8Array>): Sealer {
  const encryptionKey = async () => createHmac('sha256', await loadKey()).update('sms-verify answer sealing v1').digest();
  return {
    async seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', await encryptionKey(), iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
    },
    async open(sealed) {
      const bytes = Buffer.from(sealed, 'base64');
      const decipher = createDecipheriv('aes-256-gcm', await encryptionKey(), bytes.subarray(0, 12));
      decipher.setAuthTag(bytes.subarray(12, 28));
      return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
}
