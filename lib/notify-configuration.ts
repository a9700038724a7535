/**
 * The End User Messaging Notify configuration a deployment makes when it is given `notifyDisplayName`: what lets a
 * new account text a code minutes after `cdk deploy`, on AWS's own origination identities and pre-approved
 * code-verification templates. A new configuration is on the Basic tier (200 messages a day, 1 a second, 30
 * countries) and starts PENDING while AWS reviews its display name; most are ACTIVE within seconds
 * (User Guide, "Create a Notify configuration"). `sms-verify doctor` says when one is not.
 */
import type { RemovalPolicy } from 'aws-cdk-lib';
import { CfnNotifyConfiguration } from 'aws-cdk-lib/aws-smsvoice';
import { Construct } from 'constructs';
import { notifyBasicCountriesFor, NOTIFY_BASIC_COUNTRIES } from '../functions/adapters/sms-account-rules';
import { InvalidSettingError, type DeploymentSettings } from '../functions/settings';

export class NotifyConfiguration extends Construct {
  readonly configurationId: string;
  readonly configurationArn: string;
  /** The countries it enables: those of allowedCountries its Basic tier serves, less deniedCountries. */
  readonly enabledCountries: readonly string[];

  constructor(scope: Construct, id: string, settings: DeploymentSettings & { notifyDisplayName: string }, removalPolicy: RemovalPolicy) {
    super(scope, id);
    // The countries texts go to, and, when it carries calls too, those calls go to (a list of their own).
    const texts = notifyBasicCountriesFor(settings.allowedCountries, settings.deniedCountries);
    const calls = settings.voiceRoutes.includes('notify-voice') ? notifyBasicCountriesFor(settings.allowedVoiceCountries, settings.deniedCountries) : [];
    this.enabledCountries = [...new Set([...texts, ...calls])];
    if (this.enabledCountries.length === 0) {
      throw new InvalidSettingError(
        'notifyDisplayName',
        `a new Notify configuration serves only ${NOTIFY_BASIC_COUNTRIES.join(', ')} (its Basic tier), and allowedCountries ` +
          'and deniedCountries leave none of them; give an Advanced-tier configuration as notifyConfigurationId instead',
      );
    }
    const configuration = new CfnNotifyConfiguration(this, 'Resource', {
      displayName: settings.notifyDisplayName,
      // The only use case Notify has: its templates are code-verification templates.
      useCase: 'CODE_VERIFICATION',
      // VOICE when the deployment reads codes aloud through it (the notify-voice route).
      enabledChannels: settings.voiceRoutes.includes('notify-voice') ? ['SMS', 'VOICE'] : ['SMS'],
      enabledCountries: [...this.enabledCountries],
    });
    // Kept like the table: a configuration upgraded to the Advanced tier outlives a redeploy from scratch, and can be
    // given as notifyConfigurationId to a stack that no longer makes one.
    configuration.applyRemovalPolicy(removalPolicy);
    this.configurationId = configuration.attrNotifyConfigurationId;
    this.configurationArn = configuration.attrNotifyConfigurationArn;
  }
}
