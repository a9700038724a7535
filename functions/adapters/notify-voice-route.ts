/**
 * A call that reads the code aloud through End User Messaging Notify (`SendNotifyVoiceMessage`, pinpoint-sms-voice-v2):
 * AWS's own identities and a pre-approved voice template (Channels including VOICE), read with text-to-speech, from a
 * configuration whose EnabledChannels include VOICE. The route sends the code, not the service's script: Notify reads
 * its template with the code filled in.
 *
 * The template, and what no template can carry (refused before calling, `rejected`, so that the next route calls):
 * notify-send.ts, as for Notify's texts, with the catalogue filtered to VOICE. A configuration without the VOICE
 * channel (ValidationException CHANNEL_NOT_ENABLED), not ACTIVE, a country it does not enable, the tier's quotas
 * (shared with its texts): Notify refuses those itself, and they fail over the same way.
 */
import {
  SendNotifyVoiceMessageCommand,
  type NotifyTemplateInformation,
  type PinpointSMSVoiceV2Client,
  type VoiceId,
} from '@aws-sdk/client-pinpoint-sms-voice-v2';
import type { VoiceRoute } from '../core/ports';
import { createNotifySend, NOTIFY_MAX_DURATION_MS, templateLanguage, type NotifySendOptions } from './notify-send';
import { callTimeToLive, VOICE_ID_BY_LANGUAGE } from './voice-route';

/** As the text's; the code's validity is also how long a call may be tried: one placed after it expired is no use. */
export type NotifyVoiceRouteOptions = NotifySendOptions;

export function createNotifyVoiceRoute(client: PinpointSMSVoiceV2Client, options: NotifyVoiceRouteOptions): VoiceRoute {
  const callThroughNotify = createNotifySend(
    client,
    { name: 'notify-voice', channel: 'VOICE' },
    { ...options, timeToLiveSeconds: callTimeToLive(options.timeToLiveSeconds) },
    (input, template) => {
      const voiceId = voiceReading(template);
      return client.send(new SendNotifyVoiceMessageCommand({ ...input, ...(voiceId ? { VoiceId: voiceId } : {}) }));
    },
  );
  return {
    name: 'notify-voice',
    maxDurationMs: NOTIFY_MAX_DURATION_MS,
    call: async (message) => ({ route: 'notify-voice', messageId: await callThroughNotify(message) }),
  };
}

/**
 * The voice for the template's own language, not the request's: a Russian request read from the English template is
 * read by an English voice. Among the voices the template lists (SupportedVoiceIds) when it lists any, else its first
 * one; no VoiceId at all (Notify's own choice) for a language this service has no voice for.
 */
function voiceReading(template: NotifyTemplateInformation): VoiceId | undefined {
  const preferred: VoiceId | undefined = (VOICE_ID_BY_LANGUAGE as Partial<Record<string, VoiceId>>)[templateLanguage(template)];
  const supported = template.SupportedVoiceIds ?? [];
  if (supported.length === 0 || (preferred !== undefined && supported.includes(preferred))) return preferred;
  return supported[0];
}
