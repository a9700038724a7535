import { routeOrder } from '../../functions/core/routing';

const routes = [{ name: 'sns' }, { name: 'pinpoint' }] as const;

describe('route order', () => {
  it('starts a streak on the first route and fails over to the rest', () => {
    expect(routeOrder(routes, 0).map((r) => r.name)).toEqual(['sns', 'pinpoint']);
  });

  it('starts each repeat one route further, rotating', () => {
    expect(routeOrder(routes, 1).map((r) => r.name)).toEqual(['pinpoint', 'sns']);
    expect(routeOrder(routes, 2).map((r) => r.name)).toEqual(['sns', 'pinpoint']);
    expect(routeOrder(routes, 3).map((r) => r.name)).toEqual(['pinpoint', 'sns']);
  });

  it('keeps a single route whatever the streak', () => {
    expect(routeOrder([{ name: 'sns' }], 5).map((r) => r.name)).toEqual(['sns']);
  });
});
