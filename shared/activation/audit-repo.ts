// Audit rows in Graph's directoryAudit shape.
//   JitAudit  PK = 'day:' + yyyy-mm-dd,       RK = inverted time + id   newest first within a day
//             PK = 'corr:' + correlation id,  RK = time + id            every step of one request
// Steps of the activation flow pass their own (deterministic) time and id, so an activity that runs
// twice after a crash writes the same rows again instead of new ones.
import { odata } from '@azure/data-tables';
import { table } from './tables';

export interface DirectoryAudit {
  id: string;
  category: 'RoleManagement' | 'GroupManagement' | 'Policy';
  activityDisplayName: string;
  activityDateTime: string;
  loggedByService: 'PIM';
  operationType: string;
  result: 'success' | 'failure';
  resultReason: string;
  correlationId: string;
  initiatedBy: { user: { id: string; displayName: string | null } };
  targetResources: { id: string; type: string; displayName: string | null }[];
  additionalDetails: { key: string; value: string }[];
}

const MAX_MS = 9_999_999_999_999;

export async function writeAudit(row: DirectoryAudit): Promise<void> {
  const t = await table('audit');
  const ms = Date.parse(row.activityDateTime);
  const payload = { data: JSON.stringify(row) };
  await t.upsertEntity(
    {
      partitionKey: `day:${row.activityDateTime.slice(0, 10)}`,
      rowKey: `${String(MAX_MS - ms).padStart(13, '0')}|${row.id}`,
      ...payload,
    },
    'Replace',
  );
  await t.upsertEntity(
    {
      partitionKey: `corr:${row.correlationId}`,
      rowKey: `${String(ms).padStart(13, '0')}|${row.id}`,
      ...payload,
    },
    'Replace',
  );
}

export async function auditByCorrelation(correlationId: string): Promise<DirectoryAudit[]> {
  const t = await table('audit');
  const out: DirectoryAudit[] = [];
  for await (const e of t.listEntities<{ data: string }>({
    queryOptions: { filter: odata`PartitionKey eq ${`corr:${correlationId}`}` },
  })) {
    out.push(JSON.parse(e.data));
  }
  return out.reverse(); // newest first, as the API lists
}

/** Rows of one UTC day, newest first. */
export async function auditOfDay(day: string): Promise<DirectoryAudit[]> {
  const t = await table('audit');
  const out: DirectoryAudit[] = [];
  for await (const e of t.listEntities<{ data: string }>({
    queryOptions: { filter: odata`PartitionKey eq ${`day:${day}`}` },
  })) {
    out.push(JSON.parse(e.data));
  }
  return out;
}
