import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { numberChangeOf, numberCountsOf } from '../../functions/adapters/dynamodb-store/number-changes';
import { receiptOf } from '../../functions/adapters/message-feedback';
import { eventsOfNumberChange } from '../../functions/core/events';
import { guardVerdict } from '../../functions/core/guard';
import { codeOutcomesOf, takeReceipt, type CodeState } from '../../functions/core/outcomes';
import { CapturingLogger, CountingMetrics } from '../support/fakes';

const code = (sendId: string, previousSendId?: string): CodeState => ({ sendId, hasCode: true, previousSendId });
const used = (sendId: string, previousSendId?: string): CodeState => ({ sendId, hasCode: false, previousSendId });

describe('what one write to a number decided about its code', () => {
  it('a check that used the code: RECEIVED for the send it came from', () => {
    expect(codeOutcomesOf({ before: code('s1'), after: used('s1') })).toEqual([{ sendId: 's1', outcome: 'RECEIVED' }]);
  });

  it('a wrong check leaves the code: nothing', () => {
    expect(codeOutcomesOf({ before: code('s1'), after: code('s1') })).toEqual([]);
  });

  it('a new send replaced an unused code: FAILED for the replaced send', () => {
    expect(codeOutcomesOf({ before: code('s1'), after: code('s2', 's1') })).toEqual([{ sendId: 's1', outcome: 'FAILED' }]);
  });

  it('a new send after the code was used: nothing more (it was reported RECEIVED when used)', () => {
    expect(codeOutcomesOf({ before: used('s1'), after: code('s2', 's1') })).toEqual([]);
  });

  it('a revocation puts the replaced code back: nothing for the undelivered send', () => {
    expect(codeOutcomesOf({ before: code('s2', 's1'), after: code('s1') })).toEqual([]);
    expect(codeOutcomesOf({ before: code('s2'), after: used('') })).toEqual([]);
  });

  it('a first send, a deleted item, and a code recorded before sends were named decide nothing', () => {
    expect(codeOutcomesOf({ after: code('s1') })).toEqual([]);
    expect(codeOutcomesOf({ before: code('s1') })).toEqual([]);
    expect(codeOutcomesOf({ before: { hasCode: true }, after: { hasCode: false } })).toEqual([]);
  });
});

describe('delivery receipts', () => {
  // The User Guide's example event (configuration-sets-event-format.html), with this service's Context.
  const example = {
    eventType: 'TEXT_DELIVERED',
    eventVersion: '1.0',
    eventTimestamp: 1686975103470,
    isFinal: true,
    originationPhoneNumber: '+12065550152',
    destinationPhoneNumber: '+14255550156',
    isoCountryCode: 'US',
    messageId: '862a8790-60c0-4430-9b2b-658bdexample',
    messageRequestTimestamp: 1686975103170,
    messageEncoding: 'GSM',
    messageType: 'TRANSACTIONAL',
    messageStatus: 'DELIVERED',
    messageStatusDescription: 'Message has been accepted by phone',
    context: { 'sms-verify-send': 'send-1', 'sms-verify-route': 'sms-voice-v2' },
    totalMessageParts: 1,
    totalMessagePrice: 0.00581,
    totalCarrierFee: 0.003,
  };

  it('reads what it needs from an event, and the number only masked', () => {
    expect(receiptOf(example)).toEqual({
      messageId: '862a8790-60c0-4430-9b2b-658bdexample',
      eventType: 'TEXT_DELIVERED',
      sendId: 'send-1',
      route: 'sms-voice-v2',
      country: 'US',
      maskedNumber: '+14*****0156',
      requestedAt: 1686975103170,
      at: 1686975103470,
    });
    expect(receiptOf({ eventType: 'TEXT_DELIVERED' })).toBeUndefined();
    expect(receiptOf('not an event')).toBeUndefined();
  });

  const deps = () => {
    const metrics = new CountingMetrics();
    const ledger = {
      noteMessage: jest.fn(async () => ({ message: { messageId: 'm', reported: new Set<'RECEIVED' | 'FAILED'>(), undelivered: false } })),
      noteOutcome: jest.fn(),
      markReported: jest.fn(),
    };
    return { metrics, ledger, deps: { ledger, feedback: { report: jest.fn() }, clock: { now: () => 0 }, logger: new CapturingLogger(), metrics } };
  };

  it('counts each receipt by route and status, time to delivery for a delivered one, and failures by country', async () => {
    const { metrics, deps: d } = deps();
    await takeReceipt(receiptOf(example)!, d);
    await takeReceipt(receiptOf({ ...example, eventType: 'TEXT_PROTECT_BLOCKED', isoCountryCode: 'ZZ' })!, d);
    await takeReceipt(receiptOf({ ...example, eventType: 'TEXT_CARRIER_BLOCKED', isoCountryCode: 'GB' })!, d);
    expect(metrics.get('DeliveryReceipts Route=sms-voice-v2 Status=TEXT_DELIVERED')).toBe(1);
    expect(metrics.timings.get('TimeToDelivery Route=sms-voice-v2 Status=TEXT_DELIVERED')).toEqual([300]);
    expect(metrics.get('ReceiptFailuresByCountry Country=GB')).toBe(1);
    expect(metrics.get('ReceiptFailuresByCountry Country=ZZ')).toBe(1);
    expect([...metrics.timings.keys()]).toEqual(['TimeToDelivery Route=sms-voice-v2 Status=TEXT_DELIVERED']);
  });

  it('a receipt without this service\'s Context is counted, and joins nothing', async () => {
    const { metrics, ledger, deps: d } = deps();
    await takeReceipt(receiptOf({ ...example, context: undefined })!, d);
    expect(metrics.get('DeliveryReceipts Route=unknown Status=TEXT_DELIVERED')).toBe(1);
    expect(ledger.noteMessage).not.toHaveBeenCalled();
  });
});

