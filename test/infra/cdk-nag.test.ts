/**
 * cdk-nag's AWS Solutions pack over the stack, with and without Pinpoint: any
 * finding fails synthesis, so each acknowledged rule in lib/ carries its reason.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SmsVerifyStack, type SmsVerifyStackProps } from '../../lib/sms-verify-stack';
import { PINPOINT_APPLICATION_ID } from '../support/fixtures';

const outdirs: string[] = [];
afterAll(() => outdirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function synthWithNag(props: SmsVerifyStackProps): () => void {
  const outdir = mkdtempSync(path.join(tmpdir(), 'sms-verify-nag-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  new SmsVerifyStack(app, 'SmsVerifyNag', props);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return () => {
    try {
      app.synth();
    } catch (error) {
      const report = readFileSync(path.join(outdir, 'validation-report.json'), 'utf8');
      throw new Error(`cdk-nag findings:\n${report}`, { cause: error });
    }
  };
}

describe('cdk-nag AWS Solutions checks', () => {
  it.each([
    ['SNS and Pinpoint', { service: { pinpointApplicationId: PINPOINT_APPLICATION_ID } }],
    ['all three routes', { service: { pinpointApplicationId: PINPOINT_APPLICATION_ID, originationIdentity: 'pool-0123' } }],
    ['SNS alone', {}],
    ['a Notify configuration of its own', { service: { notifyDisplayName: 'Acme', configurationSetName: 'codes' } }],
    ['an existing Notify configuration', { service: { notifyConfigurationId: 'notify-0123456789abcdef' } }],
    ['calls from a number given in E.164, and through Notify', { service: { allowedVoiceCountries: ['GB'], voiceOriginationIdentity: '+18005550100', notifyDisplayName: 'Acme' } }],
    ['calls from a pool', { service: { allowedVoiceCountries: ['GB'], voiceOriginationIdentity: 'pool-0123456789abcdef0123456789abcdef' } }],
    ['API keys instead of IAM', { service: { auth: 'api-key' as const } }],
    ['an alarm topic made for an e-mail address', { service: { alarmEmail: 'oncall@example.com' } }],
  ])('pass for a deployment with %s', (_, props) => {
    expect(synthWithNag(props)).not.toThrow();
  });
});
