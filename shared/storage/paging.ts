// Paging over Table Storage queries with the SDK's own continuation tokens. A page may hold fewer
// than `top` items (the service cuts pages at partition and time boundaries, and rows filtered in
// memory are dropped); the continuation says whether there is more.
import type { TableClient, TableEntityResult } from '@azure/data-tables';
import { ensureTable } from './tables';

export const MAX_PAGE_SIZE = 1000;

export interface PageRequest {
  top?: number;
  continuationToken?: string;
}

export interface Page<T> {
  items: T[];
  continuationToken?: string;
}

export type Row = TableEntityResult<Record<string, unknown>>;

/** One page of `filter` (built with `odata`), mapped and optionally filtered in memory. */
export async function queryPage<T>(
  table: TableClient,
  filter: string,
  page: PageRequest,
  map: (row: Row) => T | undefined,
): Promise<Page<T>> {
  await ensureTable(table);
  const top = Math.min(Math.max(1, page.top ?? 100), MAX_PAGE_SIZE);
  const iterator = table
    .listEntities<Record<string, unknown>>({ queryOptions: { filter } })
    .byPage({ maxPageSize: top, continuationToken: page.continuationToken });
  const next = await iterator.next();
  if (next.done || !next.value) return { items: [] };
  const rows = next.value;
  const items: T[] = [];
  for (const row of rows) {
    const item = map(row);
    if (item !== undefined) items.push(item);
  }
  return { items, ...(rows.continuationToken ? { continuationToken: rows.continuationToken } : {}) };
}

/** Every row of `filter`: only for queries bounded to one small partition (a role's assignments). */
export async function queryAll<T>(
  table: TableClient,
  filter: string,
  map: (row: Row) => T | undefined,
  limit = 10_000,
): Promise<T[]> {
  await ensureTable(table);
  const out: T[] = [];
  for await (const row of table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
    const item = map(row);
    if (item !== undefined) out.push(item);
    if (out.length > limit) throw new Error(`query returned more than ${limit} rows: ${filter}`);
  }
  return out;
}

/** A point read; undefined when absent. */
export async function getRow(
  table: TableClient,
  partitionKey: string,
  rowKey: string,
): Promise<Row | undefined> {
  await ensureTable(table);
  try {
    return await table.getEntity<Record<string, unknown>>(partitionKey, rowKey);
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}
