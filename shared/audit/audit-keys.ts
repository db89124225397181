// Keys of the audit store (see audit-repository.ts for the layout): days, hours, row keys, and
// caller-supplied ids made safe for keys.
import { invertedTime, isForbiddenKeyChar, sortableTime } from '../storage/keys';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** The partition of every row in a day table; index copies sit beside it. */
export const ROWS = 'rows';

export type IndexKind = 'initiator' | 'target' | 'correlation';

export function dayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

export function hourStart(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

/** `2030-03-01` */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function dayMs(day: string): number {
  return Date.parse(`${day}T00:00:00.000Z`);
}

/** The day table's base name: `Audit20300301` (TABLE_PREFIX is applied by the storage layer). */
export function dayTableName(day: string): string {
  return `Audit${day.replaceAll('-', '')}`;
}

export const INDEX_KINDS: readonly IndexKind[] = ['initiator', 'target', 'correlation'];

const TITLE: Record<IndexKind, string> = {
  initiator: 'Initiator',
  target: 'Target',
  correlation: 'Correlation',
};

/** The day's copies of one kind: `AuditInitiator20300301`. */
export function indexTableName(day: string, kind: IndexKind): string {
  return `Audit${TITLE[kind]}${day.replaceAll('-', '')}`;
}

/** The per-key day lists of one kind: `AuditInitiatorDays`. */
export function keyDaysTableName(kind: IndexKind): string {
  return `Audit${TITLE[kind]}Days`;
}

/** The kind of an index or catalog partition key (`initiator:...`, `initiatorDays:...`). */
export function kindOf(partitionKey: string): IndexKind | undefined {
  const prefix = partitionKey.slice(0, partitionKey.indexOf(':')).replace(/Days$/, '');
  return (INDEX_KINDS as readonly string[]).includes(prefix) ? (prefix as IndexKind) : undefined;
}

/** Newest first in ascending order; rows of one millisecond by id. */
export function auditRowKey(activityMs: number, id: string): string {
  return `${invertedTime(activityMs)}|${id}`;
}

/** Rows at or before `toMs` have RowKey >= this. */
export function rowKeyLow(toMs: number): string {
  return invertedTime(Math.max(0, toMs));
}

/** Rows at or after `fromMs` have RowKey < this ('}' sorts after the '|' that follows the time). */
export function rowKeyHigh(fromMs: number): string {
  return `${invertedTime(Math.max(0, fromMs))}}`;
}

/** The activity time encoded in a row key. */
export function rowKeyTime(rowKey: string): number {
  return 999_999_999_999_999 - Number(rowKey.slice(0, 15));
}

export function rowKeyId(rowKey: string): string {
  return rowKey.slice(16);
}

/** Catalog row key of a day: newest day first. */
export function dayKey(ms: number): string {
  return invertedTime(dayStart(ms));
}

export function hourKey(ms: number): string {
  return sortableTime(hourStart(ms));
}

// Ids from callers (a client-request-id, a $filter literal) may hold characters keys refuse;
// percent-encoding them keeps the key valid and the mapping one-to-one.
export function keyPart(value: string): string {
  const encoded = [...value]
    .map((c) =>
      c === '%' || isForbiddenKeyChar(c) ? `%${c.charCodeAt(0).toString(16).padStart(2, '0')}` : c,
    )
    .join('');
  // Keys are at most 1 KiB; ids longer than this are not ids.
  return encoded.slice(0, 400);
}

export function indexPartition(kind: IndexKind, key: string): string {
  return `${kind}:${keyPart(key)}`;
}

export function catalogPartition(kind: IndexKind, key: string): string {
  return `${kind}Days:${keyPart(key)}`;
}
