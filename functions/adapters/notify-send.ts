/**
 * Notify's two sends, a text (`notify`, SendNotifyTextMessage) and a call (`notify-voice`, SendNotifyVoiceMessage):
 * one request, filled from one of AWS's code-verification templates, under one set of rules.
 *
 * The template is the one for the request's language, from Notify's catalogue (`DescribeNotifyTemplates`, filtered to
 * the route's channel, read once per route and container: the call takes one request a second per account). A
 * language without a template gets the English one: a code in another language beats none, and the next route, which
 * has all seven, is only tried when Notify refuses. What Notify cannot carry is refused before sending, so the next
 * route carries it (each a `rejected` failure, which sent nothing):
 *  - a code the template's code variable refuses (Notify's templates take at most 8 digits);
 *  - a `brand-name` other than the configuration's display name, when the template shows the display name in its
 *    place (Notify has no brand of its own);
 *  - a template with a required variable the service cannot fill.
 */
import {
  DescribeNotifyConfigurationsCommand,
  DescribeNotifyTemplatesCommand,
  type NotifyTemplateInformation,
  type PinpointSMSVoiceV2Client,
  type SendNotifyTextMessageRequest,
} from '@aws-sdk/client-pinpoint-sms-voice-v2';
import type { LanguageCode } from '../core/messages';
import { mayHaveSent, SmsRouteError } from '../core/ports';
import { InvalidSettingError, type DeploymentSettings } from '../settings';
import { SMS_REQUEST_MAX_MS } from './client-options';
import { feedbackMembers, messageFeedbackFrom } from './message-feedback';
import { smsRouteFailure } from './sms-failures';
import { OUT_OF_TIME, withinMs } from './time-budget';

export interface NotifySendOptions {
  /** The configuration's id or ARN. */
  configurationId: string;
  /** The configuration's display name, when the deployment knows it; read from the configuration otherwise. */
  displayName?: string;
  configurationSetName?: string;
  /** Ask for message feedback and name the send in the Context (message-feedback.ts). */
  messageFeedback?: boolean;
  /** How long Notify may keep trying: the code's validity (Notify's default is 72 hours). */
  timeToLiveSeconds: number;
}

/**
 * A Notify route's options from the settings. The stack sets the id of the configuration it makes for
 * notifyDisplayName; elsewhere it must be given.
 */
export function notifyOptionsFrom(settings: DeploymentSettings, route: 'notify' | 'notify-voice'): NotifySendOptions {
  if (!settings.notifyConfigurationId) {
    throw new InvalidSettingError('notifyConfigurationId', `the ${route} route needs the id of the Notify configuration (NOTIFY_CONFIGURATION_ID)`);
  }
  return {
    configurationId: settings.notifyConfigurationId,
    displayName: settings.notifyDisplayName,
    configurationSetName: settings.configurationSetName,
    messageFeedback: messageFeedbackFrom(settings),
    timeToLiveSeconds: settings.codeTtlSeconds,
  };
}

/** What a Notify template must carry: the code, in a language, perhaps under a brand, to a country's number. */
export interface CodeToCarry {
  to: string;
  code: string;
  language: LanguageCode;
  brand?: string;
  country?: string;
  /** The send the code belongs to, for conversion feedback. */
  sendId?: string;
}

/** The members both sends take, as this service fills them. */
export type NotifySendInput = Pick<
  SendNotifyTextMessageRequest,
  | 'NotifyConfigurationId'
  | 'DestinationPhoneNumber'
  | 'TemplateId'
  | 'TemplateVariables'
  | 'TimeToLive'
  | 'ConfigurationSetName'
  | 'MessageFeedbackEnabled'
  | 'Context'
>;

interface NotifyRoute {
  name: 'notify' | 'notify-voice';
  /** The channel whose templates the route sends (the model's NumberCapability). */
  channel: 'SMS' | 'VOICE';
}

/**
 * The catalogue and display-name reads are given this long within a send (a throttled read and its repeat a second
 * later fit); past it the send goes to the next route, and the reads' answers serve the next send.
 */
