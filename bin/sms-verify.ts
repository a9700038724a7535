#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { InvalidSettingError, UnknownSettingError } from '../functions/settings';
import { SmsVerifyStack } from '../lib/sms-verify-stack';

const app = new App();
try {
  new SmsVerifyStack(app, 'SmsVerify', {
    description: 'Self-hosted SMS verification (send and check one-time codes)',
    // Environment-agnostic unless the CLI knows the account: `cdk synth` works offline.
    env:
      process.env.CDK_DEFAULT_ACCOUNT && process.env.CDK_DEFAULT_REGION
        ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION }
        : undefined,
  });
} catch (error) {
  // A bad setting is the operator's to fix: one line that names it, not a stack trace.
  if (!(error instanceof InvalidSettingError || error instanceof UnknownSettingError)) throw error;
  console.error(`sms-verify: ${error.message}`);
  process.exit(1);
}
