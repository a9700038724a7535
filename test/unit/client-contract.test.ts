/**
 * The typed client spells the contract's unions itself (so that `sms-verify/client` loads nothing of the service):
 * these checks keep them the same as the service's, at compile time (`tsc` in npm test) and at run time.
 */
import type { LanguageCode as ClientLanguage, SendFailureReason as ClientReason } from '../../client';
import { LANGUAGE_CODES, type LanguageCode } from '../../functions/core/messages';
import type { SendFailureReason } from '../../functions/core/send-code';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

it('names the same languages and failure reasons as the service', () => {
  const languages: Same<ClientLanguage, LanguageCode> = true;
  const reasons: Same<ClientReason, SendFailureReason> = true;
  expect([languages, reasons]).toEqual([true, true]);
  const clientLanguages: Record<ClientLanguage, true> = { de: true, en: true, es: true, fr: true, it: true, pt: true, ru: true };
  expect(Object.keys(clientLanguages).sort()).toEqual([...LANGUAGE_CODES].sort());
});
