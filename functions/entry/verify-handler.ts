import type { Metrics } from '../core/ports';
import { parseVerifyRequest } from '../core/parameters';
import { verifyPolicyFrom, verifySecurityCode, type VerifyDependencies } from '../core/verify-code';
import type { DeploymentSettings } from '../settings';
import { createApiHandler, type ApiHandler, type MetricsPublisher, type RequestLogger } from './api-handler';

export interface VerifyResponseBody {
  verified: boolean;
}

/** The verify route over any set of ports: the Lambda entry wires AWS adapters, tests and benchmarks wire fakes. */
export function createVerifyHandler(
  ports: Omit<VerifyDependencies, 'logger' | 'metrics' | 'policy'>,
  settings: DeploymentSettings,
  observability: { logger: RequestLogger; metrics: Metrics & MetricsPublisher },
): ApiHandler {
  const deps: VerifyDependencies = { ...ports, ...observability, policy: verifyPolicyFrom(settings) };
  return createApiHandler(async ({ parameters, caller }): Promise<VerifyResponseBody> => {
    const request = parseVerifyRequest(parameters, ports.phoneNumbers);
    return { verified: await verifySecurityCode(request, caller, deps) };
  }, observability, { idempotent: false, methods: ['POST', 'GET'] });
}
