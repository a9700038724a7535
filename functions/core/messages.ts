/**
 * The SMS text in each supported language (and the sentence a call says before the code). Every template, filled with a
 * 12-digit code and a 20-character brand, fits one SMS segment even in UCS-2
 * (70 characters), so no message is ever split or billed twice.
 */
export const LANGUAGE_CODES = ['de', 'en', 'es', 'fr', 'it', 'pt', 'ru'] as const;
export type LanguageCode = (typeof LANGUAGE_CODES)[number];

interface Template {
  withBrand(brand: string, code: string): string;
  plain(code: string): string;
}

const TEMPLATES: Record<LanguageCode, Template> = {
  de: {
    withBrand: (brand, code) => `Ihr Sicherheitscode für ${brand} lautet ${code}`,
    plain: (code) => `Ihr Sicherheitscode lautet ${code}`,
  },
  en: {
    withBrand: (brand, code) => `Your ${brand} security code is ${code}`,
    plain: (code) => `Your security code is ${code}`,
  },
  es: {
    withBrand: (brand, code) => `Tu código de seguridad de ${brand} es ${code}`,
    plain: (code) => `Tu código de seguridad es ${code}`,
  },
  fr: {
    withBrand: (brand, code) => `Votre code de sécurité ${brand} est ${code}`,
    plain: (code) => `Votre code de sécurité est ${code}`,
  },
  it: {
    withBrand: (brand, code) => `Il tuo codice di sicurezza ${brand} è ${code}`,
    plain: (code) => `Il tuo codice di sicurezza è ${code}`,
  },
  pt: {
    withBrand: (brand, code) => `O seu código de segurança ${brand} é ${code}`,
    plain: (code) => `O seu código de segurança é ${code}`,
  },
  ru: {
    withBrand: (brand, code) => `Ваш код безопасности ${brand}: ${code}`,
    plain: (code) => `Ваш код безопасности: ${code}`,
  },
};

/** What a call says after the code, before it reads the code once more. */
const AGAIN: Record<LanguageCode, string> = {
  de: 'Noch einmal',
  en: 'Again',
  es: 'Otra vez',
  fr: 'Encore une fois',
  it: 'Ancora una volta',
  pt: 'Mais uma vez',
  ru: 'Ещё раз',
};

export interface VoiceScriptInput {
  language: LanguageCode;
  code: string;
  brand?: string;
  /** The pause between two digits, in milliseconds. */
  playbackDelayMs: number;
}

/**
 * What a call says, as SSML for Amazon Polly (End User Messaging reads SSML with Polly; Polly Developer Guide,
 * "Supported SSML tags"): the sentence the text would carry, then the digits one at a time (`say-as digits`, never
 * as one number: "four hundred…" is no use to someone typing), `playbackDelayMs` apart, then once again. The script
 * is all the call says, so the call's length, and its cost, are bounded by the code's length and the delay (a
 * 12-digit code read twice at the longest delay, 3 s: about a minute and a half; at the default 800 ms, about half a
 * minute). Caller-given text (the brand) is XML-escaped.
 */
export function composeVoiceScript({ language, code, brand, playbackDelayMs }: VoiceScriptInput): string {
  const template = TEMPLATES[language];
  const intro = (brand ? template.withBrand(brand, '') : template.plain('')).trim().replace(/:$/, '');
  const gap = `<break time="${playbackDelayMs}ms"/>`;
  const digits = [...code].map((digit) => `<say-as interpret-as="digits">${digit}</say-as>`).join(gap);
  return `<speak>${escapeXml(intro)}: <break time="500ms"/>${digits}<break time="1s"/>${escapeXml(AGAIN[language])}: <break time="500ms"/>${digits}</speak>`;
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** Lines that let phones offer the code by themselves. */
export interface Autofill {
  /** WebOTP: browsers on this origin read a last line "@<domain> #<code>". */
  webOtpDomain?: string;
  /** Android SMS Retriever: the app's 11-character hash anywhere in the message. */
  androidAppHash?: string;
}

export interface MessageInput {
  language: LanguageCode;
  code: string;
  brand?: string;
  autofill?: Autofill;
}

/**
 * The SMS text. Without autofill lines every text fits one segment (see above);
 * the WebOTP and app-hash lines add up to 2 + 12 + 1 + 253 characters, which
 * can make a UCS-2 message (Russian, or a non-GSM brand) two segments.
 */
export function composeMessage({ language, code, brand, autofill }: MessageInput): string {
  const template = TEMPLATES[language];
  const lines = [brand ? template.withBrand(brand, code) : template.plain(code)];
  if (autofill?.androidAppHash) lines.push(autofill.androidAppHash);
  // WebOTP requires the origin line to be the last one, after a blank line by convention.
  if (autofill?.webOtpDomain) lines.push('', `@${autofill.webOtpDomain} #${code}`);
  return lines.join('\n');
}

// GSM 03.38 default alphabet and its extension table (extension characters take two septets).
const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM7_EXTENSION = '^{}\\[~]|€\f';

export interface SegmentCount {
  encoding: 'GSM-7' | 'UCS-2';
  /** Length in the encoding's units: septets for GSM-7, UTF-16 code units for UCS-2. */
  units: number;
  segments: number;
}

/** How a carrier will encode and split a text (single segment: 160 septets or 70 UCS-2 units). */
export function countSegments(text: string): SegmentCount {
  let septets = 0;
  for (const character of text) {
    if (GSM7_BASIC.includes(character)) septets += 1;
    else if (GSM7_EXTENSION.includes(character)) septets += 2;
    else {
      const units = text.length;
      return { encoding: 'UCS-2', units, segments: units <= 70 ? 1 : Math.ceil(units / 67) };
    }
  }
  return { encoding: 'GSM-7', units: septets, segments: septets <= 160 ? 1 : Math.ceil(septets / 153) };
}
