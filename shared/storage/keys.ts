// Table key helpers. Keys may not contain / \ # ? or control characters; ids reach keys only after
// validation (GUIDs), and anything else is a programming error caught here before it reaches storage.
import { odata } from '@azure/data-tables';

/** Characters Table Storage refuses in keys: / \\ # ? and control characters. */
export function isForbiddenKeyChar(c: string): boolean {
  const code = c.charCodeAt(0);
  return c === '/' || c === '\\' || c === '#' || c === '?' || code < 0x20 || (code >= 0x7f && code <= 0x9f);
}

export function assertKey(key: string, what = 'key'): string {
  if (key.length === 0 || key.length > 512 || [...key].some(isForbiddenKeyChar)) {
    throw new TypeError(`invalid table ${what}: ${JSON.stringify(key.slice(0, 80))}`);
  }
  return key;
}

/** `RowKey` starting with `prefix`, as a range (Table Storage has no startswith). */
export function rowKeyPrefix(prefix: string): string {
  const upper = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
  return odata`RowKey ge ${prefix} and RowKey lt ${upper}`;
}

export function partitionIs(partitionKey: string): string {
  return odata`PartitionKey eq ${partitionKey}`;
}

/** Joins filter fragments (each already built with `odata`) with `and`. */
export function and(...parts: (string | undefined)[]): string {
  return parts
    .filter((p): p is string => p !== undefined && p !== '')
    .map((p) => `(${p})`)
    .join(' and ');
}

// Inverted milliseconds sort newest first in ascending RowKey order. 15 digits cover every date
// a JavaScript Date can hold after 1970 without overflow of the fixed width.
const MAX_MS = 999_999_999_999_999;

export function invertedTime(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_MS) throw new RangeError(`time out of range: ${ms}`);
  return String(MAX_MS - ms).padStart(15, '0');
}

/** Zero-padded milliseconds: sorts oldest first. */
export function sortableTime(ms: number): string {
  return String(Math.max(0, Math.trunc(ms))).padStart(15, '0');
}
