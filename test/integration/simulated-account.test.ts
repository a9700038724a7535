/**
 * The simulated account's refusals, through the real SNS and End User Messaging adapters and SDK clients: what an
 * account in the SMS sandbox, without a registered US identity, or at its spend limit does to each route. End User
 * Messaging refuses such a text at once; SNS takes it, answers a message id and delivers nothing, so the SNS route
 * reads the account and refuses first what it can see. (Notify's refusals are in notify-route.test.ts.)
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SMS_CLIENT_OPTIONS } from '../../functions/adapters/client-options';
import { createSmsRoutes } from '../../functions/adapters/sms-routes';
import { createSnsRoute } from '../../functions/adapters/sns-sms-route';
import type { SmsMessage, SmsRoute } from '../../functions/core/ports';
import { resolveSettings } from '../../functions/settings';
import { SmsSimulator } from '../../local/sms-simulator';
import { localAccount, type SimulatedIdentity } from '../../local/simulator/account';
import { GB_MOBILE, usFictional } from '../support/fixtures';

let simulator: SmsSimulator;
beforeAll(async () => {
  simulator = await SmsSimulator.start();
  Object.assign(process.env, simulator.endpoints());
});
afterAll(() => simulator.stop());
beforeEach(() => {
  simulator.resetAccount();
  simulator.setFaults({ sns: 'ok', 'sms-voice-v2': 'ok' });
  simulator.clearOutbox();
  simulator.clearRequests();
});

const US_NUMBER = usFictional(7);
const toGb: SmsMessage = { to: GB_MOBILE, body: 'Your security code is 123456', code: '123456', language: 'en', country: 'GB' };
const toUs: SmsMessage = { ...toGb, to: US_NUMBER, country: 'US' };

/** The account's US toll-free number (localAccount's), changed. */
const usNumber = (changes: Partial<SimulatedIdentity>): SimulatedIdentity => ({ ...localAccount().originationIdentities[0]!, ...changes });

// A route per test: the SNS route keeps what it read of the account for minutes.
const snsRoute = (): SmsRoute => createSmsRoutes(resolveSettings({ smsRoutes: ['sns'] }))[0]!;
const eumRoute = (): SmsRoute => createSmsRoutes(resolveSettings({ smsRoutes: ['sms-voice-v2'], originationIdentity: '+18005550100' }))[0]!;

describe('SNS: the route refuses what the account would take and never deliver, before publishing', () => {
  it('a sandboxed account, to an unverified destination: rejected, nothing published', async () => {
    simulator.setAccount({ smsSandbox: true, verifiedDestinations: [usFictional(0)] });

    await expect(snsRoute().send(toGb)).rejects.toMatchObject({ name: 'SmsRouteError', route: 'sns', kind: 'rejected', message: expect.stringContaining('sandbox') });
    expect(simulator.requests('sns')).toEqual([]);
    expect(simulator.outbox()).toEqual([]);
    expect(simulator.dropped()).toEqual([]);
    // It read the account instead: whether it is sandboxed, and which destinations are verified.
    expect(simulator.requests('account').map((read) => (read.payload as { Action?: string }).Action)).toEqual(
      expect.arrayContaining(['GetSMSSandboxAccountStatus', 'ListSMSSandboxPhoneNumbers']),
    );
  });

  it('a sandboxed account, to a verified destination: published and delivered', async () => {
    simulator.setAccount({ smsSandbox: true, verifiedDestinations: [GB_MOBILE] });

    await expect(snsRoute().send(toGb)).resolves.toMatchObject({ route: 'sns' });

    expect(simulator.outbox()).toEqual([{ to: GB_MOBILE, body: toGb.body, route: 'sns', channel: 'sms', at: expect.any(String), messageId: expect.any(String) }]);
  });

  it.each([
    ['no origination number', []],
    ['a US number that is not ACTIVE yet', [usNumber({ status: 'PENDING' })]],
    ['a US number that cannot text', [usNumber({ capabilities: ['VOICE'] })]],
  ])('a US destination, from an account with %s: rejected, nothing published', async (_, originationIdentities) => {
    simulator.setAccount({ originationIdentities });

    await expect(snsRoute().send(toUs)).rejects.toMatchObject({ name: 'SmsRouteError', route: 'sns', kind: 'rejected', message: expect.stringMatching(/\bUS\b/) });
    expect(simulator.requests('sns')).toEqual([]);
    expect(simulator.dropped()).toEqual([]);
  });

  it('a destination elsewhere needs no number of the account: published and delivered', async () => {
    simulator.setAccount({ originationIdentities: [] });

    await snsRoute().send(toGb);

    expect(simulator.outbox().map((sent) => sent.to)).toEqual([GB_MOBILE]);
  });
});

