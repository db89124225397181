// Paging over Table Storage queries with the SDK's own continuation tokens. A page may hold fewer
// than `top` items (the service cuts pages at partition and time boundaries, and rows filtered in
// memory are dropped); the continuation says whether there is more.
import type { TableClient, TableEntityResult } from '@azure/data-tables';
import { z } from 'zod';
import { ValidationError } from '../domain/errors';
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

/** A source of pages for `chainedPage`. */
export type PageSource<T> = (page: PageRequest) => Promise<Page<T>>;

const ChainPosition = z.object({ s: z.number().int().min(0).max(16), t: z.string().max(4096).optional() });

/**
 * Pages through `sources` one after the other (e.g. activations, then admins' assignments) with one
 * continuation token that says which source and where in it. A page is filled from the next source
 * when one runs out, so short sources do not make empty pages.
 */
export async function chainedPage<T>(sources: PageSource<T>[], page: PageRequest): Promise<Page<T>> {
  let at: z.infer<typeof ChainPosition> = { s: 0 };
  if (page.continuationToken) {
    try {
      at = ChainPosition.parse(JSON.parse(page.continuationToken));
    } catch {
      throw new ValidationError('The $skiptoken is not valid.', [
        { target: '$skiptoken', message: 'not valid' },
      ]);
    }
  }
  const top = Math.min(Math.max(1, page.top ?? 100), MAX_PAGE_SIZE);
  const items: T[] = [];
  for (let calls = 0; calls < 8 && items.length < top; calls++) {
    const source = sources[at.s];
    if (!source) return { items };
    const result = await source({ top: top - items.length, continuationToken: at.t });
    items.push(...result.items);
    if (result.continuationToken) at = { s: at.s, t: result.continuationToken };
    else if (at.s + 1 < sources.length) at = { s: at.s + 1 };
    else return { items };
  }
  return { items, continuationToken: JSON.stringify(at) };
}
