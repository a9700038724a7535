/**
 * SSML as a call reads it. End User Messaging reads a SendVoiceMessage body of type SSML with Amazon Polly (the
 * operation's documentation: it "uses Amazon Polly to convert a text script into a voice message"), and documents no
 * SSML rules of its own; so the rules here are Polly's (Amazon Polly Developer Guide, "Supported SSML tags"):
 *  - the text is XML, and its root is `<speak>` ("All SSML-enhanced text must be enclosed within a pair of <speak>
 *    tags");
 *  - a `<break time>` is "[n]s" or "[n]ms", at most 10 s.
 * That End User Messaging refuses what Polly refuses, with a ValidationException, is inferred, not documented.
 *
 * The transcript is what a person would hear, as plain text: the tags gone, a `<say-as interpret-as="digits">` (or
 * `characters`, `spell-out`) read one character at a time (its characters, spaced), a `<sub alias>` read as its alias,
 * a pause (`<break>`) nothing at all.
 */

const NAME = '[A-Za-z_][\\w.:-]*';
const ATTRIBUTE = new RegExp(`(${NAME})\\s*=\\s*(?:"([^"<]*)"|'([^'<]*)')`, 'g');
const TAG = new RegExp(`<(/?)(${NAME})((?:\\s+${NAME}\\s*=\\s*(?:"[^"<]*"|'[^'<]*'))*)\\s*(/?)>`, 'y');
const ENTITY = /&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);/y;
const SKIPPED = /<!--[\s\S]*?-->|<\?xml[^>]*\?>/y;
/** Polly's `<break time>`: "[n]s" up to 10, "[n]ms" up to 10000 (https://docs.aws.amazon.com/polly/latest/dg/break-tag.html). */
const LONGEST_BREAK_MS = 10_000;
/** Interpretations Polly reads one character at a time. */
const READ_BY_CHARACTER = new Set(['digits', 'characters', 'spell-out']);

type Token =
  | { kind: 'text'; text: string }
  | { kind: 'open'; name: string; attributes: Record<string, string>; selfClosing: boolean }
  | { kind: 'close'; name: string };

/** Why Polly would refuse this SSML, or undefined. */
export function ssmlProblem(ssml: string): string | undefined {
  const tokens = tokensOf(ssml);
  if (typeof tokens === 'string') return tokens;
  const open: string[] = [];
  let roots = 0;
  for (const token of tokens) {
    if (token.kind === 'text') {
      if (open.length === 0 && token.text.trim() !== '') return 'SSML has text outside its <speak> root';
      continue;
    }
    if (token.kind === 'close') {
      if (open.pop() !== token.name) return `SSML is not well-formed: </${token.name}> closes no open <${token.name}>`;
      continue;
    }
    if (open.length === 0) {
      roots += 1;
      if (token.name !== 'speak' || roots > 1) return 'SSML must have one <speak> root element';
    }
    if (token.name === 'break') {
      const problem = breakProblem(token.attributes.time);
      if (problem) return problem;
    }
    if (!token.selfClosing) open.push(token.name);
  }
  if (open.length > 0) return `SSML is not well-formed: <${open.at(-1)!}> is never closed`;
  if (roots === 0) return 'SSML must have one <speak> root element';
  return undefined;
}

/** What a person hears from well-formed SSML, as plain text. */
export function transcriptOf(ssml: string): string {
  const tokens = tokensOf(ssml);
  if (typeof tokens === 'string') return '';
  const words: string[] = [];
  const readByCharacter: boolean[] = [];
  let substitute = 0; // inside a <sub alias>, whose content is not read
  for (const token of tokens) {
    if (token.kind === 'open' && !token.selfClosing) {
      const byCharacter = token.name === 'say-as' && READ_BY_CHARACTER.has(token.attributes['interpret-as'] ?? '');
      readByCharacter.push(byCharacter || readByCharacter.at(-1) === true);
      if (token.name === 'sub' && token.attributes.alias !== undefined) {
        words.push(token.attributes.alias);
        substitute += 1;
      }
    } else if (token.kind === 'close') {
      readByCharacter.pop();
      if (token.name === 'sub' && substitute > 0) substitute -= 1;
    } else if (token.kind === 'text' && substitute === 0) {
      const text = decodeEntities(token.text);
      words.push(readByCharacter.at(-1) ? ` ${spokenCharacters(text)} ` : text);
    }
  }
  return words.join('').replace(/\s+/g, ' ').trim();
}

/** A code read one character at a time: `4 8 2 9`. */
export function spokenCharacters(text: string): string {
  return [...text.replace(/\s+/g, '')].join(' ');
}

function breakProblem(time: string | undefined): string | undefined {
  if (time === undefined) return undefined;
  const match = /^([0-9]+(?:\.[0-9]+)?)(ms|s)$/.exec(time.trim());
  if (!match) return `a <break> time must be "[n]s" or "[n]ms", got "${time}"`;
  const ms = Number(match[1]) * (match[2] === 's' ? 1000 : 1);
  return ms > LONGEST_BREAK_MS ? `a <break> is at most 10s, got ${time}` : undefined;
}

/** The SSML as tokens, or why it is not well-formed XML. */
function tokensOf(ssml: string): Token[] | string {
  const tokens: Token[] = [];
  let at = 0;
  while (at < ssml.length) {
    const character = ssml[at];
    if (character === '<') {
      SKIPPED.lastIndex = at;
      const skipped = SKIPPED.exec(ssml);
      if (skipped) {
        at += skipped[0].length;
        continue;
      }
      TAG.lastIndex = at;
      const tag = TAG.exec(ssml);
      if (!tag) return `SSML is not well-formed at character ${at + 1}`;
      const [whole, closing, name, attributeText, selfClosing] = tag as unknown as [string, string, string, string, string];
      if (closing && (attributeText || selfClosing)) return `SSML is not well-formed at character ${at + 1}`;
      tokens.push(closing ? { kind: 'close', name } : { kind: 'open', name, attributes: attributesOf(attributeText), selfClosing: selfClosing === '/' });
      at += whole.length;
      continue;
    }
    let end = at;
    while (end < ssml.length && ssml[end] !== '<') {
      if (ssml[end] === '&') {
        ENTITY.lastIndex = end;
        if (!ENTITY.test(ssml)) return `SSML is not well-formed: a bare "&" at character ${end + 1}`;
      }
      end += 1;
    }
    tokens.push({ kind: 'text', text: ssml.slice(at, end) });
    at = end;
  }
  return tokens;
}

function attributesOf(text: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const match of text.matchAll(ATTRIBUTE)) attributes[match[1]!] = decodeEntities(match[2] ?? match[3] ?? '');
  return attributes;
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9A-Fa-f]+|#[0-9]+|[a-z]+);/g, (entity, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    return NAMED_ENTITIES[name] ?? entity;
  });
}
