/**
 * The SmsVerify construct as a team drops it into its own CDK app: grants for
 * other principals, properties, monitoring.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { SmsVerify } from '../../lib/sms-verify';

function build(props: ConstructorParameters<typeof SmsVerify>[2] = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'TeamApp');
  const service = new SmsVerify(stack, 'Verification', props);
  const backend = new Role(stack, 'Backend', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  return { stack, service, backend };
}

type Statement = { Action: string | string[]; Resource: unknown };
function statementsOf(template: Template, roleLogicalId: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => (policy.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref === roleLogicalId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

describe('SmsVerify construct', () => {
  it('grants checking codes through the API route and by invoking the verify function, and nothing else', () => {
    const { stack, service, backend } = build();
    service.grantVerify(backend);
    const template = Template.fromStack(stack);
    const backendId = stack.getLogicalId(backend.node.defaultChild as never);

    const statements = statementsOf(template, backendId);
    expect(statements.map((statement) => statement.Action).sort()).toEqual(['execute-api:Invoke', 'lambda:InvokeFunction']);
    expect(JSON.stringify(statements)).toContain('/POST/verify-security-code');
    expect(JSON.stringify(statements)).not.toContain('sms-verify');
    expect(JSON.stringify(statements)).toContain(stack.getLogicalId(service.verifyFunction.node.defaultChild as never));
    expect(JSON.stringify(statements)).not.toContain(stack.getLogicalId(service.sendFunction.node.defaultChild as never));
  });

  it('grants sending codes through the API route and by invoking the send function', () => {
    const { stack, service, backend } = build();
    service.grantSend(backend);
    const template = Template.fromStack(stack);

    const statements = statementsOf(template, stack.getLogicalId(backend.node.defaultChild as never));
    expect(JSON.stringify(statements)).toContain('/POST/sms-verify');
    expect(JSON.stringify(statements)).toContain(stack.getLogicalId(service.sendFunction.node.defaultChild as never));
  });

  it('exposes the API URL, the functions, the table and the validated settings', () => {
    const { service } = build({ codeTtlSeconds: 300 });

    expect(service.url).toEqual(expect.any(String));
    expect(service.sendFunction.functionName).toEqual(expect.any(String));
    expect(service.table.tableName).toEqual(expect.any(String));
    expect(service.settings.codeTtlSeconds).toBe(300);
  });

  it('builds a dashboard and alarms on the deployment\'s own metrics namespace, notifying a topic', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const withTopic = new Stack(app, 'Alarmed');
    const topic = new Topic(withTopic, 'Alarms');
    new SmsVerify(withTopic, 'Verification', { alarmTopic: topic, globalSendLimit: 500 });
    const template = Template.fromStack(withTopic);

    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    // …and OutcomesDeadLetters and GuardPaused: the conversion guard, on by default, runs in the outcomes function.
    template.resourceCountIs('AWS::CloudWatch::Alarm', 8);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('SMS pumping'),
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 30,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('Alarms') }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('80 % of its SMS ceiling'),
      Threshold: 400,
      Namespace: 'SmsVerify/Alarmed/Verification',
      MetricName: 'CodesSent',
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ METRICS_NAMESPACE: 'SmsVerify/Alarmed/Verification' }) },
    });
  });

  it('leaves monitoring out when asked to', () => {
    const { stack } = build({ monitoring: false });

    Template.fromStack(stack).resourceCountIs('AWS::CloudWatch::Dashboard', 0);
  });
});
