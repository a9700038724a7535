/**
 * A headless Chromium for the console test and the screenshot tool, found
 * without anything installed by hand: CHROMIUM_PATH when given, else a system
 * Chromium or Chrome when the machine has one, else the Linux Chromium that the
 * `@sparticuz/chromium` npm package ships inside itself (unpacked to /tmp on
 * first use), so that `npm ci && npm test` needs no apt.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';

const SYSTEM_BROWSERS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

export async function launchChromium(options: { packagedOnly?: boolean } = {}): Promise<{ browser: Browser; source: string }> {
  if (options.packagedOnly) return launchPackaged();
  const given = process.env.CHROMIUM_PATH;
  if (given) return { browser: await chromium.launch({ executablePath: given, args: FLAGS }), source: given };
  const system = SYSTEM_BROWSERS.find((candidate) => existsSync(candidate));
  if (system) return { browser: await chromium.launch({ executablePath: system, args: FLAGS }), source: system };
  return launchPackaged();
}

async function launchPackaged(): Promise<{ browser: Browser; source: string }> {
  const packaged = await packagedChromium();
  return {
    // Its flags are for Lambda; --single-process there would end the whole browser with the first page closed.
    browser: await chromium.launch({
      executablePath: packaged.executablePath,
      args: [...packaged.args.filter((flag) => flag !== '--single-process'), ...FLAGS],
    }),
    source: `@sparticuz/chromium (${packaged.executablePath})`,
  };
}

/**
 * The package is ESM only, which jest's CommonJS runtime cannot load: a short Node process loads it instead and
 * prints where it unpacked the browser, and with which flags.
 */
async function packagedChromium(): Promise<{ executablePath: string; args: string[] }> {
  const script =
    "const { default: c } = await import('@sparticuz/chromium');" +
    'process.stdout.write(JSON.stringify({ executablePath: await c.executablePath(), args: c.args }));';
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    cwd: path.join(__dirname, '..', '..'),
  });
  return JSON.parse(stdout) as { executablePath: string; args: string[] };
}
