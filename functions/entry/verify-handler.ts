import type { JsonLogger } from '../adapters/json-logger';
import { parseVerifyRequest } from '../core/parameters';
import { verifyPolicyFrom, verifySecurityCode, type VerifyDependencies } from '../core/verify-code';
import type { DeploymentSettings } from '../settings';
import { createApiHandler, type ApiHandler } from './api-handler';

export interface VerifyResponseBody {
  verified: boolean;
}

/** The verify route over any set of ports: the Lambda entry wires AWS adapters, tests and benchmarks wire fakes. */
export function createVerifyHandler(
  ports: Omit<VerifyDependencies, 'logger' | 'policy'>,
  settings: DeploymentSettings,
  logger: JsonLogger,
): ApiHandler {
  const deps: VerifyDependencies = { ...ports, logger, policy: verifyPolicyFrom(settings) };
  return createApiHandler(async ({ parameters, caller }): Promise<VerifyResponseBody> => {
    const request = parseVerifyRequest(parameters, ports.phoneNumbers);
    return { verified: await verifySecurityCode(request, caller, deps) };
  }, logger);
}
