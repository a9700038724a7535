/**
 * One contract, two stores: every case runs against the in-memory fake used by
 * unit tests and against the DynamoDB store on DynamoDB Local, so the fake can
 * never drift from the real thing.
 */
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbVerificationStore, numberKey } from '../../functions/adapters/dynamodb-verification-store';
import type { CheckCodeInput, RecordCodeInput, VelocityLimit, VerificationStore } from '../../functions/core/ports';
import { InMemoryVerificationStore } from '../support/fakes';
import { GB_MOBILE, TEST_EPOCH, usFictional } from '../support/fixtures';
import { countEach, refundEach, shardCount } from '../../functions/adapters/dynamodb-store/counters';
import { Table } from '../../functions/adapters/dynamodb-store/table';
import { createTestTable, deleteTestTable, scanTable, testDynamoDbClient } from '../support/tables';

const T0 = TEST_EPOCH;
const MINUTE = 60_000;
const DAY = 86_400_000;

function recordInput(digest: string, now: number, extra: Partial<RecordCodeInput> = {}): RecordCodeInput {
  return {
    e164: GB_MOBILE,
    codeDigest: digest,
    now,
    codeExpiresAt: now + 10 * MINUTE,
    limit: 10,
    limitWindowMs: DAY,
    routeSwitchWindowMs: 10 * MINUTE,
    lockMs: 15 * MINUTE,
    maxFailedChecks: 5,
    velocity: [],
    ...extra,
  };
}

const checkInput = (digest: string, now: number, extra: Partial<CheckCodeInput> = {}): CheckCodeInput => ({
  e164: GB_MOBILE,
  codeDigest: digest,
  now,
  maxFailedChecks: 5,
  lockMs: 15 * MINUTE,
  velocity: [],
  ...extra,
});

const callerSend = (limit: number): VelocityLimit => ({ kind: 'caller-send', subject: 'caller-a', limit, windowMs: MINUTE });

interface StoreUnderTest {
  store: VerificationStore;
  done(): Promise<void>;
}

const stores: Array<[string, () => Promise<StoreUnderTest>]> = [
  ['in-memory fake', async () => ({ store: new InMemoryVerificationStore(), done: async () => undefined })],
  [
    'DynamoDB store on DynamoDB Local',
    async () => {
      const client = testDynamoDbClient();
      const table = await createTestTable(client);
      return {
        store: new DynamoDbVerificationStore(client, table),
        done: async () => {
          await deleteTestTable(client, table);
          client.destroy();
        },
      };
    },
  ],
];

