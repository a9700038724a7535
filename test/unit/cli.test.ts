/**
 * `sms-verify`'s way of finding the deployment it works on, and its dispatch. A stack's outputs come from
 * CloudFormation (stubbed here; the npm start path is in test/e2e/api-key-mode.test.ts).
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { cliMain } from '../../tools/cli';
import { parseOptions, resolveTarget, TargetError } from '../../tools/deployment';

const cloudformation = mockClient(CloudFormationClient);
afterEach(() => cloudformation.reset());

it('reads --stack, --table, --local, --region, --profile and a command\'s own options; refuses others by name', () => {
  expect(parseOptions(['create', 'alice', '--stack', 'SmsVerify', '--region', 'eu-west-1', '--countries', 'GB,US'], ['--countries'])).toEqual({
    options: { stack: 'SmsVerify', region: 'eu-west-1' },
    positional: ['create', 'alice'],
    values: { countries: 'GB,US' },
  });
  expect(() => parseOptions(['list', '--stak', 'x'])).toThrow('unknown option --stak');
  expect(() => parseOptions(['list', '--stack'])).toThrow('--stack needs a value');
});

it('finds the table of a stack in its TableName output', async () => {
  cloudformation.on(DescribeStacksCommand, { StackName: 'SmsVerify' }).resolves({
    Stacks: [{ StackName: 'SmsVerify', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [{ OutputKey: 'TableName', OutputValue: 'SmsVerify-Table-1' }] }],
  });

  await expect(resolveTarget({ stack: 'SmsVerify', region: 'eu-west-1', profile: 'team' }, {})).resolves.toMatchObject({
    tableName: 'SmsVerify-Table-1',
    aws: { region: 'eu-west-1', profile: 'team' },
  });
});

it('says what is missing when the stack has no table output, cannot be read, or no deployment is named', async () => {
  cloudformation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'Other', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [] }] });
  await expect(resolveTarget({ stack: 'Other' }, {})).rejects.toThrow('stack Other has no TableName output');
  cloudformation.on(DescribeStacksCommand).rejects(Object.assign(new Error('Stack with id Gone does not exist'), { name: 'ValidationError' }));
  await expect(resolveTarget({ stack: 'Gone' }, {})).rejects.toThrow('could not read stack Gone (cloudformation:DescribeStacks): Stack with id Gone does not exist');
  await expect(resolveTarget({}, {})).rejects.toBeInstanceOf(TargetError);
  await expect(resolveTarget({}, { TABLE_NAME: 't' })).resolves.toMatchObject({ tableName: 't' });
});

it('answers an unknown command and a bad option with usage, exit 2', async () => {
  const printed: string[] = [];
  await expect(cliMain(['launch'], (line) => printed.push(line))).resolves.toBe(2);
  await expect(cliMain(['keys', 'list', '--stak', 'x'], (line) => printed.push(line))).resolves.toBe(2);
  expect(printed.join('\n')).toContain('unknown command "launch"');
  expect(printed.join('\n')).toContain('unknown option --stak');
});
