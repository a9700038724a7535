import type { VoiceRoute } from '../core/ports';
import { InvalidSettingError, type DeploymentSettings } from '../settings';
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
          timeToLiveSeconds: settings.codeTtlSeconds,
        });
      case 'notify-voice':
        // The stack sets the id of the configuration it makes for notifyDisplayName; elsewhere it must be given.
        if (!settings.notifyConfigurationId) {
          throw new InvalidSettingError('notifyConfigurationId', 'the notify-voice route needs the id of the configuration to call through (NOTIFY_CONFIGURATION_ID)');
        }
        return createNotifyVoiceRoute(smsVoiceClient(), {
          configurationId: settings.notifyConfigurationId,
          displayName: settings.notifyDisplayName,
          configurationSetName: settings.configurationSetName,
          timeToLiveSeconds: settings.codeTtlSeconds,
        });
    }
  });
}
