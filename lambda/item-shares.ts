import { attributeBytes, attributesBytes, attributesBytesAtMost, DYNAMODB_ITEM_LIMIT_BYTES, surelyFits } from './item-size';
import { wellFormed, type AttributeValue, type Attributes } from './storable';

/*
 * One item per call, written by several event types in any order, never read before it is written:
 * so each writer gets a fixed share of DynamoDB's 400 KB that its own attributes never exceed.
 * Whatever arrives, in whatever order, the item is at most the sum of the shares.
 */

export interface ItemShare {
  /** The most this writer's own attributes take, names included. */
  readonly bytes: number;
  /** Its own attributes: set by its newest event, removed when that event does not carry them. */
  readonly owned: readonly string[];
  /** Left out in this order while the attributes exceed the share (the full event stays in S3). */
  readonly droppable: readonly string[];
  /** Never left out (small numbers the figures rely on). @default - none */
  readonly kept?: readonly string[];
  /** Where the writer lists the attributes it cut or left out (itself one of `owned`). */
  readonly truncatedAttribute: string;
}

/** The call's identity, written by several event types: each value is capped instead of shared out. */
export const SHARED_ATTRIBUTES = [
  'agent_id', 'status', 'start_time_unix_secs', 'start_time', 'start_month', 'call_duration_secs', 'direction', 'external_number',
  'agent_number', 'call_sid', 'channel', 'has_audio', 'transcript_format', 'transcript_s3_key',
] as const;

/** Text in a shared attribute is cut to this many characters (index keys are already refused longer). */
export const SHARED_TEXT_MAX_CHARS = 512;

/** The identity attributes together, at their caps: 3 bytes per character, 21 per number. */
export const SHARED_BYTES = 24 * 1024;

/**
 * What the storage layer itself writes: keys, ordering guards, timestamps, the deletion sweep's
 * marks and store errors. Small and fixed by construction (checked in the tests).
 */
export const BOOKKEEPING_BYTES = 16 * 1024;

/** Strings kept whole when even the droppable attributes were not enough (a pathological payload). */
const LAST_RESORT_STRING_CHARS = 1024;

/** Text no real title, reason or id comes near: cut (to the length above) before anything is left out. */
const ABSURD_STRING_CHARS = 16 * 1024;

/** Room kept in each share for the list of what was cut. */
const TRUNCATED_LIST_BYTES = 1024;

/** Whether the shares, the identity and the bookkeeping together stay under DynamoDB's limit. */
export function sharesFit(shares: readonly ItemShare[]): boolean {
  return shares.reduce((sum, share) => sum + share.bytes, SHARED_BYTES + BOOKKEEPING_BYTES) <= DYNAMODB_ITEM_LIMIT_BYTES;
}

const SHARED = new Set<string>(SHARED_ATTRIBUTES);

export const isSharedAttribute = (name: string) => SHARED.has(name);

/** A shared attribute's value with its text capped; undefined (and named in `cut`) for a structure, which identity never is. */
function cappedShared(name: string, value: AttributeValue, cut: string[]): AttributeValue | undefined {
  if (typeof value === 'string' && value.length > SHARED_TEXT_MAX_CHARS) {
    cut.push(name);
    return wellFormed(value.slice(0, SHARED_TEXT_MAX_CHARS));
  }
  if (typeof value !== 'object' || value === null) return value;
  cut.push(name);
  return undefined;
}

/**
 * Attributes split in one pass: the identity ones (capped) and the writer's own. Names of what was
 * cut go to `cut`.
 */
export function splitShared(attributes: Attributes, cut: string[]): { shared: Attributes; own: Attributes } {
  const shared: Attributes = {};
  const own: Attributes = {};
  for (const name of Object.keys(attributes)) {
    if (!SHARED.has(name)) own[name] = attributes[name];
    else {
      const value = cappedShared(name, attributes[name], cut);
      if (value !== undefined) shared[name] = value;
    }
  }
  return { shared, own };
}

/** The attributes that are not identity (what a writer's share bounds). */
export function ownAttributes(attributes: Attributes): Attributes {
  return splitShared(attributes, []).own;
}

const isScalar = (value: AttributeValue) => value === null || typeof value !== 'object';

/**
 * The writer's own attributes, made to fit its share: first text no real event makes that long
 * (a 500 KB reason) is cut, then the droppable attributes are left out in order, then any other
 * text over a thousand characters is cut, then any other structure goes, largest first, then
 * anything else; what the share keeps, never. Names of what was cut go to `cut`.
 */
export function fitToShare(attributes: Attributes, share: ItemShare, cut: string[]): Attributes {
  const limit = share.bytes - TRUNCATED_LIST_BYTES;
  // Nearly always far under: the cheap bound settles it without encoding.
  if (surelyFits(attributes, limit) || attributesBytes(attributes, limit) <= limit) return attributes;
  const fitted: Attributes = { ...attributes };
  const fits = () => attributesBytes(fitted, limit) <= limit;
  const kept = new Set(share.kept);
  const cutText = (longerThan: number) => {
    for (const name of Object.keys(fitted)) {
      const value = fitted[name];
      if (typeof value !== 'string' || value.length <= longerThan || share.droppable.includes(name)) continue;
      fitted[name] = wellFormed(value.slice(0, LAST_RESORT_STRING_CHARS));
      cut.push(name);
    }
  };
  const leaveOut = (names: string[]) => {
    for (const name of names) {
      if (fits()) return;
      if (!(name in fitted) || kept.has(name)) continue;
      delete fitted[name];
      cut.push(name);
    }
  };
  cutText(ABSURD_STRING_CHARS);
  leaveOut([...share.droppable]);
  if (fits()) return fitted;
  cutText(LAST_RESORT_STRING_CHARS);
  const sizes = new Map(Object.keys(fitted).map((name) => [name, attributeBytes(name, fitted[name])]));
  const bySize = [...sizes.keys()].sort((a, b) => (sizes.get(b) as number) - (sizes.get(a) as number));
  leaveOut([...bySize.filter((n) => !isScalar(fitted[n])), ...bySize]);
  return fitted;
}

/**
 * A writer's attributes made to fit: identity capped (in place), its own attributes fitted to its
 * share. Nearly always they fit as they are and come back as the same object: the identity's size
 * is taken off the measure rather than split out (splitting and merging back fifty attributes costs
 * more than the rest of the mapping).
 */
export function fitWriterAttributes(attributes: Attributes, share: ItemShare, cut: string[]): Attributes {
  const identity: Attributes = {};
  for (const name of SHARED_ATTRIBUTES) {
    if (!Object.hasOwn(attributes, name)) continue;
    const value = cappedShared(name, attributes[name], cut);
    if (value === undefined) delete attributes[name];
    else identity[name] = attributes[name] = value;
  }
  const limit = share.bytes - TRUNCATED_LIST_BYTES;
  if (surelyFits(attributes, limit + attributesBytesAtMost(identity)) || attributesBytes(attributes) <= limit + attributesBytes(identity)) return attributes;
  const { shared, own } = splitShared(attributes, cut);
  return Object.assign(shared, fitToShare(own, share, cut));
}
