import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { SETTING_SPECS, settingFromText, type DeploymentSettingsInput, type SettingName } from '../functions/settings';
import { addSmsVerifyOutputs, SmsVerify, type SmsVerifyProps } from './sms-verify';

export interface SmsVerifyStackProps extends StackProps {
  /** Settings of the service; each may also be given as CDK context (`cdk deploy -c codeTtlSeconds=300`). Props win. */
  readonly service?: SmsVerifyProps;
}

export class SmsVerifyStack extends Stack {
  readonly service: SmsVerify;

  constructor(scope: Construct, id: string, props: SmsVerifyStackProps = {}) {
    super(scope, id, props);
    this.service = new SmsVerify(this, 'SmsVerify', {
      ...settingsFromContext(this),
      ...props.service,
    });
    addSmsVerifyOutputs(this, this.service);
  }
}

/** Settings given as context: from cdk.json (typed values) or `-c name=value` (strings). */
export function settingsFromContext(scope: Construct): DeploymentSettingsInput {
  const input: Record<string, unknown> = {};
  for (const name of Object.keys(SETTING_SPECS) as SettingName[]) {
    const value: unknown = scope.node.tryGetContext(name);
    if (value === undefined || value === null) continue;
    input[name] = typeof value === 'string' ? settingFromText(name, value) : value;
  }
  return input as DeploymentSettingsInput;
}
