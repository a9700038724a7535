/**
 * The conversion guard: a destination prefix whose codes are sent and not verified is paused while an attack runs,
 * without a person having to notice it first.
 *
 * SMS pumping sends codes to number ranges an attacker is paid for; nobody there ever enters one. Real sign-ups
 * verify most of their codes (typically well over half). So, per destination prefix (the prefix of prefixSendLimit)
 * and guard window: once at least `minSends` codes were sent and fewer than `percent` % of them verified, new sends
 * and calls to that prefix are refused for `pauseSeconds` (429/34). A verification in the prefix during the pause
 * counts, and lifts it once the share is back at `percent`; the prefix's counts then start again, so that it is
 * judged anew on `minSends` more codes.
 *
 * The counts are kept off the request path, from the table's stream; the pause is read by the write every send
 * already makes (the prefix's own limit counter), so it costs no round trip (docs/SECURITY.md, "Conversion guard").
 */

export interface GuardPolicy {
  /** Sends to a prefix in one window before it can be judged; 0 turns the guard off. */
  minSends: number;
  /** Below this share of verified codes (in %), the prefix is paused. */
  percent: number;
  pauseMs: number;
  windowMs: number;
  /** Paused prefixes of one country in a window that pause the whole country; 0: prefixes only. */
  countryPrefixes: number;
}

export interface PrefixCounts {
  sends: number;
  verified: number;
  /** Until when the prefix is paused (ms), if it is. */
  pausedUntil?: number;
  /** The change that paused it, and the one that last lifted it: a retry of that change says so again. */
  pausedBy?: string;
  liftedBy?: string;
}

/** What one new count means for the prefix: pause it, lift its pause, or nothing. */
export function guardVerdict(counts: PrefixCounts, policy: GuardPolicy, now: number): 'pause' | 'lift' | 'none' {
  if (policy.minSends === 0) return 'none';
  const paused = counts.pausedUntil !== undefined && counts.pausedUntil > now;
  const converting = counts.verified * 100 >= policy.percent * counts.sends;
  if (paused) return converting ? 'lift' : 'none';
  return counts.sends >= policy.minSends && !converting ? 'pause' : 'none';
}

/** Sends to a paused prefix: refused until then. */
export interface PrefixPaused {
  until: number;
}

/** Where the guard keeps its counts and pauses (adapters/dynamodb-guard.ts). */
export interface GuardStore {
  /** Adds `delta` (1, or -1 for a send no route took) to a count of the prefix's current window; answers its counts. */
  count(prefix: string, what: 'sends' | 'verified', delta: number, now: number): Promise<PrefixCounts>;
  /** Until when a pause made in an earlier window still holds, if one does. */
  pausedUntil(prefix: string, now: number): Promise<number | undefined>;
  /** Answers false when the prefix was paused already by another change. */
  pause(prefix: string, until: number, now: number, changeId: string): Promise<boolean>;
  /** Answers false when the prefix was not paused. */
  lift(prefix: string, now: number, changeId: string): Promise<boolean>;
  /** Notes a prefix of the country seen in this window; answers until when the country is paused, if it is. */
  notePrefix(country: string, prefix: string, now: number): Promise<number | undefined>;
  /** Notes a paused prefix of the country; answers how many are paused in this window, and the country's pause. */
  notePausedPrefix(country: string, prefix: string, now: number): Promise<{ pausedPrefixes: number; pausedUntil?: number }>;
  /** Pauses the country until then; answers the prefixes of it seen in this window (none when it was paused already). */
  pauseCountry(country: string, until: number, now: number, changeId: string): Promise<string[] | undefined>;
}

/** What one change to a number's code means for its prefix. */
export type PrefixChange = 'sent' | 'revoked' | 'verified';

/**
 * Counts one change of a prefix and acts on the verdict; answers what it did, for metrics and events. Only a send can
 * pause a prefix, and only a verification lift one. A retry of the change that paused or lifted it answers the same,
 * so that its event is not lost with a failed attempt.
 */
export type GuardAction = { paused: number; country?: string } | 'lifted';

export async function followPrefix(
  change: PrefixChange,
  prefix: string,
  country: string | undefined,
  policy: GuardPolicy,
  store: GuardStore,
  now: number,
  changeId: string,
): Promise<GuardAction | undefined> {
  if (policy.minSends === 0) return undefined;
  // A send no route took reached nobody: it is taken back, as its limit counts are.
  const counts = await store.count(prefix, change === 'verified' ? 'verified' : 'sends', change === 'revoked' ? -1 : 1, now);
  if (counts.pausedBy === changeId && counts.pausedUntil !== undefined && counts.pausedUntil > now) return { paused: counts.pausedUntil };
  if (counts.liftedBy === changeId) return 'lifted';
  if (change === 'revoked') return undefined;
  const countryLevel = policy.countryPrefixes > 0 && country !== undefined;
  if (change === 'sent' && counts.sends === 1 && countryLevel) {
    // A prefix seen for the first time in this window, in a country that is paused: paused at once.
    const countryUntil = await store.notePrefix(country, prefix, now);
    if (countryUntil !== undefined && countryUntil > now) {
      return (await store.pause(prefix, countryUntil, now, changeId)) ? { paused: countryUntil } : undefined;
    }
  }
  // A pause made in the window before still holds, and a verification here may lift it.
  if (change === 'verified' && counts.pausedUntil === undefined) counts.pausedUntil = await store.pausedUntil(prefix, now);
  const verdict = guardVerdict(counts, policy, now);
  if (verdict === 'pause' && change === 'sent') {
    const until = now + policy.pauseMs;
    if (!(await store.pause(prefix, until, now, changeId))) return undefined;
    if (!countryLevel) return { paused: until };
    // Then the country: once enough of its prefixes are paused, every prefix of it seen in this window is too.
    const noted = await store.notePausedPrefix(country, prefix, now);
    if (noted.pausedPrefixes < policy.countryPrefixes || (noted.pausedUntil !== undefined && noted.pausedUntil > now)) return { paused: until };
    const others = ((await store.pauseCountry(country, until, now, changeId)) ?? []).filter((other) => other !== prefix);
    // Sixteen at a time: a big country can have seen thousands of prefixes in a window.
    for (let start = 0; start < others.length; start += 16) {
      await Promise.all(others.slice(start, start + 16).map((other) => store.pause(other, until, now, changeId)));
    }
    return { paused: until, country };
  }
  if (verdict === 'lift' && change === 'verified') return (await store.lift(prefix, now, changeId)) ? 'lifted' : undefined;
  return undefined;
}