const PREPARE_BUDGET_MS = 1_500;
/** The longest a Notify send takes: its reads' budget, then one request. */
export const NOTIFY_MAX_DURATION_MS = PREPARE_BUDGET_MS + SMS_REQUEST_MAX_MS;
/** The variable Notify's code-verification templates read the code from. */
const CODE_VARIABLE = 'code';
/** Notify's management reads take one request a second per account ("Notify quotas"). */
const CATALOGUE_RETRY_MS = 1_000;
const DISPLAY_NAME_PLACEHOLDER = /\{\{\s*displayName\s*\}\}/;

/**
 * Sends a code through Notify with the template that carries it; `send` makes the route's own request from the members
 * both sends take. Answers the message id; throws {@link SmsRouteError} as the route failed.
 */
export function createNotifySend(
  client: PinpointSMSVoiceV2Client,
  route: NotifyRoute,
  options: NotifySendOptions,
  send: (input: NotifySendInput, template: NotifyTemplateInformation) => Promise<{ MessageId?: string }>,
): (message: CodeToCarry) => Promise<string> {
  const chooseTemplate = createNotifyTemplateChooser(client, route, options);
  return async (message) => {
    const template = await chooseTemplate(message);
    try {
      const answer = await send(
        {
          NotifyConfigurationId: options.configurationId,
          DestinationPhoneNumber: message.to,
          TemplateId: template.TemplateId,
          TemplateVariables: { [CODE_VARIABLE]: message.code },
          TimeToLive: options.timeToLiveSeconds,
          ...(options.configurationSetName ? { ConfigurationSetName: options.configurationSetName } : {}),
          ...feedbackMembers(options.messageFeedback, route.name, message.sendId),
        },
        template,
      );
      return answer.MessageId ?? '';
    } catch (error) {
      throw smsRouteFailure(route.name, error);
    }
  };
}

/**
 * The template a message is sent with; throws {@link SmsRouteError} when no template can carry it (`rejected`), when
 * the catalogue could not be read (as the read failed, but never `unconfirmed`: nothing was offered to Notify), or
 * when the reads outlast their budget (`unreachable`).
 */
function createNotifyTemplateChooser(
  client: PinpointSMSVoiceV2Client,
  { name: route, channel }: NotifyRoute,
  options: NotifySendOptions,
): (message: CodeToCarry) => Promise<NotifyTemplateInformation> {
  let templates: Promise<NotifyTemplateInformation[]> | undefined;
  let displayName: Promise<string | undefined> | undefined = options.displayName === undefined ? undefined : Promise.resolve(options.displayName);

  const readTemplates = () =>
    client.send(
      new DescribeNotifyTemplatesCommand({
        Filters: [
          { Name: 'template-type', Values: ['OTP_VERIFICATION'] },
          { Name: 'channels', Values: [channel] },
        ],
      }),
    );
  const catalogue = () =>
    (templates ??= readTemplates()
      // One read a second per account: containers that start together are refused all but one. Asked again a
      // second later, each gets its catalogue, and a cold container's first code still goes out through Notify.
      .catch(async (error: unknown) => {
        if ((error as Error).name !== 'ThrottlingException') throw error;
        await new Promise((resolve) => setTimeout(resolve, CATALOGUE_RETRY_MS));
        return readTemplates();
      })
      .then((answer) => {
        const active = (answer.NotifyTemplates ?? []).filter((template) => template.Status !== 'INACTIVE');
        // An empty catalogue (read before the configuration was ready) is not kept: the next send asks again.
        if (active.length === 0) templates = undefined;
        return active;
      })
      .catch((error: unknown) => {
        templates = undefined; // the next send asks again
        throw error;
      }));
  const configurationDisplayName = () =>
    (displayName ??= client
      .send(new DescribeNotifyConfigurationsCommand({ NotifyConfigurationIds: [options.configurationId] }))
      .then((answer) => answer.NotifyConfigurations?.[0]?.DisplayName)
      .catch((error: unknown) => {
        displayName = undefined;
        throw error;
      }));

  const refusal = (why: string) => new SmsRouteError(route, 'rejected', `${route}: ${why}`);

  /** The template for the message, and the display name it shows when the message has a brand of its own. */
  const prepare = async (message: CodeToCarry) => {
    const template = templateFor(await catalogue(), message, channel, refusal);
    const showsName = DISPLAY_NAME_PLACEHOLDER.test(template.Content ?? '') && message.brand !== undefined;
    return { template, shownName: showsName ? await configurationDisplayName() : undefined };
  };

  return async (message) => {
    let prepared: Awaited<ReturnType<typeof prepare>> | typeof OUT_OF_TIME;
    try {
      prepared = await withinMs(prepare(message), PREPARE_BUDGET_MS);
    } catch (error) {
      throw error instanceof SmsRouteError ? error : readFailure(route, error);
    }
    // The reads go on, and their answers serve the next send; this one is carried by the next route.
    if (prepared === OUT_OF_TIME) throw new SmsRouteError(route, 'unreachable', `${route}: the templates were not read within ${PREPARE_BUDGET_MS} ms`);
    const { template, shownName } = prepared;
    if (shownName !== undefined && message.brand !== undefined && message.brand !== shownName) {
      throw refusal(`the template shows the display name "${shownName}" where the request's brand would go`);
    }
    return template;
  };
}

