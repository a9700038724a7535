/**
 * sms-verify as a CDK construct library: `import { SmsVerify } from 'sms-verify'`.
 * The typed client is `sms-verify/client`, which pulls in no CDK.
 */
export { SmsVerify, addSmsVerifyOutputs, API_AUTH_MODES, type ApiAuth, type SmsVerifyProps } from './sms-verify';
export { SmsVerifyStack, settingsFromContext, type SmsVerifyStackProps } from './sms-verify-stack';
export { SmsVerifyMonitoring, type SmsVerifyMonitoringProps } from './monitoring';
export {
  InvalidSettingError,
  ROUTE_NAMES,
  SETTING_SPECS,
  SMS_NUMBER_TYPES,
  type DeploymentSettings,
  type DeploymentSettingsInput,
  type RouteName,
  type SmsNumberType,
} from '../functions/settings';
