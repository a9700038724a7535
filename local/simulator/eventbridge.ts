/**
 * Amazon EventBridge's `PutEvents` (service `eventbridge`, AWS JSON 1.1: POST / with `X-Amz-Target:
 * AWSEvents.PutEvents`; api-models-aws models/eventbridge/service/2015-10-07/eventbridge-2015-10-07.json,
 * PutEventsRequest, PutEventsRequestEntry, PutEventsResultEntry; API Reference, PutEvents; User Guide, "Sending
 * events with PutEvents" and "Calculating PutEvents event entry size"). The events the account's buses take are
 * kept, oldest first (SmsSimulator.busEvents).
 *
 * The whole request is refused, with a ValidationException naming the member (worded as AWS's model validation
 * words it, `… at 'entries.1.member.eventBusName' …`), when it breaks the model: Entries is required, 1-10
 * (PutEventsRequestEntryList); an entry's EventBusName is NonPartnerEventBusNameOrArn (1-1600, a name or an
 * `arn:aws…:events:…:event-bus/` ARN, no `/` in the name: partner buses cannot be put to); each of its Resources is
 * 0-2048 (EventResource); its TraceHeader 1-500; EndpointId 1-50 of its pattern. A member of the wrong JSON type
 * cannot be read at all: SerializationException (Time is a timestamp, which AWS JSON sends as epoch seconds).
 *
 * Then the entries' total size, computed as the User Guide's "Calculating PutEvents event entry size" does (Time 14
 * bytes when given; Source, DetailType, Detail and each of Resources their UTF-8 bytes; EventBusName and TraceHeader
 * not counted), "must be less than 1MB" (the PutEvents documentation of @aws-sdk/client-eventbridge 3.1169.0; AWS
 * raised it from 256 KB on 2026-01-29, AWS Compute Blog "More room to build: serverless services now support payloads
 * up to 1 MB"; the User Guide pages still say 256KB). Over it, the whole request is refused: ValidationException
 * "Total size of the entries in the request is over the limit." (AWS's answer, as recorded in localstack's
 * AWS-validated snapshot test_put_event_with_too_big_detail). 1MB is read as 1,048,576 bytes, as SQS's 1 MiB.
 *
 * Each entry that passes is then taken or failed alone; the others go on ("Handling failures with PutEvents"), and
 * the answer's Entries are in the request's order, FailedEntryCount counting the failed. The codes are
 * PutEventsResultEntry's, the messages AWS's own (localstack's AWS-validated snapshots, 2025-01-08):
 *  - Source, DetailType or Detail missing or empty: InvalidArgument, "Parameter DetailType is not valid. Reason:
 *    DetailType is a required argument." (an empty DetailType is answered so; the three are checked in that order,
 *    which no source confirms). The model's note that a request where *no* entry has all three "fails the entire
 *    request" is not what AWS answered: a lone entry without Source was failed alone, with 200.
 *  - Detail that is not a JSON object (not JSON, an array, a JSON string): MalformedDetail, "Detail is malformed.".
 *  - A Source beginning `aws.`, which is AWS's own: NotAuthorizedForSourceException, "Not authorized for the
 *    source." (as AWS answered `aws.aidevops`, aws-samples/serverless-patterns#3089).
 * A taken entry is answered an EventId (a UUID, as AWS's look).
 *
 * An EventBusName the account does not have (a name not among its eventBuses, or an ARN of another account, region
 * or partition) is answered an EventId like any other, and the event goes nowhere: that is what EventBridge does
 * (aws/aws-cli#9186, aws/aws-sdk#186; localstack's AWS-validated test_put_events_nonexistent_event_bus, FailedEntryCount
 * 0). The simulator keeps no such event, and so a service that misnames its bus sees, as in AWS, nothing arrive.
 *
 * The caller needs `events:PutEvents` (AccessDeniedException, a modelled EventBridge error, as the other simulated
 * APIs answer a denied action). failPutEvents(n) makes the next n valid calls answer InternalException (500, the one
 * error the model lists for PutEvents, which the SDK retries), taking nothing.
 *
 * Assumed, as no source says:
 *  - DetailType longer than the documented 128 characters is an entry's InvalidArgument;
 *  - a request as large as the limit is over it ("must be less than");
 *  - access is checked before the request's members, as the other simulated APIs check it;
 *  - EndpointId (a global endpoint) is checked against its pattern and otherwise ignored;
 *  - Detail's nesting limit (1000 levels) and its JSON integer range are not checked.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimulatedAccount } from './account';
import { json11Answer, json11Error, stringViolation } from './protocol';
import type { Provider } from './provider';

/** An event an event bus of the account took, as the simulator keeps it. */
export interface BusEvent {
  /** The EventId PutEvents answered. */
  id: string;
  /** The bus's name, also when the entry named it by ARN. */
  eventBusName: string;
  source: string;
  detailType: string;
  /** The entry's Detail, parsed: a JSON object. */
  detail: unknown;
  /** The entry's Time, else the call's, as EventBridge writes an event's `time`: ISO 8601 to the second, in UTC. */
  time: string;
  resources: string[];
}

