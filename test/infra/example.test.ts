import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { LoginExampleStack } from '../../examples/grant-verify/stack';

describe('example app: a login function granted the right to verify', () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new LoginExampleStack(app, 'LoginExample');
  const template = Template.fromStack(stack);

  it('synthesises, with the construct configured by the team', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 8);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { VERIFY_FUNCTION_NAME: { Ref: stack.getLogicalId(stack.verification.verifyFunction.node.defaultChild as never) } } },
    });
  });

  it('lets the login function check codes and nothing else', () => {
    const loginRole = stack.getLogicalId(stack.login.role!.node.defaultChild as never);
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => (policy.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref === loginRole))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Array<{ Action: string; Resource: unknown }>);

    expect(statements.map((statement) => statement.Action).sort()).toEqual(['execute-api:Invoke', 'lambda:InvokeFunction']);
    expect(JSON.stringify(statements)).toContain('/POST/verify-security-code');
    expect(JSON.stringify(statements)).not.toContain('sms-verify');
  });
});
