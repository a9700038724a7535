/**
 * The codes the API answers, in one list (API_ERROR_CODES): every error class's code is in it, and so is each code
 * openapi.yaml documents, and nothing else.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import * as errors from '../../functions/core/errors';
import { VELOCITY_KINDS } from '../../functions/core/ports';

/** One instance of every error class the core exports. */
const instances: errors.ApiError[] = [
  new errors.InvalidParameterError('number', 'x'),
  new errors.AccessDeniedError('missing'),
  new errors.MalformedBodyError('x'),
  new errors.UnsupportedContentTypeError('x'),
  new errors.BodyTooLargeError('x'),
  new errors.NoEndpointError('x'),
  new errors.MethodNotAllowedError('PUT', '/sms-verify', ['POST']),
  new errors.NumberLimitReachedError('x'),
  ...VELOCITY_KINDS.map((kind) => new errors.VelocityLimitError(kind)),
  new errors.IdempotencyKeyReusedError('x'),
  new errors.IdempotentRequestInProgressError('x'),
  new errors.DependencyUnavailableError('store-busy'),
  new errors.OutcomeUnknownError('timed-out'),
  new errors.ConversionGuardError(60),
];

it('covers every error class the core exports', () => {
  const classes = Object.values(errors as Record<string, unknown>).filter(
    (value) => typeof value === 'function' && (value as { prototype: unknown }).prototype instanceof errors.ApiError,
  );
  expect(new Set(instances.map((error) => error.constructor))).toEqual(new Set(classes));
});

it('lists exactly the codes the errors answer, and openapi.yaml documents the same', () => {
  const answered = new Set([...instances.map((error) => error.apiError), errors.UNEXPECTED_FAILURE.apiError]);
  expect([...answered].sort((a, b) => a - b)).toEqual(Object.keys(errors.API_ERROR_CODES).map(Number));
  const spec = parse(readFileSync(path.join(__dirname, '../../openapi.yaml'), 'utf8')) as {
    components: { schemas: { ApiError: { properties: { 'api-error': { enum: number[] } } } } };
  };
  expect(spec.components.schemas.ApiError.properties['api-error'].enum).toEqual(Object.keys(errors.API_ERROR_CODES).map(Number));
});
