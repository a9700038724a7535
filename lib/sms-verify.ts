/**
 * SmsVerify: the whole service as one construct — the HTTP API with IAM
 * authorization, the send and verify functions, the table and the code key.
 * The project's own stack uses it; a team can drop it into its own CDK app.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { ArnFormat, CfnOutput, Duration, Names, RemovalPolicy, Stack, Validations, type CfnResource } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpRoute, HttpRouteKey, HttpStage, LogGroupLogDestination, type ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AttributeType, Billing, StreamViewType, TableV2, type ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, PolicyStatement, Role, ServicePrincipal, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, Function as LambdaFunction, Runtime, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { AUTHORIZER_TIMEOUT_SECONDS, FUNCTION_TIMEOUT_SECONDS, OUTCOMES_TIMEOUT_SECONDS } from '../functions/adapters/client-options';
import { API_KEY_PREFIX, TABLE_PARTITION_KEY, TABLE_TTL_ATTRIBUTE } from '../functions/adapters/table-schema';
import { SmsVerifyMonitoring } from './monitoring';
import { NotifyConfiguration } from './notify-configuration';
import { Outcomes } from './outcomes';
import { grantSmsRoutes, notifyConfigurationArn } from './sms-route-grants';
import {
  InvalidSettingError,
  resolveSettings,
  SETTING_SPECS,
  settingsToEnvironment,
  type DeploymentSettings,
  type DeploymentSettingsInput,
} from '../functions/settings';

/** How the HTTP API authorizes its callers. */
export type ApiAuth = DeploymentSettings['auth'];
export const API_AUTH_MODES: readonly ApiAuth[] = SETTING_SPECS.auth.values;

export interface SmsVerifyProps extends DeploymentSettingsInput {
  /**
   * How the HTTP API authorizes its callers:
   *  - `iam`: SigV4 from a principal allowed `execute-api:Invoke` on the route (see grantSend, grantVerify);
   *  - `api-key`: NeutrinoAPI-style `User-ID` and `API-Key` headers, checked by a Lambda authorizer against the keys
   *    kept (as digests) in the table, made with `npm run keys -- create <user-id>`; the key's user id is the caller
   *    of the per-caller limits. For NeutrinoAPI's clients, which cannot sign requests.
   * One API has one authorizer per route, so a deployment picks one; a direct invocation of the functions is IAM's
   * either way. Also CDK context `auth`; `authorizerCacheSeconds` sets how long the authorizer remembers a key.
   * @default 'iam'
   */
  readonly auth?: ApiAuth;
  /**
   * What happens to the table, the code key and the Notify configuration when the stack is deleted. Retained, the
   * table is also protected from deletion; a new deployment adopts the old table and key with the settings
   * `existingTableName` and `existingCodeKeySecretArn`, and only then do codes, limits, locks and API keys carry on.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Stage-wide request rate limits of the HTTP API.
   * @default 50 requests per second, bursts of 100
   */
  readonly throttle?: ThrottleSettings;
  /**
   * Retention of the functions' and the API's logs.
   * @default one month
   */
  readonly logRetention?: RetentionDays;
  /**
   * Whether to create the CloudWatch dashboard and alarms.
   * @default true
   */
  readonly monitoring?: boolean;
  /**
   * SNS topic the alarms notify (on alarm and on recovery). Also the settings `alarmTopicArn` (a topic of your own) and
   * `alarmEmail` (the construct makes a topic with that address subscribed).
   * @default no notifications; the alarms still show in CloudWatch
   */
  readonly alarmTopic?: ITopic;
  /**
   * The conversion alarm fires when fewer than this share of sent codes is verified in an hour with 20 or more sends.
   * @default 30
   */
  readonly conversionAlarmPercent?: number;
  /**
   * CloudWatch namespace of the service's metrics.
   * @default `SmsVerify/<stack name>/<construct id>`, so that two deployments in one account never mix
   */
  readonly metricsNamespace?: string;
}