/** PutEventsRequestEntryList: length 1-10. */
export const PUT_EVENTS_ENTRIES = { min: 1, max: 10 } as const;
/** The entries' total size, as the User Guide counts it, must be less than this (see above). */
export const PUT_EVENTS_MAX_BYTES = 1_048_576;
/** The documented maximum of DetailType ("Free-form string, with a maximum of 128 characters"). */
const DETAIL_TYPE_MAX_CHARACTERS = 128;
/** The bytes the User Guide counts for an entry's Time. */
const TIME_BYTES = 14;

const ANY = /^[\s\S]*$/;
/** NonPartnerEventBusNameOrArn: length 1-1600. */
const EVENT_BUS_NAME_OR_ARN = { min: 1, max: 1600, pattern: /^(arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus\/)?[.\-_A-Za-z0-9]+$/ };
/** EventResource: length 0-2048. */
const EVENT_RESOURCE = { min: 0, max: 2048, pattern: ANY };
/** TraceHeader: length 1-500. */
const TRACE_HEADER = { min: 1, max: 500, pattern: ANY };
/** EndpointId: length 1-50. */
const ENDPOINT_ID = { min: 1, max: 50, pattern: /^[A-Za-z0-9-]+[.][A-Za-z0-9-]+$/ };

/** PutEventsRequestEntry, as read from the request (members the model does not have are ignored, as AWS JSON does). */
interface Entry {
  Time?: number;
  Source?: string;
  Resources?: string[];
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  TraceHeader?: string;
}

type ResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

export function createEventBridge(provider: Provider, onBusEvent: ((event: BusEvent) => void) | undefined) {
  const kept: BusEvent[] = [];
  let failuresLeft = 0;

  function putEvents(request: IncomingMessage, response: ServerResponse, payload: Record<string, unknown>): void {
    provider.record({ route: 'account', path: '/', headers: request.headers, payload: { operation: 'PutEvents', ...payload } });
    if (provider.denied('events:PutEvents')) {
      return json11Error(response, 400, 'AccessDeniedException', 'User is not authorized to perform: events:PutEvents');
    }
    const entries = readEntries(payload);
    if (typeof entries === 'string') return json11Error(response, 400, 'SerializationException', entries);
    const violations = violationsOf(payload, entries);
    if (violations.length > 0 || entries === null) {
      const count = violations.length === 1 ? '1 validation error detected' : `${violations.length} validation errors detected`;
      return json11Error(response, 400, 'ValidationException', `${count}: ${violations.join('; ')}`);
    }
    if (entries.reduce((total, entry) => total + entrySize(entry), 0) >= PUT_EVENTS_MAX_BYTES) {
      return json11Error(response, 400, 'ValidationException', 'Total size of the entries in the request is over the limit.');
    }
    if (failuresLeft > 0) {
      failuresLeft -= 1;
      return json11Error(response, 500, 'InternalException', 'Internal failure (simulated)');
    }
    const results = entries.map((entry) => putEntry(entry));
    json11Answer(response, { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results });
  }

  function putEntry(entry: Entry): ResultEntry {
    const checked = checkEntry(entry);
    if ('ErrorCode' in checked) return checked;
    const id = randomUUID();
    const eventBusName = busOf(provider.account, entry.EventBusName ?? 'default');
    // A bus the account does not have takes the event and keeps nothing, as EventBridge does.
    if (eventBusName === undefined) return { EventId: id };
    const event: BusEvent = {
      id,
      eventBusName,
      ...checked,
      time: eventTime(entry.Time === undefined ? provider.now() : entry.Time * 1000),
      resources: [...(entry.Resources ?? [])],
    };
    kept.push(event);
    onBusEvent?.(structuredClone(event));
    return { EventId: id };
  }

  return {
    putEvents,
    /** The events the account's buses took, oldest first, as copies. */
    events: (): BusEvent[] => kept.map((event) => structuredClone(event)),
    clear: (): void => {
      kept.length = 0;
    },
    /** The next `count` valid PutEvents calls answer InternalException. */
    failNext: (count: number): void => {
      failuresLeft = count;
    },
  };
}

