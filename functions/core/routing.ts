
/**
 * The order in which one send tries the configured routes. The first send of
 * a streak starts at the first route; each repeat within the route-switch
 * window starts one route further, so a person who asks again because a text
 * did not arrive gets it through another provider. The remaining routes follow
 * as failover, in configured order.
 */
export function routeOrder<R>(routes: readonly R[], routeStreak: number): R[] {
  if (routes.length === 0) return [];
  const start = ((routeStreak % routes.length) + routes.length) % routes.length;
  return [...routes.slice(start), ...routes.slice(0, start)];
}
