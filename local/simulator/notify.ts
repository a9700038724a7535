/**
 * End User Messaging Notify (pinpoint-sms-voice-v2, AWS JSON 1.0; aws-models/pinpoint-sms-voice-v2.json and the User
 * Guide's Notify chapters): `SendNotifyTextMessage` and `SendNotifyVoiceMessage`, and the reads the service and the
 * doctor make, `DescribeNotifyConfigurations`, `DescribeNotifyTemplates`, `ListNotifyCountries`.
 *
 * As strict as Notify: the model's member constraints; only an `ACTIVE` configuration sends (ConflictException
 * NOTIFY_CONFIGURATION_NOT_ACTIVE); only to countries it enables (ValidationException COUNTRY_NOT_ENABLED) and on
 * channels it enables (CHANNEL_NOT_ENABLED); a template's required variables and their constraints; the tier's rate
 * (Basic 1 a second, Advanced 25: ThrottlingException), the Basic tier's 200 a day (ServiceQuotaExceededException
 * DAILY_NOTIFY_TIER_MESSAGE_LIMIT), 10 a day to one destination, and the spend limit (MONTHLY_SPEND_LIMIT_REACHED_FOR_
 * NOTIFY). The management reads take 1 request a second ("Notify quotas"). Where the guide names a limit but not the
 * error it answers (the per-destination cap), the error is the closest the model has, and says so.
 *
 * Notify sends through AWS-managed identities: the account's sandbox and its own identities do not apply to it
 * (an assumption the guide supports, "usable minutes after a configuration is created"; the doctor shows both). Its
 * events (events.ts) name a fictional one, NOTIFY_ORIGINATION: which identity sent is not the account's to know.
 *
 * A ConfigurationSetName must be one of the account's (configurationSetRefusal, as for End User Messaging's other
 * sends), checked with the Notify configuration, before the route's fault switch.
 *
 * Calls (`SendNotifyVoiceMessage`, "a voice call that reads the template content using text-to-speech") follow the
 * same rules on their own channel: VOICE must be among the configuration's EnabledChannels. Assumed, as the guide
 * does not say:
 *  - calls and texts share the tier's quotas (the guide counts a configuration's messages);
 *  - the catalogue's voice templates are apart from its SMS ones (Channels ['VOICE']), worded to be heard, each
 *    listing the Polly voices of its locale (SupportedVoiceIds); AWS's catalogue may instead list both channels on
 *    one template, which the routes take alike;
 *  - a template of another channel, or a VoiceId the template does not list, is a ValidationException naming the
 *    member;
 *  - a voice template reads {{code}} one digit at a time.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { arnOf, isoCountryOf, NOTIFY_ADVANCED_PER_SECOND, NOTIFY_BASIC_COUNTRIES, NOTIFY_BASIC_DAILY_LIMIT, NOTIFY_BASIC_PER_SECOND, NOTIFY_DESTINATION_DAILY_LIMIT } from './account';
import { json10Answer, json10Error, json10Invalid, stringViolation, violationsOf, type Shape } from './protocol';
import type { OutboxMessage, Provider } from './provider';
import { configurationSetRefusal, SEND_TEXT_MESSAGE, sentWith, VOICE_ID } from './sms-voice-v2';
import { spokenCharacters } from './ssml';

const ID_OR_ARN = { min: 1, max: 256, pattern: /^[A-Za-z0-9_:/-]+$/ };

/** SendNotifyTextMessageRequest (aws-models/pinpoint-sms-voice-v2.json). */
export const SEND_NOTIFY_TEXT_MESSAGE = {
  NotifyConfigurationId: { required: true, string: ID_OR_ARN },
  DestinationPhoneNumber: { required: true, string: { min: 1, max: 20, pattern: /^\+?[1-9][0-9]{1,18}$/ } },
  // NotifyTemplateId: length 0-256, ^([A-Za-z0-9_-]*|UNSET_DEFAULT_TEMPLATE)$
  TemplateId: { string: { min: 0, max: 256, pattern: /^([A-Za-z0-9_-]*|UNSET_DEFAULT_TEMPLATE)$/ } },
  // NotifyTemplateVariables: 0-20 entries; key 1-64 ^[A-Za-z0-9_]+$; value 1-2048
  TemplateVariables: { required: true, map: { maxEntries: 20, key: { min: 1, max: 64, pattern: /^[A-Za-z0-9_]+$/ }, value: { min: 1, max: 2048 } } },
  TimeToLive: { integer: { min: 5, max: 259_200 } },
  Context: SEND_TEXT_MESSAGE.Context,
  ConfigurationSetName: { string: ID_OR_ARN },
  DryRun: { boolean: true },
  MessageFeedbackEnabled: { boolean: true },
} satisfies Shape;

