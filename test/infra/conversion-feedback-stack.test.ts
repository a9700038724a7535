/**
 * Conversion feedback in the template: when the stack turns it on, what it makes, and what each part may do.
 */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SmsVerifyStack, type SmsVerifyStackProps } from '../../lib/sms-verify-stack';

function synth(service: SmsVerifyStackProps['service'] = {}): Template {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return Template.fromStack(new SmsVerifyStack(app, 'SmsVerifyFeedback', { service }));
}

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

function functionNamed(template: Template, prefix: string): { id: string; properties: Record<string, any> } {
  const [id, fn] = Object.entries(template.findResources('AWS::Lambda::Function')).find(([logicalId]) => logicalId.startsWith(prefix))!;
  return { id, properties: fn.Properties };
}

function statementsOf(template: Template, functionPrefix: string): Statement[] {
  const roleId = (functionNamed(template, functionPrefix).properties.Role['Fn::GetAtt'] as string[])[0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => (policy.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref === roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

const actionsOf = (statements: Statement[]) => [...new Set(statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])))].sort();

describe('conversion feedback, with an End User Messaging route', () => {
  const template = synth({ smsRoutes: ['sms-voice-v2', 'sns'], originationIdentity: 'pool-0123' });

  it('makes a configuration set whose event destination is an encrypted receipts topic End User Messaging may publish to', () => {
    template.hasResourceProperties('AWS::SMSVOICE::ConfigurationSet', {
      ConfigurationSetName: Match.stringLikeRegexp('^[A-Za-z0-9_-]{1,64}$'),
      EventDestinations: [
        { EventDestinationName: 'receipts', Enabled: true, MatchingEventTypes: ['TEXT_ALL', 'VOICE_ALL'], SnsDestination: { TopicArn: Match.anyValue() } },
      ],
    });
    template.hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'sms-verify delivery receipts', KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'sns:Publish',
            Principal: { Service: 'sms-voice.amazonaws.com' },
            // Only the stack's own configuration set: another in the account cannot forge receipts.
            Condition: {
              StringEquals: { 'aws:SourceAccount': Match.anyValue() },
              ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':configuration-set/.+')])] } },
            },
          }),
        ]),
      },
    });
    // The dead-letter queue keeps failed receipts whole (numbers included): under the same key.
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: Match.anyValue(), MessageRetentionPeriod: 14 * 24 * 3600 });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'sms-voice.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]) },
    });
  });

  it('sends through that set, asking for feedback; the send function may use the set', () => {
    const send = functionNamed(template, 'SmsVerifySendFunction').properties;
    const setName = Object.values(template.findResources('AWS::SMSVOICE::ConfigurationSet'))[0]!.Properties.ConfigurationSetName as string;
    expect(send.Environment.Variables).toMatchObject({ CONFIGURATION_SET_NAME: setName, CONVERSION_FEEDBACK: 'true' });
    const sendText = statementsOf(template, 'SmsVerifySendFunction').find((s) => s.Action === 'sms-voice:SendTextMessage')!;
    expect(JSON.stringify(sendText.Resource)).toContain(`configuration-set/${setName}`);
  });

  it('streams the table, and hands only number items to the outcomes function, retried for an hour, then a dead-letter queue', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', { StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' } });
    const outcomes = functionNamed(template, 'SmsVerifyOutcomesFunction');
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: outcomes.id },
      StartingPosition: 'LATEST',
      BatchSize: 100,
      // Retried until the failing record is an hour old, not a few times: an outage would drop the records behind it.
      MaximumRetryAttempts: -1,
      MaximumRecordAgeInSeconds: 3600,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ dynamodb: { Keys: { pk: { S: [{ prefix: 'number#' }] } } } }) }] },
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: outcomes.id },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'lambda', Endpoint: { 'Fn::GetAtt': [outcomes.id, 'Arn'] } });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: Match.absent(), AlarmDescription: Match.stringLikeRegexp('gave up on a stream batch'), Threshold: 1 });
  });

  it('lets the outcomes function write its ledger items only, report feedback, and read the stream: no code key, no sending', () => {
    const statements = statementsOf(template, 'SmsVerifyOutcomesFunction');
    const update = statements.find((s) => s.Action === 'dynamodb:UpdateItem')!;
    expect(update.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['feedback#*'] } });
    const actions = actionsOf(statements);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:UpdateItem', 'sms-voice:PutMessageFeedback', 'dynamodb:GetRecords', 'sqs:SendMessage']));
    expect(actions.filter((action) => action.startsWith('sms-voice:'))).toEqual(['sms-voice:PutMessageFeedback']);
    expect(actions.some((action) => action.startsWith('secretsmanager:') || action.startsWith('sns:Publish'))).toBe(false);
    expect(functionNamed(template, 'SmsVerifyOutcomesFunction').properties.Environment.Variables).not.toHaveProperty('CODE_HASH_SECRET_ID');
  });
});

