import { PinpointClient } from '@aws-sdk/client-pinpoint';
import { PinpointSMSVoiceV2Client } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { SNSClient } from '@aws-sdk/client-sns';
import type { SmsRoute } from '../core/ports';
import type { DeploymentSettings } from '../settings';
import { SMS_CLIENT_OPTIONS } from './client-options';
import { createPinpointRoute } from './pinpoint-sms-route';
import { createSmsVoiceV2Route } from './sms-voice-v2-route';
import { createSnsRoute } from './sns-sms-route';

/** The configured routes, in order, each with its own client (endpoints from the standard AWS_ENDPOINT_URL_* variables). */
export function createSmsRoutes(settings: DeploymentSettings): SmsRoute[] {
  const { senderId, originationNumber, maxPrice, pinpointApplicationId } = settings;
  return settings.smsRoutes.map((name) => {
    switch (name) {
      case 'sns':
        return createSnsRoute(new SNSClient(SMS_CLIENT_OPTIONS), { senderId, originationNumber, maxPrice });
      case 'pinpoint':
        return createPinpointRoute(new PinpointClient(SMS_CLIENT_OPTIONS), {
          // resolveSettings refuses the pinpoint route without an application id.
          applicationId: pinpointApplicationId!,
          senderId,
          originationNumber,
        });
      case 'sms-voice-v2':
        return createSmsVoiceV2Route(new PinpointSMSVoiceV2Client(SMS_CLIENT_OPTIONS), {
          originationIdentity: settings.originationIdentity,
          configurationSetName: settings.configurationSetName,
          protectConfigurationId: settings.protectConfigurationId,
          maxPrice,
          timeToLiveSeconds: settings.codeTtlSeconds,
        });
    }
  });
}
