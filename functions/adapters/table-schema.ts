/** The table's key and TTL attribute: one definition for the stack, the store and the local runtime. */
export const TABLE_PARTITION_KEY = 'pk';
export const TABLE_TTL_ATTRIBUTE = 'expiresAt';
/** Items of API keys (API-key mode): `apikey#<user id>`. The authorizer may read these and no other items. */
export const API_KEY_PREFIX = 'apikey#';
/**
 * Items of conversion feedback: `feedback#<send id>`, where a send's message ids meet its code's outcome. The
 * outcomes function may write these and no other items.
 */
export const FEEDBACK_PREFIX = 'feedback#';
/** Items of a number: `number#<E.164>`. The outcomes function reads their changes from the table's stream. */
export const NUMBER_PREFIX = 'number#';
/** Items of the conversion guard: `guard#<destination prefix>#<window>` (functions/adapters/dynamodb-guard.ts). */
export const GUARD_PREFIX = 'guard#';
