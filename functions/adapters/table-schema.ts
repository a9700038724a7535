/** The table's key and TTL attribute: one definition for the stack, the store and the local runtime. */
export const TABLE_PARTITION_KEY = 'pk';
export const TABLE_TTL_ATTRIBUTE = 'expiresAt';
/** Items of API keys (API-key mode): `apikey#<user id>`. The authorizer may read these and no other items. */
export const API_KEY_PREFIX = 'apikey#';
