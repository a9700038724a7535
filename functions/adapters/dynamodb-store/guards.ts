/**
 * Guards against a write applied twice, or late: each write that may be
 * repeated puts its own id (a "write id") into a set on the item it writes,
 * and its condition refuses an id that is already there. So
 *  - a repeat after a lost answer is refused when the first attempt applied,
 *    and the refused repeat proves that it did;
 *  - a fence (the id alone, written when the table stays away) makes sure a
 *    late copy of the write never applies, and tells whether it already had.
 *
 * Another request writing the same item in between must not erase that
 * evidence: a single slot such as `lastSendId` is overwritten by the next send,
 * and a map that every send resets loses a check's result. So the ids go into
 * sets that no request empties while an id in them is still needed.
 *
 * The sets rotate: time is cut into periods of GUARD_PERIOD_MS, and a write
 * made in period p keeps its id in set `writeIds<p mod 4>`. Every write also
 * removes the sets of periods p+1 and p+2 (mod 4, that is p-3 and p-2), which
 * only hold ids at least a whole period old. An id therefore survives at least
 * GUARD_PERIOD_MS, far longer than any request lives (20 s) or any late copy
 * of a write stays in flight; and an item holds the ids of at most four
 * periods, so it stays small. The period is the request's own (from the time
 * the request started), so every attempt and the fence of one write look in
 * the same set. `ADD` creates a set and `contains` is false on a missing one,
 * so no write needs to know whether a set exists.
 *
 * A check keeps its result beside its id, in a map of the same period
 * (`checkResults<p mod 4>`: -1 verified, 1 wrong), because its repeat must say
 * what the first attempt found. A map entry needs its map to exist, so every
 * send creates the four maps (keeping those of the current and last period,
 * emptying the two stale ones), and every check empties the stale ones too.
 */
import { randomBytes } from 'node:crypto';
import {
  composeUpdate,
  keyOf,
  pick,
  secondsOf,
  TableWriteError,
  type Item,
  type Table,
  type UpdateParts,
} from './table';

/** A new write id: 128 random bits, short, so the sets stay small. */
export const newWriteId = (): string => randomBytes(16).toString('base64url');

/** How long a write id is kept at least: far beyond a request's life (20 s) and the table's own request timeouts. */
export const GUARD_PERIOD_MS = 10 * 60_000;
const SLOTS = 4;

interface Slots {
  current: number;
  previous: number;
  /** The slots of periods p-2 and p-3: emptied by every write of period p. */
  stale: readonly [number, number];
}

function slotsAt(now: number): Slots {
  const period = Math.floor(now / GUARD_PERIOD_MS);
  return {
    current: period % SLOTS,
    previous: (period + SLOTS - 1) % SLOTS,
    stale: [(period + 1) % SLOTS, (period + 2) % SLOTS],
  };
}

export const writeIdsAttribute = (slot: number): string => `writeIds${slot}`;
export const checkResultsAttribute = (slot: number): string => `checkResults${slot}`;

/**
 * The parts of a write that carries write ids: its condition refuses them if
 * any is already there, and it records them all. `ids[0]` names the write; more
 * ids mark the same write as having done other steps too (a revocation that
 * also gave the send's count back).
 */
export function writeGuard(now: number, ids: readonly string[]): UpdateParts {
  const { current, stale } = slotsAt(now);
  const values: Item = { ':writeIds': { SS: [...ids] } };
  ids.forEach((id, i) => (values[`:writeId${i}`] = { S: id }));
  return {
    add: ['#writeIds :writeIds'],
    remove: ['#staleWriteIds0', '#staleWriteIds1'],
    conditions: ids.map((_, i) => `NOT contains(#writeIds, :writeId${i})`),
    names: {
      '#writeIds': writeIdsAttribute(current),
      '#staleWriteIds0': writeIdsAttribute(stale[0]),
      '#staleWriteIds1': writeIdsAttribute(stale[1]),
    },
    values,
  };
}