describe('conversion feedback stays off', () => {
  const cases: Array<[string, SmsVerifyStackProps['service']]> = [
    ['with SNS alone (it cannot report)', { smsRoutes: ['sns'] }],
    ['with a configuration set of the team\'s own (the stack cannot add an event destination to it)', { smsRoutes: ['sms-voice-v2'], originationIdentity: 'pool-0123', configurationSetName: 'their-set' }],
    ['when turned off', { smsRoutes: ['sms-voice-v2'], originationIdentity: 'pool-0123', conversionFeedback: false }],
  ];
  it.each(cases)('%s: no configuration set, no feedback grant or ledger, and the send function asks for no feedback', (_, service) => {
    const template = synth(service);
    template.resourceCountIs('AWS::SMSVOICE::ConfigurationSet', 0);
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    expect(functionNamed(template, 'SmsVerifySendFunction').properties.Environment.Variables.CONVERSION_FEEDBACK).toBe('false');
    // The outcomes function still runs, for the conversion guard (on by default), with no feedback grant.
    const statements = statementsOf(template, 'SmsVerifyOutcomesFunction');
    expect(actionsOf(statements)).not.toContain('sms-voice:PutMessageFeedback');
    expect(JSON.stringify(statements)).not.toContain('feedback#');
  });
});

describe('events (events: true)', () => {
  const template = synth({ smsRoutes: ['sns'], events: true });

  it('makes a bus, and lets the outcomes function put events on it and nothing else of EventBridge', () => {
    template.resourceCountIs('AWS::Events::EventBus', 1);
    const [busId] = Object.keys(template.findResources('AWS::Events::EventBus'));
    const outcomes = functionNamed(template, 'SmsVerifyOutcomesFunction').properties;
    expect(outcomes.Environment.Variables.EVENT_BUS_NAME).toEqual({ Ref: busId });
    const statements = statementsOf(template, 'SmsVerifyOutcomesFunction');
    const putEvents = statements.filter((s) => actionsOf([s]).some((action) => action.startsWith('events:')));
    expect(putEvents).toEqual([expect.objectContaining({ Action: 'events:PutEvents', Resource: { 'Fn::GetAtt': [busId, 'Arn'] } })]);
    template.hasOutput('EventBusName', { Value: { Ref: busId } });
  });

  it('reads the stream without conversion feedback\'s parts when no route can report (SNS alone)', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.resourceCountIs('AWS::SMSVOICE::ConfigurationSet', 0);
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    const statements = statementsOf(template, 'SmsVerifyOutcomesFunction');
    expect(actionsOf(statements)).not.toContain('sms-voice:PutMessageFeedback');
    expect(JSON.stringify(statements)).not.toContain('feedback#');
  });

  it('stops the synth with an adopted table, whose stream is not the stack\'s', () => {
    expect(() =>
      synth({ events: true, existingTableName: 'sms-verify-old', existingCodeKeySecretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:code-key-AbCdEf' }),
    ).toThrow(/events/);
  });
});

describe('the conversion guard (on by default)', () => {
  it('lets the outcomes function count per prefix and pause on the prefix counters, and nothing else of the table', () => {
    const template = synth({ smsRoutes: ['sns'] });
    const table = statementsOf(template, 'SmsVerifyOutcomesFunction').filter((s) => actionsOf([s]).some((action) => action === 'dynamodb:UpdateItem'));
    expect(table).toEqual([
      expect.objectContaining({
        Action: ['dynamodb:UpdateItem', 'dynamodb:GetItem'],
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['guard#*'] } },
      }),
      expect.objectContaining({
        Action: 'dynamodb:UpdateItem',
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['velocity#prefix-send#*', 'velocity#prefix-call#*'] } },
      }),
    ]);
    const outcomes = functionNamed(template, 'SmsVerifyOutcomesFunction').properties;
    expect(outcomes.Environment.Variables).toMatchObject({ CONVERSION_GUARD_MIN_SENDS: '20', CONVERSION_GUARD_PERCENT: '20' });
    // Each pause reaches a person.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'GuardPaused',
      Threshold: 0,
      AlarmDescription: Match.stringLikeRegexp('sms-verify guard list'),
    });
  });

  it('is off, and no outcomes function is made, with conversionGuardMinSends 0 and nothing else off the request path', () => {
    const template = synth({ smsRoutes: ['sns'], conversionGuardMinSends: 0 });
    expect(Object.keys(template.findResources('AWS::Lambda::Function')).some((id) => id.startsWith('SmsVerifyOutcomesFunction'))).toBe(false);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
    expect(JSON.stringify(template.findResources('AWS::CloudWatch::Alarm'))).not.toContain('GuardPaused');
  });
});