/**
 * SendNotifyVoiceMessageRequest: the text request's members and the voice that reads the template. Like every AWS
 * JSON API, Notify ignores a member its request does not have (an OriginationIdentity, a MessageBody), as the text
 * request here does too.
 */
export const SEND_NOTIFY_VOICE_MESSAGE: Shape = { ...SEND_NOTIFY_TEXT_MESSAGE, VoiceId: VOICE_ID };

type NotifyChannel = 'SMS' | 'VOICE';

/** The AWS-managed number Notify's simulated events say a message went out from (fictional: NANPA's 555-01xx). */
export const NOTIFY_ORIGINATION = '+18005550123';

interface TemplateVariable {
  Type: 'STRING' | 'INTEGER' | 'BOOLEAN';
  Required: boolean;
  Source: 'CUSTOMER' | 'SYSTEM';
  MaxLength?: number;
  Pattern?: string;
  Description?: string;
}

interface SimulatedTemplate {
  TemplateId: string;
  LanguageCode: string;
  Content: string;
  Channels: NotifyChannel[];
  Variables: Record<string, TemplateVariable>;
  /** A voice template: the voices that may read it. */
  SupportedVoiceIds?: string[];
}

/** The code a template reads: digits, at most 8 (a code the variable refuses is not Notify's to carry). */
const CODE_VARIABLE: TemplateVariable = { Type: 'STRING', Required: true, Source: 'CUSTOMER', MaxLength: 8, Pattern: '^[0-9]{4,8}$', Description: 'The verification code' };
const DISPLAY_NAME: TemplateVariable = { Type: 'STRING', Required: true, Source: 'SYSTEM', Description: "The configuration's display name" };

/** AWS-managed templates, one per language but Russian (a language without a template is the service's to handle). */
const SMS_TEMPLATES: readonly SimulatedTemplate[] = [
  ['english', 'en-US', '{{displayName}}: your verification code is {{code}}. Do not share it.'],
  ['german', 'de-DE', '{{displayName}}: Ihr Bestätigungscode lautet {{code}}. Geben Sie ihn nicht weiter.'],
  ['spanish', 'es-ES', '{{displayName}}: su código de verificación es {{code}}. No lo comparta.'],
  ['french', 'fr-FR', '{{displayName}} : votre code de vérification est {{code}}. Ne le partagez pas.'],
  ['italian', 'it-IT', '{{displayName}}: il tuo codice di verifica è {{code}}. Non condividerlo.'],
  ['portuguese', 'pt-BR', '{{displayName}}: seu código de verificação é {{code}}. Não o compartilhe.'],
].map(([name, LanguageCode, Content]) => ({
  TemplateId: `notify-code-verification-${name}-001`,
  LanguageCode: LanguageCode!,
  Content: Content!,
  Channels: ['SMS'],
  Variables: { code: CODE_VARIABLE, displayName: DISPLAY_NAME },
}));

/**
 * The voice templates, for the same languages: the code said twice, and the Polly voices of the template's locale
 * (Amazon Polly Developer Guide, "Standard voices"). The Portuguese template is Brazilian, so INES, the European
 * Portuguese voice, does not read it.
 */
