import { PinpointClient } from '@aws-sdk/client-pinpoint';
import { PinpointSMSVoiceV2Client } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { SNSClient } from '@aws-sdk/client-sns';
import type { SmsRoute } from '../core/ports';
import type { DeploymentSettings } from '../settings';
import { SMS_CLIENT_OPTIONS } from './client-options';
import { messageFeedbackFrom } from './message-feedback';
import { createNotifyRoute } from './notify-route';
import { notifyOptionsFrom } from './notify-send';
import { createPinpointRoute } from './pinpoint-sms-route';
import { createSmsVoiceV2Route } from './sms-voice-v2-route';
import { createSnsRoute } from './sns-sms-route';

/**
 * One End User Messaging client, made when a route first asks for it. Given to both createSmsRoutes and
 * createVoiceRoutes, its routes of both channels share one connection pool per container.
 */
export function sharedSmsVoiceClient(): () => PinpointSMSVoiceV2Client {
  let client: PinpointSMSVoiceV2Client | undefined;
  return () => (client ??= new PinpointSMSVoiceV2Client(SMS_CLIENT_OPTIONS));
}

/**
 * The configured routes, in order, each with its own client (endpoints from the standard AWS_ENDPOINT_URL_* variables),
 * End User Messaging's two routes with one client.
 */
export function createSmsRoutes(settings: DeploymentSettings, smsVoiceClient = sharedSmsVoiceClient()): SmsRoute[] {
  const { senderId, originationNumber, maxPrice, pinpointApplicationId } = settings;
  return settings.smsRoutes.map((name) => {
    switch (name) {
      case 'notify':
        return createNotifyRoute(smsVoiceClient(), notifyOptionsFrom(settings, 'notify'));
      case 'sns':
        return createSnsRoute(new SNSClient(SMS_CLIENT_OPTIONS), { senderId, originationNumber, maxPrice, accountViewSeconds: settings.accountViewSeconds });
      case 'pinpoint':
        return createPinpointRoute(new PinpointClient(SMS_CLIENT_OPTIONS), {
          // resolveSettings refuses the pinpoint route without an application id.
          applicationId: pinpointApplicationId!,
          senderId,
          originationNumber,
        });
      case 'sms-voice-v2':
        return createSmsVoiceV2Route(smsVoiceClient(), {
          originationIdentity: settings.originationIdentity,
          configurationSetName: settings.configurationSetName,
          messageFeedback: messageFeedbackFrom(settings),
          protectConfigurationId: settings.protectConfigurationId,
          maxPrice,
          timeToLiveSeconds: settings.codeTtlSeconds,
        });
    }
  });
}
