/**
 * A number's item as the table's stream shows it, read for what became of its code (core/outcomes.ts). The item's
 * attributes are those sends.ts and checks.ts write; only the code's presence and the sends it came from matter here.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { CodeState, NumberChange } from '../../core/outcomes';
import { NUMBER_PREFIX, TABLE_PARTITION_KEY } from '../table-schema';
import { NAMES } from './table';

type Image = Record<string, AttributeValue>;

/** One stream record's images (NEW_AND_OLD_IMAGES), as Lambda and DynamoDB Streams give them. */
export interface StreamImages {
  Keys?: Image;
  OldImage?: Image;
  NewImage?: Image;
}

/** The change one stream record shows, or undefined when the record is not a number's item. */
export function numberChangeOf(images: StreamImages): NumberChange | undefined {
  const key = images.Keys?.[TABLE_PARTITION_KEY]?.S;
  if (!key?.startsWith(NUMBER_PREFIX)) return undefined;
  return { before: codeStateOf(images.OldImage), after: codeStateOf(images.NewImage) };
}

/** The number a stream record of its item is about (E.164, from the item's key). */
export function numberOf(images: StreamImages): string | undefined {
  const key = images.Keys?.[TABLE_PARTITION_KEY]?.S;
  return key?.startsWith(NUMBER_PREFIX) ? key.slice(NUMBER_PREFIX.length) : undefined;
}

/** The item's failed checks and streak before and after the write, for events. */
export function numberCountsOf(images: StreamImages): { before?: ItemCounts; after?: ItemCounts } {
  return { before: countsOf(images.OldImage), after: countsOf(images.NewImage) };
}

interface ItemCounts {
  failedChecks: number;
  routeStreak: number;
  /** When the last counted check was (ms): a check writes it, whatever it found. */
  lastCheckAt: number;
}

function countsOf(image: Image | undefined): ItemCounts | undefined {
  if (!image) return undefined;
  const number = (name: string) => Number(image[name]?.N ?? 0);
  return { failedChecks: number(NAMES['#failedChecks']), routeStreak: number(NAMES['#routeStreak']), lastCheckAt: number(NAMES['#lastCheckAt']) };
}

function codeStateOf(image: Image | undefined): CodeState | undefined {
  if (!image) return undefined;
  const code = image[NAMES['#code']]?.M;
  const previous = image[NAMES['#previousCode']]?.M;
  return {
    sendId: image[NAMES['#codeSendId']]?.S || undefined,
    hasCode: code !== undefined && Object.keys(code).length > 0,
    previousSendId: image[NAMES['#previousCodeSendId']]?.S || undefined,
    previousHasCode: previous !== undefined && Object.keys(previous).length > 0,
  };
}
