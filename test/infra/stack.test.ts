/**
 * The deployed infrastructure, as CloudFormation: who may do what, and how
 * the table and API are set up. Bundling is skipped here (it has its own test).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SmsVerifyStack, type SmsVerifyStackProps } from '../../lib/sms-verify-stack';
import { PINPOINT_APPLICATION_ID } from '../support/fixtures';

function synth(props: SmsVerifyStackProps = {}, context: Record<string, unknown> = {}): Template {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  return Template.fromStack(new SmsVerifyStack(app, 'SmsVerifyTest', props));
}

type PolicyStatementJson = { Action: string | string[]; Resource: unknown; Effect: string };

/** The configuration set the stack makes for conversion feedback, by its ARN (test/infra/conversion-feedback-stack.test.ts). */
const STACK_CONFIGURATION_SET = { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':configuration-set/.+')])] };

/** Every action the role of the function whose logical id starts with `prefix` is allowed, sorted. */
function actionsOf(template: Template, functionPrefix: string): string[] {
  const functions = template.findResources('AWS::Lambda::Function');
  const [, fn] = Object.entries(functions).find(([id]) => id.startsWith(functionPrefix))!;
  const roleId = (fn.Properties.Role['Fn::GetAtt'] as string[])[0];
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
    (policy.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref === roleId),
  );
  const actions = policies.flatMap((policy) =>
    (policy.Properties.PolicyDocument.Statement as PolicyStatementJson[]).flatMap((statement) =>
      Array.isArray(statement.Action) ? statement.Action : [statement.Action],
    ),
  );
  return [...new Set(actions)].sort();
}

