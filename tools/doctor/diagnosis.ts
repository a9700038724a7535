/**
 * The doctor's verdict, from the account's facts and the deployment's settings, with no I/O: per country, the route
 * that would carry a code today (the first of smsRoutes that nothing blocks, as the send function tries them), and
 * what blocks each other route, with what to do about it. A route whose facts could not be read is "unknown", with
 * the read that failed; the verdict only counts on what was read.
 */
import { COUNTRIES_REQUIRING_IDENTITY, NOTIFY_BASIC_COUNTRIES, NOTIFY_BASIC_DAILY_LIMIT, NOTIFY_BASIC_PER_SECOND } from '../../functions/adapters/sms-account-rules';
import { countriesWithNumber } from '../../functions/adapters/sns-account';
import type { DeploymentSettings, RouteName } from '../../functions/settings';
import type { AccountFacts, EumIdentity, Reading } from './facts';

export type RouteCheck =
  | { route: RouteName; state: 'clear' }
  | { route: RouteName; state: 'blocked'; why: string; fix: string }
  | { route: RouteName; state: 'unknown'; why: string };

export interface CountryVerdict {
  country: string;
  /** The route that would carry a code to this country today. */
  route?: RouteName;
  state: 'reachable' | 'blocked' | 'unknown';
  checks: RouteCheck[];
}

/** What holds for the one number the doctor was asked about, route by route. */
export interface NumberVerdict {
  e164: string;
  checks: Array<{ route: RouteName; state: 'clear' | 'blocked' | 'unknown'; why: string; fix?: string }>;
}

export interface Diagnosis {
  countries: CountryVerdict[];
  number?: NumberVerdict;
  /** What holds for every country: limits and tiers that cap delivery without blocking it. */
  notes: string[];
  /** Reads that failed, each with the IAM action it needs. */
  unreadable: Array<{ action: string; denied: boolean; message: string }>;
  /** 0: every country has a route; 1: one has none; 2: the doctor could not tell for one, and none is blocked. */
  exitCode: 0 | 1 | 2;
}

/** Below this many USD a month a spend limit is the new account's default, which a few dozen texts use up. */
const DEFAULT_SPEND_LIMIT_USD = 1;

export function diagnose(settings: DeploymentSettings, facts: AccountFacts, countries: readonly string[]): Diagnosis {
  const verdicts = countries.map((country) => countryVerdict(settings, facts, country));
  const exitCode = verdicts.some((verdict) => verdict.state === 'blocked') ? 1 : verdicts.some((verdict) => verdict.state === 'unknown') ? 2 : 0;
  const number = facts.number && numberVerdict(settings, facts, facts.number);
  return { countries: verdicts, ...(number ? { number } : {}), notes: accountNotes(settings, facts), unreadable: unreadableReads(facts), exitCode };
}

/**
 * A person who replied STOP gets no text from the account's own senders: SNS keeps its own opt-out list, End User
 * Messaging its `Default` list (SendTextMessage answers DESTINATION_PHONE_NUMBER_OPTED_OUT). Notify texts from AWS's
 * identities, whose STOP replies its guide calls informational: a Notify configuration without a pool of its own
 * keeps no list, so the doctor reports nothing for it.
 */
