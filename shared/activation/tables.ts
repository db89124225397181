// The activation slice's tables. Created once per process on first use.
import type { TableClient } from '@azure/data-tables';
import { tableClient } from '../storage/connection';

// Eligibility, assignments, policies and audit rows live in the directory's store (shared/services);
// these hold what only activation has: its requests, approvals and the one-live-activation claims.
const NAMES = {
  claims: 'JitClaims',
  requests: 'JitRequests',
  approvals: 'JitApprovals',
} as const;

export type TableName = keyof typeof NAMES;

const clients = new Map<TableName, Promise<TableClient>>();

export function table(name: TableName): Promise<TableClient> {
  let client = clients.get(name);
  if (!client) {
    const c = tableClient(NAMES[name]);
    client = c.createTable().then(() => c);
    client.catch(() => clients.delete(name));
    clients.set(name, client);
  }
  return client;
}

export function statusCode(err: unknown): number | undefined {
  return (err as { statusCode?: number })?.statusCode;
}

/** Keys must not contain / \ # ? or control characters; ids and scopes are encoded. */
export function keyPart(value: string): string {
  return encodeURIComponent(value).replace(/%/g, '~');
}