describe('SMS verify stack', () => {
  const withPinpoint = synth({ service: { pinpointApplicationId: PINPOINT_APPLICATION_ID } });

  it('serves both routes as POST with IAM authorization, and every other method and path with the envelope, behind IAM too', () => {
    for (const routeKey of ['POST /sms-verify', 'POST /phone-verify', 'POST /verify-security-code', 'GET /verify-security-code', 'ANY /sms-verify', 'ANY /phone-verify', 'ANY /verify-security-code', '$default']) {
      withPinpoint.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: routeKey, AuthorizationType: 'AWS_IAM' });
    }
    withPinpoint.resourceCountIs('AWS::ApiGatewayV2::Route', 8);
  });

  it('sends a path\'s other methods to its own function, and unknown paths to the verify function', () => {
    const routes = withPinpoint.findResources('AWS::ApiGatewayV2::Route');
    const integrations = withPinpoint.findResources('AWS::ApiGatewayV2::Integration');
    const functionOf = (routeKey: string) => {
      const route = Object.values(routes).find((resource) => resource.Properties.RouteKey === routeKey)!;
      const target = JSON.stringify(route.Properties.Target);
      const integration = Object.entries(integrations).find(([logicalId]) => target.includes(logicalId))![1];
      return JSON.stringify(integration.Properties.IntegrationUri);
    };
    expect(functionOf('ANY /sms-verify')).toBe(functionOf('POST /sms-verify'));
    // One function sends codes by text and by call.
    expect(functionOf('POST /phone-verify')).toBe(functionOf('POST /sms-verify'));
    expect(functionOf('ANY /phone-verify')).toBe(functionOf('POST /sms-verify'));
    expect(functionOf('ANY /verify-security-code')).toBe(functionOf('POST /verify-security-code'));
    expect(functionOf('$default')).toBe(functionOf('POST /verify-security-code'));
    expect(functionOf('POST /sms-verify')).not.toBe(functionOf('POST /verify-security-code'));
  });

  it('throttles the stage and logs access without bodies', () => {
    withPinpoint.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: { Format: Match.stringLikeRegexp('"sourceIp":"\\$context.identity.sourceIp"') },
    });
  });

  it('runs both functions on Node.js 24, arm64, with the settings and table in their environment', () => {
    const functions = withPinpoint.findResources('AWS::Lambda::Function', {
      Properties: { Runtime: 'nodejs24.x', Architectures: ['arm64'], Handler: 'index.handler' },
    });
    expect(Object.keys(functions).filter((id) => /^SmsVerify(Send|Verify)Function/.test(id))).toHaveLength(2);
    withPinpoint.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          TABLE_NAME: { Ref: Match.stringLikeRegexp('Table') },
          CODE_HASH_SECRET_ID: { Ref: Match.stringLikeRegexp('CodeKey') },
          SMS_ROUTES: 'sns,pinpoint',
          PINPOINT_APPLICATION_ID: PINPOINT_APPLICATION_ID,
          CODE_TTL_SECONDS: '600',
          MAX_FAILED_CHECKS: '5',
          LOCK_SECONDS: '900',
          ROUTE_SWITCH_SECONDS: '600',
          DEFAULT_LIMIT: '10',
        }),
      },
    });
  });

  it('lets the send function update (and, for idempotent repeats, read) the table, read the key, send SMS and write its logs', () => {
    expect(actionsOf(withPinpoint, 'SmsVerifySendFunction')).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'mobiletargeting:SendMessages',
      'secretsmanager:GetSecretValue',
      'sns:GetSMSSandboxAccountStatus',
      'sns:ListOriginationNumbers',
      'sns:ListSMSSandboxPhoneNumbers',
      'sns:Publish',
    ]);
    withPinpoint.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'mobiletargeting:SendMessages',
            Resource: {
              'Fn::Join': ['', Match.arrayWith([`:apps/${PINPOINT_APPLICATION_ID}/messages`])],
            },
          }),
        ]),
      },
    });
  });

  it('lets the verify function update the table, read the key and write its logs, with no SMS permission', () => {
    expect(actionsOf(withPinpoint, 'SmsVerifyVerifyFunction')).toEqual([
      'dynamodb:UpdateItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'secretsmanager:GetSecretValue',
    ]);
  });

  it('gives a deployment without Pinpoint no Pinpoint permission', () => {
    expect(actionsOf(synth(), 'SmsVerifySendFunction')).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'secretsmanager:GetSecretValue',
      'sns:GetSMSSandboxAccountStatus',
      'sns:ListOriginationNumbers',
      'sns:ListSMSSandboxPhoneNumbers',
      'sns:Publish',
    ]);
  });

  it('lets the send function use End User Messaging SMS only when that route is configured', () => {
    const withEum = synth({ service: { originationIdentity: '+12015550123' } });

    expect(actionsOf(withEum, 'SmsVerifySendFunction')).toContain('sms-voice:SendTextMessage');
    expect(actionsOf(withPinpoint, 'SmsVerifySendFunction')).not.toContain('sms-voice:SendTextMessage');
    withEum.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SMS_ROUTES: 'sns,sms-voice-v2', ORIGINATION_IDENTITY: '+12015550123' }) },
    });
  });

  it('gives the functions a timeout above the slowest bounded send and below API Gateway\'s 30 s', () => {
    withPinpoint.hasResourceProperties('AWS::Lambda::Function', { Timeout: 20 });
  });

  it('uses no AWS managed policy, and scopes every permission but SNS\'s SMS calls to a resource', () => {
    for (const role of Object.values(withPinpoint.findResources('AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
    const wildcards = Object.values(withPinpoint.findResources('AWS::IAM::Policy')).flatMap((policy) =>
      (policy.Properties.PolicyDocument.Statement as PolicyStatementJson[]).filter((statement) => statement.Resource === '*'),
    );
    // SNS authorises SMS to a phone number, and its account reads, only on "*".
    expect(wildcards.map((statement) => statement.Action)).toEqual([
      ['sns:Publish', 'sns:GetSMSSandboxAccountStatus', 'sns:ListSMSSandboxPhoneNumbers', 'sns:ListOriginationNumbers'],
    ]);
  });

  it('keeps codes in an on-demand table with TTL and point-in-time recovery, retained on delete', () => {
    withPinpoint.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
      },
    });
  });

  it('creates a generated key for code digests', () => {
    withPinpoint.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
    });
  });

  it('outputs the API URL, both function names, the table (for sms-verify --stack) and the doctor command', () => {
    for (const output of ['ApiUrl', 'SendFunctionName', 'VerifyFunctionName', 'TableName']) withPinpoint.hasOutput(output, {});
    withPinpoint.hasOutput('DoctorCommand', { Value: 'npx sms-verify doctor --stack SmsVerifyTest' });
    expect(withPinpoint.findOutputs('KeysCommand')).toEqual({});
    // No trailing slash: a client that appends "/sms-verify" must not ask for "//sms-verify". The API's ApiEndpoint
    // attribute is documented as https://<id>.execute-api.<region>.amazonaws.com; the $default stage's URL adds a "/".
    expect(withPinpoint.findOutputs('ApiUrl').ApiUrl!.Value).toEqual({ 'Fn::GetAtt': [expect.any(String), 'ApiEndpoint'] });
    // NeutrinoAPI's clients but the Node.js one concatenate base URL and endpoint: theirs ends in "/".
    expect(withPinpoint.findOutputs('NeutrinoApiBaseUrl').NeutrinoApiBaseUrl!.Value).toEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.any(String), 'ApiEndpoint'] }, '/']],
    });
  });

  it('takes settings from CDK context, with props winning', () => {
    const template = synth(
      { service: { lockSeconds: 1200 } },
      { codeTtlSeconds: '300', lockSeconds: '600', smsRoutes: 'sns' },
    );

    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CODE_TTL_SECONDS: '300', LOCK_SECONDS: '1200', SMS_ROUTES: 'sns' }) },
    });
  });

  it('refuses an invalid setting at synth time, naming it', () => {
    expect(() => synth({ service: { codeTtlSeconds: 5 } })).toThrow(/codeTtlSeconds \(CODE_TTL_SECONDS\)/);
    expect(() => synth({ service: { smsRoutes: ['pinpoint'] } })).toThrow(/needs pinpointApplicationId/);
  });
});