const VOICE_TEMPLATES: readonly SimulatedTemplate[] = (
  [
    ['english', 'en-US', 'This is {{displayName}}. Your verification code is {{code}}. Again, your code is {{code}}.', ['IVY', 'JOANNA', 'JOEY', 'JUSTIN', 'KENDRA', 'KIMBERLY', 'MATTHEW', 'SALLI']],
    ['german', 'de-DE', 'Hier ist {{displayName}}. Ihr Bestätigungscode lautet {{code}}. Noch einmal: {{code}}.', ['HANS', 'MARLENE', 'VICKI']],
    ['spanish', 'es-ES', 'Le llama {{displayName}}. Su código de verificación es {{code}}. Repito: {{code}}.', ['CONCHITA', 'ENRIQUE', 'LUCIA']],
    ['french', 'fr-FR', 'Ici {{displayName}}. Votre code de vérification est {{code}}. Je répète : {{code}}.', ['CELINE', 'LEA', 'MATHIEU']],
    ['italian', 'it-IT', 'Qui {{displayName}}. Il tuo codice di verifica è {{code}}. Ripeto: {{code}}.', ['BIANCA', 'CARLA', 'GIORGIO']],
    ['portuguese', 'pt-BR', 'Aqui é {{displayName}}. Seu código de verificação é {{code}}. Repetindo: {{code}}.', ['CAMILA', 'RICARDO', 'VITORIA']],
  ] as const
).map(([name, LanguageCode, Content, voices]) => ({
  TemplateId: `notify-voice-code-verification-${name}-001`,
  LanguageCode,
  Content,
  Channels: ['VOICE'],
  Variables: { code: CODE_VARIABLE, displayName: DISPLAY_NAME },
  SupportedVoiceIds: [...voices],
}));

export const SIMULATED_TEMPLATES: readonly SimulatedTemplate[] = [...SMS_TEMPLATES, ...VOICE_TEMPLATES];

/** What Notify counts per configuration: sends in the last second, and per day in all and per destination. */
export class NotifyUsage {
  private readonly recent: number[] = [];
  private day = '';
  private sentToday = 0;
  private readonly toDestination = new Map<string, number>();

  /** `now` tells `usedToday` which day it is: the count starts again at midnight, not at the day's first send. */
  constructor(private readonly now: () => number) {}

  /** Why Notify refuses one more send now, or undefined (and the send is counted). */
  admit(now: number, tier: 'BASIC' | 'ADVANCED', to: string): { type: string; reason?: string; message: string } | undefined {
    const day = utcDay(now);
    if (day !== this.day) {
      this.day = day;
      this.sentToday = 0;
      this.toDestination.clear();
    }
    while (this.recent.length > 0 && this.recent[0]! <= now - 1000) this.recent.shift();
    if (this.recent.length >= (tier === 'BASIC' ? NOTIFY_BASIC_PER_SECOND : NOTIFY_ADVANCED_PER_SECOND)) {
      return { type: 'ThrottlingException', message: 'Rate exceeded for the Notify configuration' };
    }
    if (tier === 'BASIC' && this.sentToday >= NOTIFY_BASIC_DAILY_LIMIT) {
      return { type: 'ServiceQuotaExceededException', reason: 'DAILY_NOTIFY_TIER_MESSAGE_LIMIT', message: 'The Basic tier sends 200 messages a day' };
    }
    if ((this.toDestination.get(to) ?? 0) >= NOTIFY_DESTINATION_DAILY_LIMIT) {
      // The guide names this cap and no error: the model's closest is a quota with no reason.
      return { type: 'ServiceQuotaExceededException', message: 'Notify sends at most 10 messages a day to one destination' };
    }
    this.recent.push(now);
    this.sentToday += 1;
    this.toDestination.set(to, (this.toDestination.get(to) ?? 0) + 1);
    return undefined;
  }

  get usedToday(): number {
    return utcDay(this.now()) === this.day ? this.sentToday : 0;
  }
}

/** Notify's daily quotas count per UTC day. */
const utcDay = (time: number) => new Date(time).toISOString().slice(0, 10);

