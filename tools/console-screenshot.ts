/**
 * Regenerates docs/console.png, the README's picture of the test console:
 * starts the local service, sends a code through the page, verifies it, and
 * photographs the result in headless Chromium. `npm run screenshot`
 */
import * as path from 'node:path';
import { startLocalService } from '../local/server';
import { launchChromium } from '../test/support/browser';

async function main(): Promise<void> {
  process.env.LOG_LEVEL ??= 'SILENT';
  const service = await startLocalService({ port: 0, print: () => undefined });
  const { browser } = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(service.url);
    await page.fill('#send-form [name=number]', '+44 7400 123456');
    await page.fill('#send-form [name=brand-name]', 'Acme');
    await page.click('#send-form button[type=submit]');
    await page.locator('#outbox li button.code').first().click();
    await page.click('#verify-form button[type=submit]');
    await page.waitForFunction("document.querySelector('#response-body').textContent.includes('verified')");
    await page.screenshot({ path: path.join(__dirname, '..', 'docs', 'console.png'), fullPage: true });
  } finally {
    await browser.close();
    await service.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
