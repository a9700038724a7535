/**
 * SMS through End User Messaging Notify (`SendNotifyTextMessage`, pinpoint-sms-voice-v2): AWS's own identities and a
 * pre-approved code-verification template, so a new account can text a code minutes after its Notify configuration
 * is created. The route sends the code, not the service's text: Notify fills the template with it.
 *
 * Which template, and what Notify cannot carry (refused before sending, so that the next route carries it):
 * notify-send.ts. A country the configuration does not enable, a configuration that is not ACTIVE, the tier's daily
 * and per-second quotas: Notify refuses those itself (ValidationException, ConflictException, ServiceQuotaExceeded-
 * and ThrottlingException), and they fail over the same way.
 */
import { SendNotifyTextMessageCommand, type PinpointSMSVoiceV2Client } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import type { SmsRoute } from '../core/ports';
import { createNotifySend, NOTIFY_MAX_DURATION_MS, type NotifySendOptions } from './notify-send';

export type NotifyRouteOptions = NotifySendOptions;

export function createNotifyRoute(client: PinpointSMSVoiceV2Client, options: NotifyRouteOptions): SmsRoute {
  const sendThroughNotify = createNotifySend(client, { name: 'notify', channel: 'SMS' }, options, (input) =>
    client.send(new SendNotifyTextMessageCommand(input)),
  );
  return {
    name: 'notify',
    maxDurationMs: NOTIFY_MAX_DURATION_MS,
    send: async (message) => ({ route: 'notify', messageId: await sendThroughNotify(message) }),
  };
}
