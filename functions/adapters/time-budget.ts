/**
 * Work a route does before it sends (reading the account, a template catalogue) is given a budget within the send's
 * own time: past it, the route decides without the answer instead of waiting. The work goes on, so that its answer
 * is there for the next send.
 */
export const OUT_OF_TIME = Symbol('out of time');

export async function withinMs<T>(work: Promise<T>, ms: number): Promise<T | typeof OUT_OF_TIME> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof OUT_OF_TIME>((resolve) => {
    timer = setTimeout(() => resolve(OUT_OF_TIME), ms);
    timer.unref();
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
