/**
 * In-memory stand-ins for the ports. The store follows the same contract as the
 * DynamoDB store (the shared contract suite in test/integration proves both).
 */
import { timingSafeEqual } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { RequestLogger } from '../../functions/entry/api-handler';
import type {
  CallReceipt,
  CheckCodeInput,
  CheckCodeResult,
  IdempotencyRecord,
  LogFields,
  Clock,
  RandomSource,
  RecordCodeInput,
  RecordCodeResult,
  SendRecord,
  SmsFailureKind,
  SmsMessage,
  SmsReceipt,
  SmsRoute,
  VelocityKind,
  VelocityLimit,
  VerificationStore,
  VoiceMessage,
  VoiceRoute,
} from '../../functions/core/ports';
import { SmsRouteError } from '../../functions/core/ports';
import { IN_PROGRESS_MS } from '../../functions/adapters/dynamodb-store/idempotency';
import { TEST_EPOCH } from './fixtures';
import type { RouteName, VoiceRouteName } from '../../functions/settings';

interface NumberRecord {
  codeDigest?: string;
  codeExpiresAt: number;
  /** The code the latest send replaced, until that send is settled. */
  previous?: { codeDigest?: string; codeExpiresAt: number };
  failedChecks: number;
  lastCheckAt?: number;
  sendCount: number;
  limitWindowStartedAt?: number;
  lastSentAt?: number;
  routeStreak: number;
}

export class InMemoryVerificationStore implements VerificationStore {
  readonly records = new Map<string, NumberRecord>();
  /** Velocity counters by limit kind, subject and window number. */
  readonly counters = new Map<string, number>();
  readonly claims = new Map<string, IdempotencyRecord & { until: number; inProgressUntil: number }>();
  private sends = 0;
  /** Set to make every call fail like an unavailable table. */
  failWith: Error | undefined;

  async recordCode(input: RecordCodeInput): Promise<RecordCodeResult> {
    this.throwIfFailing();
    const claim = input.idempotency;
    const held = claim && this.claims.get(claim.key);
    if (held && held.until > input.now && (held.status === 'completed' || held.inProgressUntil > input.now)) {
      const { until: _until, inProgressUntil: _inProgressUntil, ...record } = held;
      return { outcome: 'duplicate', record };
    }
    const exhausted = input.velocity.find((limit) => this.count(limit, input.now) >= limit.limit);
    if (exhausted) return { outcome: 'limit-reached', limit: exhausted.kind };
    const record = this.records.get(input.e164) ?? { codeExpiresAt: 0, failedChecks: 0, sendCount: 0, routeStreak: 0 };
    const lockedUntil = (record.lastCheckAt ?? 0) + input.lockMs;
    if (record.failedChecks >= input.maxFailedChecks && lockedUntil > input.now) return { outcome: 'locked', lockedUntil };
    const windowContinues =
      record.limitWindowStartedAt !== undefined && record.limitWindowStartedAt > input.now - input.limitWindowMs;
    if (windowContinues && record.sendCount >= input.limit) return { outcome: 'limit-reached', limit: 'number' };
    for (const limit of input.velocity) this.add(limit, input.now, 1);
    if (claim) {
      this.claims.set(claim.key, {
        status: 'in-progress',
        requestDigest: claim.requestDigest,
        until: claim.until,
        inProgressUntil: input.now + IN_PROGRESS_MS,
      });
    }
    const streakContinues = record.lastSentAt !== undefined && record.lastSentAt > input.now - input.routeSwitchWindowMs;
    record.sendCount = windowContinues ? record.sendCount + 1 : 1;
    if (!windowContinues) record.limitWindowStartedAt = input.now;
    record.routeStreak = streakContinues ? record.routeStreak + 1 : 0;
    record.lastSentAt = input.now;
    record.previous = { codeDigest: record.codeDigest, codeExpiresAt: record.codeExpiresAt };
    record.codeDigest = input.codeDigest;
    record.codeExpiresAt = input.codeExpiresAt;
    this.records.set(input.e164, record);
    const counted = input.velocity.map((limit) => this.counterKey(limit, input.now));
    const sendId = `send-${++this.sends}`;
    return {
      outcome: 'recorded',
      routeStreak: record.routeStreak,
      record: { e164: input.e164, codeDigest: input.codeDigest, sentAt: input.now, sendId, recordWriteId: sendId, counted, idempotencyKey: claim?.key },
    };
  }

