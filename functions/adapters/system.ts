import { randomInt } from 'node:crypto';
import type { Clock, RandomSource } from '../core/ports';

export const systemClock: Clock = { now: () => Date.now() };

/** Node's CSPRNG; `randomInt` rejects modulo bias, so every value is equally likely. */
export const secureRandom: RandomSource = { randomInt: (maxExclusive) => randomInt(maxExclusive) };
