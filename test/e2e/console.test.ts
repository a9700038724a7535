/**
 * The test console in headless Chromium (the machine's, or the one the
 * @sparticuz/chromium package ships; see test/support/browser.ts), driven by
 * playwright-core: fill the form, send, read the code in the outbox panel,
 * verify it — at phone width, as someone trying the service on a phone would.
 */
import type { Browser, Page } from 'playwright-core';
import { startLocalService, type LocalService } from '../../local/server';
import { launchChromium } from '../support/browser';

let service: LocalService;
let browser: Browser;
let page: Page;
beforeAll(async () => {
  service = await startLocalService({ port: 0, print: () => undefined });
  ({ browser } = await launchChromium());
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await service?.stop();
});
beforeEach(async () => {
  page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  await page.goto(service.url);
});
afterEach(() => page.close());

describe('test console', () => {
  it('sends a code, shows it in the outbox, and verifies it', async () => {
    await page.fill('#send-form [name=number]', '07400 123456');
    await page.fill('#send-form [name=country-code]', 'GB');
    await page.selectOption('#send-form [name=language-code]', 'it');
    await page.fill('#send-form [name=brand-name]', 'Acme');
    await page.click('#send-form button[type=submit]');

    await page.waitForSelector('#response-status.ok');
    const sent = JSON.parse((await page.textContent('#response-body'))!) as { sent: boolean; 'security-code': string };
    expect(sent).toMatchObject({ sent: true, 'number-valid': true });
    const code = sent['security-code'];
    const message = page.locator('#outbox li').first();
    await message.waitFor();
    expect(await message.textContent()).toContain(`Il tuo codice di sicurezza Acme è ${code}`);
    expect(await message.textContent()).toContain('via sns');

    await message.locator('button.code').click();
    expect(await page.inputValue('#verify-form [name=security-code]')).toBe(code);
    await page.click('#verify-form button[type=submit]');
    await page.waitForFunction("document.querySelector('#response-body').textContent.includes('verified')");

    expect(JSON.parse((await page.textContent('#response-body'))!)).toEqual({ verified: true });
    expect(await page.textContent('#response-status')).toContain('200');
  });

  it('calls a number that cannot take a text, shows the call with its code, and verifies it', async () => {
    service.simulator.clearOutbox();
    await page.fill('#send-form [name=number]', '+442079460000'); // a London fixed line: calls only
    await page.fill('#send-form [name=playback-delay]', '600');
    await page.click('#call-me');

    await page.waitForFunction("document.querySelector('#response-status').textContent.includes('/phone-verify')");
    const called = JSON.parse((await page.textContent('#response-body'))!) as { calling: boolean; 'security-code': string };
    expect(called).toMatchObject({ calling: true, 'number-valid': true });
    const message = page.locator('#outbox li').first();
    await message.waitFor();
    expect(await message.textContent()).toContain('call via voice');
    expect(service.simulator.outbox()[0]?.ssml).toContain('<break time="600ms"/>');

    await message.locator('button.code').click();
    expect(await page.inputValue('#verify-form [name=security-code]')).toBe(called['security-code']);
    await page.click('#verify-form button[type=submit]');
    await page.waitForFunction("document.querySelector('#response-body').textContent.includes('verified')");
    expect(JSON.parse((await page.textContent('#response-body'))!)).toEqual({ verified: true });
    // The call went through End User Messaging: once its code is used, the outbox shows the feedback reported, and
    // the events panel what the outcomes function published.
    await page.locator('#outbox li .feedback.received').first().waitFor();
    expect(await message.textContent()).toContain('reported received');
    await page.waitForFunction("document.querySelector('#events').textContent.includes('Code Verified')");
    expect(await page.textContent('#events')).toContain('Code Sent');
  });

  it('shows an API error as sent back, with its status', async () => {
    await page.fill('#send-form [name=number]', '+447400123456');
    await page.fill('#send-form [name=code-length]', '3');
    await page.click('#send-form button[type=submit]');

    await page.waitForSelector('#response-status.bad');
    expect(await page.textContent('#response-status')).toContain('400');
    expect(JSON.parse((await page.textContent('#response-body'))!)).toEqual({
      'api-error': 1,
      'api-error-msg': 'Parameter "code-length" must be an integer from 4 to 12',
      'api-parameter-name': 'code-length',
      'api-parameter-type': 'integer',
    });
  });

  it('switches a route to failing from the faults panel', async () => {
    await page.waitForSelector('#faults-form select[name=sns]');
    const saved = page.waitForResponse((response) => response.url().endsWith('/local/faults') && response.request().method() === 'PUT');
    await page.selectOption('#faults-form select[name=sns]', 'throttle');

    await saved;
    expect(service.simulator.faults()).toEqual({ sns: 'throttle', notify: 'ok', 'sms-voice-v2': 'ok', pinpoint: 'ok', voice: 'ok', 'notify-voice': 'ok' });
    service.simulator.setFaults({ sns: 'ok' });
  });

  it('fits a phone screen without sideways scrolling', async () => {
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');

    expect(overflow).toBeLessThanOrEqual(0);
  });
});
