/**
 * An example of sms-verify inside a team's own CDK app: the SmsVerify
 * construct, and the team's login function, which may check codes (and
 * nothing else) by invoking the verify function directly.
 */
import * as path from 'node:path';
import { Stack, type StackProps } from 'aws-cdk-lib';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
// The package's name, as a team's app imports it (in this repository it resolves to the sources: tsconfig paths).
import { SmsVerify } from 'sms-verify';

export class LoginExampleStack extends Stack {
  readonly verification: SmsVerify;
  readonly login: NodejsFunction;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);

    this.verification = new SmsVerify(this, 'Verification', {
      allowedCountries: ['GB', 'IE'],
      originationIdentity: 'pool-0123456789abcdef0123456789abcdef',
    });

    this.login = new NodejsFunction(this, 'Login', {
      entry: path.join(__dirname, 'login.ts'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      bundling: { format: OutputFormat.ESM, minify: true },
      environment: { VERIFY_FUNCTION_NAME: this.verification.verifyFunction.functionName },
    });
    // The login function may check codes: invoke the verify function (and call its API route). It cannot send.
    this.verification.grantVerify(this.login);
  }
}
