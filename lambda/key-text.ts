/*
 * What text may become a key, apart from the schemas (zod) so that the object keys, and the
 * construct package that reads their prefixes, need no dependency.
 */

/** UTF-8 (no half surrogate pairs); 512 characters stay within DynamoDB's 2048-byte key limit. */
export const MAX_KEY_CHARS = 512;

/** Whether a value is a conversation id this receiver can store (what the schemas require of one). */
export function isConversationId(value: unknown): value is string {
  return typeof value === 'string' && value !== '' && value.length <= MAX_KEY_CHARS && value.isWellFormed();
}