  async revokeCode(input: SendRecord): Promise<void> {
    this.throwIfFailing();
    for (const key of input.counted) if ((this.counters.get(key) ?? 0) > 0) this.counters.set(key, this.counters.get(key)! - 1);
    const record = this.records.get(input.e164);
    if (!record) return;
    if ((record.limitWindowStartedAt ?? Infinity) <= input.sentAt && record.sendCount > 0) record.sendCount -= 1;
    if (record.codeDigest === input.codeDigest) {
      record.codeDigest = record.previous?.codeDigest;
      record.codeExpiresAt = record.previous?.codeExpiresAt ?? 0;
      record.previous = undefined;
    } else if (record.previous?.codeDigest === input.codeDigest) {
      record.previous.codeDigest = undefined;
    }
  }

  async checkCode(input: CheckCodeInput): Promise<CheckCodeResult> {
    this.throwIfFailing();
    const exhausted = input.velocity.find((limit) => this.count(limit, input.now) >= limit.limit);
    if (exhausted) return { outcome: 'limit-reached', limit: exhausted.kind };
    for (const limit of input.velocity) this.add(limit, input.now, 1);
    const result = this.check(input);
    if (result.outcome === 'verified') {
      for (const limit of input.velocity) if (limit.failuresOnly) this.add(limit, input.now, -1);
    }
    return result;
  }

  async completeIdempotency(send: SendRecord, sealedAnswer: string): Promise<void> {
    this.throwIfFailing();
    const claim = send.idempotencyKey === undefined ? undefined : this.claims.get(send.idempotencyKey);
    if (claim) this.claims.set(send.idempotencyKey!, { ...claim, status: 'completed', sealedAnswer });
  }

  async releaseIdempotency(send: SendRecord): Promise<void> {
    this.throwIfFailing();
    const claim = send.idempotencyKey === undefined ? undefined : this.claims.get(send.idempotencyKey);
    if (claim) this.claims.set(send.idempotencyKey!, { ...claim, until: 0, inProgressUntil: 0 });
  }

  async readIdempotency(key: string, now: number): Promise<IdempotencyRecord | undefined> {
    this.throwIfFailing();
    const claim = this.claims.get(key);
    if (!claim || claim.until <= now) return undefined;
    const { until: _until, inProgressUntil: _inProgressUntil, ...record } = claim;
    return record;
  }

  private check(input: CheckCodeInput): CheckCodeResult {
    const record = this.records.get(input.e164);
    if (!record || record.lastSentAt === undefined) return { outcome: 'rejected', why: 'no-code' };
    if (record.codeExpiresAt <= input.now) return { outcome: 'rejected', why: 'expired' };
    if (record.failedChecks >= input.maxFailedChecks) {
      if ((record.lastCheckAt ?? 0) + input.lockMs > input.now) return { outcome: 'rejected', why: 'locked' };
      record.failedChecks = 0;
    }
    record.lastCheckAt = input.now;
    if (record.codeDigest !== undefined && sameDigest(record.codeDigest, input.codeDigest)) {
      record.codeDigest = undefined;
      record.failedChecks = 0;
      return { outcome: 'verified' };
    }
    record.failedChecks += 1;
    return { outcome: 'rejected', why: 'wrong-code', lockedNow: record.failedChecks >= input.maxFailedChecks };
  }

  private throwIfFailing(): void {
    if (this.failWith) throw this.failWith;
  }

  private counterKey(limit: VelocityLimit, at: number): string {
    return `${limit.kind}#${limit.subject}#${Math.floor(at / limit.windowMs)}`;
  }

  private count(limit: VelocityLimit, at: number): number {
    return this.counters.get(this.counterKey(limit, at)) ?? 0;
  }

  async countEvents(limits: readonly VelocityLimit[], now: number): Promise<{ exhausted: VelocityKind } | { counted: readonly string[] }> {
    const exhausted = limits.find((limit) => this.count(limit, now) >= limit.limit);
    if (exhausted) return { exhausted: exhausted.kind };
    for (const limit of limits) this.add(limit, now, 1);
    return { counted: limits.map((limit) => this.counterKey(limit, now)) };
  }

  async refundEvents(counted: readonly string[]): Promise<void> {
    for (const key of counted) this.counters.set(key, (this.counters.get(key) ?? 0) - 1);
  }