function numberVerdict(settings: DeploymentSettings, facts: AccountFacts, number: NonNullable<AccountFacts['number']>): NumberVerdict {
  const checks: NumberVerdict['checks'] = [];
  for (const route of settings.smsRoutes) {
    if (route === 'sns') {
      const optedOut = known(number.snsOptedOut);
      if ('unknown' in optedOut) checks.push({ route, state: 'unknown', why: optedOut.unknown });
      else if (optedOut.value) {
        checks.push({
          route,
          state: 'blocked',
          why: 'the number replied STOP to this account\'s SNS texts',
          fix: 'the person may opt in again; the account can opt it in once in 30 days (sns:OptInPhoneNumber)',
        });
      } else if (!(facts.sns.sandboxed.ok && facts.sns.sandboxed.value)) {
        checks.push({ route, state: 'clear', why: 'not opted out' });
      } else if (facts.sns.verifiedDestinations.ok && facts.sns.verifiedDestinations.value.includes(number.e164)) {
        // A sandboxed account texts its verified numbers: this person can test before the account leaves it.
        checks.push({ route, state: 'clear', why: 'verified for the SNS sandbox' });
      } else {
        checks.push({
          route,
          state: 'blocked',
          why: 'not verified for the SNS sandbox',
          fix: 'verify it while testing (SNS console, Text messaging (SMS), Sandbox destination phone numbers)',
        });
      }
    }
    if (route === 'sms-voice-v2' || route === 'pinpoint') {
      const optedOut = known(number.optedOut);
      if ('unknown' in optedOut) checks.push({ route, state: 'unknown', why: optedOut.unknown });
      else if (optedOut.value) {
        checks.push({
          route,
          state: 'blocked',
          why: 'the number is on End User Messaging\'s Default opt-out list (it replied STOP)',
          fix: 'the person may text START; or delete it from the list with its consent (sms-voice:DeleteOptedOutNumber)',
        });
      } else checks.push({ route, state: 'clear', why: 'not on the Default opt-out list' });
    }
  }
  return { e164: number.e164, checks };
}

function countryVerdict(settings: DeploymentSettings, facts: AccountFacts, country: string): CountryVerdict {
  const checks = settings.smsRoutes.map((route) => checkRoute(route, settings, facts, country));
  const carrier = checks.find((check) => check.state === 'clear');
  if (carrier) return { country, route: carrier.route, state: 'reachable', checks };
  return { country, state: checks.some((check) => check.state === 'unknown') ? 'unknown' : 'blocked', checks };
}

function checkRoute(route: RouteName, settings: DeploymentSettings, facts: AccountFacts, country: string): RouteCheck {
  const problem = (() => {
    switch (route) {
      case 'sns':
        return snsProblem(facts, country);
      case 'notify':
        return notifyProblem(facts, country);
      case 'sms-voice-v2':
        return endUserMessagingProblem(facts, country, settings.originationIdentity);
      case 'pinpoint':
        // Pinpoint's SMS goes out through End User Messaging SMS: its sandbox, spend limit and identities apply.
        return endUserMessagingProblem(facts, country, undefined);
    }
  })();
  if (!problem) return { route, state: 'clear' };
  if ('unknown' in problem) return { route, state: 'unknown', why: problem.unknown };
  return { route, state: 'blocked', why: problem.why, fix: problem.fix };
}

type Problem = { why: string; fix: string } | { unknown: string } | undefined;

/** The value of a reading, or the problem of not having it. */
function known<T>(reading: Reading<T>): { value: T } | { unknown: string } {
  return reading.ok ? { value: reading.value } : { unknown: `could not read (${reading.action}${reading.denied ? ': access denied' : ''})` };
}

function snsProblem(facts: AccountFacts, country: string): Problem {
  const sandboxed = known(facts.sns.sandboxed);
  if ('unknown' in sandboxed) return sandboxed;
  if (sandboxed.value) {
    const verified = facts.sns.verifiedDestinations.ok ? ` (${facts.sns.verifiedDestinations.value.length} verified)` : '';
    return {
      why: `the account is in the SNS SMS sandbox: texts reach only its verified numbers${verified}`,
      fix: 'leave the SNS SMS sandbox: SNS console, Text messaging (SMS), "Exit SMS sandbox" (a support case, about a day)',
    };
  }
  const limit = known(facts.sns.monthlySpendLimitUsd);
  if ('value' in limit && limit.value === 0) {
    return { why: 'the SNS MonthlySpendLimit is USD 0', fix: 'raise the SNS MonthlySpendLimit (SNS console, Text messaging preferences; above USD 1 a quota request)' };
  }
  if (COUNTRIES_REQUIRING_IDENTITY.has(country)) {
    const numbers = known(facts.sns.originationNumbers);
    if ('unknown' in numbers) return numbers;
    if (!countriesWithNumber(numbers.value).has(country)) {
      return {
        why: `no active ${country} origination number: ${country} carriers take texts only from a registered number`,
        fix: 'buy a toll-free or 10DLC number in End User Messaging SMS and complete its registration (days to weeks)',
      };
    }
  }
  return undefined;
}