describe.each(stores)('verification store contract: %s', (_, make) => {
  let subject: StoreUnderTest;
  let store: VerificationStore;
  beforeEach(async () => {
    subject = await make();
    store = subject.store;
  });
  afterEach(() => subject.done());

  it('verifies a recorded code once', async () => {
    await store.recordCode(recordInput('A', T0));

    await expect(store.checkCode(checkInput('A', T0 + MINUTE))).resolves.toEqual({ outcome: 'verified' });
    await expect(store.checkCode(checkInput('A', T0 + MINUTE))).resolves.toEqual({
      outcome: 'rejected',
      why: 'wrong-code',
      lockedNow: false,
    });
  });

  it('rejects a number that never had a code without counting it', async () => {
    await expect(store.checkCode(checkInput('A', T0))).resolves.toEqual({ outcome: 'rejected', why: 'no-code' });
  });

  it('rejects a code at its expiry time, even though TTL has not deleted it', async () => {
    await store.recordCode(recordInput('A', T0));

    await expect(store.checkCode(checkInput('A', T0 + 10 * MINUTE))).resolves.toEqual({ outcome: 'rejected', why: 'expired' });
  });

  it('accepts only the latest code', async () => {
    await store.recordCode(recordInput('A', T0));
    await store.recordCode(recordInput('B', T0 + MINUTE));

    await expect(store.checkCode(checkInput('A', T0 + 2 * MINUTE))).resolves.toMatchObject({ outcome: 'rejected' });
    await expect(store.checkCode(checkInput('B', T0 + 2 * MINUTE))).resolves.toEqual({ outcome: 'verified' });
  });

  it('locks after 5 failures, refuses the right code while locked, and records no new code until the lock ends', async () => {
    await store.recordCode(recordInput('A', T0, { limit: 2, velocity: [callerSend(2)] }));
    for (let i = 0; i < 5; i++) {
      await expect(store.checkCode(checkInput(`wrong${i}`, T0 + i))).resolves.toEqual({
        outcome: 'rejected',
        why: 'wrong-code',
        lockedNow: i === 4,
      });
    }

    await expect(store.checkCode(checkInput('A', T0 + MINUTE))).resolves.toEqual({ outcome: 'rejected', why: 'locked' });
    // The lock runs from the check that locked it, at T0 + 4 ms.
    await expect(store.recordCode(recordInput('B', T0 + 2 * MINUTE, { limit: 2, velocity: [callerSend(2)] }))).resolves.toEqual({
      outcome: 'locked',
      lockedUntil: T0 + 4 + 15 * MINUTE,
    });
    await expect(store.checkCode(checkInput('B', T0 + 3 * MINUTE))).resolves.toEqual({ outcome: 'rejected', why: 'locked' });
    // The refused send counted nothing: after the lock, the number's limit of 2 and the caller's have room for one.
    const afterLock = T0 + 4 + 15 * MINUTE;
    await expect(store.recordCode(recordInput('C', afterLock, { limit: 2, velocity: [callerSend(2)] }))).resolves.toMatchObject({
      outcome: 'recorded',
    });
  });

  it('unlocks when the lock window has passed since the check that locked', async () => {
    await store.recordCode(recordInput('A', T0));
    for (let i = 0; i < 5; i++) await store.checkCode(checkInput(`wrong${i}`, T0));
    const afterLock = T0 + 15 * MINUTE;
    await expect(store.recordCode(recordInput('B', afterLock - 1))).resolves.toMatchObject({ outcome: 'locked' });
    await store.recordCode(recordInput('B', afterLock));

    await expect(store.checkCode(checkInput('B', afterLock))).resolves.toEqual({ outcome: 'verified' });
  });

  it('counts a failure after an expired lock as the first of a new count', async () => {
    await store.recordCode(recordInput('A', T0));
    for (let i = 0; i < 5; i++) await store.checkCode(checkInput(`wrong${i}`, T0));
    const later = T0 + 16 * MINUTE;
    await store.recordCode(recordInput('B', later));

    for (let i = 0; i < 4; i++) await expect(store.checkCode(checkInput(`again${i}`, later))).resolves.toMatchObject({ why: 'wrong-code' });
    await expect(store.checkCode(checkInput('B', later))).resolves.toEqual({ outcome: 'verified' });
  });

  it('resets the failure count on success', async () => {
    await store.recordCode(recordInput('A', T0));
    for (let i = 0; i < 4; i++) await store.checkCode(checkInput(`wrong${i}`, T0));
    await expect(store.checkCode(checkInput('A', T0))).resolves.toEqual({ outcome: 'verified' });
    await store.recordCode(recordInput('B', T0 + MINUTE));

    for (let i = 0; i < 4; i++) await store.checkCode(checkInput(`wrong${i}`, T0 + MINUTE));
    await expect(store.checkCode(checkInput('B', T0 + MINUTE))).resolves.toEqual({ outcome: 'verified' });
  });

  it('refuses a send over the limit within the window, and opens a new window after it', async () => {
    for (let i = 0; i < 3; i++) {
      await expect(store.recordCode(recordInput(`c${i}`, T0 + i, { limit: 3 }))).resolves.toMatchObject({ outcome: 'recorded' });
    }

    await expect(store.recordCode(recordInput('c3', T0 + DAY - 1, { limit: 3 }))).resolves.toEqual({
      outcome: 'limit-reached',
      limit: 'number',
    });
    await expect(store.recordCode(recordInput('c4', T0 + DAY, { limit: 3 }))).resolves.toMatchObject({
      outcome: 'recorded',
      routeStreak: 0,
    });
  });

  it('keeps the code that was valid when a send is refused at the limit', async () => {
    await store.recordCode(recordInput('A', T0, { limit: 1 }));
    await store.recordCode(recordInput('B', T0 + 1, { limit: 1 }));

    await expect(store.checkCode(checkInput('A', T0 + 2))).resolves.toEqual({ outcome: 'verified' });
  });

  it('counts a streak of sends within the route-switch window', async () => {
    const streaks: number[] = [];
    for (const at of [T0, T0 + MINUTE, T0 + 2 * MINUTE, T0 + 13 * MINUTE, T0 + 14 * MINUTE]) {
      const result = await store.recordCode(recordInput(`c${at}`, at));
      if (result.outcome === 'recorded') streaks.push(result.routeStreak);
    }

    expect(streaks).toEqual([0, 1, 2, 0, 1]);
  });

  it('revokes a code that was never delivered and refunds the send and its velocity counts', async () => {
    const recorded = await store.recordCode(recordInput('A', T0, { limit: 1, velocity: [callerSend(1)] }));
    if (recorded.outcome !== 'recorded') throw new Error('not recorded');

    await store.revokeCode(recorded.record);

    await expect(store.checkCode(checkInput('A', T0 + 1))).resolves.toMatchObject({ outcome: 'rejected' });
    await expect(store.recordCode(recordInput('B', T0 + 2, { limit: 1, velocity: [callerSend(1)] }))).resolves.toMatchObject({
      outcome: 'recorded',
    });
  });

  async function recorded(input: RecordCodeInput) {
    const result = await store.recordCode(input);
    if (result.outcome !== 'recorded') throw new Error(`not recorded: ${result.outcome}`);
    return result;
  }

  it('a resend no route delivered gives the code it replaced back, with that code\'s own expiry', async () => {
    await recorded(recordInput('A', T0));
    const resend = await recorded(recordInput('B', T0 + MINUTE));

    await store.revokeCode(resend.record);

    await expect(store.checkCode(checkInput('B', T0 + 2 * MINUTE))).resolves.toMatchObject({ outcome: 'rejected', why: 'wrong-code' });
    await expect(store.checkCode(checkInput('A', T0 + 2 * MINUTE))).resolves.toEqual({ outcome: 'verified' });
    // A (sent at T0) expires at T0 + 10 min, not with the resend's later expiry.
    await recorded(recordInput('C', T0 + 3 * MINUTE));
    const late = await recorded(recordInput('D', T0 + 4 * MINUTE));
    await store.revokeCode(late.record);
    await expect(store.checkCode(checkInput('C', T0 + 12 * MINUTE))).resolves.toEqual({ outcome: 'verified' });
  });

  it('a revoked first send leaves no code, and an expired replaced code stays expired', async () => {
    const first = await recorded(recordInput('A', T0));
    await store.revokeCode(first.record);
    await expect(store.checkCode(checkInput('A', T0 + 1))).resolves.toMatchObject({ outcome: 'rejected' });

    await recorded(recordInput('B', T0 + MINUTE));
    const resend = await recorded(recordInput('C', T0 + 20 * MINUTE));
    await store.revokeCode(resend.record);
    await expect(store.checkCode(checkInput('B', T0 + 21 * MINUTE))).resolves.toEqual({ outcome: 'rejected', why: 'expired' });
  });

  it('an undelivered code that a later send replaced can never come back', async () => {
    await recorded(recordInput('A', T0));
    const undelivered = await recorded(recordInput('B', T0 + 1));
    const later = await recorded(recordInput('C', T0 + 2));

    await store.revokeCode(undelivered.record);
    await store.revokeCode(later.record);

    for (const digest of ['B', 'C']) {
      await expect(store.checkCode(checkInput(digest, T0 + 3))).resolves.toMatchObject({ outcome: 'rejected' });
    }
  });

  it('a revoked resend gives its count back to the number\'s limit', async () => {
    await recorded(recordInput('A', T0, { limit: 2 }));
    const resend = await recorded(recordInput('B', T0 + 1, { limit: 2 }));
    await store.revokeCode(resend.record);

    await expect(store.recordCode(recordInput('C', T0 + 2, { limit: 2 }))).resolves.toMatchObject({ outcome: 'recorded' });
    await expect(store.recordCode(recordInput('D', T0 + 3, { limit: 2 }))).resolves.toEqual({ outcome: 'limit-reached', limit: 'number' });
  });

  it('counts sends against velocity limits, and records nothing when one is exhausted', async () => {
    const prefix: VelocityLimit = { kind: 'prefix-send', subject: '+1201', limit: 10, windowMs: 60 * MINUTE };
    const velocity = [callerSend(2), prefix];
    await store.recordCode(recordInput('A', T0, { e164: usFictional(0), velocity }));
    await store.recordCode(recordInput('B', T0 + 1, { e164: usFictional(1), velocity }));

    await expect(store.recordCode(recordInput('C', T0 + 2, { e164: usFictional(2), velocity, limit: 1 }))).resolves.toEqual({
      outcome: 'limit-reached',
      limit: 'caller-send',
    });
    await expect(store.checkCode({ ...checkInput('C', T0 + 3), e164: usFictional(2) })).resolves.toEqual({
      outcome: 'rejected',
      why: 'no-code',
    });
    // The refused send used nothing: in the caller's next window the number's limit of 1 still has room.
    await expect(store.recordCode(recordInput('D', T0 + MINUTE, { e164: usFictional(2), velocity, limit: 1 }))).resolves.toMatchObject({
      outcome: 'recorded',
    });
  });

  it('counts checks per caller across numbers and refuses once the caller is over its limit', async () => {
    const callerVerify: VelocityLimit = { kind: 'caller-verify', subject: 'caller-a', limit: 3, windowMs: 15 * MINUTE };
    await store.recordCode(recordInput('A', T0));
    for (let i = 0; i < 3; i++) {
      await expect(store.checkCode(checkInput(`wrong${i}`, T0, { velocity: [callerVerify] }))).resolves.toMatchObject({
        outcome: 'rejected',
      });
    }

    await expect(store.checkCode(checkInput('A', T0, { velocity: [callerVerify] }))).resolves.toEqual({
      outcome: 'limit-reached',
      limit: 'caller-verify',
    });
    await expect(store.checkCode(checkInput('other', T0, { velocity: [{ ...callerVerify, subject: 'caller-b' }] }))).resolves.toMatchObject({
      outcome: 'rejected',
      why: 'wrong-code',
    });
  });

  describe('under concurrency', () => {
    it('20 concurrent checks of the right code: exactly one is verified', async () => {
      await store.recordCode(recordInput('A', T0));

      const results = await Promise.all(Array.from({ length: 20 }, () => store.checkCode(checkInput('A', T0 + 1))));

      expect(results.filter((r) => r.outcome === 'verified')).toHaveLength(1);
    });

    it('50 concurrent wrong guesses: only 5 are evaluated, then the right code is refused', async () => {
      await store.recordCode(recordInput('A', T0));

      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.checkCode(checkInput(`guess${i}`, T0 + 1))));

      expect(results.filter((r) => r.outcome === 'rejected' && r.why === 'wrong-code')).toHaveLength(5);
      expect(results.filter((r) => r.outcome === 'rejected' && r.why === 'locked')).toHaveLength(45);
      await expect(store.checkCode(checkInput('A', T0 + 2))).resolves.toEqual({ outcome: 'rejected', why: 'locked' });
    });

    it('30 concurrent sends with limit 3: exactly 3 are recorded', async () => {
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => store.recordCode(recordInput(`c${i}`, T0 + 1, { limit: 3 }))),
      );

      expect(results.filter((r) => r.outcome === 'recorded')).toHaveLength(3);
      expect(results.filter((r) => r.outcome === 'limit-reached')).toHaveLength(27);
    });

    it('30 concurrent sends to 30 numbers under a ceiling of 10: exactly 10 are recorded', async () => {
      const ceiling: VelocityLimit = { kind: 'global-send', subject: 'deployment', limit: 10, windowMs: 60 * MINUTE };

      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => store.recordCode(recordInput(`c${i}`, T0, { e164: usFictional(i), velocity: [ceiling] }))),
      );

      expect(results.filter((r) => r.outcome === 'recorded')).toHaveLength(10);
      expect(results.filter((r) => r.outcome === 'limit-reached')).toEqual(
        Array.from({ length: 20 }, () => ({ outcome: 'limit-reached', limit: 'global-send' })),
      );
    });
  });
});