describe('a typo in a setting', () => {
  it('stops the synth: a context key two edits from a setting is refused, naming the setting meant', () => {
    expect(() => synth({}, { alowedCountries: 'GB' })).toThrow('Unknown setting alowedCountries: did you mean allowedCountries?');
    expect(() => synth({}, { teamFlag: 'on' })).not.toThrow();
  });

  it('is one line from the CLI, naming the setting and what it takes, never a stack trace', () => {
    const run = spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(__dirname, '../../bin/sms-verify.ts')], {
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ allowedCountries: 'UK', 'aws:cdk:bundling-stacks': [] }), CDK_OUTDIR: mkdtempSync(path.join(tmpdir(), 'synth-')) },
      encoding: 'utf8',
    });

    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      'sms-verify: Invalid setting allowedCountries (ALLOWED_COUNTRIES): must be a list of ISO 3166-1 alpha-2 country codes such as GB: "UK" is not a country code; did you mean GB?',
    ]);
  });
});

describe('API-key mode (auth: api-key)', () => {
  const keyed = synth({}, { auth: 'api-key' });

  it('puts every route behind a Lambda authorizer that API Gateway neither short-cuts nor caches', () => {
    // No identity sources: with them an HTTP API answers missing headers with its own 401, outside the envelope.
    keyed.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      EnableSimpleResponses: true,
      AuthorizerPayloadFormatVersion: '2.0',
      IdentitySource: [],
      AuthorizerResultTtlInSeconds: 0,
    });
    const routes = Object.values(keyed.findResources('AWS::ApiGatewayV2::Route'));
    expect(routes).toHaveLength(8);
    for (const route of routes) expect(route.Properties.AuthorizationType).toBe('CUSTOM');
  });

  it('lets the authorizer read the key items of the table and nothing else', () => {
    expect(actionsOf(keyed, 'SmsVerifyAuthorizerFunction')).toEqual(['dynamodb:GetItem', 'logs:CreateLogStream', 'logs:PutLogEvents']);
    keyed.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'dynamodb:GetItem',
            Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['apikey#*'] } },
          }),
        ]),
      },
    });
  });

  it('outputs the command that makes a key', () => {
    expect(keyed.findOutputs('KeysCommand').KeysCommand!.Value).toBe('npx sms-verify keys create <user-id> --stack SmsVerifyTest');
  });

  it('has no authorizer function in IAM mode, the default', () => {
    withPinpointDefault.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
    expect(Object.keys(withPinpointDefault.findResources('AWS::Lambda::Function')).some((id) => id.includes('Authorizer'))).toBe(false);
  });

  it('refuses an unknown mode at synth, naming the setting', () => {
    expect(() => synth({}, { auth: 'basic' })).toThrow('Invalid setting auth (AUTH): must be one of iam, api-key, got "basic"');
  });

  it('remembers keys for authorizerCacheSeconds in the authorizer; the authorizer ends well inside API Gateway\'s 10 s', () => {
    const authorizerOf = (template: Template) =>
      Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith('SmsVerifyAuthorizerFunction'))![1];
    expect(authorizerOf(keyed).Properties.Timeout).toBeLessThanOrEqual(6);
    expect(authorizerOf(keyed).Properties.Environment.Variables).toEqual({ TABLE_NAME: expect.anything(), AUTHORIZER_CACHE_SECONDS: '300' });
    expect(authorizerOf(synth({}, { auth: 'api-key', authorizerCacheSeconds: '0' })).Properties.Environment.Variables).toMatchObject({
      AUTHORIZER_CACHE_SECONDS: '0',
    });
    expect(() => synth({}, { auth: 'api-key', authorizerCacheSeconds: '301' })).toThrow(/authorizerCacheSeconds .*from 0 to 300/);
  });
});

