// Activation requests (Graph's unifiedRoleAssignmentScheduleRequest / privilegedAccessGroupAssignmentScheduleRequest).
//   JitRequests  PK = request id, RK = 'request'

import { statusCode, table } from './tables';
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

export async function createRequest(row: Omit<ActivationRequestRow, 'etag'>): Promise<void> {
  const e: Record<string, unknown> = { partitionKey: row.id, rowKey: 'request', ...row };
  for (const f of JSON_FIELDS) e[f] = JSON.stringify(row[f]);
  await (await table('requests')).createEntity(e as { partitionKey: string; rowKey: string });
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

export async function getRequest(id: string): Promise<ActivationRequestRow | undefined> {
  // Ids are GUIDs; anything else (a caller's typo, characters keys refuse) is simply not found.
  if (!REQUEST_ID.test(id)) return undefined;
  try {
    const e = await (await table('requests')).getEntity<Record<string, unknown>>(id, 'request');
    const row = { ...e } as unknown as ActivationRequestRow;
    for (const f of JSON_FIELDS) (row as unknown as Record<string, unknown>)[f] = JSON.parse(String(e[f]));
    row.etag = e.etag;
    return row;
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
