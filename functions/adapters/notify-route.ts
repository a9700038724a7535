/**
 * SMS through End User Messaging Notify (`SendNotifyTextMessage`, pinpoint-sms-voice-v2): AWS's own identities and a
 * pre-approved code-verification template, so a new account can text a code minutes after its Notify configuration
 * is created. The route sends the code, not the service's text: Notify fills the template with it.
 *
 * The template is the one for the request's language, from Notify's catalogue (`DescribeNotifyTemplates`, read once
 * per container: the call takes one request a second per account). A language without a template gets the English
 * one: a code in another language beats none, and the next route, which writes all seven, is only tried when Notify
 * refuses. What Notify cannot carry it refuses before sending, so the next route carries it (each a `rejected`
 * failure, which sent nothing):
 *  - a code the template's code variable refuses (Notify's templates take at most 8 digits);
 *  - a `brand-name` other than the configuration's display name, when the template shows the display name in its
 *    place (Notify has no brand of its own);
 *  - a template with a required variable the service cannot fill.
 * A country the configuration does not enable, a configuration that is not ACTIVE, the tier's daily and per-second
 * quotas: Notify refuses those itself (ValidationException, ConflictException, ServiceQuotaExceeded- and
 * ThrottlingException), and they fail over the same way.
 */
import {
  DescribeNotifyConfigurationsCommand,
  DescribeNotifyTemplatesCommand,
  SendNotifyTextMessageCommand,
  type NotifyTemplateInformation,
  type PinpointSMSVoiceV2Client,
} from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { mayHaveSent, SmsRouteError, type SmsMessage, type SmsReceipt, type SmsRoute } from '../core/ports';
import { SMS_REQUEST_MAX_MS } from './client-options';
import { smsRouteFailure } from './sms-failures';
import { OUT_OF_TIME, withinMs } from './time-budget';

export interface NotifyRouteOptions {
  /** The configuration's id or ARN. */
  configurationId: string;
  /** The configuration's display name, when the deployment knows it; read from the configuration otherwise. */
  displayName?: string;
  configurationSetName?: string;
  /** How long Notify may keep trying: the code's validity (Notify's default is 72 hours). */
  timeToLiveSeconds: number;
}

/** Notify's management reads take one request a second per account ("Notify quotas"). */
const CATALOGUE_RETRY_MS = 1_000;
/**
 * The catalogue and display-name reads are given this long within a send (a throttled read and its repeat a second
 * later fit); past it the send goes to the next route, and the reads' answers serve the next send.
 */
const PREPARE_BUDGET_MS = 1_500;

/** The variable Notify's code-verification templates read the code from. */
const CODE_VARIABLE = 'code';
const DISPLAY_NAME_PLACEHOLDER = /\{\{\s*displayName\s*\}\}/;

export function createNotifyRoute(client: PinpointSMSVoiceV2Client, options: NotifyRouteOptions): SmsRoute {
  let templates: Promise<NotifyTemplateInformation[]> | undefined;
  let displayName: Promise<string | undefined> | undefined = options.displayName === undefined ? undefined : Promise.resolve(options.displayName);

  const readTemplates = () =>
    client.send(
      new DescribeNotifyTemplatesCommand({
        Filters: [
          { Name: 'template-type', Values: ['OTP_VERIFICATION'] },
          { Name: 'channels', Values: ['SMS'] },
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
      .then((answer) => (answer.NotifyTemplates ?? []).filter((template) => template.Status !== 'INACTIVE'))
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

  /** The template for the message, and the display name it shows when the message has a brand of its own. */
  const prepare = async (message: SmsMessage) => {
    const template = templateFor(await catalogue(), message);
    const showsName = DISPLAY_NAME_PLACEHOLDER.test(template.Content ?? '') && message.brand !== undefined;
    return { template, shownName: showsName ? await configurationDisplayName() : undefined };
  };

  return {
    name: 'notify',
    maxDurationMs: PREPARE_BUDGET_MS + SMS_REQUEST_MAX_MS,
    async send(message: SmsMessage): Promise<SmsReceipt> {
      let template: NotifyTemplateInformation;
      let shownName: string | undefined;
      try {
        const prepared = await withinMs(prepare(message), PREPARE_BUDGET_MS);
        // The reads go on, and their answers serve the next send; this one is carried by the next route.
        if (prepared === OUT_OF_TIME) throw new SmsRouteError('notify', 'unreachable', `notify: the templates were not read within ${PREPARE_BUDGET_MS} ms`);
        ({ template, shownName } = prepared);
      } catch (error) {
        throw error instanceof SmsRouteError ? error : readFailure(error);
      }
      if (shownName !== undefined && message.brand !== undefined && message.brand !== shownName) {
        throw refusal(`the template shows the display name "${shownName}" where the request's brand would go`);
      }
      try {
        const answer = await client.send(
          new SendNotifyTextMessageCommand({
            NotifyConfigurationId: options.configurationId,
            DestinationPhoneNumber: message.to,
            TemplateId: template.TemplateId,
            TemplateVariables: { [CODE_VARIABLE]: message.code },
            TimeToLive: options.timeToLiveSeconds,
            ...(options.configurationSetName ? { ConfigurationSetName: options.configurationSetName } : {}),
          }),
        );
        return { route: 'notify', messageId: answer.MessageId ?? '' };
      } catch (error) {
        throw smsRouteFailure('notify', error);
      }
    },
  };
}

/**
 * The template for the message's language (its `LanguageCode` is `en-US`, `de-DE`, …), or else the English one;
 * refused when neither can carry this code to this country.
 */
function templateFor(catalogue: readonly NotifyTemplateInformation[], message: SmsMessage): NotifyTemplateInformation {
  const usable = catalogue.filter(
    (template) =>
      (template.Channels ?? ['SMS']).includes('SMS') &&
      (message.country === undefined || template.SupportedCountries === undefined || template.SupportedCountries.includes(message.country)) &&
      fillsEveryRequiredVariable(template),
  );
  const inLanguage = (language: string) => usable.filter((template) => (template.LanguageCode ?? '').split('-')[0] === language);
  const candidates = [...inLanguage(message.language), ...inLanguage('en')];
  if (candidates.length === 0) throw refusal(`no code-verification template for "${message.language}" or English serves ${message.country ?? 'this number'}`);
  const fitting = candidates.find((template) => codeFits(template, message.code));
  if (!fitting) throw refusal(`the template's code variable does not take a ${message.code.length}-digit code`);
  return fitting;
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
function readFailure(error: unknown): SmsRouteError {
  const failure = smsRouteFailure('notify', error);
  if (!mayHaveSent(failure.kind)) return failure;
  const detail = error instanceof Error ? error.name : 'unknown error';
  return new SmsRouteError('notify', 'unreachable', `notify: unreachable (${detail}, reading the templates or the configuration)`, { cause: error });
}

/** A message Notify cannot carry as asked: nothing was sent, and the next route carries it. */
function refusal(why: string): SmsRouteError {
  return new SmsRouteError('notify', 'rejected', `notify: ${why}`);
}