/** The bundling the deployed functions use; the benchmark builds with the same settings. */
export const FUNCTION_BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  target: 'node24',
  minify: true,
  sourceMap: false,
  mainFields: ['module', 'main'],
  // The SDK is bundled, not taken from the runtime: tree-shaken and minified it loads faster, and the
  // version that runs is the version the tests ran.
  externalModules: [],
  // Lambda gives credentials in environment variables: the SDK's default chain is swapped for the env provider.
  esbuildArgs: {
    '--alias': [`@aws-sdk/credential-provider-node=${path.join(__dirname, '..', 'functions', 'adapters', 'lambda-credentials.ts')}`],
  },
  // Some dependencies still `require()` Node built-ins; ESM output needs a `require` to give them.
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  forceDockerBundling: false,
};

export const FUNCTIONS_DIRECTORY = path.join(__dirname, '..', 'functions');
/** Where the npm package keeps the functions bundled by `npm run build` (dist/assets, beside dist/lib). */
export const PREBUILT_FUNCTIONS_DIRECTORY = path.join(__dirname, '..', 'assets');

/**
 * A REQUEST authorizer with simple responses. It has no identity sources and API Gateway caches nothing: with them,
 * an HTTP API answers missing headers 401 `{"message":"Unauthorized"}` itself (it has no gateway responses to change
 * that), and a refusal 403 `{"message":"Forbidden"}`. Instead the authorizer runs for every request, remembers keys
 * for `authorizerCacheSeconds` itself, and passes a refusal on to the route's function, which answers it first, in
 * the API's envelope (functions/entry/authorize-handler.ts).
 */
function keyAuthorizer(fn: LambdaFunction): HttpLambdaAuthorizer {
  return new HttpLambdaAuthorizer('ApiKeyAuthorizer', fn, {
    responseTypes: [HttpLambdaResponseType.SIMPLE],
    identitySource: [],
    resultsCacheTtl: Duration.seconds(0),
  });
}

export class SmsVerify extends Construct {
  /** The settings the functions run with, validated, defaults applied. */
  readonly settings: DeploymentSettings;
  readonly api: HttpApi;
  readonly stage: HttpStage;
  /** The API's base URL, e.g. https://abc123.execute-api.eu-west-1.amazonaws.com/ */
  readonly url: string;
  readonly sendFunction: LambdaFunction;
  readonly verifyFunction: LambdaFunction;
  /** How the API authorizes callers. */
  readonly auth: ApiAuth;
  /** The Lambda authorizer of API-key mode. */
  readonly authorizerFunction?: LambdaFunction;
  /** The table: made by the construct, or adopted (`existingTableName`). */
  readonly table: ITableV2;
  /** The code key: made by the construct, or adopted (`existingCodeKeySecretArn`). */
  readonly codeKey: ISecret;
  /** The CloudWatch namespace of the service's metrics. */
  readonly metricsNamespace: string;
  /** The Notify configuration the stack made for `notifyDisplayName`. */
  readonly notifyConfiguration?: NotifyConfiguration;
  /** The topic the alarms notify, when one was given or made. */
  readonly alarmTopic?: ITopic;
  /** The dashboard and alarms, unless `monitoring` is false. */
  readonly monitoring?: SmsVerifyMonitoring;
  /**
   * What became of each code, off the request path, when conversion feedback or events are on: the outcomes
   * function's stream, dead-letter queue and, with feedback, its configuration set and receipts topic.
   */
  readonly outcomes?: Outcomes;
  /** The function that follows each code off the request path (conversion feedback, events). */
  readonly outcomesFunction?: LambdaFunction;
  /** The EventBridge bus the service's events go to (`events`). */
  readonly eventBus?: EventBus;

