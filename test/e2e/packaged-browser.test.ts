/**
 * The browser a machine without one gets: the Chromium inside the
 * @sparticuz/chromium package, driven as the console test drives any browser.
 * This runs even where a system Chromium exists, so that the path a fresh
 * machine takes is always proven.
 */
import type { Browser } from 'playwright-core';
import { startLocalService, type LocalService } from '../../local/server';
import { launchChromium } from '../support/browser';

let service: LocalService;
let browser: Browser;
beforeAll(async () => {
  service = await startLocalService({ port: 0, print: () => undefined });
  ({ browser } = await launchChromium({ packagedOnly: true }));
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

it('opens the console, and keeps running across pages', async () => {
  for (let i = 0; i < 2; i++) {
    const page = await browser.newPage();
    await page.goto(service.url);
    expect(await page.locator('#send-form button[type=submit]').count()).toBe(2); // Send code, and Call me
    expect(await page.title()).toContain('sms-verify');
    await page.close();
  }
});
