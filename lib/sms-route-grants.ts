/**
 * What the send function may do for each SMS route it uses, and nothing more. Each statement names the resources
 * the route's calls are authorised on (Service Authorization Reference: Amazon SNS; AWS End User Messaging SMS and
 * voice, v2; Amazon Pinpoint); where an action has no resource to scope to, the wildcard is acknowledged for cdk-nag
 * with the reason.
 */
import { Aws, CfnRule, Fn, Stack, Token, Validations } from 'aws-cdk-lib';
import { PolicyStatement, type IRole } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { InvalidSettingError, type DeploymentSettings } from '../functions/settings';

/** The send function's Notify configuration, as the stack knows it: made by it, or given by id or ARN. */
export interface NotifyGrantTarget {
  configurationArn: string;
}

export function grantSmsRoutes(fn: LambdaFunction, settings: DeploymentSettings, notify: NotifyGrantTarget | undefined): void {
  const stack = Stack.of(fn);
  const role = fn.role!;
  const routes = settings.smsRoutes;
  const acknowledgeWildcard = (reason: string) => Validations.of(role).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason });
  const wildcardReasons: string[] = [];

  if (routes.includes('sns')) {
    // Publish to a phone number has no resource; the three reads are the account view the route keeps for 15
    // minutes (functions/adapters/sns-sms-route.ts), so that it does not publish what SNS would take and drop.
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['sns:Publish', 'sns:GetSMSSandboxAccountStatus', 'sns:ListSMSSandboxPhoneNumbers', 'sns:ListOriginationNumbers'],
        resources: ['*'],
      }),
    );
    wildcardReasons.push(
      'sns:Publish to a phone number, and the SMS account reads (sandbox status, its verified numbers, origination ' +
        'numbers), have no resource to scope to: SNS authorises them only on "*".',
    );
  }
  if (routes.includes('notify') && notify) {
    // SendNotifyTextMessage is authorised on the configuration, and on the configuration set when one is passed;
    // DescribeNotifyConfigurations reads the display name when the deployment was not given it.
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['sms-voice:SendNotifyTextMessage', 'sms-voice:DescribeNotifyConfigurations'],
        resources: [notify.configurationArn, ...configurationSetArns(stack, settings)],
      }),
    );
    fn.addToRolePolicy(new PolicyStatement({ actions: ['sms-voice:DescribeNotifyTemplates'], resources: ['*'] }));
    wildcardReasons.push('sms-voice:DescribeNotifyTemplates reads AWS\'s template catalogue, which has no resource type.');
  }
  if (routes.includes('sms-voice-v2')) {
    // SendTextMessage is authorised on the origination identity, the configuration set and the protect configuration
    // it is given (Service Authorization Reference, AWS End User Messaging SMS and Voice v2: resource types
    // PhoneNumber, Pool, SenderId, ConfigurationSet, ProtectConfiguration), each named as exactly as the settings
    // allow, never the whole account's `:*`.
    const resources = [
      ...identityResources(stack, settings.originationIdentity, 'originationIdentity'),
      ...configurationSetArns(stack, settings),
      ...(settings.protectConfigurationId ? [namedArn(stack, settings.protectConfigurationId, 'protect-configuration', 'protectConfigurationId')] : []),
    ];
    fn.addToRolePolicy(new PolicyStatement({ actions: ['sms-voice:SendTextMessage'], resources }));
    acknowledgeTypeWildcards(role, resources);
  }
  if (routes.includes('pinpoint')) {
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['mobiletargeting:SendMessages'],
        resources: [
          stack.formatArn({ service: 'mobiletargeting', resource: 'apps', resourceName: `${settings.pinpointApplicationId}/messages` }),
        ],
      }),
    );
  }
  // Calls: SendVoiceMessage is authorised on the origination identity (a phone number or pool), and on the
  // configuration set when one is passed; SendNotifyVoiceMessage on the Notify configuration.
  if (settings.voiceRoutes.includes('voice') && settings.voiceOriginationIdentity) {
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['sms-voice:SendVoiceMessage'],
        resources: [...identityResources(stack, settings.voiceOriginationIdentity, 'voiceOriginationIdentity'), ...configurationSetArns(stack, settings)],
      }),
    );
    acknowledgeTypeWildcards(role, identityResources(stack, settings.voiceOriginationIdentity, 'voiceOriginationIdentity'));
  }
  if (settings.voiceRoutes.includes('notify-voice') && notify) {
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['sms-voice:SendNotifyVoiceMessage', 'sms-voice:DescribeNotifyConfigurations'],
        resources: [notify.configurationArn, ...configurationSetArns(stack, settings)],
      }),
    );
    if (!routes.includes('notify')) {
      fn.addToRolePolicy(new PolicyStatement({ actions: ['sms-voice:DescribeNotifyTemplates'], resources: ['*'] }));
      wildcardReasons.push('sms-voice:DescribeNotifyTemplates reads AWS\'s template catalogue, which has no resource type.');
    }
  }
  if (wildcardReasons.length > 0) acknowledgeWildcard(`${wildcardReasons.join(' ')} The role allows nothing else on "*".`);
}

