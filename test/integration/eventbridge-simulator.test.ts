/**
 * EventBridge's PutEvents in the SMS simulator, through the real SDK client (local/simulator/eventbridge.ts): what the
 * account's buses take is kept, in order, with its detail parsed and its bus named; each entry AWS would fail is
 * failed alone with AWS's code; a request the model or the size limit refuses is refused whole; a bus the account
 * does not have swallows the event, as EventBridge does; a caller without events:PutEvents is denied; and
 * failPutEvents(n) fails the next n calls, as the SDK's retries see it.
 */
import {
  AccessDeniedException,
  EventBridgeClient,
  InternalException,
  ListEventBusesCommand,
  PutEventsCommand,
  type PutEventsCommandInput,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { SmsSimulator, type BusEvent } from '../../local/sms-simulator';
import { LOCAL_EVENT_BUS, localAccount } from '../../local/simulator/account';
import { PUT_EVENTS_MAX_BYTES } from '../../local/simulator/eventbridge';

let simulator: SmsSimulator;
const published: BusEvent[] = [];

beforeAll(async () => {
  simulator = await SmsSimulator.start({ onBusEvent: (event) => published.push(event) });
  Object.assign(process.env, simulator.endpoints());
});
afterAll(() => simulator.stop());
beforeEach(() => {
  simulator.resetAccount();
  simulator.failPutEvents(0);
  simulator.clearBusEvents();
  simulator.clearRequests();
  published.length = 0;
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const { region, accountId } = localAccount();
/** The ARN of the simulated account's bus of that name. */
const busArn = (name: string) => `arn:aws:events:${region}:${accountId}:event-bus/${name}`;

const client = (maxAttempts = 1) => new EventBridgeClient({ maxAttempts });
const putEvents = (Entries: PutEventsRequestEntry[] | undefined, extras: Partial<PutEventsCommandInput> = {}) =>
  client().send(new PutEventsCommand({ Entries, ...extras }));

/** A valid entry for the default bus, changed. */
const entry = (changes: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
  Source: 'sms-verify',
  DetailType: 'code.issued',
  Detail: JSON.stringify({ sendId: 'send-1' }),
  ...changes,
});

/** An entry of exactly `bytes` as the User Guide counts them: Source (10) + DetailType (11) + Detail. */
const entryOfSize = (bytes: number, changes: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry =>
  entry({ Detail: JSON.stringify({ p: 'x'.repeat(bytes - 10 - 11 - '{"p":""}'.length) }), ...changes });

describe('the events the account\'s buses take', () => {
  it('are kept oldest first, with the detail parsed, the bus named (also from its ARN) and an EventId each', async () => {
    const answer = await putEvents([
      entry({ Detail: JSON.stringify({ sendId: 'send-1', nested: { attempts: [1, 2] } }), Time: new Date('2026-01-02T03:04:05.678Z') }),
      entry({ EventBusName: busArn(LOCAL_EVENT_BUS), DetailType: 'code.checked', Resources: ['arn:aws:dynamodb:us-east-1:000000000000:table/codes'] }),
      entry({ EventBusName: 'default', Source: 'sms-verify.outcomes' }),
    ]);

    expect(answer.FailedEntryCount).toBe(0);
    expect(answer.Entries).toEqual([{ EventId: expect.stringMatching(UUID) }, { EventId: expect.stringMatching(UUID) }, { EventId: expect.stringMatching(UUID) }]);
    const ids = answer.Entries!.map((result) => result.EventId);
    expect(simulator.busEvents()).toEqual([
      { id: ids[0], eventBusName: 'default', source: 'sms-verify', detailType: 'code.issued', detail: { sendId: 'send-1', nested: { attempts: [1, 2] } }, time: '2026-01-02T03:04:05Z', resources: [] },
      {
        id: ids[1],
        eventBusName: LOCAL_EVENT_BUS,
        source: 'sms-verify',
        detailType: 'code.checked',
        detail: { sendId: 'send-1' },
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        resources: ['arn:aws:dynamodb:us-east-1:000000000000:table/codes'],
      },
      expect.objectContaining({ id: ids[2], eventBusName: 'default', source: 'sms-verify.outcomes' }),
    ]);
    // onBusEvent is called with each, in the same order.
    expect(published).toEqual(simulator.busEvents());
  });

  it('an entry without Time takes the call\'s, to the second', async () => {
    const before = Math.floor(Date.now() / 1000) * 1000;

    await putEvents([entry()]);

    const time = Date.parse(simulator.busEvents()[0]!.time);
    expect(time).toBeGreaterThanOrEqual(before);
    expect(time).toBeLessThanOrEqual(Date.now());
  });

  it('busEvents() answers copies, and clearBusEvents() forgets them', async () => {
    await putEvents([entry()]);

    (simulator.busEvents()[0]!.detail as Record<string, unknown>).sendId = 'changed';
    expect(simulator.busEvents()[0]!.detail).toEqual({ sendId: 'send-1' });

    simulator.clearBusEvents();
    expect(simulator.busEvents()).toEqual([]);
  });

  it('each call is recorded with the account operations', async () => {
    await putEvents([entry()]);

    expect(simulator.requests('account').map((request) => request.payload)).toEqual([
      { operation: 'PutEvents', Entries: [{ Source: 'sms-verify', DetailType: 'code.issued', Detail: '{"sendId":"send-1"}' }] },
    ]);
  });

  it('is answered in AWS JSON 1.1, as EventBridge answers', async () => {
    const answer = await fetch(simulator.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
      body: JSON.stringify({ Entries: [entry()] }),
    });

    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/x-amz-json-1.1');
  });
});

describe('an entry EventBridge fails is failed alone; the others are taken', () => {
  it('with PutEventsResultEntry\'s codes, in the request\'s order, counted in FailedEntryCount', async () => {
    const answer = await putEvents([
      entry({ Detail: JSON.stringify({ n: 1 }) }),
      entry({ Source: undefined }),
      entry({ DetailType: '' }),
      entry({ Detail: undefined }),
      entry({ Detail: 'not JSON' }),
      entry({ Detail: '[]' }),
      entry({ Detail: JSON.stringify('a JSON string') }),
      entry({ Source: 'aws.sms-verify' }),
      entry({ DetailType: 'x'.repeat(129) }),
      entry({ Detail: JSON.stringify({ n: 2 }) }),
    ]);

    expect(answer.FailedEntryCount).toBe(8);
    expect(answer.Entries).toEqual([
      { EventId: expect.stringMatching(UUID) },
      { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.' },
      { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.' },
      { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.' },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' },
      { ErrorCode: 'InvalidArgument', ErrorMessage: expect.stringContaining('Parameter DetailType is not valid') },
      { EventId: expect.stringMatching(UUID) },
    ]);
    expect(simulator.busEvents().map((event) => [event.id, event.detail])).toEqual([
      [answer.Entries![0]!.EventId, { n: 1 }],
      [answer.Entries![9]!.EventId, { n: 2 }],
    ]);
  });

  it('a request whose every entry fails is answered, not refused', async () => {
    const answer = await putEvents([entry({ Source: undefined })]);

    expect(answer.FailedEntryCount).toBe(1);
    expect(simulator.busEvents()).toEqual([]);
  });
});

describe('a request the model refuses is refused whole: ValidationException naming the member, nothing taken', () => {
  it.each([
    ['no entries', [], "Value at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1"],
    ['11 entries', Array.from({ length: 11 }, () => entry()), "Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10"],
    ['no Entries at all', undefined, "Value null at 'entries' failed to satisfy constraint: Member must not be null"],
    ['a bus name outside its pattern', [entry(), entry({ EventBusName: 'my bus' })], "Value 'my bus' at 'entries.2.member.eventBusName' failed to satisfy constraint"],
    ['a bus name longer than 1600', [entry({ EventBusName: 'b'.repeat(1601) })], "at 'entries.1.member.eventBusName' failed to satisfy constraint: Member must have length"],
    ['a resource longer than 2048', [entry({ Resources: ['ok', 'r'.repeat(2049)] })], "at 'entries.1.member.resources.2.member' failed to satisfy constraint"],
    ['an empty TraceHeader', [entry({ TraceHeader: '' })], "Value '' at 'entries.1.member.traceHeader' failed to satisfy constraint"],
  ])('%s', async (_, entries, why) => {
    const failure = await putEvents(entries).catch((error: unknown) => error);

    expect(failure).toMatchObject({ name: 'ValidationException', message: expect.stringContaining(why) });
    expect(failure).toMatchObject({ message: expect.stringMatching(/^1 validation error detected: /) });
    expect(simulator.busEvents()).toEqual([]);
  });

  it('a partner bus (a name with /), which the account may have but PutEvents cannot name', async () => {
    simulator.setAccount({ eventBuses: ['default', 'aws.partner/example.com/123/orders'] });

    await expect(putEvents([entry({ EventBusName: 'aws.partner/example.com/123/orders' })])).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining("at 'entries.1.member.eventBusName'"),
    });
  });
});

describe('the entries together must be less than 1 MB, counted as the User Guide counts them', () => {
  const OVER = { name: 'ValidationException', message: 'Total size of the entries in the request is over the limit.' };

  it('one byte under is taken; the limit itself is over it, and nothing is taken', async () => {
    await expect(putEvents([entryOfSize(PUT_EVENTS_MAX_BYTES)])).rejects.toMatchObject(OVER);
    expect(simulator.busEvents()).toEqual([]);

    await expect(putEvents([entryOfSize(PUT_EVENTS_MAX_BYTES - 1)])).resolves.toMatchObject({ FailedEntryCount: 0 });
    expect(simulator.busEvents()).toHaveLength(1);
  });

  it('the limit is the whole request\'s, not each entry\'s', async () => {
    const quarter = PUT_EVENTS_MAX_BYTES / 4;

    await expect(putEvents([entryOfSize(quarter), entryOfSize(quarter), entryOfSize(quarter), entryOfSize(quarter)])).rejects.toMatchObject(OVER);
    await expect(putEvents([entryOfSize(quarter), entryOfSize(quarter), entryOfSize(quarter), entryOfSize(quarter - 1)])).resolves.toMatchObject({ FailedEntryCount: 0 });
  });

  it('Time counts 14 bytes, and each of Resources its own; EventBusName and TraceHeader nothing', async () => {
    const under = PUT_EVENTS_MAX_BYTES - 1;

    await expect(putEvents([entryOfSize(under - 13, { Time: new Date() })])).rejects.toMatchObject(OVER);
    await expect(putEvents([entryOfSize(under - 14, { Time: new Date() })])).resolves.toMatchObject({ FailedEntryCount: 0 });
    await expect(putEvents([entryOfSize(under - 5, { Resources: ['abc', 'de'] })])).resolves.toMatchObject({ FailedEntryCount: 0 });
    await expect(putEvents([entryOfSize(under - 4, { Resources: ['abc', 'de'] })])).rejects.toMatchObject(OVER);
    await expect(putEvents([entryOfSize(under, { EventBusName: LOCAL_EVENT_BUS, TraceHeader: 'Root=1-5759e988-bd862e3fe1be46a994272793' })])).resolves.toMatchObject({
      FailedEntryCount: 0,
    });
  });

  it('in UTF-8 bytes, not characters', async () => {
    // Each € is 3 bytes: about a third of the limit in characters, all of it in bytes.
    const euros = Math.ceil((PUT_EVENTS_MAX_BYTES - 10 - 11 - '{"p":""}'.length) / 3);

    await expect(putEvents([entry({ Detail: JSON.stringify({ p: '€'.repeat(euros) }) })])).rejects.toMatchObject(OVER);
  });
});

describe('a bus the account does not have', () => {
  it.each([
    ['by name', 'orders'],
    ['by the ARN of a bus of that name in another account', `arn:aws:events:us-east-1:111122223333:event-bus/${LOCAL_EVENT_BUS}`],
    ['by the ARN of a bus of that name in another region', `arn:aws:events:eu-west-1:${accountId}:event-bus/${LOCAL_EVENT_BUS}`],
  ])('%s: answered an EventId like any other, and the event goes nowhere (as EventBridge does)', async (_, EventBusName) => {
    const answer = await putEvents([entry({ EventBusName }), entry()]);

    expect(answer).toMatchObject({ FailedEntryCount: 0, Entries: [{ EventId: expect.stringMatching(UUID) }, { EventId: expect.stringMatching(UUID) }] });
    expect(simulator.busEvents().map((event) => [event.id, event.eventBusName])).toEqual([[answer.Entries![1]!.EventId, 'default']]);
    expect(published).toHaveLength(1);
  });

  it('the account\'s buses are whatever it is given: one it no longer has takes nothing, a new one takes events', async () => {
    simulator.setAccount({ eventBuses: ['default', 'orders'] });

    await putEvents([entry({ EventBusName: LOCAL_EVENT_BUS }), entry({ EventBusName: 'orders' }), entry({ EventBusName: busArn('orders') })]);

    expect(simulator.busEvents().map((event) => event.eventBusName)).toEqual(['orders', 'orders']);
  });

  it.each([
    ['not a list', { eventBuses: 'default' }, 'eventBuses must be a list of event bus names'],
    ['a name outside EventBusName\'s pattern', { eventBuses: ['default', 'my bus'] }, 'eventBuses must be a list of event bus names'],
    ['a name longer than 256', { eventBuses: ['default', 'b'.repeat(257)] }, 'eventBuses must be a list of event bus names'],
    ['no default bus', { eventBuses: [LOCAL_EVENT_BUS] }, 'eventBuses must include default'],
  ])('%s is not what an account can have: refused, naming the field', (_, changes, why) => {
    expect(() => simulator.setAccount(changes)).toThrow(why);
    expect(simulator.account()).toEqual(localAccount());
  });
});

describe('a caller without events:PutEvents', () => {
  it('is answered AccessDeniedException; nothing is taken, the call is recorded', async () => {
    simulator.setAccount({ deniedActions: ['events:PutEvents'] });

    await expect(putEvents([entry()])).rejects.toBeInstanceOf(AccessDeniedException);
    expect(simulator.busEvents()).toEqual([]);
    expect(simulator.requests('account')).toHaveLength(1);
  });
});

describe('failPutEvents(n): the next n calls answer InternalException', () => {
  it('without retries, the caller sees the failure and then the next call succeeds', async () => {
    simulator.failPutEvents(1);

    await expect(putEvents([entry()])).rejects.toBeInstanceOf(InternalException);
    expect(simulator.busEvents()).toEqual([]);
    await expect(putEvents([entry()])).resolves.toMatchObject({ FailedEntryCount: 0 });
    expect(simulator.busEvents()).toHaveLength(1);
  });

  it('the SDK retries InternalException: two failures and a third attempt takes the event once', async () => {
    simulator.failPutEvents(2);

    const answer = await client(3).send(new PutEventsCommand({ Entries: [entry()] }));

    expect(answer.$metadata.attempts).toBe(3);
    expect(simulator.requests('account')).toHaveLength(3);
    expect(simulator.busEvents().map((event) => event.id)).toEqual([answer.Entries![0]!.EventId]);
  });

  it('more failures than attempts: the caller gets InternalException, nothing taken', async () => {
    simulator.failPutEvents(3);

    await expect(client(3).send(new PutEventsCommand({ Entries: [entry()] }))).rejects.toBeInstanceOf(InternalException);
    expect(simulator.busEvents()).toEqual([]);
  });

  it('a request refused anyway does not use one up', async () => {
    simulator.failPutEvents(1);

    await expect(putEvents([])).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(putEvents([entry()])).rejects.toBeInstanceOf(InternalException);
  });

  it.each([-1, 1.5])('%p calls is refused', (count) => {
    expect(() => simulator.failPutEvents(count)).toThrow(RangeError);
  });
});

describe('the simulator\'s endpoints', () => {
  it('point the EventBridge client here', () => {
    expect(simulator.endpoints()).toMatchObject({ AWS_ENDPOINT_URL_EVENTBRIDGE: simulator.url });
  });

  it('an EventBridge operation it does not simulate: UnknownOperationException', async () => {
    await expect(client().send(new ListEventBusesCommand({}))).rejects.toMatchObject({ name: 'UnknownOperationException' });
  });
});