function notifyProblem(facts: AccountFacts, country: string): Problem {
  if (!facts.notify) return { unknown: 'no Notify configuration is set (notifyConfigurationId or notifyDisplayName)' };
  const configuration = known(facts.notify);
  if ('unknown' in configuration) return configuration;
  const found = configuration.value;
  if (!found) {
    return { why: 'the Notify configuration does not exist in this account and region', fix: 'deploy with notifyDisplayName, or set notifyConfigurationId to an existing one' };
  }
  if (found.status !== 'ACTIVE') return { why: `the Notify configuration is ${found.status}`, fix: NOTIFY_STATUS_FIXES[found.status] ?? 'see the Notify configuration in the End User Messaging console' };
  if (!found.enabledChannels.includes('SMS')) return { why: 'the Notify configuration does not enable SMS', fix: 'enable SMS on the Notify configuration' };
  if (!found.enabledCountries.includes(country)) {
    if (found.tier === 'BASIC' && !(NOTIFY_BASIC_COUNTRIES as readonly string[]).includes(country)) {
      return { why: `Notify's Basic tier does not serve ${country}`, fix: 'ask for the Advanced tier (a verification in the console, a few business days), or use a route with an identity of your own' };
    }
    return {
      why: `the Notify configuration does not enable ${country}`,
      fix: `add ${country} to its countries: allowedCountries when the stack made it on the Basic tier; in the End User Messaging console otherwise (then deploy with its id as notifyConfigurationId)`,
    };
  }
  const spend = known(facts.endUserMessaging.spendLimits);
  if ('value' in spend && spend.value.NOTIFY_MESSAGE_MONTHLY_SPEND_LIMIT === 0) {
    return { why: 'the Notify monthly spend limit is USD 0', fix: 'raise the Notify spend limit (End User Messaging console, Notify, spend limits)' };
  }
  return undefined;
}

const NOTIFY_STATUS_FIXES: Record<string, string> = {
  PENDING: 'wait: AWS reviews the Notify display name, and most configurations are ACTIVE within seconds; run the doctor again in a minute',
  REJECTED: 'AWS rejected the Notify display name: deploy with another notifyDisplayName, or appeal through a support case',
  REQUIRES_VERIFICATION: 'AWS needs more about the Notify brand: finish its verification in the End User Messaging console',
};

function endUserMessagingProblem(facts: AccountFacts, country: string, configuredIdentity: string | undefined): Problem {
  const eum = facts.endUserMessaging;
  const tier = known(eum.accountTier);
  if ('unknown' in tier) return tier;
  if (tier.value?.toUpperCase() === 'SANDBOX') {
    return {
      why: 'End User Messaging SMS is in its sandbox: texts reach only verified destination numbers',
      fix: 'move End User Messaging SMS to production (its console, Account settings; a support case)',
    };
  }
  const spend = known(eum.spendLimits);
  if ('value' in spend && spend.value.TEXT_MESSAGE_MONTHLY_SPEND_LIMIT === 0) {
    return { why: 'the text monthly spend limit is USD 0', fix: 'raise the End User Messaging text spend limit (its console, spend limits; a quota request)' };
  }
  const identities = known(eum.identities);
  const registrations = known(eum.registrations);
  if ('unknown' in identities) return identities;
  if (configuredIdentity && !isPool(configuredIdentity)) {
    const identity = identities.value.find((candidate) => candidate.ids.includes(configuredIdentity));
    if (!identity) return { why: `the origination identity ${configuredIdentity} is not in this account and region`, fix: 'set originationIdentity to one it has' };
    const unusable = identityProblem(identity, 'value' in registrations ? registrations.value : undefined);
    if (unusable) return unusable;
  }
  if (COUNTRIES_REQUIRING_IDENTITY.has(country)) {
    const own = identities.value.filter((identity) => identity.kind === 'phone-number' && identity.isoCountryCode === country && identity.capabilities.includes('SMS'));
    if (own.length === 0) {
      return {
        why: `no ${country} phone number: ${country} carriers take texts only from a registered number`,
        fix: 'buy a toll-free or 10DLC number in End User Messaging SMS and complete its registration (days to weeks)',
      };
    }
    if (own.some((identity) => identity.registrationId !== undefined) && 'unknown' in registrations) return registrations;
    const problems = own.map((identity) => identityProblem(identity, 'value' in registrations ? registrations.value : undefined));
    if (problems.every(Boolean)) return problems[0];
  }
  return undefined;
}

