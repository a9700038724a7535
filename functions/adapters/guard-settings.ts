/**
 * The conversion guard as the settings configure it: its policy, and a store that pauses a prefix on the counters
 * of the prefix's own limits (prefix-send and prefix-call, where they are on). Shared by the outcomes function and
 * `sms-verify guard`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { GuardPolicy, GuardStore } from '../core/guard';
import type { VelocityLimit } from '../core/ports';
import type { DeploymentSettings } from '../settings';
import { OFF_PATH_CLIENT_OPTIONS } from './client-options';
import { DynamoDbGuard } from './dynamodb-guard';

export function guardPolicyFrom(settings: DeploymentSettings): GuardPolicy {
  return {
    minSends: settings.conversionGuardMinSends,
    percent: settings.conversionGuardPercent,
    pauseMs: settings.conversionGuardPauseSeconds * 1000,
    windowMs: settings.conversionGuardWindowSeconds * 1000,
    countryPrefixes: settings.conversionGuardCountryPrefixes,
  };
}

/** The prefix's limits the pause is written on: a limit of 0 has no counter, and nothing to refuse with. */
export function prefixLimitsOf(settings: DeploymentSettings, prefix: string): VelocityLimit[] {
  const limits: VelocityLimit[] = [
    { kind: 'prefix-send', subject: prefix, limit: settings.prefixSendLimit, windowMs: settings.prefixSendWindowSeconds * 1000 },
    { kind: 'prefix-call', subject: prefix, limit: settings.prefixCallLimit, windowMs: settings.prefixCallWindowSeconds * 1000 },
  ];
  return limits.filter((limit) => limit.limit > 0);
}

export function guardStoreOf(guard: DynamoDbGuard, settings: DeploymentSettings): GuardStore {
  return {
    count: (prefix, what, delta, now) => guard.count(prefix, what, delta, now),
    pausedUntil: (prefix, now) => guard.pausedUntil(prefix, now),
    pause: (prefix, until, now, changeId) => guard.pause(prefix, until, now, prefixLimitsOf(settings, prefix), changeId),
    lift: (prefix, now, changeId) => guard.lift(prefix, now, changeId),
    notePrefix: (country, prefix, now) => guard.notePrefix(country, prefix, now),
    notePausedPrefix: (country, prefix, now) => guard.notePausedPrefix(country, prefix, now),
    pauseCountry: (country, until, now, changeId) => guard.pauseCountry(country, until, now, changeId),
  };
}

/** The guard of the outcomes function, or none when it is off (conversionGuardMinSends 0, or no prefix limit to refuse with). */
export function guardFrom(
  settings: DeploymentSettings,
  tableName: string,
  client: DynamoDBClient = new DynamoDBClient(OFF_PATH_CLIENT_OPTIONS),
): { policy: GuardPolicy; store: GuardStore } | undefined {
  const policy = guardPolicyFrom(settings);
  if (policy.minSends === 0 || settings.prefixSendLimit === 0) return undefined;
  const guard = new DynamoDbGuard(client, tableName, policy.windowMs, policy.pauseMs);
  return { policy, store: guardStoreOf(guard, settings) };
}