/** Whether the item (as a write or a failed condition returned it) records the write id `id` made at `now`. */
export function hasWriteId(item: Item | undefined, now: number, id: string): boolean {
  return item?.[writeIdsAttribute(slotsAt(now).current)]?.SS?.includes(id) ?? false;
}

/** A send creates the check-result maps that checks write into, and empties the stale ones. */
export function checkResultMaps(now: number): UpdateParts {
  const { current, previous, stale } = slotsAt(now);
  return {
    set: [
      '#checkResults = if_not_exists(#checkResults, :noResults)',
      '#previousCheckResults = if_not_exists(#previousCheckResults, :noResults)',
      ...staleResults(stale).set!,
    ],
    names: {
      '#checkResults': checkResultsAttribute(current),
      '#previousCheckResults': checkResultsAttribute(previous),
      ...staleResults(stale).names,
    },
    values: { ':noResults': { M: {} } },
  };
}

/**
 * A check's result, kept under its id in the current period's map:
 * `if_not_exists(<code entry>, :wrong)` reads -1 when the code was there (verified), else 1.
 */
export function checkResult(now: number, checkId: string, resultExpression: string): UpdateParts {
  const { current, stale } = slotsAt(now);
  return {
    set: [`#checkResults.#checkId = ${resultExpression}`, ...staleResults(stale).set!],
    conditions: ['attribute_exists(#checkResults)'],
    names: { '#checkResults': checkResultsAttribute(current), '#checkId': checkId, ...staleResults(stale).names },
    values: { ':noResults': { M: {} } },
  };
}

/** The result an applied check recorded: -1 verified, 1 wrong; undefined when none is there. */
export function recordedCheckResult(item: Item | undefined, now: number, checkId: string): number | undefined {
  const value = item?.[checkResultsAttribute(slotsAt(now).current)]?.M?.[checkId]?.N;
  return value === undefined ? undefined : Number(value);
}

/** Whether the item has the map a check made at `now` writes into (items written before it existed have none). */
export function hasCheckResultMap(item: Item | undefined, now: number): boolean {
  return item?.[checkResultsAttribute(slotsAt(now).current)]?.M !== undefined;
}

function staleResults(stale: readonly [number, number]): Required<Pick<UpdateParts, 'set' | 'names'>> {
  return {
    set: ['#staleCheckResults0 = :noResults', '#staleCheckResults1 = :noResults'],
    names: { '#staleCheckResults0': checkResultsAttribute(stale[0]), '#staleCheckResults1': checkResultsAttribute(stale[1]) },
  };
}

export type FenceOutcome =
  /** The fence is written: the write never applied, and now never will. */
  | { applied: false }
  /** The write had applied; `item` is the item as the fence found it. */
  | { applied: true; item: Item | undefined };

/**
 * Makes sure a write whose answer was lost never applies later, and finds out whether it already had.
 * @throws TableWriteError `unknown` when the fence itself could not be confirmed: the write's outcome stays unknown.
 */
export async function fence(table: Table, partitionKey: string, now: number, writeId: string, retainUntil: number): Promise<FenceOutcome> {
  // A fence on an item that does not exist creates one: it must expire like the item it stands for.
  const expiry: UpdateParts = {
    set: ['#expiresAt = if_not_exists(#expiresAt, :expiresAt)'],
    names: pick(['#expiresAt']),
    values: { ':expiresAt': secondsOf(retainUntil) },
  };
  // The fence marks itself too: when its own answer is lost and its repeat is refused, the refusal must be told
  // apart from one by the write it fences, which carries the bare id.
  const fenceId = `${writeId}/fence`;
  try {
    const { written, item } = await table.update(composeUpdate(keyOf(partitionKey), writeGuard(now, [writeId, fenceId]), expiry), {
      repeat: 'guarded',
    });
    if (written || hasWriteId(item, now, fenceId)) return { applied: false };
    return { applied: true, item };
  } catch (error) {
    throw error instanceof TableWriteError ? new TableWriteError('unknown', { cause: error }) : error;
  }
}