  constructor(scope: Construct, id: string, props: SmsVerifyProps = {}) {
    super(scope, id);
    this.settings = resolveSettings(props);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;

    // Kept when the stack is deleted, and protected from deletion while it stands; a later deployment adopts both by
    // name (existingTableName, existingCodeKeySecretArn), so that what the table holds carries on (docs/DEPLOY.md, "What survives what").
    const { existingTableName, existingCodeKeySecretArn } = this.settings;
    if (Boolean(existingTableName) !== Boolean(existingCodeKeySecretArn)) {
      throw new InvalidSettingError(existingTableName ? 'existingCodeKeySecretArn' : 'existingTableName', 'adopt the table and the code key together: the table holds digests made with that key');
    }
    this.table = existingTableName
      ? TableV2.fromTableName(this, 'Table', existingTableName)
      : new TableV2(this, 'Table', {
          partitionKey: { name: TABLE_PARTITION_KEY, type: AttributeType.STRING },
          billing: Billing.onDemand(),
          timeToLiveAttribute: TABLE_TTL_ATTRIBUTE,
          pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
          deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
          // What became of each code is read from here, off the request path (lib/outcomes.ts).
          dynamoStream: StreamViewType.NEW_AND_OLD_IMAGES,
          removalPolicy,
        });

    if (existingCodeKeySecretArn) {
      this.codeKey = Secret.fromSecretCompleteArn(this, 'CodeKey', existingCodeKeySecretArn);
    } else {
      const codeKey = new Secret(this, 'CodeKey', {
        description: 'HMAC key for the digests of SMS verification codes',
        generateSecretString: { passwordLength: 64, excludePunctuation: true },
        removalPolicy,
      });
      Validations.of(codeKey).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The key only protects digests of codes that live 10 minutes; the functions read it once per container, so a ' +
          'rotation would invalidate codes in flight. Replace it by hand (or redeploy the secret) after a suspected leak.',
      });
      this.codeKey = codeKey;
    }

    this.metricsNamespace = props.metricsNamespace ?? `SmsVerify/${Stack.of(this).stackName}/${id}`;
    if (this.settings.notifyDisplayName) this.notifyConfiguration = this.createNotifyConfiguration(this.settings.notifyDisplayName, removalPolicy);
    const notify = this.notifyConfiguration ?? this.existingNotifyConfiguration();
    // Conversion feedback needs receipts, which come only through a configuration set's event destination: the stack
    // makes the set, so it is on only when no set of the team's own is given, and the table (and its stream) is the stack's.
    const endUserMessaging = this.settings.smsRoutes.some((route) => route === 'sms-voice-v2' || route === 'notify') || this.settings.voiceRoutes.length > 0;
    const feedback = this.settings.conversionFeedback && endUserMessaging && !this.settings.configurationSetName && !existingTableName;
    this.settings = feedback
      ? { ...this.settings, configurationSetName: configurationSetNameFor(this) }
      : { ...this.settings, conversionFeedback: false };
    const environment = {
      ...settingsToEnvironment(this.settings),
      ...(notify ? { NOTIFY_CONFIGURATION_ID: notify.configurationId } : {}),
      TABLE_NAME: this.table.tableName,
      CODE_HASH_SECRET_ID: this.codeKey.secretArn,
      METRICS_NAMESPACE: this.metricsNamespace,
    };
    this.sendFunction = this.createFunction('SendFunction', 'send.ts', environment, logRetention, FUNCTION_TIMEOUT_SECONDS, this.settings.sendConcurrency);
    this.verifyFunction = this.createFunction('VerifyFunction', 'verify.ts', environment, logRetention, FUNCTION_TIMEOUT_SECONDS, this.settings.verifyConcurrency);

    // Each function may do exactly what its code does: conditional UpdateItems (no transactions: a send's counters,
    // claim and number are single-item writes, and so is a check), and one secret read.
    for (const fn of [this.sendFunction, this.verifyFunction]) {
      Grant.addToPrincipal({ grantee: fn, actions: ['dynamodb:UpdateItem'], resourceArns: [this.table.tableArn] });
      Grant.addToPrincipal({ grantee: fn, actions: ['secretsmanager:GetSecretValue'], resourceArns: [this.codeKey.secretArn] });
    }
    // A repeat of an idempotent send reads the first request's record while that request is in progress.
    Grant.addToPrincipal({ grantee: this.sendFunction, actions: ['dynamodb:GetItem'], resourceArns: [this.table.tableArn] });
    grantSmsRoutes(this.sendFunction, this.settings, notify);
    if (this.settings.events && existingTableName) {
      throw new InvalidSettingError('events', 'events are read from the table\'s stream, which an adopted table (existingTableName) may not have');
    }
    // The conversion guard is on by default: it needs the stream and a prefix limit to pause on.
    const guard = this.settings.conversionGuardMinSends > 0 && this.settings.prefixSendLimit > 0 && !existingTableName;
    if (feedback || this.settings.events || guard) {
      if (this.settings.events) {
        // Named from the construct's path, the stack's name first: two deployments never share a bus.
        this.eventBus = new EventBus(this, 'Events', { eventBusName: Names.uniqueResourceName(this, { maxLength: 200, separator: '-' }) });
      }
      this.outcomesFunction = this.createFunction(
        'OutcomesFunction',
        'outcomes.ts',
        {
          ...settingsToEnvironment(this.settings),
          TABLE_NAME: this.table.tableName,
          METRICS_NAMESPACE: this.metricsNamespace,
          ...(this.eventBus ? { EVENT_BUS_NAME: this.eventBus.eventBusName } : {}),
        },
        logRetention,
        OUTCOMES_TIMEOUT_SECONDS,
      );
      this.outcomes = new Outcomes(this, 'Outcomes', {
        table: this.table,
        fn: this.outcomesFunction,
        configurationSetName: feedback ? this.settings.configurationSetName : undefined,
        eventBus: this.eventBus,
        guard,
      });
      // The send function sends through the set once it exists, with its event destination.
      if (this.outcomes.configurationSet) this.sendFunction.node.addDependency(this.outcomes.configurationSet);
    }

    this.auth = this.settings.auth;
    if (this.auth === 'api-key') this.authorizerFunction = this.createAuthorizerFunction(logRetention);
    const authorizer = this.authorizerFunction ? keyAuthorizer(this.authorizerFunction) : new HttpIamAuthorizer();
    this.api = new HttpApi(this, 'Api', {
      // The stack's name in the API's: two deployments in one account and Region tell their APIs apart.
      apiName: `${Stack.of(this).stackName}-${id}`,
      description: 'SMS verification: send and check one-time codes',
      createDefaultStage: false,
      defaultAuthorizer: authorizer,
    });
    // Under /aws/vendedlogs/: API Gateway adds every access-log group outside it to the account's CloudWatch Logs
    // resource policy, which is capped at 5 120 characters, and deploys then fail with "Cannot enable logging".
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      // Named from the construct's whole path, the stack's name first: two stacks never share (or collide on) it.
      logGroupName: `/aws/vendedlogs/apigateway/${Names.uniqueResourceName(this, { maxLength: 200, separator: '-' })}-access`,
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        // No body and no query string: requests carry phone numbers and codes.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            route: '$context.routeKey',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            sourceIp: '$context.identity.sourceIp',
            principal: '$context.identity.userArn',
            // API-key mode: the key's user, and the authorizer's own failure (a 500 before any function ran).
            userId: '$context.authorizer.userId',
            authorizerError: '$context.authorizer.error',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    // The API's base URL without a trailing slash: clients append "/sms-verify" (NeutrinoAPI's do), and API Gateway
    // routes "//sms-verify" to no route, as a different path (the stage URL ends with "/").
    this.url = this.api.apiEndpoint;

    const sendIntegration = new HttpLambdaIntegration('SendIntegration', this.sendFunction);
    const verifyIntegration = new HttpLambdaIntegration('VerifyIntegration', this.verifyFunction);
    this.api.addRoutes({ path: '/sms-verify', methods: [HttpMethod.POST], integration: sendIntegration });
    // NeutrinoAPI Phone Verify: the send function places the call (one function, one set of limits and clients).
    this.api.addRoutes({ path: '/phone-verify', methods: [HttpMethod.POST], integration: sendIntegration });
    // GET with the parameters in the query string, as NeutrinoAPI's clients check codes (the access log holds the
    // route, never the path or query).
    this.api.addRoutes({ path: '/verify-security-code', methods: [HttpMethod.POST, HttpMethod.GET], integration: verifyIntegration });
    // Without these, API Gateway answers a wrong method or path with its own {"message":"Not Found"}. With them, a
    // caller allowed to reach them gets the API's envelope: 405 (with Allow) from the route's own function for its
    // path's other methods, and 404/45 from the smaller verify function for any other path. A more specific route
    // always wins over ANY, and any route over $default.
    this.api.addRoutes({ path: '/sms-verify', methods: [HttpMethod.ANY], integration: sendIntegration });
    this.api.addRoutes({ path: '/phone-verify', methods: [HttpMethod.ANY], integration: sendIntegration });
    this.api.addRoutes({ path: '/verify-security-code', methods: [HttpMethod.ANY], integration: verifyIntegration });
    new HttpRoute(this, 'DefaultRoute', {
      httpApi: this.api,
      routeKey: HttpRouteKey.DEFAULT,
      integration: verifyIntegration,
      authorizer,
    });

    if (props.monitoring ?? true) {
      this.alarmTopic = props.alarmTopic ?? this.alarmTopicFromSettings();
      this.monitoring = new SmsVerifyMonitoring(this, 'Monitoring', {
        namespace: this.metricsNamespace,
        sendFunction: this.sendFunction,
        verifyFunction: this.verifyFunction,
        authorizerFunction: this.authorizerFunction,
        globalSendLimit: this.settings.globalSendLimit,
        globalSendWindowSeconds: this.settings.globalSendWindowSeconds,
        alarmTopic: this.alarmTopic,
        conversionAlarmPercent: props.conversionAlarmPercent ?? 30,
        notifyDailyLimit:
          this.settings.smsRoutes.includes('notify') || this.settings.voiceRoutes.includes('notify-voice') ? this.settings.notifyDailyLimit : undefined,
        notifyCalls: this.settings.voiceRoutes.includes('notify-voice'),
        calls: this.settings.voiceRoutes.length > 0,
        globalCallLimit: this.settings.globalCallLimit,
        globalCallWindowSeconds: this.settings.globalCallWindowSeconds,
        outcomes:
          this.outcomesFunction && this.outcomes
            ? { outcomesFunction: this.outcomesFunction, deadLetters: this.outcomes.deadLetters, feedback: this.outcomes.configurationSet !== undefined }
            : undefined,
        guard,
      });
    }
  }

  /**
   * The Notify configuration the stack makes for `notifyDisplayName`. Not with `notifyConfigurationId` as well: the
   * stack could not tell which of the two the notify route should send through.
   */
  private createNotifyConfiguration(notifyDisplayName: string, removalPolicy: RemovalPolicy): NotifyConfiguration {
    if (this.settings.notifyConfigurationId) {
      throw new InvalidSettingError(
        'notifyDisplayName',
        'give notifyDisplayName (the stack makes a Notify configuration) or notifyConfigurationId (an existing one), not both',
      );
    }
    return new NotifyConfiguration(this, 'NotifyConfiguration', { ...this.settings, notifyDisplayName }, removalPolicy);
  }

  /** The existing Notify configuration `notifyConfigurationId` names. */
  private existingNotifyConfiguration(): { configurationId: string; configurationArn: string } | undefined {
    const id = this.settings.notifyConfigurationId;
    return id ? { configurationId: id, configurationArn: notifyConfigurationArn(Stack.of(this), id) } : undefined;
  }

  /** The topic of `alarmTopicArn`, or one made for `alarmEmail` (encrypted, HTTPS only), or none. */
  private alarmTopicFromSettings(): ITopic | undefined {
    const { alarmTopicArn, alarmEmail } = this.settings;
    if (alarmTopicArn && alarmEmail) {
      throw new InvalidSettingError('alarmEmail', 'give alarmTopicArn (a topic of your own) or alarmEmail (the stack makes one), not both');
    }
    if (alarmTopicArn) return Topic.fromTopicArn(this, 'AlarmTopic', alarmTopicArn);
    if (!alarmEmail) return undefined;
    // A key of the stack's own: CloudWatch cannot publish to a topic under the AWS managed alias/aws/sns, whose
    // policy cannot let it use the key (Knowledge Center, "configure a CloudWatch alarm with an encrypted SNS topic").
    // Deleted with the topic it encrypts (after KMS's shortest waiting period): it keeps nothing worth retaining.
    const key = new Key(this, 'AlarmTopicKey', {
      description: 'sms-verify alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    const topic = new Topic(this, 'AlarmTopic', { displayName: 'sms-verify alarms', enforceSSL: true, masterKey: key });
    topic.addSubscription(new EmailSubscription(alarmEmail));
    return topic;
  }

  /** Lets a principal send codes: through the API (SigV4-signed POST /sms-verify) or by invoking the function. */
  grantSend(grantee: IGrantable): Grant {
    return this.grantRoute(grantee, '/sms-verify', ['POST'], this.sendFunction);
  }

  /**
   * Lets a principal have codes read aloud in a call: through the API (SigV4-signed POST /phone-verify) or by invoking
   * the send function (which is also what grantSend gives).
   */
  grantCall(grantee: IGrantable): Grant {
    return this.grantRoute(grantee, '/phone-verify', ['POST'], this.sendFunction);
  }

  /** Lets a principal check codes: through the API (SigV4-signed POST /verify-security-code) or by invoking the function. */
  grantVerify(grantee: IGrantable): Grant {
    return this.grantRoute(grantee, '/verify-security-code', ['POST', 'GET'], this.verifyFunction);
  }

  private grantRoute(grantee: IGrantable, routePath: string, methods: readonly string[], fn: IFunction): Grant {
    const viaApi = Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: methods.map((method) => this.api.arnForExecuteApi(method, routePath, '$default')),
    });
    return viaApi.combine(fn.grantInvoke(grantee));
  }

  /** API-key mode's authorizer function: it may read the key items of the table and nothing else. */
  private createAuthorizerFunction(logRetention: RetentionDays): LambdaFunction {
    const fn = this.createFunction(
      'AuthorizerFunction',
      'authorize.ts',
      { TABLE_NAME: this.table.tableName, AUTHORIZER_CACHE_SECONDS: String(this.settings.authorizerCacheSeconds) },
      logRetention,
      AUTHORIZER_TIMEOUT_SECONDS,
      this.settings.authorizerConcurrency,
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:GetItem'],
        resources: [this.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${API_KEY_PREFIX}*`] } },
      }),
    );
    return fn;
  }

  private createFunction(
    id: string,
    entryFile: string,
    environment: Record<string, string>,
    retention: RetentionDays,
    timeoutSeconds = FUNCTION_TIMEOUT_SECONDS,
    reservedConcurrency = 0,
  ): LambdaFunction {
    const logGroup = new LogGroup(this, `${id}Logs`, { retention, removalPolicy: RemovalPolicy.DESTROY });
    // An own role instead of the default one with AWSLambdaBasicExecutionRole: it may write to this function's
    // log group only, not create or write any log group in the account.
    const role = new Role(this, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        // logGroupArn already ends in ":*"; the streams' ARN is the group's name, then ":log-stream:<name>".
        resources: [
          Stack.of(this).formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: `${logGroup.logGroupName}:log-stream:*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    const stack = Stack.of(this);
    const logGroupId = stack.resolve(stack.getLogicalId(logGroup.node.defaultChild as CfnResource)) as string;
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:<${logGroupId}>:log-stream:*]`,
      reason: 'Lambda names its log streams at run time; the wildcard is confined to this function\'s own log group.',
    });
    const common = {
      role,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      // The slowest send (counts, table, every route, table) is bounded at ~20 s; see functions/adapters/client-options.ts.
      timeout: Duration.seconds(timeoutSeconds),
      // A bound on what this function may take of the Region's concurrency: a slow provider makes sends wait, and
      // without it they could starve every other function of the account (docs/SCALE.md, "Concurrency").
      ...(reservedConcurrency > 0 ? { reservedConcurrentExecutions: reservedConcurrency } : {}),
      environment,
      logGroup,
    };
    // Installed from npm, the package carries the functions already bundled (npm run build): a team's synth needs
    // neither esbuild nor the TypeScript sources nor Docker. In this repository, esbuild bundles the sources.
    const prebuilt = path.join(PREBUILT_FUNCTIONS_DIRECTORY, path.basename(entryFile, '.ts'));
    if (existsSync(path.join(prebuilt, 'index.mjs'))) {
      return new LambdaFunction(this, id, { ...common, code: Code.fromAsset(prebuilt), handler: 'index.handler' });
    }
    return new NodejsFunction(this, id, {
      ...common,
      entry: path.join(FUNCTIONS_DIRECTORY, entryFile),
      handler: 'handler',
      bundling: FUNCTION_BUNDLING,
    });
  }
}

/** Stack outputs for the service's URL and function names. */
export function addSmsVerifyOutputs(scope: Construct, service: SmsVerify): void {
  new CfnOutput(scope, 'ApiUrl', { value: service.url, description: 'Base URL of the SMS verification API' });
  // NeutrinoAPI's clients join their base URL and the endpoint with nothing between, except its Node.js client.
  new CfnOutput(scope, 'NeutrinoApiBaseUrl', {
    value: `${service.url}/`,
    description: "Base URL for NeutrinoAPI's Python, Java, Go, Rust, .NET and PHP clients (its Node.js client takes ApiUrl)",
  });
  new CfnOutput(scope, 'SendFunctionName', { value: service.sendFunction.functionName });
  new CfnOutput(scope, 'VerifyFunctionName', { value: service.verifyFunction.functionName });
  // `sms-verify keys … --stack <name>` (and the doctor) find the table here.
  new CfnOutput(scope, 'TableName', { value: service.table.tableName, description: 'The service\'s table (codes as digests, limits, API keys)' });
  // What still stands between this deployment and a text on a phone: sandbox, spend limits, identities, Notify.
  new CfnOutput(scope, 'DoctorCommand', {
    value: `npx sms-verify doctor --stack ${Stack.of(scope).stackName}`,
    description: 'Says, per country, which route would carry a code and what blocks the others',
  });
  if (service.notifyConfiguration) {
    new CfnOutput(scope, 'NotifyConfigurationId', {
      value: service.notifyConfiguration.configurationId,
      description: 'The Notify configuration the stack made (Basic tier: 200 messages a day; the console upgrades it)',
    });
  }
  if (service.eventBus) {
    new CfnOutput(scope, 'EventBusName', {
      value: service.eventBus.eventBusName,
      description: 'The EventBridge bus of the service\'s events (source "sms-verify"): add rules to it',
    });
  }
  if (service.auth === 'api-key') {
    new CfnOutput(scope, 'KeysCommand', {
      value: `npx sms-verify keys create <user-id> --stack ${Stack.of(scope).stackName}`,
      description: 'Makes an API key for a caller (shown once)',
    });
  }
}

/**
 * The name of the configuration set the stack makes: from the construct's path, the stack's name first, so that two
 * deployments in one account and Region never share one (a name: 1-64 of A-Z a-z 0-9 _ -, CreateConfigurationSet).
 */
function configurationSetNameFor(scope: Construct): string {
  return Names.uniqueResourceName(scope, { maxLength: 64, separator: '-' });
}