  private add(limit: VelocityLimit, at: number, change: number): void {
    this.counters.set(this.counterKey(limit, at), this.count(limit, at) + change);
  }
}

function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** An SMS route that keeps what it was given and fails on demand. */
export class FakeSmsRoute implements SmsRoute {
  readonly sent: SmsMessage[] = [];
  failure: SmsFailureKind | undefined;
  /** The bound the route declares (SmsRoute.maxDurationMs). */
  maxDurationMs: number | undefined;
  /** Runs at each send, before it succeeds or fails: e.g. a clock's time passing. */
  whileSending: (() => void) | undefined;

  constructor(readonly name: RouteName) {}

  async send(message: SmsMessage): Promise<SmsReceipt> {
    this.whileSending?.();
    if (this.failure) throw new SmsRouteError(this.name, this.failure, `${this.name}: ${this.failure}`);
    this.sent.push(message);
    return { route: this.name, messageId: `${this.name}-${this.sent.length}` };
  }
}

/** A voice route that keeps the calls it was given and fails on demand. */
export class FakeVoiceRoute implements VoiceRoute {
  readonly calls: VoiceMessage[] = [];
  failure: SmsFailureKind | undefined;

  constructor(readonly name: VoiceRouteName) {}

  async call(message: VoiceMessage): Promise<CallReceipt> {
    if (this.failure) throw new SmsRouteError(this.name, this.failure, `${this.name}: ${this.failure}`);
    this.calls.push(message);
    return { route: this.name, messageId: `${this.name}-${this.calls.length}` };
  }
}

export class ManualClock implements Clock {
  constructor(private time = TEST_EPOCH) {}

  now(): number {
    return this.time;
  }

  advance(ms: number): void {
    this.time += ms;
  }
}

/** Returns the given values in turn (then repeats the last), so generated codes are known in advance. */
export class ScriptedRandom implements RandomSource {
  readonly requests: number[] = [];

  constructor(private readonly values: number[]) {}

  randomInt(maxExclusive: number): number {
    this.requests.push(maxExclusive);
    const value = this.values.length > 1 ? this.values.shift()! : this.values[0]!;
    if (value >= maxExclusive) throw new RangeError(`scripted ${value} is not below ${maxExclusive}`);
    return value;
  }
}

/** A logger whose lines are kept as JSON, for assertions; the shape of Powertools' lines, without its formatting. */
export class CapturingLogger implements RequestLogger {
  readonly lines: string[] = [];
  private keys: Record<string, unknown> = {};

  info(message: string, fields?: LogFields): void {
    this.log('INFO', message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.log('WARN', message, fields);
  }

  error(message: string, fields?: LogFields): void {
    this.log('ERROR', message, fields);
  }

  addContext(context: Context): void {
    this.keys.function_request_id = context.awsRequestId;
  }

  appendKeys(keys: Record<string, unknown>): void {
    this.keys = { ...this.keys, ...keys };
  }

  resetKeys(): void {
    this.keys = {};
  }

  entries(): Array<Record<string, unknown>> {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  private log(level: string, message: string, fields?: LogFields): void {
    this.lines.push(JSON.stringify({ level, message, ...this.keys, ...fields }));
  }
}

/** Counts metrics by name and dimensions, e.g. "CodesSentByRoute Route=sns". */
export class CountingMetrics {
  readonly counts = new Map<string, number>();
  published = 0;

  publishStoredMetrics(): void {
    this.published += 1;
  }

  private cold = true;

  captureColdStartMetric(): void {
    if (this.cold) this.count('ColdStart');
    this.cold = false;
  }

  readonly metadata = new Map<string, string>();

  addMetadata(key: string, value: string): void {
    this.metadata.set(key, value);
  }

  /** Durations by name and dimensions, as `count` keys them. */
  readonly timings = new Map<string, number[]>();

  milliseconds(name: string, value: number, dimensions: Record<string, string> = {}): void {
    const key = [name, ...Object.entries(dimensions).map(([k, v]) => `${k}=${v}`)].join(' ');
    this.timings.set(key, [...(this.timings.get(key) ?? []), value]);
  }

  count(name: string, dimensions: Record<string, string> = {}): void {
    const key = [name, ...Object.entries(dimensions).map(([k, v]) => `${k}=${v}`)].join(' ');
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }
}
