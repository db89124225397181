// Activation requests (Graph's unifiedRoleAssignmentScheduleRequest / privilegedAccessGroupAssignmentScheduleRequest).
//   JitRequests  PK = request id                       RK = 'request'                 the request
//                PK = 'principal|' + kind + '|' + id   RK = inverted time + '|' + id  pointer, newest first
// The pointer is written before the request: a pointer whose request never got written is skipped.

import { odata } from '@azure/data-tables';
import { type Page, type PageRequest, queryPage } from '../storage/paging';
import { keyPart, statusCode, table } from './tables';
import type { Target } from './targets';

export interface ActivationRequestRow {
  id: string;
  action: string;
  principalId: string;
  target: Target;
  justification: string | null;
  ticketInfo: { ticketNumber?: string | null; ticketSystem?: string | null } | null;
  scheduleInfo: {
    startDateTime: string | null;
    expiration: { type: string; duration?: string | null; endDateTime?: string | null };
  };
  status: string;
  approvalId: string | null;
  createdDateTime: string;
  completedDateTime: string | null;
  createdBy: string;
  /** Wrong MFA codes entered for this request; too many locks it. */
  mfaFailures: number;
  etag?: string;
}

const JSON_FIELDS = ['target', 'ticketInfo', 'scheduleInfo'] as const;

const principalPartition = (principalId: string, kind: Target['kind']) =>
  `principal|${kind}|${keyPart(principalId.toLowerCase())}`;
const MAX_MS = 8_640_000_000_000_000;
const newestFirst = (iso: string, id: string) =>
  `${String(MAX_MS - Date.parse(iso)).padStart(16, '0')}|${id}`;

export async function createRequest(row: Omit<ActivationRequestRow, 'etag'>): Promise<void> {
  const t = await table('requests');
  await t.upsertEntity(
    {
      partitionKey: principalPartition(row.principalId, row.target.kind),
      rowKey: newestFirst(row.createdDateTime, row.id),
      requestId: row.id,
    },
    'Replace',
  );
  const e: Record<string, unknown> = { partitionKey: row.id, rowKey: 'request', ...row };
  for (const f of JSON_FIELDS) e[f] = JSON.stringify(row[f]);
  await t.createEntity(e as { partitionKey: string; rowKey: string });
}

/** Writes the request unless it exists: a re-run never resets a status that moved on. */
export async function createRequestIfAbsent(row: Omit<ActivationRequestRow, 'etag'>): Promise<void> {
  try {
    await createRequest(row);
  } catch (err) {
    if (statusCode(err) !== 409) throw err;
  }
}

const REQUEST_ID = /^[0-9a-f-]{36}$/i;

function fromEntity(e: Record<string, unknown>): ActivationRequestRow {
  const row = { ...e } as unknown as ActivationRequestRow;
  for (const f of JSON_FIELDS) (row as unknown as Record<string, unknown>)[f] = JSON.parse(String(e[f]));
  row.etag = e.etag as string | undefined;
  return row;
}

/** A principal's requests of one kind, newest first: one partition, then a point read each. */
export async function requestsOfPrincipal(
  principalId: string,
  kind: Target['kind'],
  page: PageRequest,
): Promise<Page<ActivationRequestRow>> {
  const filter = odata`PartitionKey eq ${principalPartition(principalId, kind)}`;
  const pointers = await queryPage(await table('requests'), filter, page, (row) => String(row.requestId));
  const rows = await Promise.all(pointers.items.map(getRequest));
  return {
    items: rows.filter((r): r is ActivationRequestRow => r !== undefined),
    continuationToken: pointers.continuationToken,
  };
}

/** Every activation request of one kind (readers' list): the requests' own rows, in key order. */
export async function allRequests(
  kind: Target['kind'],
  page: PageRequest,
): Promise<Page<ActivationRequestRow>> {
  return queryPage(await table('requests'), odata`RowKey eq ${'request'}`, page, (row) => {
    const r = fromEntity(row);
    return r.target.kind === kind ? r : undefined;
  });
}

export async function getRequest(id: string): Promise<ActivationRequestRow | undefined> {
  // Ids are GUIDs; anything else (a caller's typo, characters keys refuse) is simply not found.
  if (!REQUEST_ID.test(id)) return undefined;
  try {
    return fromEntity(await (await table('requests')).getEntity<Record<string, unknown>>(id, 'request'));
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw err;
  }
}

export async function updateRequest(
  id: string,
  changes: Partial<Pick<ActivationRequestRow, 'status' | 'completedDateTime' | 'mfaFailures' | 'approvalId'>>,
  etag?: string,
): Promise<void> {
  await (await table('requests')).updateEntity(
    { partitionKey: id, rowKey: 'request', ...changes },
    'Merge',
    etag ? { etag } : undefined,
  );
}
