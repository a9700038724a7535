/**
 * The example's login function: checks the code a person typed with
 * SmsVerifyClient over direct Lambda invocation.
 */
import { SmsVerifyClient } from 'sms-verify/client';

// Built once per container. This function may only verify, so it names no send function.
const sms = new SmsVerifyClient({ transport: 'lambda', verifyFunctionName: process.env.VERIFY_FUNCTION_NAME });

export const handler = async (event: { phone: string; code: string }) => {
  const { verified } = await sms.verify({ number: event.phone, 'security-code': event.code });
  return { loggedIn: verified };
};
