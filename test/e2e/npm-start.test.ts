/**
 * `npm start`, exercised the way a new user does: real HTTP against the local
 * server, the outbox and fault switches, and Ctrl-C at the end.
 */
import { connect } from 'node:net';
import { GB_MOBILE, GB_MOBILE_NATIONAL, usFictional } from '../support/fixtures';
import { doctorMain } from '../../tools/doctor';
import { npmStart, type RunningNpmStart } from '../support/npm-start';

let service: RunningNpmStart;
beforeAll(async () => {
  service = await npmStart();
}, 90_000);
afterAll(async () => {
  if (service) await service.interrupt();
});
beforeEach(async () => {
  await fetch(`${service.url}/local/outbox`, { method: 'DELETE' });
  await put('/local/faults', { sns: 'ok', notify: 'ok', pinpoint: 'ok', 'sms-voice-v2': 'ok', voice: 'ok', 'notify-voice': 'ok' });
});

async function post(path: string, body: unknown, contentType = 'application/json') {
  const response = await fetch(`${service.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function put(path: string, body: unknown) {
  const response = await fetch(`${service.url}${path}`, { method: 'PUT', body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function outbox(): Promise<Array<{ to: string; body: string; route: string; at: string }>> {
  return (await fetch(`${service.url}/local/outbox`)).json() as Promise<Array<{ to: string; body: string; route: string; at: string }>>;
}

describe('npm start', () => {
  it('prints where it listens and what it started', () => {
    expect(service.output()).toMatch(/running locally at http:\/\/127\.0\.0\.1:\d+/);
    expect(service.output()).toMatch(/DynamoDB Local at http:\/\/127\.0\.0\.1:\d+, table sms-verify-local \(in memory\)/);
    expect(service.output()).toMatch(/SMS\s+simulator at http:\/\/127\.0\.0\.1:\d+, routes sns,notify,sms-voice-v2,pinpoint/);
  });

  it('sends a code in the requested language, keeps the SMS in the outbox, and verifies it', async () => {
    const sent = await post('/sms-verify', { number: GB_MOBILE, 'language-code': 'es', 'brand-name': 'Acme' });

    expect(sent).toEqual({ status: 200, body: { sent: true, 'number-valid': true, 'security-code': expect.stringMatching(/^\d{5}$/) } });
    const code = sent.body['security-code'] as string;
    expect(await outbox()).toEqual([
      { to: GB_MOBILE, body: `Tu código de seguridad de Acme es ${code}`, route: 'sns', channel: 'sms', at: expect.any(String), messageId: expect.any(String) },
    ]);
    expect(service.output()).toContain(`SMS via sns to +44******3456: Tu código de seguridad de Acme es ${code}`);
    await expect(post('/verify-security-code', { number: GB_MOBILE, 'security-code': code })).resolves.toEqual({
      status: 200,
      body: { verified: true },
    });
  });

  it('reads a national number with country-code, also form-encoded', async () => {
    const number = usFictional(1);
    const sent = await post('/sms-verify', `number=${encodeURIComponent('(201) 555-0101')}&country-code=us`, 'application/x-www-form-urlencoded');

    expect(sent.body).toMatchObject({ sent: true });
    expect((await outbox())[0]?.to).toBe(number);
    const verified = await post('/verify-security-code', { number: '201-555-0101', 'country-code': 'US', 'security-code': sent.body['security-code'] });
    expect(verified.body).toEqual({ verified: true });
  });

  it('switches route when the same number asks again: sns, then notify, whose template carries the code', async () => {
    const number = usFictional(2);
    await post('/sms-verify', { number });
    const again = await post('/sms-verify', { number });

    expect((await outbox()).map((message) => [message.route, message.body])).toEqual([
      ['sns', expect.stringMatching(/^Your security code is \d{5}$/)],
      ['notify', `sms-verify: your verification code is ${again.body['security-code'] as string}. Do not share it.`],
    ]);
  });

  it('makes failover visible: with SNS throttled the first SMS goes through notify', async () => {
    await expect(put('/local/faults', { sns: 'throttle' })).resolves.toEqual({
      status: 200,
      body: { sns: 'throttle', notify: 'ok', 'sms-voice-v2': 'ok', pinpoint: 'ok', voice: 'ok', 'notify-voice': 'ok' },
    });

    const sent = await post('/sms-verify', { number: usFictional(3) });

    expect(sent.body).toMatchObject({ sent: true });
    // Notify, next in line, takes one message a second on the Basic tier: right after another test's Notify send,
    // it throttles too, and the route after it carries the code.
    expect((await outbox()).map((message) => message.route)).toEqual([expect.stringMatching(/^(notify|sms-voice-v2)$/)]);
  });

  it('answers delivery-failed when every route fails, and nothing reaches the outbox', async () => {
    await put('/local/faults', { sns: 'throttle', notify: 'reject', pinpoint: 'reject', 'sms-voice-v2': 'throttle' });

    const sent = await post('/sms-verify', { number: usFictional(4) });

    expect(sent).toEqual({
      status: 200,
      body: { sent: false, 'number-valid': true, 'security-code': '', reason: 'delivery-failed' },
    });
    expect(await outbox()).toEqual([]);
  });

  it('shows and refuses fault settings clearly', async () => {
    await expect((await fetch(`${service.url}/local/faults`)).json()).resolves.toEqual({ sns: 'ok', notify: 'ok', 'sms-voice-v2': 'ok', pinpoint: 'ok', voice: 'ok', 'notify-voice': 'ok' });
    await expect(put('/local/faults', { sns: 'sometimes' })).resolves.toEqual({
      status: 400,
      body: { message: expect.stringContaining('unknown fault "sometimes"') },
    });
    await expect(put('/local/faults', { carrier: 'ok' })).resolves.toMatchObject({ status: 400 });
  });

  it('puts the simulated account in the state PUT /local/account gives, which sends and the doctor both see', async () => {
    const port = new URL(service.url).port;
    try {
      await expect(put('/local/account', { smsSandbox: true })).resolves.toMatchObject({ status: 200, body: { smsSandbox: true } });

      // A sandboxed account: SNS would take the text and drop it, so the service sends it through Notify.
      // Notify's Basic tier takes one text a second: let the second of the tests before this one pass.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const sent = await post('/sms-verify', { number: usFictional(7) });
      expect(sent.body).toMatchObject({ sent: true });
      expect((await outbox()).map((message) => message.route)).toEqual(['notify']);
      expect(await (await fetch(`${service.url}/local/dropped`)).json()).toEqual([]);

      const lines: string[] = [];
      const exitCode = await doctorMain(['--local', '--countries', 'GB'], (line) => lines.push(line), { PORT: port });
      expect(exitCode).toBe(0);
      expect(lines.join('\n')).toMatch(/^GB\s+✓ notify\n\s+sns: the account is in the SNS SMS sandbox/m);
    } finally {
      await put('/local/account', { smsSandbox: false });
    }
    await expect(put('/local/account', { smsSandbox: 'yes' })).resolves.toEqual({ status: 400, body: { message: expect.stringContaining('smsSandbox') } });
  });

  it('places a call that reads the code aloud (Phone Verify), checked like a texted code', async () => {
    const called = await post('/phone-verify', { number: GB_MOBILE, 'playback-delay': 500 });

    expect(called).toEqual({ status: 200, body: { calling: true, 'number-valid': true, 'security-code': expect.stringMatching(/^\d{6}$/) } });
    const code = called.body['security-code'] as string;
    const [call] = await outbox();
    expect(call).toMatchObject({ channel: 'voice', route: 'voice', transcript: `Your security code is: ${[...code].join(' ')} Again: ${[...code].join(' ')}` });
    expect(service.output()).toContain('Call via voice to +44******3456');
    await expect(post('/verify-security-code', { number: GB_MOBILE, 'security-code': code })).resolves.toEqual({ status: 200, body: { verified: true } });
    // Calls go only where the deployment says: npm start calls a few low-risk countries.
    await expect(post('/phone-verify', { number: '+61491570156' })).resolves.toMatchObject({ body: { calling: false, reason: 'country-not-allowed' } });
  });

  it('answers errors in the API envelope, unknown paths and wrong methods included, as the stack routes them', async () => {
    await expect(post('/sms-verify', { number: GB_MOBILE_NATIONAL })).resolves.toEqual({
      status: 200,
      body: { sent: false, 'number-valid': false, 'security-code': '', reason: 'invalid-number', hint: expect.stringContaining('country-code') },
    });
    await expect(post('/sms-verify', '{"number":')).resolves.toEqual({
      status: 400,
      body: { 'api-error': 9, 'api-error-msg': 'The request body is not valid JSON' },
    });
    await expect(post('/sms-verify/extra', {})).resolves.toEqual({
      status: 404,
      body: {
        'api-error': 45,
        'api-error-msg': 'There is no endpoint at POST /sms-verify/extra; this API has POST /sms-verify, POST /phone-verify and POST (or GET) /verify-security-code',
      },
    });
    for (const [method, path] of [
      ['GET', '/sms-verify'],
      ['DELETE', '/sms-verify'],
      ['PUT', '/verify-security-code'],
    ]) {
      const response = await fetch(`${service.url}${path}`, { method });
      expect(response.status).toBe(405);
      const allowed = path === '/sms-verify' ? 'POST' : 'POST, GET';
      expect(response.headers.get('allow')).toBe(allowed);
      await expect(response.json()).resolves.toEqual({
        'api-error': 46,
        'api-error-msg': `${path} does not take ${method}; use ${allowed.replace(', ', ' or ')}`,
      });
    }
    const doubled = await fetch(`${service.url}//sms-verify`, { method: 'POST', body: JSON.stringify({ number: GB_MOBILE }) });
    expect(doubled.status).toBe(404);
    await expect(doubled.json()).resolves.toEqual({
      'api-error': 45,
      'api-error-msg': 'There is no endpoint at POST //sms-verify: the base URL ends with "/"; call /sms-verify',
    });
    const unknown = await fetch(`${service.url}/no/such/path`);
    expect(unknown.status).toBe(404);
    await expect(unknown.json()).resolves.toMatchObject({ 'api-error': 45 });
    // Nothing of it sent or stored anything.
    expect(await outbox()).toEqual([]);
  });

  it('stops on Ctrl-C, leaving no process behind (no orphaned Java)', async () => {
    const dynamoDbPort = Number(/DynamoDB Local at http:\/\/127\.0\.0\.1:(\d+)/.exec(service.output())![1]);
    await expect(portAnswers(dynamoDbPort)).resolves.toBe(true);

    await expect(service.interrupt()).resolves.toEqual({ allStopped: true });

    expect(service.output()).toContain('SIGINT: stopping DynamoDB Local and the SMS simulator');
    await expect(portAnswers(dynamoDbPort)).resolves.toBe(false);
  });
});

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