/**
 * The template for the message's language (its `LanguageCode` is `en-US`, `de-DE`, …), or else the English one;
 * refused when neither can carry this code to this country.
 */
function templateFor(
  catalogue: readonly NotifyTemplateInformation[],
  message: CodeToCarry,
  channel: NotifyRoute['channel'],
  refusal: (why: string) => SmsRouteError,
): NotifyTemplateInformation {
  const usable = catalogue.filter(
    (template) =>
      // A template that lists no channels is taken for an SMS one, as Notify's first templates were.
      (template.Channels ?? ['SMS']).includes(channel) &&
      (message.country === undefined || template.SupportedCountries === undefined || template.SupportedCountries.includes(message.country)) &&
      fillsEveryRequiredVariable(template),
  );
  const inLanguage = (language: string) => usable.filter((template) => templateLanguage(template) === language);
  const candidates = [...inLanguage(message.language), ...inLanguage('en')];
  if (candidates.length === 0) {
    throw refusal(`no ${channel} code-verification template for "${message.language}" or English serves ${message.country ?? 'this number'}`);
  }
  const fitting = candidates.find((template) => codeFits(template, message.code));
  if (!fitting) throw refusal(`the template's code variable does not take a ${message.code.length}-digit code`);
  return fitting;
}

/** The language a template is written in: `de` for `de-DE`. */
export function templateLanguage(template: NotifyTemplateInformation): string {
  return (template.LanguageCode ?? '').split('-')[0]!;
}

/** The service fills the code and nothing else: a template that needs more of the caller is of no use. */
function fillsEveryRequiredVariable(template: NotifyTemplateInformation): boolean {
  return Object.entries(template.Variables ?? {}).every(
    ([name, variable]) => name === CODE_VARIABLE || variable.Source === 'SYSTEM' || !variable.Required,
  );
}

function codeFits(template: NotifyTemplateInformation, code: string): boolean {
  const variable = template.Variables?.[CODE_VARIABLE];
  if (!variable) return false;
  if (variable.MaxLength !== undefined && code.length > variable.MaxLength) return false;
  if (variable.Pattern !== undefined && !new RegExp(variable.Pattern).test(code)) return false;
  return true;
}

/**
 * A catalogue or configuration read that failed: nothing was offered to Notify, so nothing can have been sent, even
 * when the read timed out or Notify answered a 5xx (which `smsRouteFailure` calls `unconfirmed` for a send). Taken
 * for unconfirmed, it would keep the code valid and answer `delivery-unconfirmed` when no later route sends it.
 */
function readFailure(route: NotifyRoute['name'], error: unknown): SmsRouteError {
  const failure = smsRouteFailure(route, error);
  if (!mayHaveSent(failure.kind)) return failure;
  const detail = error instanceof Error ? error.name : 'unknown error';
  return new SmsRouteError(route, 'unreachable', `${route}: unreachable (${detail}, reading the templates or the configuration)`, { cause: error });
}
