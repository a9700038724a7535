/** The table's key and TTL attribute: one definition for the stack, the store and the local runtime. */
export const TABLE_PARTITION_KEY = 'pk';
export const TABLE_TTL_ATTRIBUTE = 'expiresAt';
