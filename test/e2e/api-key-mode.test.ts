/**
 * API-key mode end to end, as a team meets it: `SMS_VERIFY_AUTH=api-key npm start`, a key made with
 * `sms-verify keys create … --local`, the typed client with that key, refusals in the API's envelope, and the
 * console's credentials panel in headless Chromium.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { AccessDeniedError, ServiceUnreachableError, SmsVerifyClient } from '../../client';
import { startLocalService, type LocalService } from '../../local/server';
import { cliMain } from '../../tools/cli';
import { launchChromium } from '../support/browser';
import { usFictional } from '../support/fixtures';

let service: LocalService;
let key: string;
beforeAll(async () => {
  process.env.SMS_VERIFY_AUTH = 'api-key';
  service = await startLocalService({ port: 0, print: () => undefined });
  const printed: string[] = [];
  process.env.PORT = new URL(service.url).port;
  await expect(cliMain(['keys', 'create', 'signup-service', '--local'], (line) => printed.push(line))).resolves.toBe(0);
  key = printed[1]!;
}, 60_000);
afterAll(async () => {
  delete process.env.SMS_VERIFY_AUTH;
  delete process.env.PORT;
  await service?.stop();
});

describe('the typed client', () => {
  it('sends and verifies with a key made by `sms-verify keys create --local`', async () => {
    expect(key).toMatch(/^svk_[A-Za-z0-9_-]{43}$/);
    const sms = new SmsVerifyClient({ transport: 'https', url: service.url, auth: { userId: 'signup-service', apiKey: key } });

    const sent = await sms.send({ number: usFictional(1), 'brand-name': 'Acme' });
    await expect(sms.verify({ number: usFictional(1), 'security-code': sent['security-code'], 'limit-by': 'user-1' })).resolves.toEqual({
      verified: true,
    });
  });

  it('turns a wrong key into AccessDeniedError (403/43), and no credentials into one with 401', async () => {
    const wrong = new SmsVerifyClient({ transport: 'https', url: service.url, auth: { userId: 'signup-service', apiKey: 'svk_wrong' } });
    const none = new SmsVerifyClient({ transport: 'https', url: service.url, auth: 'none' });

    await expect(wrong.send({ number: usFictional(2) })).rejects.toMatchObject({ name: 'AccessDeniedError', apiError: 43, status: 403 });
    const refused = await none.send({ number: usFictional(2) }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AccessDeniedError);
    expect(refused).toMatchObject({ status: 401, message: expect.stringContaining('User-ID and API-Key headers') });
    expect(service.simulator.outbox().filter((message) => message.to === usFictional(2))).toEqual([]);
  });

  it('says a service that does not answer could not be reached, as a typed error', async () => {
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    server.close();
    const closed = new SmsVerifyClient({ transport: 'https', url, auth: 'none' });

    const failure = await closed.send({ number: usFictional(3) }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ServiceUnreachableError);
    expect(failure).toMatchObject({ apiError: 0, message: `Could not reach ${url}: ECONNREFUSED` });
  });
});

describe('the console in API-key mode', () => {
  let browser: Browser;
  beforeAll(async () => {
    ({ browser } = await launchChromium());
  }, 60_000);
  afterAll(() => browser?.close());

  it('shows the credentials panel, makes a key, and sends and verifies with it', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(service.url);
    await page.waitForSelector('#credentials:not([hidden])');

    // Without credentials: the API's own refusal, in the envelope.
    await page.fill('#send-form [name=number]', usFictional(4));
    await page.click('#send-form button[type=submit]');
    await page.waitForSelector('#response-status.bad');
    expect(JSON.parse((await page.textContent('#response-body'))!)).toMatchObject({ 'api-error': 43 });

    await page.fill('#credentials-form [name=user-id]', 'console-user');
    await page.click('#make-key');
    await page.waitForFunction("document.querySelector('#credentials-form [name=api-key]').value.startsWith('svk_')");
    await page.click('#send-form button[type=submit]');
    await page.waitForSelector('#response-status.ok');
    const message = page.locator('#outbox li').first();
    await message.waitFor();
    await message.locator('button.code').click();
    await page.click('#verify-form button[type=submit]');
    await page.waitForFunction("document.querySelector('#response-body').textContent.includes('\"verified\": true')");
    await page.close();
  });
});
