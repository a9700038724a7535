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
}

/** What one change to a number's code means for its prefix. */
export type PrefixChange = 'sent' | 'revoked' | 'verified';

/**
 * Counts one change of a prefix and acts on the verdict; answers what it did, for metrics and events. Only a send can
 * pause a prefix, and only a verification lift one. A retry of the change that paused or lifted it answers the same,
 * so that its event is not lost with a failed attempt.
 */
export async function followPrefix(
  change: PrefixChange,
  prefix: string,
  policy: GuardPolicy,
  store: GuardStore,
  now: number,
  changeId: string,
): Promise<{ paused: number } | 'lifted' | undefined> {
  if (policy.minSends === 0) return undefined;
  // A send no route took reached nobody: it is taken back, as its limit counts are.
  const counts = await store.count(prefix, change === 'verified' ? 'verified' : 'sends', change === 'revoked' ? -1 : 1, now);
  if (counts.pausedBy === changeId && counts.pausedUntil !== undefined && counts.pausedUntil > now) return { paused: counts.pausedUntil };
  if (counts.liftedBy === changeId) return 'lifted';
  if (change === 'revoked') return undefined;
  // A pause made in the window before still holds, and a verification here may lift it.
  if (change === 'verified' && counts.pausedUntil === undefined) counts.pausedUntil = await store.pausedUntil(prefix, now);
  const verdict = guardVerdict(counts, policy, now);
  if (verdict === 'pause' && change === 'sent') {
    const until = now + policy.pauseMs;
    return (await store.pause(prefix, until, now, changeId)) ? { paused: until } : undefined;
  }
  if (verdict === 'lift' && change === 'verified') return (await store.lift(prefix, now, changeId)) ? 'lifted' : undefined;
  return undefined;
}