/** Management reads take 1 request a second each ("Notify quotas"). */
class ReadPacing {
  private readonly last = new Map<string, number>();
  admit(operation: string, now: number): boolean {
    if ((this.last.get(operation) ?? -Infinity) > now - 1000) return false;
    this.last.set(operation, now);
    return true;
  }
}

export function createNotify(provider: Provider) {
  const usage = new NotifyUsage(() => provider.now());
  const pacing = new ReadPacing();
  const configurationMatches = (given: string) => {
    const configuration = provider.account.notify;
    return configuration !== undefined && (given === configuration.id || given === arnOf(provider.account, `notify-configuration/${configuration.id}`));
  };

  /** SendNotifyTextMessage (`SMS`) and SendNotifyVoiceMessage (`VOICE`): one set of rules, each on its channel. */
  function send(channel: NotifyChannel, request: IncomingMessage, response: ServerResponse, payload: Record<string, unknown>): void {
    const route = channel === 'SMS' ? ('notify' as const) : ('notify-voice' as const);
    provider.record({ route, path: '/', headers: request.headers, payload });
    const violations = violationsOf(channel === 'SMS' ? SEND_NOTIFY_TEXT_MESSAGE : SEND_NOTIFY_VOICE_MESSAGE, payload);
    if (violations.length > 0) return json10Invalid(response, violations);
    const configuration = provider.account.notify;
    if (!configurationMatches(String(payload.NotifyConfigurationId)) || !configuration) {
      return json10Error(response, 400, 'ResourceNotFoundException', 'The Notify configuration does not exist', {
        ResourceType: 'notify-configuration',
        ResourceId: payload.NotifyConfigurationId,
      });
    }
    const unknownSet = configurationSetRefusal(provider.account, payload.ConfigurationSetName);
    if (unknownSet) return json10Error(response, 400, unknownSet.type, unknownSet.message, unknownSet.members);
    const fault = provider.fault(route);
    if (fault === 'throttle') return json10Error(response, 400, 'ThrottlingException', 'Rate exceeded');
    if (fault === 'error') return json10Error(response, 500, 'InternalServerException', 'Internal failure (simulated)');
    if (fault === 'reject') return json10Error(response, 400, 'ValidationException', 'Destination is not reachable (simulated)', { Reason: 'DESTINATION_COUNTRY_BLOCKED' });
    if (configuration.status !== 'ACTIVE') {
      return json10Error(response, 400, 'ConflictException', `The Notify configuration is ${configuration.status}, not ACTIVE`, {
        Reason: 'NOTIFY_CONFIGURATION_NOT_ACTIVE',
        ResourceType: 'notify-configuration',
        ResourceId: configuration.id,
      });
    }
    if (!configuration.enabledChannels.includes(channel)) {
      return json10Error(response, 400, 'ValidationException', `The ${channel} channel is not enabled on the Notify configuration`, { Reason: 'CHANNEL_NOT_ENABLED' });
    }
    const to = String(payload.DestinationPhoneNumber);
    const country = isoCountryOf(to) ?? '';
    const tierCountries: readonly string[] = configuration.tier === 'BASIC' ? NOTIFY_BASIC_COUNTRIES : [country];
    if (!configuration.enabledCountries.includes(country) || !tierCountries.includes(country)) {
      return json10Error(response, 400, 'ValidationException', `The Notify configuration does not enable ${country || 'the destination country'}`, {
        Reason: 'COUNTRY_NOT_ENABLED',
      });
    }
    const templateId = typeof payload.TemplateId === 'string' && payload.TemplateId !== '' ? payload.TemplateId : undefined;
    const template = SIMULATED_TEMPLATES.find((candidate) => candidate.TemplateId === templateId);
    if (!templateId) {
      return json10Error(response, 400, 'ValidationException', 'TemplateId is required: the configuration has no default template', { Reason: 'MISSING_PARAMETER' });
    }
    if (!template) return json10Error(response, 400, 'ResourceNotFoundException', 'The template does not exist', { ResourceType: 'notify-template', ResourceId: templateId });
    if (!template.Channels.includes(channel)) return json10Invalid(response, [{ field: 'TemplateId', message: `The template has no ${channel} channel` }]);
    const voiceId = payload.VoiceId as string | undefined;
    if (voiceId !== undefined && !(template.SupportedVoiceIds ?? []).includes(voiceId)) {
      return json10Invalid(response, [{ field: 'VoiceId', message: `The template is not read by ${voiceId}` }]);
    }
    const variables = payload.TemplateVariables as Record<string, string>;
    const variableProblem = templateVariableProblem(template, variables);
    if (variableProblem) {
      return json10Error(response, 400, 'ValidationException', variableProblem.message, {
        Reason: 'FIELD_VALIDATION_FAILED',
        Fields: [{ Name: `TemplateVariables.${variableProblem.name}`, Message: variableProblem.message }],
      });
    }
    if (provider.account.monthlySpendLimitUsd <= 0) {
      return json10Error(response, 400, 'ServiceQuotaExceededException', 'The Notify monthly spend limit is reached', { Reason: 'MONTHLY_SPEND_LIMIT_REACHED_FOR_NOTIFY' });
    }
    const body = filled(template, configuration.displayName, variables);
    if (payload.DryRun === true) return json10Answer(response, { TemplateId: template.TemplateId, ResolvedMessageBody: body });
    const refused = usage.admit(provider.now(), configuration.tier, to);
    if (refused) return json10Error(response, 400, refused.type, refused.message, refused.reason ? { Reason: refused.reason } : {});
    const messageId = randomUUID();
    const sent = channel === 'SMS' ? { to, body, route, channel: 'sms' as const } : callOf(to, template, configuration.displayName, variables);
    provider.accept({ ...sent, messageId, ...sentWith(payload) }, { originationPhoneNumber: NOTIFY_ORIGINATION, messageType: 'TRANSACTIONAL' });
    if (fault === 'error-after-accept') return json10Error(response, 500, 'InternalServerException', 'Internal failure (simulated)');
    if (fault === 'timeout') return;
    json10Answer(response, { MessageId: messageId, TemplateId: template.TemplateId, ResolvedMessageBody: body });
  }

  /** The management reads: each paced at 1 a second, each refused when the caller lacks its action. */
  function read(operation: 'DescribeNotifyConfigurations' | 'DescribeNotifyTemplates' | 'ListNotifyCountries', request: IncomingMessage, response: ServerResponse, payload: Record<string, unknown>): void {
    provider.record({ route: 'account', path: '/', headers: request.headers, payload: { operation, ...payload } });
    if (provider.denied(`sms-voice:${operation}`)) {
      return json10Error(response, 400, 'AccessDeniedException', `User is not authorized to perform: sms-voice:${operation}`);
    }
    if (!pacing.admit(operation, provider.now())) return json10Error(response, 400, 'ThrottlingException', `${operation} takes 1 request a second`);
    const { account } = provider;
    switch (operation) {
      case 'DescribeNotifyConfigurations': {
        const ids = (payload.NotifyConfigurationIds as string[] | undefined) ?? [];
        if (ids.length > 5) return json10Invalid(response, [{ field: 'NotifyConfigurationIds', message: 'Member must have length less than or equal to 5' }]);
        const configuration = account.notify;
        if (ids.some((id) => !configurationMatches(id))) {
          return json10Error(response, 400, 'ResourceNotFoundException', 'The Notify configuration does not exist', { ResourceType: 'notify-configuration', ResourceId: ids[0] });
        }
        return json10Answer(response, {
          NotifyConfigurations: configuration
            ? [
                {
                  NotifyConfigurationArn: arnOf(account, `notify-configuration/${configuration.id}`),
                  NotifyConfigurationId: configuration.id,
                  DisplayName: configuration.displayName,
                  UseCase: 'CODE_VERIFICATION',
                  EnabledCountries: configuration.enabledCountries,
                  EnabledChannels: configuration.enabledChannels,
                  Tier: configuration.tier,
                  TierUpgradeStatus: configuration.tier,
                  Status: configuration.status,
                  DeletionProtectionEnabled: false,
                  CreatedTimestamp: 1_790_000_000,
                },
              ]
            : [],
        });
      }
      case 'DescribeNotifyTemplates': {
        const filters = (payload.Filters as Array<{ Name: string; Values: string[] }> | undefined) ?? [];
        const matches = (template: SimulatedTemplate) =>
          filters.every(({ Name, Values }) => {
            if (Name === 'language-code') return Values.includes(template.LanguageCode);
            if (Name === 'channels') return Values.some((value) => (template.Channels as string[]).includes(value));
            if (Name === 'template-type') return Values.includes('OTP_VERIFICATION');
            if (Name === 'supported-voice-ids') return Values.some((value) => (template.SupportedVoiceIds ?? []).includes(value));
            return true;
          });
        return json10Answer(response, {
          NotifyTemplates: SIMULATED_TEMPLATES.filter(matches).map((template) => ({
            ...template,
            Version: 1,
            TemplateType: 'OTP_VERIFICATION',
            TierAccess: ['BASIC', 'ADVANCED'],
            Status: 'ACTIVE',
            SupportedCountries: [...NOTIFY_BASIC_COUNTRIES],
            CreatedTimestamp: 1_790_000_000,
          })),
        });
      }
      case 'ListNotifyCountries':
        return json10Answer(response, {
          NotifyCountries: NOTIFY_BASIC_COUNTRIES.map((code) => ({
            IsoCountryCode: code,
            CountryName: code,
            SupportedChannels: ['SMS', 'VOICE'],
            SupportedUseCases: ['CODE_VERIFICATION'],
            SupportedTiers: ['BASIC', 'ADVANCED'],
            CustomerOwnedIdentityRequired: false,
          })),
        });
    }
  }

  return {
    sendText: (request: IncomingMessage, response: ServerResponse, payload: Record<string, unknown>) => send('SMS', request, response, payload),
    sendVoice: (request: IncomingMessage, response: ServerResponse, payload: Record<string, unknown>) => send('VOICE', request, response, payload),
    read,
    usage,
  };
}

