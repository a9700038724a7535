import { createHmac } from 'node:crypto';
import { secureRandom } from '../../functions/adapters/system';
import { createDigester, generateCode } from '../../functions/core/security-code';
import { ScriptedRandom } from '../support/fakes';

describe('generating codes', () => {
  it('draws once from [0, 10^length) and keeps leading zeros', () => {
    const random = new ScriptedRandom([42]);

    expect(generateCode(6, random)).toBe('000042');
    expect(random.requests).toEqual([1_000_000]);
  });

  it.each([4, 5, 12])('makes %i digits from the secure source', (length) => {
    for (let i = 0; i < 200; i++) expect(generateCode(length, secureRandom)).toMatch(new RegExp(`^[0-9]{${length}}$`));
  });

  it('covers every digit in every position (no bias towards short values)', () => {
    const seen = Array.from({ length: 5 }, () => new Set<string>());
    for (let i = 0; i < 2000; i++) [...generateCode(5, secureRandom)].forEach((digit, position) => seen[position]!.add(digit));

    for (const digits of seen) expect(digits.size).toBe(10);
  });

  it.each([3, 13, 4.5])('refuses length %p', (length) => {
    expect(() => generateCode(length, secureRandom)).toThrow(RangeError);
  });
});

describe('digesting codes', () => {
  const key = 'k'.repeat(32);
  const digester = createDigester(async () => new TextEncoder().encode(key));

  it('is HMAC-SHA-256 over number and code with the deployment key', async () => {
    const expected = createHmac('sha256', key).update('+447400123456\n01234').digest('base64url');

    await expect(digester.code('+447400123456', '01234')).resolves.toBe(expected);
  });

  it('binds the digest to the number and to the key', async () => {
    const other = createDigester(async () => new TextEncoder().encode('x'.repeat(32)));
    const digest = await digester.code('+447400123456', '01234');

    expect(await digester.code('+12015550142', '01234')).not.toBe(digest);
    expect(await other.code('+447400123456', '01234')).not.toBe(digest);
    expect(digest).not.toContain('01234');
  });

  it('names callers by a keyed digest, never by their IP or ARN', async () => {
    const caller = await digester.caller('ip:203.0.113.7');

    expect(caller).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(caller).not.toContain('203.0.113.7');
    expect(await digester.caller('ip:203.0.113.8')).not.toBe(caller);
  });
});