/** The request's Entries, or why they cannot be read (a SerializationException's message). Null when absent. */
function readEntries(payload: Record<string, unknown>): Entry[] | null | string {
  const { Entries: entries } = payload;
  if (entries === undefined || entries === null) return null;
  if (!Array.isArray(entries)) return 'Entries must be a list';
  for (const entry of entries) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return 'Each of Entries must be a structure';
    const members = entry as Record<string, unknown>;
    for (const member of ['Source', 'DetailType', 'Detail', 'EventBusName', 'TraceHeader']) {
      if (members[member] !== undefined && members[member] !== null && typeof members[member] !== 'string') return `${member} must be a string`;
    }
    if (members.Time !== undefined && members.Time !== null && (typeof members.Time !== 'number' || !Number.isFinite(members.Time))) {
      return 'Time must be a timestamp in epoch seconds';
    }
    if (members.Resources !== undefined && members.Resources !== null && (!Array.isArray(members.Resources) || !members.Resources.every((r) => typeof r === 'string'))) {
      return 'Resources must be a list of strings';
    }
  }
  // JSON null is an absent member.
  return (entries as Array<Record<string, unknown>>).map((entry) => Object.fromEntries(Object.entries(entry).filter(([, value]) => value !== null)) as Entry);
}

/** The model's constraints the request breaks, each worded as AWS's model validation words it. */
function violationsOf(payload: Record<string, unknown>, entries: Entry[] | null): string[] {
  const violations: string[] = [];
  // A string's value is quoted, as AWS quotes it; a list's (AWS writes out every entry) is left out.
  const at = (path: string, constraint: string, value?: unknown) =>
    violations.push(`Value ${typeof value === 'string' ? `'${value}' ` : value === null ? 'null ' : ''}at '${path}' failed to satisfy constraint: ${constraint}`);
  if (entries === null) at('entries', 'Member must not be null', null);
  else if (entries.length < PUT_EVENTS_ENTRIES.min) at('entries', `Member must have length greater than or equal to ${PUT_EVENTS_ENTRIES.min}`);
  else if (entries.length > PUT_EVENTS_ENTRIES.max) at('entries', `Member must have length less than or equal to ${PUT_EVENTS_ENTRIES.max}`);
  entries?.forEach((entry, i) => {
    const path = `entries.${i + 1}.member`;
    const bus = entry.EventBusName === undefined ? undefined : stringViolation(entry.EventBusName, EVENT_BUS_NAME_OR_ARN);
    if (bus) at(`${path}.eventBusName`, bus, entry.EventBusName);
    entry.Resources?.forEach((resource, j) => {
      const problem = stringViolation(resource, EVENT_RESOURCE);
      if (problem) at(`${path}.resources.${j + 1}.member`, problem, resource);
    });
    const trace = entry.TraceHeader === undefined ? undefined : stringViolation(entry.TraceHeader, TRACE_HEADER);
    if (trace) at(`${path}.traceHeader`, trace, entry.TraceHeader);
  });
  if (payload.EndpointId !== undefined && payload.EndpointId !== null) {
    const problem = stringViolation(payload.EndpointId, ENDPOINT_ID);
    if (problem) at('endpointId', problem, payload.EndpointId);
  }
  return violations;
}

/** An entry's size, as "Calculating PutEvents event entry size" counts it. */
function entrySize(entry: Entry): number {
  const bytes = (text: string | undefined) => (text === undefined ? 0 : Buffer.byteLength(text, 'utf8'));
  return (
    (entry.Time === undefined ? 0 : TIME_BYTES) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    (entry.Resources ?? []).reduce((total, resource) => total + bytes(resource), 0)
  );
}

/** The entry's event, or why EventBridge fails this entry alone. */
function checkEntry(entry: Entry): Pick<BusEvent, 'source' | 'detailType' | 'detail'> | Extract<ResultEntry, { ErrorCode: string }> {
  const { Source: source, DetailType: detailType, Detail: text } = entry;
  if (!source) return invalidArgument('Source', 'Source is a required argument.');
  if (!detailType) return invalidArgument('DetailType', 'DetailType is a required argument.');
  if (!text) return invalidArgument('Detail', 'Detail is a required argument.');
  if ([...detailType].length > DETAIL_TYPE_MAX_CHARACTERS) {
    return invalidArgument('DetailType', `DetailType must be at most ${DETAIL_TYPE_MAX_CHARACTERS} characters.`);
  }
  const detail = jsonObjectOf(text);
  if (detail === undefined) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  if (source.startsWith('aws.')) return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
  return { source, detailType, detail };
}

function invalidArgument(member: string, reason: string): { ErrorCode: string; ErrorMessage: string } {
  return { ErrorCode: 'InvalidArgument', ErrorMessage: `Parameter ${member} is not valid. Reason: ${reason}` };
}

/** `text` parsed, when it is a JSON object; else undefined. */
function jsonObjectOf(text: string): object | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The name of the account's bus that `given` (a name, or an ARN in the account's partition, region and account) names. */
function busOf(account: SimulatedAccount, given: string): string | undefined {
  const arnPrefix = `arn:aws:events:${account.region}:${account.accountId}:event-bus/`;
  const name = given.startsWith('arn:') ? (given.startsWith(arnPrefix) ? given.slice(arnPrefix.length) : undefined) : given;
  return name !== undefined && account.eventBuses.includes(name) ? name : undefined;
}

/** An event's `time`, as EventBridge writes it ("2026-01-02T03:04:05Z"). */
function eventTime(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
