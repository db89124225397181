// The tables of this data layer by their base names. connection.ts applies TABLE_PREFIX (so test
// files and side-by-side deployments get their own tables); "create on first use" runs once per
// table and process.
import type { TableClient } from '@azure/data-tables';
import { newTableClient, tableClient, tableName } from './connection';

export const TableName = {
  users: 'Users',
  roleManagement: 'RoleManagement',
  roleManagementIndex: 'RoleManagementIndex',
  auditLogs: 'AuditLogs',
  auditOutbox: 'AuditOutbox',
  accessReviews: 'AccessReviews',
} as const;
export type TableBaseName = (typeof TableName)[keyof typeof TableName];

/** The table's name in the account (prefix applied). */
export function prefixedName(base: TableBaseName): string {
  return tableName(base);
}

/** A client for one of the app's tables (prefix applied). Call `ensureTable` before using it. */
export function appTable(base: TableBaseName): TableClient {
  return tableClient(base);
}

/** A client for a table by its full name, as recorded in outbox markers (prefix already applied). */
export function tableByFullName(fullName: string): TableClient {
  return newTableClient(fullName);
}

const created = new Map<string, Promise<void>>();

/** Creates the table once per process (it is a no-op when it exists); a failure is retried next time. */
export function ensureTable(table: TableClient): Promise<void> {
  const key = `${table.url}|${table.tableName}`;
  let ready = created.get(key);
  if (!ready) {
    ready = table.createTable().catch((err: unknown) => {
      created.delete(key);
      throw err;
    });
    created.set(key, ready);
  }
  return ready;
}
