import type { JsonLogger } from '../adapters/json-logger';
import { parseVerifyRequest } from '../core/parameters';
import { verifySecurityCode, type VerifyDependencies } from '../core/verify-code';
import { createApiHandler, type ApiHandler } from './api-handler';

export interface VerifyResponseBody {
  verified: boolean;
}

/** The verify route over any set of ports: the Lambda entry wires AWS adapters, tests and benchmarks wire fakes. */
export function createVerifyHandler(dependencies: Omit<VerifyDependencies, 'logger'>, logger: JsonLogger): ApiHandler {
  const deps = { ...dependencies, logger };
  return createApiHandler(async ({ parameters }): Promise<VerifyResponseBody> => {
    const request = parseVerifyRequest(parameters, dependencies.phoneNumbers);
    return { verified: await verifySecurityCode(request, deps) };
  }, logger);
}