describe('SNS: what the route does not see, SNS takes and the account drops, saying why', () => {
  it('SNS itself answers a sandboxed account\'s text to an unverified destination with a message id, and delivers nothing', async () => {
    simulator.setAccount({ smsSandbox: true });
    const client = new SNSClient(SMS_CLIENT_OPTIONS);

    const answer = await client.send(new PublishCommand({ PhoneNumber: GB_MOBILE, Message: toGb.body }));

    expect(answer.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(simulator.outbox()).toEqual([]);
    expect(simulator.dropped()).toEqual([
      {
        to: GB_MOBILE,
        body: toGb.body,
        route: 'sns',
        channel: 'sms',
        at: expect.any(String),
        messageId: answer.MessageId,
        reason: 'the account is in the SMS sandbox and the destination is not verified',
      },
    ]);
  });

  it('an account the route may not read decides nothing: the text is published, and a sandboxed account drops it', async () => {
    simulator.setAccount({ smsSandbox: true, deniedActions: ['sns:ListSMSSandboxPhoneNumbers'] });

    await expect(snsRoute().send(toGb)).resolves.toMatchObject({ route: 'sns' });

    expect(simulator.requests('sns')).toHaveLength(1);
    expect(simulator.dropped().map((dropped) => dropped.reason)).toEqual(['the account is in the SMS sandbox and the destination is not verified']);
  });

  it('a part of the account it may not read loses only that part: the sandbox still refuses, the US check is off', async () => {
    simulator.setAccount({ smsSandbox: true, deniedActions: ['sns:ListOriginationNumbers'] });

    await expect(snsRoute().send(toGb)).rejects.toMatchObject({ route: 'sns', kind: 'rejected' });
    expect(simulator.requests('sns')).toEqual([]);
  });

  it('reads a view with a part it could not read again within a minute, not after accountViewSeconds', async () => {
    let time = Date.now();
    const route = createSnsRoute(new SNSClient({}), { accountViewSeconds: 900 }, () => time);
    simulator.setAccount({ deniedActions: ['sns:ListOriginationNumbers'] });
    await route.send(toUs); // no view of the US numbers: published, and dropped
    simulator.setAccount({ deniedActions: [], originationIdentities: [] });

    time += 31_000;
    await expect(route.send(toUs)).rejects.toMatchObject({ kind: 'rejected', message: expect.stringContaining('no active origination number for US') });
  });

  it('a US number whose registration is not complete is listed ACTIVE: the text is published, and dropped', async () => {
    simulator.setAccount({ originationIdentities: [usNumber({ registration: { id: 'registration-local-0001', status: 'REVIEWING' } })] });

    await expect(snsRoute().send(toUs)).resolves.toMatchObject({ route: 'sns' });

    expect(simulator.outbox()).toEqual([]);
    expect(simulator.dropped().map((dropped) => dropped.reason)).toEqual([
      'No origination entities available to send: the account has no registered US origination identity',
    ]);
  });

  it('a spend limit of 0: the text is published, and dropped', async () => {
    simulator.setAccount({ monthlySpendLimitUsd: 0 });

    await expect(snsRoute().send(toGb)).resolves.toMatchObject({ route: 'sns' });

    expect(simulator.outbox()).toEqual([]);
    expect(simulator.dropped().map((dropped) => dropped.reason)).toEqual(['the monthly SMS spend limit is reached']);
  });

  it('a number that replied STOP: the text is published, and dropped', async () => {
    simulator.setAccount({ optedOutNumbers: [GB_MOBILE] });

    await expect(snsRoute().send(toGb)).resolves.toMatchObject({ route: 'sns' });

    expect(simulator.outbox()).toEqual([]);
    expect(simulator.dropped().map((dropped) => dropped.reason)).toEqual(['the destination opted out (replied STOP)']);
  });
});

describe('End User Messaging (sms-voice-v2): SendTextMessage refuses what the account cannot deliver', () => {
  it.each([
    ['a sandboxed account, to an unverified destination', 'ConflictException', 'DESTINATION_PHONE_NUMBER_NOT_VERIFIED', { smsSandbox: true }, toGb],
    ['a US destination, from an account without a US number', 'ConflictException', 'NO_ORIGINATION_IDENTITIES_FOUND', { originationIdentities: [] }, toUs],
    [
      'a US destination, from a number whose registration is not complete',
      'ConflictException',
      'NO_ORIGINATION_IDENTITIES_FOUND',
      { originationIdentities: [usNumber({ registration: { id: 'registration-local-0001', status: 'REQUIRES_UPDATES' } })] },
      toUs,
    ],
    ['a spend limit of 0', 'ServiceQuotaExceededException', 'MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT', { monthlySpendLimitUsd: 0 }, toGb],
    ['a destination that replied STOP', 'ConflictException', 'DESTINATION_PHONE_NUMBER_OPTED_OUT', { optedOutNumbers: [GB_MOBILE] }, toGb],
  ])('%s: rejected (%s %s), nothing sent', async (_, sdkError, reason, account, message) => {
    simulator.setAccount(account);

    await expect(eumRoute().send(message)).rejects.toMatchObject({
      name: 'SmsRouteError',
      route: 'sms-voice-v2',
      kind: 'rejected',
      cause: expect.objectContaining({ name: sdkError, Reason: reason }),
    });
    expect(simulator.requests('sms-voice-v2')).toHaveLength(1);
    expect(simulator.outbox()).toEqual([]);
    expect(simulator.dropped()).toEqual([]);
  });

  it('a sandboxed account, to a verified destination: sent', async () => {
    simulator.setAccount({ smsSandbox: true, verifiedDestinations: [US_NUMBER] });

    await expect(eumRoute().send(toUs)).resolves.toMatchObject({ route: 'sms-voice-v2' });

    expect(simulator.outbox().map((sent) => [sent.to, sent.route])).toEqual([[US_NUMBER, 'sms-voice-v2']]);
  });
});

describe('the simulated account takes only what a real account can be', () => {
  it.each([
    [{ smsSandbox: 'yes' }, 'smsSandbox must be true or false'],
    [{ monthlySpendLimitUsd: 0.5 }, 'monthlySpendLimitUsd must be a whole number of USD'],
    [{ notify: { status: 'APPROVED' } }, 'notify.status must be'],
    [{ sandbox: true }, 'unknown field "sandbox"'],
  ])('%j is refused, naming the field, and changes nothing', (changes, why) => {
    expect(() => simulator.setAccount(changes)).toThrow(why);
    expect(simulator.account()).toEqual(localAccount());
  });
});
