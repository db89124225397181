// The notification slice's own tables (TABLE_PREFIX applies), created once per process on first use.
import type { TableClient } from '@azure/data-tables';
import { tableClient } from '../storage/connection';
import { ensureTable } from '../storage/tables';

const NAMES = {
  subscriptions: 'JitNotifySubscriptions',
  connectors: 'JitGrantConnectors',
  alerts: 'JitNotifyAlerts',
  deliveries: 'JitNotifyDeliveries',
  uses: 'JitOneTimeUses',
} as const;

export type NotifyTable = keyof typeof NAMES;

export async function notifyTable(name: NotifyTable): Promise<TableClient> {
  const t = tableClient(NAMES[name]);
  await ensureTable(t);
  return t;
}

/** Every table of the slice (created at startup, so that no request creates one). */
export function notifyTables(): TableClient[] {
  return Object.values(NAMES).map((name) => tableClient(name));
}

export function statusCode(err: unknown): number | undefined {
  return (err as { statusCode?: number })?.statusCode;
}
