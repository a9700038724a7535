/**
 * Logs never hold a code or a full phone number. Whole flows run while every
 * log line (and anything else written to the console) is captured; then no
 * code and no number, in any of its written forms, may appear.
 */
import { lambdaContext } from '../support/fake-service';
import { DE_MOBILE, GB_MOBILE, usFictional } from '../support/fixtures';
import { httpEvent } from '../support/http-events';
import { startRealService, type RealService } from '../support/real-service';

let service: RealService;
const written: string[] = [];
const spies: jest.SpyInstance[] = [];
beforeAll(async () => {
  // The production Powertools logger, at the level a deployment runs it.
  process.env.LOG_LEVEL = 'INFO';
  service = await startRealService({ callerSendLimit: 3 });
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    spies.push(jest.spyOn(console, method).mockImplementation((...args: unknown[]) => void written.push(args.map(String).join(' '))));
  }
  for (const stream of [process.stdout, process.stderr]) {
    // Kept, not printed: the test reads every line itself.
    spies.push(
      jest.spyOn(stream, 'write').mockImplementation(((chunk: unknown) => {
        written.push(String(chunk));
        return true;
      }) as typeof stream.write),
    );
  }
});
afterAll(async () => {
  for (const spy of spies) spy.mockRestore();
  await service.stop();
});

const send = (parameters: object) => service.send(parameters, lambdaContext()) as Promise<Record<string, unknown>>;
const verify = (parameters: object) => service.verify(parameters, lambdaContext()) as Promise<Record<string, unknown>>;

it('keeps codes and full numbers out of every log line across whole flows', async () => {
  const codes: string[] = [];
  const sent = await send({ number: GB_MOBILE, 'brand-name': 'Acme' });
  codes.push(sent['security-code'] as string);
  await verify({ number: GB_MOBILE, 'security-code': codes[0] });
  codes.push('80913746');
  await send({ number: '07400 123456', 'country-code': 'GB', 'security-code': codes[1] });
  for (const guess of ['11111111', '22222222', '33333333', '44444444', '55555555', '66666666']) {
    codes.push(guess);
    await verify({ number: GB_MOBILE, 'security-code': guess });
  }
  service.simulator.setFaults({ sns: 'throttle' });
  const failover = await send({ number: DE_MOBILE });
  codes.push(failover['security-code'] as string);
  service.simulator.setFaults({ sns: 'error', pinpoint: 'reject' });
  codes.push('97531');
  await send({ number: usFictional(3), 'security-code': '97531' });
  service.simulator.setFaults({ sns: 'ok', pinpoint: 'ok' });
  codes.push('86420');
  await send({ number: usFictional(4), 'security-code': '86420', limit: 1 });
  await send({ number: usFictional(4), 'security-code': '86420', limit: 1 });
  codes.push('13579');
  await send({ number: GB_MOBILE, 'security-code': '13579', 'code-length': 6 });
  await send({ number: GB_MOBILE, colour: '13579' });
  for (let i = 0; i < 4; i++) await service.send(httpEvent('/sms-verify', { number: usFictional(20 + i) }, { sourceIp: '203.0.113.9' }), lambdaContext());
  await verify({ number: 'call +447400123456', 'security-code': '24680' });

  const log = written.join('\n');
  expect(written.filter((line) => line.includes('"service":"sms-verify-')).length).toBeGreaterThan(20);
  for (const code of codes) expect(log).not.toContain(code);
  for (const number of [GB_MOBILE, DE_MOBILE, usFictional(3), usFictional(4), usFictional(20)]) {
    expect(log).not.toContain(number.slice(1)); // the digits, with or without "+"
    expect(log).not.toContain(number.slice(-10)); // and the national number
  }
  expect(log).toContain('+44******3456');
  expect(log).toContain('"why":"locked"');
  expect(log).toContain('"failure":"throttled"');
});