describe('what one write to a number means for the events', () => {
  const Keys = { pk: { S: 'number#+447400123456' } };
  const N = (value: number) => ({ N: String(value) });
  type Image = Record<string, AttributeValue>;
  const typesOf = (OldImage: Image, NewImage: Image, maxFailedChecks = 5) =>
    eventsOfNumberChange(numberChangeOf({ Keys, OldImage, NewImage })!, {
      changeId: 'record-1',
      occurredAt: '2026-11-29T00:00:00Z',
      about: { number: '+44******3456' },
      ...numberCountsOf({ OldImage, NewImage }),
      maxFailedChecks,
    }).map((event) => event.detailType);
  const item = (failedChecks: number, extra: Image = {}, lastCheckAt = 0): Image => ({
    ...Keys,
    code: { M: { digest: N(-1) } },
    codeSendId: { S: 'send-a' },
    failedChecks: N(failedChecks),
    lastCheckAt: N(lastCheckAt),
    ...extra,
  });

  it('a wrong code after a lock ran out counts from 1 again: Check Failed, and with a threshold of 1, locked again', () => {
    expect(typesOf(item(5, {}, 1_000), item(1, {}, 9_000))).toEqual(['Check Failed']);
    expect(typesOf(item(1, {}, 1_000), item(1, {}, 9_000), 1)).toEqual(['Check Failed', 'Number Locked']);
  });

  it('a revocation that strikes the code from the previous slot (a later send replaced it meanwhile): Code Revoked', () => {
    const previous = (code: Image) => ({ previousCode: { M: code }, previousCodeSendId: { S: 'send-b' } });
    expect(typesOf(item(0, previous({ other: N(-1) })), item(0, previous({})))).toEqual(['Code Revoked']);
  });

  it('a code recorded before sends were named: still Code Verified when used, Code Replaced when replaced', () => {
    const legacy = (code: Image): Image => ({ ...Keys, code: { M: code }, failedChecks: N(0), lastCheckAt: N(0) });
    expect(typesOf(legacy({ digest: N(-1) }), { ...legacy({}), lastCheckAt: N(5) })).toEqual(['Code Verified']);
    expect(typesOf(legacy({ digest: N(-1) }), { ...legacy({ next: N(-1) }), codeSendId: { S: 'send-new' }, previousCodeSendId: { S: '' } })).toEqual([
      'Code Replaced',
      'Code Sent',
    ]);
  });

  it('a verification is not a failed check, and a send is not a check', () => {
    expect(typesOf(item(2, {}, 1_000), { ...item(0, {}, 9_000), code: { M: {} } })).toEqual(['Code Verified']);
    expect(typesOf(item(2, {}, 1_000), item(2, { codeSendId: { S: 'send-b' }, previousCodeSendId: { S: 'send-a' } }, 1_000))).toEqual([
      'Code Replaced',
      'Code Sent',
    ]);
  });
});

describe('the conversion guard\'s verdict', () => {
  const policy = { minSends: 20, percent: 20, pauseMs: 3_600_000, windowMs: 3_600_000, countryPrefixes: 3 };
  const now = 1_000_000;

  it('pauses a prefix with enough sends and too few verified, and not before it has enough to judge', () => {
    expect(guardVerdict({ sends: 20, verified: 3 }, policy, now)).toBe('pause');
    expect(guardVerdict({ sends: 19, verified: 0 }, policy, now)).toBe('none');
    expect(guardVerdict({ sends: 20, verified: 4 }, policy, now)).toBe('none'); // exactly 20 %
  });

  it('lifts a paused prefix once its share is back, and keeps it paused until then', () => {
    expect(guardVerdict({ sends: 20, verified: 4, pausedUntil: now + 1 }, policy, now)).toBe('lift');
    expect(guardVerdict({ sends: 20, verified: 3, pausedUntil: now + 1 }, policy, now)).toBe('none');
  });

  it('does nothing when off (minSends 0)', () => {
    expect(guardVerdict({ sends: 1_000, verified: 0 }, { ...policy, minSends: 0 }, now)).toBe('none');
  });
});
