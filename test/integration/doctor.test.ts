/**
 * `sms-verify doctor`: its verdicts on the simulated account, which answers the same read calls a real account
 * does (SNS and End User Messaging through the real SDK clients, pointed at the simulator by AWS_ENDPOINT_URL_*);
 * only the stack's outputs and the function's configuration (CloudFormation, Lambda) come from mocked clients.
 * Each state is one a new account is in on its way to a first real text.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { doctorMain } from '../../tools/doctor';
import { localAccount, LOCAL_NOTIFY_CONFIGURATION_ID, type SimulatedAccount } from '../../local/simulator/account';
import { SmsSimulator } from '../../local/sms-simulator';

let simulator: SmsSimulator;
beforeAll(async () => {
  simulator = await SmsSimulator.start();
  Object.assign(process.env, simulator.endpoints());
});
afterAll(() => simulator.stop());

const ALL_ROUTES = { SMS_ROUTES: 'sns,notify,sms-voice-v2', NOTIFY_CONFIGURATION_ID: LOCAL_NOTIFY_CONFIGURATION_ID, ORIGINATION_IDENTITY: '+18005550100' };

/** Runs the doctor on an account in the state `changes` describe, for the settings in `env`. */
async function doctor(changes: Partial<SimulatedAccount>, env: Record<string, string>, args: string[] = ['--countries', 'GB,US']) {
  simulator.resetAccount({ ...localAccount(), ...changes });
  const lines: string[] = [];
  const exitCode = await doctorMain(args, (line) => lines.push(line), { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', ...env });
  return { exitCode, output: lines.join('\n') };
}

/** The doctor's JSON verdict, country by country. */
async function verdicts(changes: Partial<SimulatedAccount>, env: Record<string, string>, countries = 'GB,US') {
  const { exitCode, output } = await doctor(changes, env, ['--countries', countries, '--json']);
  const report = JSON.parse(output) as { countries: Array<{ country: string; route?: string; state: string; checks: Array<{ route: string; state: string; why?: string }> }>; notes: string[]; unreadable: Array<{ action: string }> };
  return { exitCode, report, blockedWhy: (country: string, route: string) => report.countries.find((v) => v.country === country)?.checks.find((c) => c.route === route)?.why };
}

describe('sms-verify doctor', () => {
  it('finds a route for every country of an account that can deliver, and exits 0', async () => {
    const { exitCode, output } = await doctor({}, ALL_ROUTES);

    expect(exitCode).toBe(0);
    expect(output).toMatch(/^GB\s+✓ sns$/m);
    expect(output).toMatch(/^US\s+✓ sns$/m);
    expect(output).toContain('Every one of the 2 countries has a route.');
  });

  it('sandbox on: SNS and End User Messaging are blocked with the way out, Notify carries the code', async () => {
    const { exitCode, report, blockedWhy } = await verdicts({ smsSandbox: true }, ALL_ROUTES);

    expect(exitCode).toBe(0);
    expect(report.countries.map((v) => [v.country, v.route])).toEqual([['GB', 'notify'], ['US', 'notify']]);
    expect(blockedWhy('GB', 'sns')).toMatch(/SNS SMS sandbox/);
    expect(blockedWhy('GB', 'sms-voice-v2')).toMatch(/End User Messaging SMS is in its sandbox/);
  });

  it('sandbox on with SNS alone: no route, the fix named once, exit 1', async () => {
    const { exitCode, output } = await doctor({ smsSandbox: true }, { SMS_ROUTES: 'sns' });

    expect(exitCode).toBe(1);
    expect(output).toMatch(/^GB\s+✗ no route$/m);
    expect(output.match(/Exit SMS sandbox/g)).toHaveLength(1);
    expect(output).toContain('2 of 2 countries have no route today.');
  });

  it('spend limit 1: a note to raise it, not a block; spend limit 0: every route blocked', async () => {
    const low = await doctor({ monthlySpendLimitUsd: 1 }, ALL_ROUTES);
    expect(low.exitCode).toBe(0);
    expect(low.output).toContain('SNS MonthlySpendLimit is USD 1');

    const none = await verdicts({ monthlySpendLimitUsd: 0 }, ALL_ROUTES);
    expect(none.exitCode).toBe(1);
    expect(none.blockedWhy('GB', 'sns')).toBe('the SNS MonthlySpendLimit is USD 0');
    expect(none.blockedWhy('GB', 'notify')).toBe('the Notify monthly spend limit is USD 0');
    expect(none.blockedWhy('GB', 'sms-voice-v2')).toBe('the text monthly spend limit is USD 0');
  });

  it('no US identity: SNS and End User Messaging cannot text the US, Notify can; GB is unaffected', async () => {
    const { exitCode, report, blockedWhy } = await verdicts({ originationIdentities: [] }, { ...ALL_ROUTES, ORIGINATION_IDENTITY: '' });

    expect(exitCode).toBe(0);
    expect(report.countries.map((v) => [v.country, v.route])).toEqual([['GB', 'sns'], ['US', 'notify']]);
    expect(blockedWhy('US', 'sns')).toMatch(/no active US origination number/);
    expect(blockedWhy('US', 'sms-voice-v2')).toMatch(/no US phone number/);
  });

  it('a registration not complete blocks the number it registers', async () => {
    const [number] = localAccount().originationIdentities;
    const reviewing = { ...number!, registration: { id: 'registration-local-0001', status: 'REVIEWING' as const } };

    const { blockedWhy } = await verdicts({ originationIdentities: [reviewing] }, { SMS_ROUTES: 'sms-voice-v2', ORIGINATION_IDENTITY: '+18005550100' });

    expect(blockedWhy('US', 'sms-voice-v2')).toBe('the registration registration-local-0001 of +18005550100 is REVIEWING');
  });

  it('a Notify configuration still PENDING blocks Notify until AWS activates it', async () => {
    const pending = { ...localAccount().notify!, status: 'PENDING' as const };

    const { exitCode, output } = await doctor({ notify: pending, smsSandbox: true }, { SMS_ROUTES: 'sns,notify', NOTIFY_CONFIGURATION_ID: LOCAL_NOTIFY_CONFIGURATION_ID });

    expect(exitCode).toBe(1);
    expect(output).toContain('notify: the Notify configuration is PENDING');
    expect(output).toMatch(/most configurations are ACTIVE within seconds/);
  });

  it('a country the configuration does not enable, and one its Basic tier does not serve, are told apart', async () => {
    const gbOnly = { ...localAccount().notify!, enabledCountries: ['GB'] };

    const { exitCode, blockedWhy, report } = await verdicts({ notify: gbOnly }, { SMS_ROUTES: 'notify', NOTIFY_CONFIGURATION_ID: LOCAL_NOTIFY_CONFIGURATION_ID }, 'GB,DE,ZA');

    expect(exitCode).toBe(1);
    expect(report.countries.find((v) => v.country === 'GB')?.route).toBe('notify');
    expect(blockedWhy('DE', 'notify')).toBe('the Notify configuration does not enable DE');
    expect(blockedWhy('ZA', 'notify')).toBe("Notify's Basic tier does not serve ZA");
  });

  it('a Notify configuration that does not exist is named as such', async () => {
    const { blockedWhy } = await verdicts({}, { SMS_ROUTES: 'notify', NOTIFY_CONFIGURATION_ID: 'notify-configuration-elsewhere' });

    expect(blockedWhy('GB', 'notify')).toBe('the Notify configuration does not exist in this account and region');
  });

  it('a missing permission is reported with its IAM action, never as a crash, and the verdict is "cannot tell" (exit 2)', async () => {
    const { exitCode, output } = await doctor({ deniedActions: ['sns:GetSMSSandboxAccountStatus'] }, { SMS_ROUTES: 'sns' });

    expect(exitCode).toBe(2);
    expect(output).toMatch(/^GB\s+\? cannot tell$/m);
    expect(output).toContain('sns:GetSMSSandboxAccountStatus (access denied)');
  });

  it('a missing permission on one route does not hide another route that carries the code', async () => {
    const { exitCode, report } = await verdicts({ deniedActions: ['sms-voice:DescribeNotifyConfigurations'] }, ALL_ROUTES);

    expect(exitCode).toBe(0);
    expect(report.unreadable.map((read) => read.action)).toEqual(['sms-voice:DescribeNotifyConfigurations']);
  });

  it('checks the countries of allowedCountries less deniedCountries when none are given', async () => {
    const { exitCode, output } = await doctor({}, { SMS_ROUTES: 'sns', ALLOWED_COUNTRIES: 'GB,FR,DE', DENIED_COUNTRIES: 'FR' }, ['--json']);

    expect(exitCode).toBe(0);
    expect((JSON.parse(output) as { countries: Array<{ country: string }> }).countries.map((v) => v.country)).toEqual(['GB', 'DE']);
  });

  it('says of one number whether it replied STOP, to SNS and to End User Messaging, and whether the sandbox lets it through', async () => {
    const number = '+447400123456';
    const { output } = await doctor({ optedOutNumbers: [number] }, { SMS_ROUTES: 'sns,sms-voice-v2' }, ['--countries', 'GB', '--number', number, '--json']);
    const report = JSON.parse(output) as { number: unknown };

    expect(report.number).toEqual({
      e164: number,
      checks: [
        { route: 'sns', state: 'blocked', why: "the number replied STOP to this account's SNS texts", fix: expect.stringContaining('sns:OptInPhoneNumber') },
        { route: 'sms-voice-v2', state: 'blocked', why: "the number is on End User Messaging's Default opt-out list (it replied STOP)", fix: expect.any(String) },
      ],
    });

    const sandboxed = await doctor({ smsSandbox: true, verifiedDestinations: [number] }, { SMS_ROUTES: 'sns' }, ['--countries', 'GB', '--number', number]);
    expect(sandboxed.output).toContain(`Number ${number}:\n  ✓ sns: verified for the SNS sandbox`);
  });

  it('--stack: reads the settings the deployed send function runs with, found from the stack\'s outputs', async () => {
    const cloudformation = mockClient(CloudFormationClient);
    const lambda = mockClient(LambdaClient);
    try {
      cloudformation.on(DescribeStacksCommand, { StackName: 'SmsVerify' }).resolves({
        Stacks: [{ StackName: 'SmsVerify', CreationTime: new Date(), StackStatus: 'UPDATE_COMPLETE', Outputs: [{ OutputKey: 'TableName', OutputValue: 't' }, { OutputKey: 'SendFunctionName', OutputValue: 'send-fn' }] }],
      });
      lambda.on(GetFunctionConfigurationCommand, { FunctionName: 'send-fn' }).resolves({
        Environment: { Variables: { SMS_ROUTES: 'sns,notify', NOTIFY_CONFIGURATION_ID: LOCAL_NOTIFY_CONFIGURATION_ID, ALLOWED_COUNTRIES: 'GB,ZA' } },
      });

      const { exitCode, output } = await doctor({ smsSandbox: true }, {}, ['--stack', 'SmsVerify']);

      expect(output).toMatch(/^sms-verify doctor: stack SmsVerify; routes sns → notify$/m);
      expect(output).toMatch(/^GB\s+✓ notify$/m);
      expect(output).toMatch(/^ZA\s+✗ no route$/m);
      expect(exitCode).toBe(1);
    } finally {
      cloudformation.restore();
      lambda.restore();
    }
  });

  it('refuses what it cannot run with a usage line and exit 2', async () => {
    const bad = await doctor({}, {}, ['--countries', 'United Kingdom']);
    expect(bad.exitCode).toBe(2);
    expect(bad.output).toMatch(/--countries takes ISO 3166-1 codes such as GB,US, not "UNITED KINGDOM"\nusage: sms-verify doctor/);

    const national = await doctor({}, {}, ['--number', '07400 123456']);
    expect(national.exitCode).toBe(2);
    expect(national.output).toContain('--number takes an E.164 number such as +447400123456, not "07400 123456"');

    const table = await doctor({}, {}, ['--table', 'sms-verify']);
    expect(table.exitCode).toBe(2);
    expect(table.output).toContain('the doctor reads a stack (--stack) or npm start (--local), not a table');
  });
});
