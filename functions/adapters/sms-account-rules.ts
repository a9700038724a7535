/**
 * What an AWS account lets the SMS routes deliver, as the User Guides state it. The routes refuse early what the
 * account would take and never deliver, the stack chooses the countries of the Notify configuration it makes, the
 * doctor says what blocks delivery, and the simulator refuses what AWS refuses: all from these facts.
 */

/**
 * Where a carrier takes an application's text only from an identity registered for it: the US (toll-free
 * verification or 10DLC; End User Messaging SMS User Guide, "Registrations"). Elsewhere shared routes carry it.
 */
export const COUNTRIES_REQUIRING_IDENTITY: ReadonlySet<string> = new Set(['US']);

/*
 * End User Messaging Notify's tiers (User Guide, "Notify tiers", "Supported countries and regions for Notify",
 * "Notify quotas"). ListNotifyCountries gives the current list; this one is what a synth, which calls no AWS API,
 * can know.
 */
export const NOTIFY_BASIC_COUNTRIES = [
  'AS', 'AU', 'BE', 'BR', 'CA', 'CO', 'DK', 'FI', 'FR', 'DE', 'GU', 'HK', 'IN', 'IE', 'IT',
  'JP', 'MX', 'NL', 'NZ', 'MP', 'PT', 'PR', 'SG', 'KR', 'ES', 'SE', 'CH', 'GB', 'US', 'VI',
] as const;
/** Messages a day per configuration on the Basic tier (Advanced: no daily limit). */
export const NOTIFY_BASIC_DAILY_LIMIT = 200;
/** Messages a second per configuration. */
export const NOTIFY_BASIC_PER_SECOND = 1;
export const NOTIFY_ADVANCED_PER_SECOND = 25;
/** Messages a day to one destination, per configuration (not adjustable). */
export const NOTIFY_DESTINATION_DAILY_LIMIT = 10;
/** The management calls (Describe*, ListNotifyCountries) take one request a second per account. */
export const NOTIFY_READS_PER_SECOND = 1;

/**
 * The countries a Basic-tier configuration made for these settings enables: those of `allowed` (every country when
 * empty) that the Basic tier serves, less the `denied` ones.
 */
export function notifyBasicCountriesFor(allowed: readonly string[], denied: readonly string[]): string[] {
  const wanted = allowed.length === 0 ? NOTIFY_BASIC_COUNTRIES : NOTIFY_BASIC_COUNTRIES.filter((country) => allowed.includes(country));
  return wanted.filter((country) => !denied.includes(country));
}