/** The template's text with its variables filled: what Notify answers as ResolvedMessageBody. */
function filled(template: SimulatedTemplate, displayName: string, variables: Record<string, string>, readCode = (code: string) => code): string {
  return template.Content.replace(/\{\{(\w+)\}\}/g, (_, name: string) =>
    name === 'displayName' ? displayName : name === 'code' ? readCode(variables.code ?? '') : (variables[name] ?? ''),
  );
}

/** A Notify call as the outbox keeps it: the template as filled, and what the person hears (the code digit by digit). */
function callOf(to: string, template: SimulatedTemplate, displayName: string, variables: Record<string, string>): Omit<OutboxMessage, 'at' | 'messageId'> {
  const transcript = filled(template, displayName, variables, spokenCharacters);
  return { to, body: transcript, route: 'notify-voice', channel: 'voice', transcript, resolvedMessageBody: filled(template, displayName, variables) };
}

/** A template's CUSTOMER variables must all be given, each as its metadata allows; nothing else may be. */
function templateVariableProblem(template: SimulatedTemplate, variables: Record<string, string>): { name: string; message: string } | undefined {
  for (const name of Object.keys(variables)) {
    const metadata = template.Variables[name];
    if (!metadata || metadata.Source !== 'CUSTOMER') return { name, message: `The template has no variable ${name} to set` };
  }
  for (const [name, metadata] of Object.entries(template.Variables)) {
    if (metadata.Source !== 'CUSTOMER') continue;
    const value = variables[name];
    if (value === undefined) {
      if (metadata.Required) return { name, message: `The template variable ${name} is required` };
      continue;
    }
    const problem = stringViolation(value, { min: 1, max: metadata.MaxLength ?? 2048, pattern: new RegExp(metadata.Pattern ?? '[\\s\\S]*') });
    if (problem) return { name, message: `The template variable ${name}: ${problem}` };
  }
  return undefined;
}