describe('DynamoDB store: what the table holds', () => {
  let client: DynamoDBClient;
  let tableName: string;
  beforeAll(async () => {
    client = testDynamoDbClient();
    tableName = await createTestTable(client);
  });
  afterAll(async () => {
    await deleteTestTable(client, tableName);
    client.destroy();
  });

  it('keeps the digest, never the code, and a TTL that outlives every window and lock, with an hour to spare', async () => {
    const store = new DynamoDbVerificationStore(client, tableName);

    await store.recordCode(recordInput('digest-of-code', T0));
    await store.recordCode(recordInput('short-window', T0, { e164: usFictional(90), limitWindowMs: MINUTE }));

    const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: numberKey(GB_MOBILE) } } }));
    expect(Item?.code).toEqual({ M: { 'digest-of-code': { N: '-1' } } });
    // The limit window (a day) is the longest; with a one-minute window, the code's life and a lock after it are.
    expect(Number(Item?.expiresAt?.N)).toBe(Math.ceil((T0 + DAY + 60 * MINUTE) / 1000));
    const { Item: short } = await client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: numberKey(usFictional(90)) } } }));
    expect(Number(short?.expiresAt?.N)).toBe(Math.ceil((T0 + 10 * MINUTE + 15 * MINUTE + 60 * MINUTE) / 1000));
    expect(Number(Item?.codeExpiresAt?.N)).toBe(T0 + 10 * MINUTE);
  });

  it('splits a large limit into shards whose quotas add up to it exactly, and refuses only when all are full', async () => {
    const table = new Table(client, tableName);
    const limit: VelocityLimit = { kind: 'global-send', subject: 'sharded', limit: 1001, windowMs: 60 * MINUTE };
    expect(shardCount(limit.limit)).toBe(3);

    const outcomes = [];
    for (let batch = 0; batch < 21; batch++) {
      outcomes.push(...(await Promise.all(Array.from({ length: 50 }, () => countEach(table, [limit], T0)))));
    }

    expect(outcomes.filter((outcome) => !('exhausted' in outcome))).toHaveLength(1001);
    expect(outcomes.filter((outcome) => 'exhausted' in outcome)).toHaveLength(49);
    const shards = (await scanTable(client, tableName)).filter((item) => /^velocity#global-send#sharded#\d+#\d+$/.test(item.pk?.S ?? ''));
    expect(shards.map((item) => Number(item.count?.N)).sort()).toEqual([333, 334, 334]);
  });

  describe('a limit used up across 64 shards', () => {
    const limit: VelocityLimit = { kind: 'global-send', subject: 'used-up', limit: 32_000, windowMs: 60 * MINUTE };
    const window = Math.floor(T0 / limit.windowMs);

    /** Each shard one short of its quota, as a window's traffic would leave it. */
    async function nearlyFull(subject: string): Promise<void> {
      await Promise.all(
        Array.from({ length: 64 }, (_, shard) =>
          client.send(
            new PutItemCommand({
              TableName: tableName,
              Item: { pk: { S: `velocity#global-send#${subject}#${window}#${shard}` }, count: { N: '499' } },
            }),
          ),
        ),
      );
    }

    /** A table as a fresh container has it, counting the requests it makes. */
    function containerTable(): { table: Table; requests: () => number } {
      let requests = 0;
      const counting = testDynamoDbClient();
      counting.middlewareStack.add((next) => (args) => ((requests += 1), next(args)), { step: 'initialize' });
      return { table: new Table(counting, tableName), requests: () => requests };
    }

    it('a burst of 100 events for the last 64 places: exactly 64 counted, the rest refused', async () => {
      await nearlyFull('burst');
      const { table } = containerTable();

      const outcomes = await Promise.all(Array.from({ length: 100 }, () => countEach(table, [{ ...limit, subject: 'burst' }], T0)));

      expect(outcomes.filter((outcome) => !('exhausted' in outcome))).toHaveLength(64);
      const counts = (await scanTable(client, tableName)).filter((item) => /^velocity#global-send#burst#\d+#\d+$/.test(item.pk?.S ?? ''));
      expect(counts.map((item) => Number(item.count?.N))).toEqual(counts.map(() => 500));
    });

    it('a refusal costs one write in a container that has not met it, and none in one that has, until a refund', async () => {
      await nearlyFull('used-up');
      const filler = containerTable();
      const fills = [];
      for (let i = 0; i < 64; i++) fills.push(await countEach(filler.table, [limit], T0));
      expect(fills.every((outcome) => outcome.counted.length === 1)).toBe(true);

      const fresh = containerTable();
      await expect(countEach(fresh.table, [limit], T0)).resolves.toMatchObject({ exhausted: 'global-send' });
      expect(fresh.requests()).toBe(1);
      await expect(countEach(fresh.table, [limit], T0)).resolves.toMatchObject({ exhausted: 'global-send' });
      expect(fresh.requests()).toBe(1);
      // Every shard marked exhausted: no refund reopens the window, so the container needs no answer until it ends.
      await expect(countEach(fresh.table, [limit], T0 + 30_000)).resolves.toMatchObject({ exhausted: 'global-send' });
      expect(fresh.requests()).toBe(1);

      // A refund in that container makes it ask again; a window marked exhausted stays closed (stricter, never looser).
      await refundEach(fresh.table, fills[0]!.counted);
      const asked = fresh.requests();
      await expect(countEach(fresh.table, [limit], T0)).resolves.toMatchObject({ exhausted: 'global-send' });
      expect(fresh.requests() - asked).toBe(1);
    });
  });

  it('asks again a second after a one-shard limit refused, since a refund elsewhere may have reopened it', async () => {
    let requests = 0;
    const counting = testDynamoDbClient();
    counting.middlewareStack.add((next) => (args) => ((requests += 1), next(args)), { step: 'initialize' });
    const table = new Table(counting, tableName);
    const limit: VelocityLimit = { kind: 'caller-send', subject: 'one-shard-memo', limit: 1, windowMs: MINUTE };
    const first = await countEach(table, [limit], T0);
    await expect(countEach(table, [limit], T0)).resolves.toMatchObject({ exhausted: 'caller-send' });
    const afterRefusal = requests;

    await expect(countEach(table, [limit], T0 + 500)).resolves.toMatchObject({ exhausted: 'caller-send' });
    expect(requests).toBe(afterRefusal);
    await refundEach(new Table(client, tableName), first.counted); // in another container

    await expect(countEach(table, [limit], T0 + 1_500)).resolves.toMatchObject({ counted: first.counted });
  });

  it('gives a refunded count back to the shard that took it', async () => {
    const table = new Table(client, tableName);
    const limit: VelocityLimit = { kind: 'caller-send', subject: 'refunds', limit: 2, windowMs: MINUTE };
    const first = await countEach(table, [limit], T0);
    await countEach(table, [limit], T0);
    expect(await countEach(table, [limit], T0)).toEqual({ exhausted: 'caller-send', counted: [], mayBeDoubled: false });

    await refundEach(table, first.counted);

    expect(await countEach(table, [limit], T0)).toEqual({ counted: first.counted, mayBeDoubled: false });
  });

  it('answers 503-class errors when the table does not exist', async () => {
    const store = new DynamoDbVerificationStore(client, 'no-such-table');

    await expect(store.recordCode(recordInput('A', T0))).rejects.toMatchObject({ name: 'DependencyUnavailableError', apiError: 5 });
  });
});
