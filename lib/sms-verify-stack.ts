import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import {
  SETTING_SPECS,
  settingFromText,
  settingMeantBy,
  UnknownSettingError,
  type DeploymentSettingsInput,
  type SettingName,
} from '../functions/settings';
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

/**
 * Settings given as context: from cdk.json (typed values) or `-c name=value` (strings). A context key two edits from a
 * setting's name (`-c alowedCountries=GB`) is a typo that would silently deploy without it: it stops the synth.
 */
export function settingsFromContext(scope: Construct): DeploymentSettingsInput {
  for (const key of Object.keys(scope.node.getAllContext())) {
    const meant = /[@:]/.test(key) ? undefined : settingMeantBy(key);
    if (meant) throw new UnknownSettingError(key, meant);
  }
  const input: Record<string, unknown> = {};
  for (const name of Object.keys(SETTING_SPECS) as SettingName[]) {
    const value: unknown = scope.node.tryGetContext(name);
    if (value === undefined || value === null) continue;
    input[name] = typeof value === 'string' ? settingFromText(name, value) : value;
  }
  return input as DeploymentSettingsInput;
}