const withPinpointDefault = synth({ service: { pinpointApplicationId: PINPOINT_APPLICATION_ID } });

describe('what a first real deploy needs', () => {
  const template = synth({ service: { pinpointApplicationId: PINPOINT_APPLICATION_ID } });

  it('keeps the API access log under /aws/vendedlogs/, out of the account-wide log resource policy', () => {
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup')).map((group) => group.Properties.LogGroupName);
    expect(groups.filter((name) => typeof name === 'string')).toEqual([expect.stringMatching(/^\/aws\/vendedlogs\/apigateway\/.+-access$/)]);
  });

  it('writes alarm and dashboard math CloudWatch documents: no scalar inside MAX([...]), a quoted SEARCH namespace', () => {
    const json = JSON.stringify(template.toJSON());
    expect(json).not.toContain('MAX([');
    expect(json).toMatch(/SEARCH\('\{\\+"SmsVerify\/SmsVerifyTest\/SmsVerify\\+",service,/);
  });

  it('grants each function its own log streams by their real ARN (no doubled ":*")', () => {
    const json = JSON.stringify(template.toJSON());
    expect(json).not.toContain(':*:log-stream');
    expect(json).toContain(':log-stream:*');
  });

  it('grants SendTextMessage on an origination identity shared from another account by its exact ARN', () => {
    const shared = 'arn:aws:sms-voice:eu-west-1:111122223333:pool/pool-0123456789abcdef';
    const withShared = synth({ service: { originationIdentity: shared } });
    withShared.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'sms-voice:SendTextMessage', Resource: Match.arrayWith([shared]) }),
        ]),
      },
    });
  });

  describe('End User Messaging Notify', () => {
    const withNotify = synth({ service: { notifyDisplayName: 'Acme', allowedCountries: ['GB', 'US', 'ZA'], deniedCountries: ['US'] } });

    it('makes a Notify configuration for the allowed countries its Basic tier serves, less the denied ones', () => {
      withNotify.resourceCountIs('AWS::SMSVOICE::NotifyConfiguration', 1);
      withNotify.hasResourceProperties('AWS::SMSVOICE::NotifyConfiguration', {
        DisplayName: 'Acme',
        UseCase: 'CODE_VERIFICATION',
        EnabledChannels: ['SMS'],
        EnabledCountries: ['GB'],
      });
      withNotify.hasOutput('NotifyConfigurationId', {});
    });

    it('puts Notify after SNS and gives the functions the configuration it made', () => {
      const [configurationId] = Object.keys(withNotify.findResources('AWS::SMSVOICE::NotifyConfiguration'));
      withNotify.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            SMS_ROUTES: 'sns,notify',
            NOTIFY_CONFIGURATION_ID: { 'Fn::GetAtt': [configurationId, 'NotifyConfigurationId'] },
            NOTIFY_DISPLAY_NAME: 'Acme',
          }),
        },
      });
    });

    it('lets the send function send through that configuration (and the stack\'s configuration set) only, and read the template catalogue', () => {
      const [configurationId] = Object.keys(withNotify.findResources('AWS::SMSVOICE::NotifyConfiguration'));
      withNotify.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: ['sms-voice:SendNotifyTextMessage', 'sms-voice:DescribeNotifyConfigurations'],
              Resource: [{ 'Fn::GetAtt': [configurationId, 'NotifyConfigurationArn'] }, STACK_CONFIGURATION_SET],
            }),
            Match.objectLike({ Action: 'sms-voice:DescribeNotifyTemplates', Resource: '*' }),
          ]),
        },
      });
      expect(actionsOf(withNotify, 'SmsVerifyVerifyFunction').filter((action) => action.startsWith('sms-voice:'))).toEqual([]);
    });

    it('grants an existing configuration, and the configuration set sends name, by their ARNs', () => {
      const existing = synth({ service: { notifyConfigurationId: 'notify-0123456789abcdef', configurationSetName: 'codes' } });
      existing.resourceCountIs('AWS::SMSVOICE::NotifyConfiguration', 0);
      const statement = Object.values(existing.findResources('AWS::IAM::Policy'))
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement as PolicyStatementJson[])
        .find((candidate) => Array.isArray(candidate.Action) && candidate.Action.includes('sms-voice:SendNotifyTextMessage'));
      const resources = JSON.stringify(statement?.Resource);
      expect(resources).toContain(':notify-configuration/notify-0123456789abcdef');
      expect(resources).toContain(':configuration-set/codes');
    });

    it('warns at 80 % of the daily Notify quota', () => {
      withNotify.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'CodesSentByRoute',
        Dimensions: Match.arrayWith([{ Name: 'Route', Value: 'notify' }]),
        Period: 86_400,
        Threshold: 160,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    });

    it.each([
      [{ notifyDisplayName: 'Acme', notifyConfigurationId: 'notify-0123456789abcdef' }, /notifyDisplayName.*not both/],
      [{ notifyDisplayName: 'Acme', allowedCountries: ['ZA', 'NG'] }, /notifyDisplayName.*Basic tier.*leave none/],
      [{ notifyDisplayName: 'Acme & Co' }, /notifyDisplayName/],
    ])('refuses %j at synth, naming the setting', (service, message) => {
      expect(() => synth({ service })).toThrow(message);
    });
  });

  describe('day two', () => {
    const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:on-call';

    it('makes every alarm reach the topic of alarmTopicArn, on alarm and on recovery', () => {
      const withTopic = synth({ service: { alarmTopicArn: TOPIC, auth: 'api-key', notifyDisplayName: 'Acme' } });
      const alarms = Object.values(withTopic.findResources('AWS::CloudWatch::Alarm'));
      expect(alarms.length).toBeGreaterThan(5);
      for (const alarm of alarms) {
        expect(alarm.Properties.AlarmActions).toEqual([TOPIC]);
        expect(alarm.Properties.OKActions).toEqual([TOPIC]);
      }
    });

    it('makes an encrypted, HTTPS-only topic for alarmEmail with the address subscribed; not both settings', () => {
      const withEmail = synth({ service: { alarmEmail: 'oncall@example.com' } });
      withEmail.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
      withEmail.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('AlarmTopicKey'), 'Arn'] } });
      // CloudWatch publishes to it only with a key whose policy lets CloudWatch use it (not alias/aws/sns).
      withEmail.hasResourceProperties('AWS::KMS::Key', {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
          ]),
        },
      });
      withEmail.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
      expect(() => synth({ service: { alarmEmail: 'oncall@example.com', alarmTopicArn: TOPIC } })).toThrow(/alarmEmail.*not both/);
      expect(() => synth({ service: { alarmTopicArn: 'on-call' } })).toThrow(/alarmTopicArn.*an SNS topic ARN/);
    });

    it('alarms on the failures a function answered itself (500/51), which Lambda\'s Errors metric never counts', () => {
      const template = synth();
      for (const service of ['sms-verify-send', 'sms-verify-verify']) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Metrics: Match.arrayWith([
            Match.objectLike({
              MetricStat: Match.objectLike({
                Metric: Match.objectLike({ MetricName: 'UnexpectedFailures', Dimensions: [{ Name: 'service', Value: service }] }),
              }),
            }),
          ]),
        });
      }
    });

    it('watches the API-key authorizer: an errors alarm, and its error and user id in the access log', () => {
      const keyed = synth({ service: { auth: 'api-key' } });
      keyed.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: Match.stringLikeRegexp('^SmsVerifyAuthorizerFunction') } }],
      });
      const [stage] = Object.values(keyed.findResources('AWS::ApiGatewayV2::Stage'));
      const format = JSON.parse(stage!.Properties.AccessLogSettings.Format as string) as Record<string, string>;
      expect(format).toMatchObject({ authorizerError: '$context.authorizer.error', userId: '$context.authorizer.userId' });
    });

    it('bounds each function\'s concurrency, so a slow provider cannot take the Region\'s from every other function', () => {
      const keyed = synth({ service: { auth: 'api-key' } });
      const reserved = (prefix: string) =>
        Object.entries(keyed.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith(prefix))![1].Properties.ReservedConcurrentExecutions as unknown;
      expect([reserved('SmsVerifySendFunction'), reserved('SmsVerifyVerifyFunction'), reserved('SmsVerifyAuthorizerFunction')]).toEqual([100, 100, 50]);
      const unreserved = synth({ service: { sendConcurrency: 0 } });
      const send = Object.entries(unreserved.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith('SmsVerifySendFunction'))![1];
      expect(send.Properties.ReservedConcurrentExecutions).toBeUndefined();
    });

    it('protects the table from deletion, and adopts an earlier deployment\'s table and key together', () => {
      // A TableV2 is a global table of one replica: deletion protection is the replica's.
      synth().hasResourceProperties('AWS::DynamoDB::GlobalTable', { Replicas: [Match.objectLike({ DeletionProtectionEnabled: true })] });
      const secret = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:SmsVerifyCodeKey-AbCdEf';
      const adopted = synth({ service: { existingTableName: 'sms-verify-2026', existingCodeKeySecretArn: secret } });
      adopted.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
      adopted.resourceCountIs('AWS::SecretsManager::Secret', 0);
      adopted.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ TABLE_NAME: 'sms-verify-2026', CODE_HASH_SECRET_ID: secret }) },
      });
      expect(() => synth({ service: { existingTableName: 'sms-verify-2026' } })).toThrow(/existingCodeKeySecretArn.*together/);
    });

    it('names the API and its access log group after the stack: two stacks with the same construct path do not collide', () => {
      const names = (stackName: string) => {
        // One construct path (stack id SmsVerify, construct SmsVerify) deployed under two stack names.
        const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
        const template = Template.fromStack(new SmsVerifyStack(app, 'SmsVerify', { stackName }));
        const [api] = Object.values(template.findResources('AWS::ApiGatewayV2::Api'));
        const groups = Object.values(template.findResources('AWS::Logs::LogGroup')).map((group) => group.Properties.LogGroupName as unknown);
        return { api: api!.Properties.Name as string, accessLogs: groups.find((name) => typeof name === 'string' && name.includes('apigateway')) };
      };
      const [blue, green] = [names('SmsVerifyBlue'), names('SmsVerifyGreen')];
      expect(blue.api).toBe('SmsVerifyBlue-SmsVerify');
      expect(green.api).not.toBe(blue.api);
      expect(green.accessLogs).not.toBe(blue.accessLogs);
    });
  });

  describe('grants no wider than the identity', () => {
    /** Every resource of every sms-voice statement of the send function, resolved to text. */
    const smsVoiceResources = (template: Template) =>
      Object.values(template.findResources('AWS::IAM::Policy'))
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement as PolicyStatementJson[])
        .filter((statement) => [statement.Action].flat().some((action) => action.startsWith('sms-voice:Send')))
        .flatMap((statement) => [statement.Resource].flat())
        .map((resource) => JSON.stringify(resource));

    it.each([
      ['a pool ARN', { originationIdentity: 'arn:aws:sms-voice:eu-west-1:111122223333:pool/pool-0123456789abcdef0123456789abcdef' }],
      ['a phone number', { originationIdentity: '+447400123456' }],
      ['a phone- id, a configuration set and a protect configuration', { originationIdentity: 'phone-0123456789abcdef0123456789abcdef', configurationSetName: 'codes', protectConfigurationId: 'protect-0123456789abcdef0123456789abcdef' }],
      ['a sender id', { originationIdentity: 'Acme' }],
      ['calls from a pool', { allowedVoiceCountries: ['GB'], voiceOriginationIdentity: 'pool-0123456789abcdef0123456789abcdef' }],
    ])('grants %s by resource type, never every resource of the account (":*")', (_, service) => {
      const resources = smsVoiceResources(synth({ env: { region: 'eu-west-1', account: '111122223333' }, service }));
      expect(resources.length).toBeGreaterThan(0);
      for (const resource of resources) expect(resource).not.toMatch(/:\*"/);
    });

    it('names exactly one phone number given by its id, and the configuration set and protect configuration by name', () => {
      const resources = smsVoiceResources(
        synth({ service: { originationIdentity: 'phone-0123456789abcdef0123456789abcdef', configurationSetName: 'codes', protectConfigurationId: 'protect-01' } }),
      );
      expect(resources.join()).toContain(':phone-number/phone-0123456789abcdef0123456789abcdef"');
      expect(resources.join()).toContain(':configuration-set/codes"');
      expect(resources.join()).toContain(':protect-configuration/protect-01"');
      expect(resources.join()).not.toContain('/*');
    });

    it('stops the synth for an identity in another Region, and asserts the Region when the stack\'s is not known', () => {
      const foreign = 'arn:aws:sms-voice:us-east-1:111122223333:phone-number/phone-0123456789abcdef0123456789abcdef';
      expect(() => synth({ env: { region: 'eu-west-1', account: '111122223333' }, service: { originationIdentity: foreign } })).toThrow(
        /originationIdentity.*is in us-east-1, and this stack deploys to eu-west-1/,
      );
      const agnostic = synth({ service: { originationIdentity: foreign } });
      expect(agnostic.toJSON().Rules).toMatchObject({
        OriginationIdentityRegion: { Assertions: [{ Assert: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] } }] },
      });
    });
  });

  describe('calls', () => {
    const withVoice = synth({
      service: {
        allowedVoiceCountries: ['GB', 'US'],
        voiceOriginationIdentity: 'phone-0123456789abcdef0123456789abcdef',
        maxPricePerMinute: '0.05',
        notifyDisplayName: 'Acme',
      },
    });

    it('enables in the Notify configuration the countries calls go to, as well as those texts go to', () => {
      const template = synth({ service: { notifyDisplayName: 'Acme', allowedCountries: ['GB'], allowedVoiceCountries: ['US'] } });
      template.hasResourceProperties('AWS::SMSVOICE::NotifyConfiguration', { EnabledCountries: ['GB', 'US'], EnabledChannels: ['SMS', 'VOICE'] });
    });

    it('places no call by default: no voice route, no voice permission', () => {
      const defaults = synth();
      expect(actionsOf(defaults, 'SmsVerifySendFunction').filter((action) => /Voice/.test(action))).toEqual([]);
      defaults.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ ALLOWED_VOICE_COUNTRIES: '' }) } });
    });

    it('lets the send function call from its identity only, and through the Notify configuration it made with VOICE (and the stack\'s configuration set)', () => {
      const [configurationId] = Object.keys(withVoice.findResources('AWS::SMSVOICE::NotifyConfiguration'));
      withVoice.hasResourceProperties('AWS::SMSVOICE::NotifyConfiguration', { EnabledChannels: ['SMS', 'VOICE'] });
      withVoice.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'CallsPlaced', Threshold: 80 });
      // Notify's daily quota counts its calls with its texts.
      withVoice.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Threshold: 160,
        Metrics: Match.arrayWith([
          Match.objectLike({ Expression: 'FILL(texts, 0) + FILL(calls, 0)' }),
          Match.objectLike({ MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'CallsPlacedByRoute', Dimensions: Match.arrayWith([{ Name: 'Route', Value: 'notify-voice' }]) }) }) }),
        ]),
      });
      withVoice.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: 'sms-voice:SendVoiceMessage',
              Resource: [{ 'Fn::Join': ['', Match.arrayWith([':phone-number/phone-0123456789abcdef0123456789abcdef'])] }, STACK_CONFIGURATION_SET],
            }),
            Match.objectLike({
              Action: ['sms-voice:SendNotifyVoiceMessage', 'sms-voice:DescribeNotifyConfigurations'],
              Resource: [{ 'Fn::GetAtt': [configurationId, 'NotifyConfigurationArn'] }, STACK_CONFIGURATION_SET],
            }),
          ]),
        },
      });
      withVoice.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ VOICE_ROUTES: 'voice,notify-voice', ALLOWED_VOICE_COUNTRIES: 'GB,US', MAX_PRICE_PER_MINUTE: '0.05' }) },
      });
      expect(actionsOf(withVoice, 'SmsVerifyVerifyFunction').filter((action) => action.startsWith('sms-voice:'))).toEqual([]);
    });

    it.each([
      [{ voiceOriginationIdentity: '+18005550100' }, /allowedVoiceCountries.*name the countries calls may go to/],
      [{ allowedVoiceCountries: ['GB'] }, /voiceRoutes.*calls need a route/],
      [{ allowedVoiceCountries: ['GB'], voiceOriginationIdentity: 'AcmeCo' }, /voiceOriginationIdentity.*a sender id cannot call/],
      [{ allowedVoiceCountries: ['GB'], voiceOriginationIdentity: '+18005550100', voiceFallbackAfter: 1 }, /voiceFallbackAfter.*at least 2/],
      [{ voiceFallbackAfter: 3 }, /voiceFallbackAfter.*needs voice routes/],
      [{ allowedVoiceCountries: ['UK'], voiceOriginationIdentity: '+18005550100' }, /allowedVoiceCountries.*did you mean GB/],
      [{ allowedVoiceNumberTypes: ['PREMIUM_RATE'] }, /allowedVoiceNumberTypes/],
    ])('refuses %j at synth, naming the setting', (service, message) => {
      expect(() => synth({ service: service as SmsVerifyStackProps['service'] })).toThrow(message);
    });
  });

  it.each([
    [{ globalSendWindowSeconds: 90 }, /globalSendWindowSeconds.*multiple of 60/],
    [{ maxPrice: '1' }, /maxPrice.*decimal point/],
    [{ senderId: 'Acme-Co' }, /senderId.*3-11 letters or digits/],
  ])('refuses %j at synth, naming the setting', (service, message) => {
    expect(() => synth({ service })).toThrow(message);
  });
});
