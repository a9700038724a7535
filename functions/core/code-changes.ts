/**
 * What one write to a number's item did to its code, from the item before and after it (the table's stream): the
 * one reading of a number's changes that conversion feedback (outcomes.ts), the events (events.ts) and the
 * conversion guard (guard.ts, through the outcomes handler) all act on.
 */

/** The state of a number's code as one image of its item shows it. */
export interface CodeState {
  /** The send the current code came from ('' or absent: none, or a code recorded before sends were named). */
  sendId?: string;
  /** Whether the code is still there to be used. */
  hasCode: boolean;
  /** The send whose code the current one replaced (kept until a revocation could put it back). */
  previousSendId?: string;
  /** Whether that replaced code is still kept (a revocation of it strikes it out). */
  previousHasCode?: boolean;
}

/** One write to a number's item, as the table's stream shows it: the item before and after. */
export interface NumberChange {
  before?: CodeState;
  after?: CodeState;
}

/**
 * Whether a write recorded a new send's code (its record names the replaced send as its previous one), a check used
 * the code (a code recorded before sends were named has no send id: its presence alone says so), or a revocation
 * took back a send no route took.
 */
export function codeChangeOf({ before, after }: NumberChange): { recorded: boolean; verified: boolean; revoked: boolean } {
  if (!after) return { recorded: false, verified: false, revoked: false };
  const recorded = after.sendId !== undefined && after.sendId !== before?.sendId && after.previousSendId === before?.sendId;
  const verified = !recorded && before?.hasCode === true && !after.hasCode && after.sendId === before.sendId;
  // A send no route took: its code put back to the one before, or struck from the previous slot when a later send had
  // replaced it meanwhile.
  const revoked =
    !recorded &&
    ((Boolean(before?.sendId) && before!.hasCode && after.sendId !== before!.sendId) ||
      (before?.previousSendId !== undefined &&
        after.previousSendId === before.previousSendId &&
        after.sendId === before.sendId &&
        before.previousHasCode === true &&
        !after.previousHasCode));
  return { recorded, verified, revoked };
}

