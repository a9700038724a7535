#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { SmsVerifyStack } from '../lib/sms-verify-stack';

const app = new App();
new SmsVerifyStack(app, 'SmsVerify', {
  description: 'Self-hosted SMS verification (send and check one-time codes)',
  // Environment-agnostic unless the CLI knows the account: `cdk synth` works offline.
  env:
    process.env.CDK_DEFAULT_ACCOUNT && process.env.CDK_DEFAULT_REGION
      ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION }
      : undefined,
});