/**
 * What an origination identity is authorised as. An ARN or a phone-/pool- id names one resource; a phone number in
 * E.164 is authorised by its phone- id, which the number does not tell, so every phone number of the account and
 * Region; a sender id by its name in any country; none given, End User Messaging picks one of the account's. A pool's
 * members (its numbers and sender ids) are granted too, within the pool's account and Region: which of them IAM
 * evaluates for a send through a pool is not documented.
 */
function identityResources(stack: Stack, identity: string | undefined, setting: 'originationIdentity' | 'voiceOriginationIdentity'): string[] {
  const inAccount = (resourceName: string, resource: string) => stack.formatArn({ service: 'sms-voice', resource, resourceName });
  if (identity === undefined) return [inAccount('*', 'phone-number'), inAccount('*', 'sender-id'), inAccount('*', 'pool')];
  if (identity.startsWith('arn:')) {
    checkRegion(stack, identity, setting);
    const pool = /^(arn:[^:]+:sms-voice:[^:]+:[^:]+:)pool\//.exec(identity);
    return pool ? [identity, `${pool[1]}phone-number/*`, `${pool[1]}sender-id/*`] : [identity];
  }
  if (identity.startsWith('pool-')) return [inAccount(identity, 'pool'), inAccount('*', 'phone-number'), inAccount('*', 'sender-id')];
  if (identity.startsWith('phone-')) return [inAccount(identity, 'phone-number')];
  if (identity.startsWith('+')) return [inAccount('*', 'phone-number')];
  return [inAccount(`${identity}/*`, 'sender-id')];
}

/** A resource given by name or ARN: its ARN (checked to be in the stack's Region). */
function namedArn(stack: Stack, nameOrArn: string, resource: string, setting: 'configurationSetName' | 'protectConfigurationId'): string {
  if (!nameOrArn.startsWith('arn:')) return stack.formatArn({ service: 'sms-voice', resource, resourceName: nameOrArn });
  checkRegion(stack, nameOrArn, setting);
  return nameOrArn;
}

/**
 * End User Messaging resources are regional: an ARN from another Region than the stack's would fail every send at run
 * time. Refused at synth when the stack's Region is known; asserted by a CloudFormation rule when it is a token.
 */
function checkRegion(stack: Stack, arn: string, setting: 'originationIdentity' | 'voiceOriginationIdentity' | 'configurationSetName' | 'protectConfigurationId'): void {
  const region = arn.split(':')[3];
  if (!region) throw new InvalidSettingError(setting, `"${arn}" names no Region`);
  if (!Token.isUnresolved(stack.region)) {
    if (region !== stack.region) {
      throw new InvalidSettingError(setting, `"${arn}" is in ${region}, and this stack deploys to ${stack.region}: End User Messaging resources are regional`);
    }
    return;
  }
  const id = `${setting[0]!.toUpperCase()}${setting.slice(1)}Region`;
  if (stack.node.tryFindChild(id)) return;
  new CfnRule(stack, id, {
    assertions: [{ assert: Fn.conditionEquals(Aws.REGION, region), assertDescription: `${setting} (${arn}) is in ${region}: deploy this stack to ${region}` }],
  });
}

/** cdk-nag: the wildcards of a resource type (all phone numbers, all sender ids), each with why it cannot be one. */
function acknowledgeTypeWildcards(role: IRole, resources: readonly string[]): void {
  for (const resource of resources) {
    if (!resource.includes('*')) continue;
    const shown = Stack.of(role).resolve(resource) as unknown;
    const nagId = typeof shown === 'string' ? shown : `arn:<AWS::Partition>:sms-voice:<AWS::Region>:<AWS::AccountId>:${resource.split(':').pop()}`;
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagId}]`,
      reason:
        'An origination identity given as a phone number (E.164), a sender id or a pool, or not given at all, is ' +
        'authorised by resources the setting does not name (its phone- id, its countries, the pool\'s members, the ' +
        'account\'s choice): the grant covers that one resource type in this account and Region. Give a phone- id or ARN to narrow it.',
    });
  }
}

/** The ARN of a Notify configuration given as an id or an ARN. */
export function notifyConfigurationArn(stack: Stack, idOrArn: string): string {
  return idOrArn.startsWith('arn:') ? idOrArn : stack.formatArn({ service: 'sms-voice', resource: 'notify-configuration', resourceName: idOrArn });
}

function configurationSetArns(stack: Stack, settings: DeploymentSettings): string[] {
  const name = settings.configurationSetName;
  return name ? [namedArn(stack, name, 'configuration-set', 'configurationSetName')] : [];
}
