// The audit store's tables and reads that tolerate a missing table. Day tables are created by the
// first row of their day and dropped whole by retention, so a read may meet a table that does not
// (or no longer) exist: that reads as empty, and a read never creates a table.
import type { TableClient } from '@azure/data-tables';
import { tableClient } from '../storage/connection';
import { statusOf } from '../storage/errors';
import type { Page, Row } from '../storage/paging';
import { appTable, TableName } from '../storage/tables';
import {
  dayTableName,
  INDEX_KINDS,
  type IndexKind,
  indexTableName,
  keyDaysTableName,
  kindOf,
} from './audit-keys';

// Azurite answers a partition query by scanning its whole table, so the catalog and the index
// copies are spread over a table per kind (and per day): on Table Storage, where partition
// queries are indexed, the split costs nothing.
export interface AuditTables {
  /** Id pointers and the late-row registry. */
  catalog: TableClient;
  /** The catalog table that holds a partition: `days`, `{kind}Days:...`, else `catalog`. */
  catalogFor(partitionKey: string): TableClient;
  /** The day's copies of an index partition (`initiator:...`, `target:...`, `correlation:...`). */
  indexFor(day: string, partitionKey: string): TableClient;
  /** A day's tables: its rows first, then its index copies. */
  dayTables(day: string): TableClient[];
  /** Seals, their manifests and purge records: apart from the rows they protect. */
  seals: TableClient;
  day(day: string): TableClient;
  /** Creates a table once per process (writes only; reads never create). */
  ensure(table: TableClient): Promise<void>;
  /** After dropping a table: the next write creates it again. */
  forget(table: TableClient): void;
}

export function auditTables(): AuditTables {
  const clients = new Map<string, TableClient>();
  const created = new Map<string, Promise<void>>();
  const client = (name: string) => {
    let t = clients.get(name);
    if (!t) {
      t = tableClient(name);
      if (clients.size > 2000) clients.clear();
      clients.set(name, t);
    }
    return t;
  };
  const catalog = appTable(TableName.auditLogs);
  const kindOfKey = (pk: string): IndexKind => {
    const kind = kindOf(pk);
    if (!kind) throw new Error(`not an index partition: ${pk}`);
    return kind;
  };
  return {
    catalog,
    catalogFor(pk: string) {
      if (pk === 'days') return client('AuditDays');
      const kind = pk.includes('Days:') ? kindOf(pk) : undefined;
      return kind ? client(keyDaysTableName(kind)) : catalog;
    },
    indexFor: (day: string, pk: string) => client(indexTableName(day, kindOfKey(pk))),
    dayTables: (day: string) => [
      client(dayTableName(day)),
      ...INDEX_KINDS.map((k) => client(indexTableName(day, k))),
    ],
    seals: tableClient('AuditSeals'),
    day: (day: string) => client(dayTableName(day)),
    ensure(table: TableClient) {
      let ready = created.get(table.tableName);
      if (!ready) {
        ready = table.createTable().catch((err: unknown) => {
          created.delete(table.tableName);
          throw err;
        });
        if (created.size > 2000) created.clear();
        created.set(table.tableName, ready);
      }
      return ready;
    },
    forget(table: TableClient) {
      created.delete(table.tableName);
    },
  };
}

function missingTable(err: unknown): boolean {
  return statusOf(err) === 404;
}

/** One page of `filter`; a missing table is an empty result. */
export async function pageOf(
  table: TableClient,
  filter: string,
  top: number,
  continuationToken?: string,
  select?: string[],
): Promise<Page<Row>> {
  try {
    const iterator = table
      .listEntities<Record<string, unknown>>({ queryOptions: { filter, ...(select ? { select } : {}) } })
      .byPage({ maxPageSize: top, continuationToken });
    const next = await iterator.next();
    if (next.done || !next.value) return { items: [] };
    const rows = next.value;
    return {
      items: [...rows],
      ...(rows.continuationToken ? { continuationToken: rows.continuationToken } : {}),
    };
  } catch (err) {
    if (missingTable(err)) return { items: [] };
    throw err;
  }
}

/** Every row of `filter`, page by page (1,000 at a time): memory stays flat. */
export async function* rowsOf(table: TableClient, filter: string, select?: string[]): AsyncGenerator<Row> {
  let token: string | undefined;
  do {
    const page = await pageOf(table, filter, 1000, token, select);
    yield* page.items;
    token = page.continuationToken;
  } while (token);
}

export async function readRow(table: TableClient, pk: string, rk: string): Promise<Row | undefined> {
  try {
    return await table.getEntity<Record<string, unknown>>(pk, rk);
  } catch (err) {
    if (missingTable(err)) return undefined;
    throw err;
  }
}

/** Deletes a row; already gone is fine. */
export async function deleteRow(table: TableClient, pk: string, rk: string): Promise<void> {
  try {
    await table.deleteEntity(pk, rk);
  } catch (err) {
    if (!missingTable(err)) throw err;
  }
}

/** Creates a row; true when this call created it, false when it was already there. */
export async function createOnce(table: TableClient, entity: Record<string, unknown>): Promise<boolean> {
  try {
    await table.createEntity(entity as { partitionKey: string; rowKey: string });
    return true;
  } catch (err) {
    if (statusOf(err) === 409) return false;
    throw err;
  }
}
