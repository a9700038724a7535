/**
 * What the send function may do for each SMS route it uses, and nothing more. Each statement names the resources
 * the route's calls are authorised on (Service Authorization Reference: Amazon SNS; AWS End User Messaging SMS and
 * voice, v2; Amazon Pinpoint); where an action has no resource to scope to, the wildcard is acknowledged for cdk-nag
 * with the reason.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { DeploymentSettings } from '../functions/settings';

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
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['sms-voice:SendTextMessage'],
        // An identity shared from another account (AWS RAM) is given as its full ARN, and is authorised on it.
        resources: [
          stack.formatArn({ service: 'sms-voice', resource: '*' }),
          ...[settings.originationIdentity, settings.configurationSetName, settings.protectConfigurationId].filter(
            (value): value is string => value?.startsWith('arn:') === true,
          ),
        ],
      }),
    );
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sms-voice:<AWS::Region>:<AWS::AccountId>:*]`,
      reason:
        'SendTextMessage is authorised on every origination identity, configuration set and protect configuration ' +
        'it touches, which may be given as names or ARNs; the grant is confined to this account and region.',
    });
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
        resources: [voiceIdentityArn(stack, settings.voiceOriginationIdentity), ...configurationSetArns(stack, settings)],
      }),
    );
    if (!settings.voiceOriginationIdentity.startsWith('arn:') && settings.voiceOriginationIdentity.startsWith('+')) {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sms-voice:<AWS::Region>:<AWS::AccountId>:phone-number/*]',
        reason:
          'A phone number given in E.164 is authorised by its phone- id, which the number does not tell: the grant is ' +
          'every phone number of this account and region. Give its phone- id or ARN to narrow it to one.',
      });
    }
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

/** The resource a voice origination identity is authorised as: its ARN, a phone- or pool- id's ARN, or any phone number. */
function voiceIdentityArn(stack: Stack, identity: string): string {
  if (identity.startsWith('arn:')) return identity;
  if (identity.startsWith('pool-')) return stack.formatArn({ service: 'sms-voice', resource: 'pool', resourceName: identity });
  if (identity.startsWith('phone-')) return stack.formatArn({ service: 'sms-voice', resource: 'phone-number', resourceName: identity });
  return stack.formatArn({ service: 'sms-voice', resource: 'phone-number', resourceName: '*' });
}

/** The ARN of a Notify configuration given as an id or an ARN. */
export function notifyConfigurationArn(stack: Stack, idOrArn: string): string {
  return idOrArn.startsWith('arn:') ? idOrArn : stack.formatArn({ service: 'sms-voice', resource: 'notify-configuration', resourceName: idOrArn });
}

function configurationSetArns(stack: Stack, settings: DeploymentSettings): string[] {
  const name = settings.configurationSetName;
  if (!name) return [];
  return [name.startsWith('arn:') ? name : stack.formatArn({ service: 'sms-voice', resource: 'configuration-set', resourceName: name })];
}
