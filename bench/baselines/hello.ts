/** Baseline: the smallest handler there is. */
export const handler = async () => ({ statusCode: 200, body: 'hello' });
