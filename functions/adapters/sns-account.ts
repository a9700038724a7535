/**
 * The SMS side of an SNS account, read: whether it is in the SMS sandbox, the destinations verified while it is,
 * its origination numbers, and its monthly spend limit (SNS API Reference: GetSMSSandboxAccountStatus,
 * ListSMSSandboxPhoneNumbers, ListOriginationNumbers, GetSMSAttributes). The SNS route reads the first three to
 * refuse what SNS would take and never deliver; `sms-verify doctor` reads all four.
 */
import {
  GetSMSAttributesCommand,
  GetSMSSandboxAccountStatusCommand,
  ListSMSSandboxPhoneNumbersCommand,
  paginateListOriginationNumbers,
  type SNSClient,
} from '@aws-sdk/client-sns';

export interface SnsOriginationNumber {
  phoneNumber: string;
  isoCountryCode: string;
  status: string;
  capabilities: string[];
}

export async function readSandboxed(client: SNSClient): Promise<boolean> {
  return (await client.send(new GetSMSSandboxAccountStatusCommand({}))).IsInSandbox === true;
}

/** The destinations verified for the sandbox (at most 10 an account, so one page). */
export async function readVerifiedDestinations(client: SNSClient): Promise<string[]> {
  const answer = await client.send(new ListSMSSandboxPhoneNumbersCommand({ MaxResults: 100 }));
  return (answer.PhoneNumbers ?? []).filter((number) => number.Status === 'Verified').map((number) => number.PhoneNumber ?? '');
}

export async function readOriginationNumbers(client: SNSClient): Promise<SnsOriginationNumber[]> {
  const numbers: SnsOriginationNumber[] = [];
  // ListOriginationNumbers takes at most 30 a page (aws-models/sns.json, MaxItemsListOriginationNumbers).
  for await (const page of paginateListOriginationNumbers({ client, pageSize: 30 }, {})) {
    for (const number of page.PhoneNumbers ?? []) {
      numbers.push({
        phoneNumber: number.PhoneNumber ?? '',
        isoCountryCode: number.Iso2CountryCode ?? '',
        status: number.Status ?? '',
        capabilities: number.NumberCapabilities ?? [],
      });
    }
  }
  return numbers;
}

/** Countries with an active, SMS-capable origination number. */
export function countriesWithNumber(numbers: readonly SnsOriginationNumber[]): Set<string> {
  return new Set(numbers.filter((number) => number.status === 'ACTIVE' && number.capabilities.includes('SMS')).map((number) => number.isoCountryCode));
}

/** The account's MonthlySpendLimit for SMS, in USD (SNS answers it as a string). */
export async function readMonthlySpendLimit(client: SNSClient): Promise<number | undefined> {
  const answer = await client.send(new GetSMSAttributesCommand({ attributes: ['MonthlySpendLimit'] }));
  const value = answer.attributes?.MonthlySpendLimit;
  return value === undefined ? undefined : Number(value);
}