/** A pool's identities are its members: the doctor does not read pools, so it judges them by the countries' rules alone. */
function isPool(identity: string): boolean {
  return identity.startsWith('pool-') || identity.includes(':pool/');
}

function identityProblem(identity: EumIdentity, registrations: Record<string, string> | undefined): Problem {
  if (identity.status !== 'ACTIVE') return { why: `${identity.identity} is ${identity.status}`, fix: `wait until ${identity.identity} is ACTIVE (End User Messaging console, phone numbers)` };
  if (identity.registrationId && registrations) {
    const status = registrations[identity.registrationId];
    if (status !== 'COMPLETE') {
      return {
        why: `the registration ${identity.registrationId} of ${identity.identity} is ${status ?? 'missing'}`,
        fix: `finish the registration ${identity.registrationId} (End User Messaging console, Registrations); a US toll-free verification takes days, 10DLC weeks`,
      };
    }
  }
  return undefined;
}

function accountNotes(settings: DeploymentSettings, facts: AccountFacts): string[] {
  const notes: string[] = [];
  const routes = settings.smsRoutes;
  if (routes.includes('sns') && facts.sns.monthlySpendLimitUsd.ok) {
    const limit = facts.sns.monthlySpendLimitUsd.value;
    if (limit !== undefined && limit > 0 && limit <= DEFAULT_SPEND_LIMIT_USD) {
      notes.push(`SNS MonthlySpendLimit is USD ${limit}: a few dozen texts a month; raise it before real traffic (sns:SetSMSAttributes, then a quota request above USD 1).`);
    }
  }
  if ((routes.includes('sms-voice-v2') || routes.includes('pinpoint')) && facts.endUserMessaging.spendLimits.ok) {
    const limit = facts.endUserMessaging.spendLimits.value.TEXT_MESSAGE_MONTHLY_SPEND_LIMIT;
    if (limit !== undefined && limit > 0 && limit <= DEFAULT_SPEND_LIMIT_USD) notes.push(`End User Messaging's text spend limit is USD ${limit} a month: raise it before real traffic.`);
  }
  if (routes.includes('notify') && facts.notify?.ok && facts.notify.value?.tier === 'BASIC') {
    notes.push(
      `Notify is on the Basic tier: ${NOTIFY_BASIC_DAILY_LIMIT} messages a day and ${NOTIFY_BASIC_PER_SECOND} a second; past them Notify refuses and ` +
        'codes take the next route. No API tells today\'s count: the NotifyDailyQuotaNear alarm fires at 80 %. The Advanced tier lifts both.',
    );
  }
  return notes;
}

function unreadableReads(facts: AccountFacts): Diagnosis['unreadable'] {
  const readings: Array<Reading<unknown> | undefined> = [
    ...Object.values(facts.sns),
    ...Object.values(facts.endUserMessaging),
    facts.notify,
    facts.number?.snsOptedOut,
    facts.number?.optedOut,
  ];
  const seen = new Set<string>();
  return readings.flatMap((reading) => {
    if (!reading || reading.ok || seen.has(reading.action)) return [];
    seen.add(reading.action);
    return [{ action: reading.action, denied: reading.denied, message: reading.message }];
  });
}
