/**
 * `npm start -- --persist`: data and the code key outlive a restart, so a code
 * sent before Ctrl-C still verifies after the next start.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GB_MOBILE } from '../support/fixtures';
import { npmStart } from '../support/npm-start';

const dataDir = mkdtempSync(path.join(tmpdir(), 'sms-verify-data-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

it('keeps codes across a restart when persisting', async () => {
  const env = { SMS_VERIFY_PERSIST: '1', SMS_VERIFY_DATA_DIR: dataDir };
  const first = await npmStart(env);
  expect(first.output()).toContain(`kept in ${dataDir}`);
  const sent = await fetch(`${first.url}/sms-verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ number: GB_MOBILE }),
  }).then((response) => response.json() as Promise<{ 'security-code': string }>);
  await expect(first.interrupt()).resolves.toEqual({ allStopped: true });

  const second = await npmStart(env);
  try {
    const verified = await fetch(`${second.url}/verify-security-code`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ number: GB_MOBILE, 'security-code': sent['security-code'] }),
    }).then((response) => response.json());

    expect(verified).toEqual({ verified: true });
  } finally {
    await second.interrupt();
  }
}, 120_000);
