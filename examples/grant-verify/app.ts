#!/usr/bin/env node
// npx cdk synth --app "npx tsx examples/grant-verify/app.ts"
import { App } from 'aws-cdk-lib';
import { LoginExampleStack } from './stack';

new LoginExampleStack(new App(), 'LoginExample');
