/**
 * docs/API.md's table of provider errors ("When a provider fails"), row by row, against the code: each error is
 * built from the provider's own SDK exception class where it has one (with the status and fault the SDK gives it),
 * and each Pinpoint per-address status comes back through the real route from a stubbed client.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as pinpointSdk from '@aws-sdk/client-pinpoint';
import { PinpointClient, SendMessagesCommand } from '@aws-sdk/client-pinpoint';
import * as smsVoiceV2Sdk from '@aws-sdk/client-pinpoint-sms-voice-v2';
import * as snsSdk from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { createPinpointRoute } from '../../functions/adapters/pinpoint-sms-route';
import { smsRouteFailure } from '../../functions/adapters/sms-failures';
import { mayHaveSent, type SmsFailureKind } from '../../functions/core/ports';
import type { RouteName } from '../../functions/settings';
import { GB_MOBILE } from '../support/fixtures';

interface Row {
  route: RouteName | 'any';
  error: string;
  status: number | undefined;
  kind: SmsFailureKind;
}

function tableRows(): Row[] {
  const doc = readFileSync(path.join(__dirname, '../../docs/API.md'), 'utf8');
  const table = /<!-- provider-errors:start -->([\s\S]*?)<!-- provider-errors:end -->/.exec(doc)?.[1] ?? '';
  return table
    .split('\n')
    .filter((line) => line.startsWith('| `') || line.startsWith('| any'))
    .map((line) => {
      const [route, error, status, kind] = line.split('|').slice(1, 5).map((cell) => cell.trim().replace(/`/g, ''));
      return { route: route as Row['route'], error: error!, status: status === 'none' ? undefined : Number(status), kind: kind as SmsFailureKind };
    });
}

const SDKS: Record<string, Record<string, unknown>> = { sns: snsSdk, 'sms-voice-v2': smsVoiceV2Sdk, pinpoint: pinpointSdk };

/** The error as the SDK throws it: its own exception class when it has one, else a service error with that name. */
function sdkError({ route, error, status }: Row): Error {
  const metadata = { httpStatusCode: status, attempts: 1 };
  const Exception = SDKS[route]?.[error] as (new (options: object) => Error) | undefined;
  if (Exception) return Object.assign(new Exception({ message: 'from the table', $metadata: metadata }), { $metadata: metadata });
  if (status === undefined) {
    // A Node network error, as the SDK passes it on (no status).
    const node = Object.assign(new Error(`${error} (from the table)`), { $metadata: { attempts: 1 } });
    if (error === 'TimeoutError') node.name = 'TimeoutError';
    else Object.assign(node, { code: error });
    return node;
  }
  return Object.assign(new Error('from the table'), { name: error, $fault: status >= 500 ? 'server' : 'client', $metadata: metadata });
}

const rows = tableRows();

it('the table lists every route and every kind', () => {
  expect(new Set(rows.map((row) => row.route))).toEqual(new Set(['sns', 'sms-voice-v2', 'pinpoint', 'any']));
  expect(new Set(rows.map((row) => row.kind))).toEqual(new Set(['throttled', 'rejected', 'unconfirmed', 'unreachable']));
});

describe.each(rows.filter((row) => !row.error.startsWith('DeliveryStatus')).map((row) => [`${row.route}: ${row.error}`, row] as const))(
  '%s',
  (_, row) => {
    it(`is ${row.kind}`, () => {
      const route: RouteName = row.route === 'any' ? 'sns' : row.route;
      if (row.route !== 'any' && row.error in (SDKS[row.route] ?? {})) {
        // The SDK has a class of this name: the row names the error as the SDK throws it.
        expect(sdkError(row)).toBeInstanceOf(SDKS[row.route]![row.error] as new () => Error);
      }

      const failure = smsRouteFailure(route, sdkError(row));

      expect(failure.kind).toBe(row.kind);
      expect(mayHaveSent(failure.kind)).toBe(row.kind === 'unconfirmed');
    });
  },
);

describe.each(rows.filter((row) => row.error.startsWith('DeliveryStatus')).map((row) => [row.error, row] as const))('pinpoint: %s', (_, row) => {
  it(`is ${row.kind}`, async () => {
    const status = row.error.replace('DeliveryStatus ', '');
    const client = new PinpointClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    mockClient(client)
      .on(SendMessagesCommand)
      .resolves({ MessageResponse: { ApplicationId: 'app', Result: { [GB_MOBILE]: { DeliveryStatus: status as 'THROTTLED', StatusCode: 400 } } } });
    const route = createPinpointRoute(client, { applicationId: '0123456789abcdef0123456789abcdef' });

    await expect(route.send({ to: GB_MOBILE, body: 'Your security code is 12345', code: '12345', language: 'en' })).rejects.toMatchObject({ kind: row.kind });
  });
});

it('a refusal after more than one attempt may have followed an attempt that sent', () => {
  const refused = new smsVoiceV2Sdk.ValidationException({ message: 'x', $metadata: { httpStatusCode: 400, attempts: 2 }, Reason: 'OTHER' });
  expect(smsRouteFailure('sms-voice-v2', refused).kind).toBe('unconfirmed');
});

it('names the error and an enum-like Reason in its message, and never a Reason that is free text', () => {
  const conflict = new smsVoiceV2Sdk.ConflictException({ message: 'x', $metadata: { httpStatusCode: 400 }, Reason: 'DESTINATION_PHONE_NUMBER_OPTED_OUT' });
  expect(smsRouteFailure('sms-voice-v2', conflict).message).toBe('sms-voice-v2: rejected (ConflictException DESTINATION_PHONE_NUMBER_OPTED_OUT)');
  const quoted = Object.assign(new Error('x'), { name: 'SomeNewException', Reason: 'number +447400123456 refused', $metadata: { httpStatusCode: 400 } });
  expect(smsRouteFailure('sms-voice-v2', quoted).message).toBe('sms-voice-v2: rejected (SomeNewException)');
});
