/**
 * The CloudWatch metrics as a deployment emits them: Powertools EMF lines on
 * standard output, captured from the real handlers on DynamoDB Local and the
 * simulator, parsed as CloudWatch would read them.
 */
import { lambdaContext } from '../support/fake-service';
import { GB_MOBILE, usFictional } from '../support/fixtures';
import { startRealService, type RealService } from '../support/real-service';

interface EmfLine {
  _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> };
  [key: string]: unknown;
}

let service: RealService;
const emitted: EmfLine[] = [];
let spy: jest.SpyInstance;
beforeAll(async () => {
  delete process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand'; // as Lambda sets it; Powertools counts cold starts only then
  service = await startRealService({ smsRoutes: ['sns', 'pinpoint'], callerVerifyLimit: 2 });
  spy = jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: unknown) => {
    for (const line of String(chunk).split('\n')) {
      if (line.includes('"_aws"')) emitted.push(JSON.parse(line) as EmfLine);
    }
    return true;
  }) as typeof process.stdout.write);
});
afterAll(async () => {
  spy.mockRestore();
  await service.stop();
});

/** Sum of a metric over every EMF line, where each given dimension has the given value. */
function total(name: string, dimensions: Record<string, string> = {}): number {
  return emitted
    .filter((line) => line._aws.CloudWatchMetrics.some((m) => m.Metrics.some((metric) => metric.Name === name)))
    .filter((line) => Object.entries(dimensions).every(([key, value]) => line[key] === value))
    .reduce((sum, line) => sum + (Array.isArray(line[name]) ? (line[name] as number[]).reduce((a, b) => a + b, 0) : Number(line[name])), 0);
}

it('emits EMF metrics for sends, routes, failovers, verifications, locks, limits and cold starts', async () => {
  const send = (parameters: object) => service.send(parameters, lambdaContext());
  const verify = (parameters: object) => service.verify(parameters, lambdaContext());
  await send({ number: GB_MOBILE, 'security-code': '13579' });
  service.simulator.setFaults({ sns: 'throttle' });
  await send({ number: usFictional(1), 'security-code': '24680' });
  service.simulator.setFaults({ sns: 'ok' });
  await verify({ number: GB_MOBILE, 'security-code': '13579' });
  await verify({ number: usFictional(1), 'security-code': '00000' });
  await verify({ number: usFictional(1), 'security-code': '00001' });

  const namespaces = new Set(emitted.flatMap((line) => line._aws.CloudWatchMetrics.map((m) => m.Namespace)));
  expect(namespaces).toEqual(new Set(['SmsVerify']));
  expect(total('CodesSent', { service: 'sms-verify-send' })).toBe(2);
  expect(total('CodesSentByRoute', { Route: 'sns' })).toBe(1);
  expect(total('CodesSentByRoute', { Route: 'pinpoint' })).toBe(1);
  expect(total('CodesSentByCountry', { Country: 'GB' })).toBe(1);
  expect(total('CodesSentByCountry', { Country: 'US' })).toBe(1);
  expect(total('Failovers')).toBe(1);
  expect(total('RouteFailures', { Route: 'sns', Failure: 'throttled' })).toBe(1);
  expect(total('Verified', { service: 'sms-verify-verify' })).toBe(1);
  expect(total('VerifiedByCountry', { Country: 'GB' })).toBe(1);
  expect(total('VerificationFailed', { Reason: 'wrong-code' })).toBe(1);
  expect(total('LimitReached', { Limit: 'caller-verify' })).toBe(1);
  expect(total('ColdStart')).toBe(2);
  for (const line of emitted) {
    for (const metric of line._aws.CloudWatchMetrics.flatMap((m) => m.Metrics)) expect(metric.Unit).toBe('Count');
  }
});
