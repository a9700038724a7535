/**
 * `cdk synth` bundles the functions with the local esbuild (no Docker) into
 * minified ESM, and each bundle carries only the clients its function uses.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { SmsVerifyStack } from '../../lib/sms-verify-stack';
import { bundle } from '../../tools/bundle';
import { PINPOINT_APPLICATION_ID } from '../support/fixtures';

describe('function bundles', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'sms-verify-synth-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  const app = new App({ outdir });
  const stack = new SmsVerifyStack(app, 'SmsVerifyBundled', {
    service: { pinpointApplicationId: PINPOINT_APPLICATION_ID, originationIdentity: 'pool-0123' },
  });
  const template = Template.fromStack(stack);
  app.synth();

  function bundleOf(functionPrefix: string): string {
    const functions = template.findResources('AWS::Lambda::Function');
    const [, fn] = Object.entries(functions).find(([id]) => id.startsWith(functionPrefix))!;
    const s3Key = (fn.Properties.Code as { S3Key: string }).S3Key; // "<asset hash>.zip"
    return readFileSync(path.join(outdir, `asset.${s3Key.replace(/\.zip$/, '')}`, 'index.mjs'), 'utf8');
  }

  const send = bundleOf('SmsVerifySendFunction');
  const verify = bundleOf('SmsVerifyVerifyFunction');

  it('are ESM with a require shim for CommonJS dependencies, minified', () => {
    for (const bundle of [send, verify]) {
      expect(bundle.startsWith("import { createRequire } from 'node:module';")).toBe(true);
      expect(bundle).toMatch(/export\s*\{[^}]*as handler/);
      expect(bundle.length / bundle.split('\n').length).toBeGreaterThan(1_000); // minified: long lines
    }
  });

  it('bundle the AWS SDK instead of relying on the runtime copy', () => {
    expect(verify).toContain('DynamoDB_20120810');
    expect(verify).not.toMatch(/from\s*["']@aws-sdk\//);
  });

  it('carry only the environment credential provider: no SSO, INI, process, web identity or container chain', () => {
    for (const bundled of [send, verify]) {
      for (const provider of ['fromIni', 'fromSSO', 'sso-oidc', 'fromTokenFile', 'AWS_CONTAINER_CREDENTIALS']) {
        expect(bundled).not.toContain(provider);
      }
      expect(bundled).toContain('AWS_ACCESS_KEY_ID');
    }
  });

  it('carry phone metadata without national formats (parsing never reads them)', () => {
    expect(send).not.toContain('$1 $2');
    expect(verify).not.toContain('$1 $2');
  });

  it('are byte for byte what the benchmark builds, so the benchmark measures what is deployed', async () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'sms-verify-bench-build-'));
    try {
      const built = await bundle('verify', path.join(__dirname, '..', '..', 'functions', 'verify.ts'), outdir);
      expect(readFileSync(built.file, 'utf8')).toBe(verify);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it('give the send function the SMS clients and the verify function none', () => {
    expect(send).toContain('AmazonSimpleNotificationService');
    expect(send).toContain('mobiletargeting');
    expect(send).toContain('PinpointSMSVoiceV2');
    expect(verify).not.toContain('AmazonSimpleNotificationService');
    expect(verify).not.toContain('mobiletargeting');
    expect(verify).not.toContain('PinpointSMSVoiceV2');
    expect(verify.length).toBeLessThan(send.length - 100_000);
  });
});
