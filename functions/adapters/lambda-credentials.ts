/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles
 * (an esbuild alias in lib/sms-verify.ts; tests and the local runtime use the
 * real chain). Lambda always gives a function its role's credentials in
 * environment variables, so the rest of the default chain (SSO, INI files,
 * process, web identity, container and instance metadata, with the STS and SSO
 * clients they pull in) is code that can never run there, yet costs about
 * 100 KB of bundle and its parse time at every cold start.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

type FromEnvInit = Parameters<typeof fromEnv>[0];
interface Expiring {
  expiration?: Date;
}

export const defaultProvider = (init: FromEnvInit = {}) => fromEnv(init);

const REFRESH_WINDOW_MS = 5 * 60_000;

export const credentialsWillNeedRefresh = (credentials: Expiring): boolean =>
  credentials.expiration !== undefined;

export const credentialsTreatedAsExpired = (credentials: Expiring): boolean =>
  credentials.expiration !== undefined && credentials.expiration.getTime() - Date.now() < REFRESH_WINDOW_MS;
