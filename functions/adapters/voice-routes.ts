import type { VoiceRoute } from '../core/ports';
import type { DeploymentSettings } from '../settings';
import { messageFeedbackFrom } from './message-feedback';
import { notifyOptionsFrom } from './notify-send';
import { createNotifyVoiceRoute } from './notify-voice-route';
import { sharedSmsVoiceClient } from './sms-routes';
import { createVoiceRoute } from './voice-route';

/**
 * The configured voice routes, in order. Both are End User Messaging's: pass the client getter createSmsRoutes is
 * given, and a container's texts and calls share one client (endpoint from AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2).
 */
export function createVoiceRoutes(settings: DeploymentSettings, smsVoiceClient = sharedSmsVoiceClient()): VoiceRoute[] {
  return settings.voiceRoutes.map((name) => {
    switch (name) {
      case 'voice':
        return createVoiceRoute(smsVoiceClient(), {
          // resolveSettings refuses the voice route without an origination identity.
          originationIdentity: settings.voiceOriginationIdentity!,
          maxPricePerMinute: settings.maxPricePerMinute,
          configurationSetName: settings.configurationSetName,
          messageFeedback: messageFeedbackFrom(settings),
          timeToLiveSeconds: settings.codeTtlSeconds,
        });
      case 'notify-voice':
        return createNotifyVoiceRoute(smsVoiceClient(), notifyOptionsFrom(settings, 'notify-voice'));
    }
  });
}
