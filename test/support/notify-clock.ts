/**
 * Notify counts time: a Basic configuration sends one message a second, 200 a day and 10 a day to one destination,
 * and its catalogue reads take one request a second. The SMS simulator reads the time from `Date`, so a test file of
 * Notify's routes fakes `Date` alone (timers and I/O stay real): each test starts on a UTC day of its own, where every
 * quota starts from nothing, and a test that needs the next second sets the clock to it instead of waiting for it.
 */
import { SmsRouteError } from '../../functions/core/ports';

const DAY_MS = 86_400_000;

/** Fakes `Date` only: the SDK's timeouts, the sockets and the simulator's server run on the real timers. */
export function fakeDateOnly(): void {
  jest.useFakeTimers({
    doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'],
  });
}

/**
 * 01:00 UTC of the day after the clock's (which a test may have walked on): a day no test used yet, and far from
 * midnight, so that a test that walks the clock by seconds stays on its day.
 */
export function startAFreshDay(): void {
  jest.setSystemTime((Math.floor(Date.now() / DAY_MS) + 1) * DAY_MS + 3_600_000);
}

/** Notify's pacing counts whole seconds: the next one is 1 000 ms on. */
export function nextSecond(): void {
  jest.setSystemTime(Date.now() + 1_000);
}

/** The route failure a send or call ends in; fails the test when it succeeded or failed otherwise. */
export function failureOf(sending: Promise<unknown>): Promise<SmsRouteError> {
  return sending.then(
    () => {
      throw new Error('the route delivered');
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(SmsRouteError);
      return error as SmsRouteError;
    },
  );
}
