// Eligible and active assignments. Keys are chosen for the request paths:
//   JitEligibility  PK = principal id           RK = target key     (my eligibilities; "eligible now?")
//   JitAssignments  PK = principal id           RK = target key     (my active roles and memberships)
//                   PK = "group:" + group id    RK = role target    (roles a group holds)
// The access check reads one principal partition and one partition per active group: no scans.
import { odata } from '@azure/data-tables';
import { statusCode, table } from './tables';
import { type Target, targetKey } from './targets';

export interface AssignmentRow {
  principalId: string;
  target: Target;
  startDateTime: string;
  endDateTime: string | null;
  assignmentType: 'Assigned' | 'Activated';
  /** The activation request that holds the grant (Activated only): only its revoke may remove it. */
  requestId?: string;
  etag?: string;
}

export interface EligibilityRow {
  principalId: string;
  target: Target;
  startDateTime: string;
  endDateTime: string | null;
}

export const groupPartition = (groupId: string) => `group:${groupId.toLowerCase()}`;

function toEntity(partitionKey: string, row: Omit<AssignmentRow, 'etag'> | EligibilityRow) {
  return {
    partitionKey,
    rowKey: targetKey(row.target),
    ...row,
    target: JSON.stringify(row.target),
    endDateTime: row.endDateTime ?? '',
  };
}

function fromEntity<T>(e: Record<string, unknown>): T {
  return {
    ...e,
    target: JSON.parse(String(e.target)),
    endDateTime: e.endDateTime ? String(e.endDateTime) : null,
    etag: e.etag,
  } as T;
}

export async function listEligibility(principalId: string): Promise<EligibilityRow[]> {
  const t = await table('eligibility');
  const out: EligibilityRow[] = [];
  for await (const e of t.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${principalId}` } })) {
    out.push(fromEntity(e));
  }
  return out;
}

export async function getEligibility(
  principalId: string,
  target: Target,
): Promise<EligibilityRow | undefined> {
  const t = await table('eligibility');
  try {
    return fromEntity(await t.getEntity(principalId, targetKey(target)));
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw err;
  }
}

export async function putEligibility(row: EligibilityRow): Promise<void> {
  await (await table('eligibility')).upsertEntity(toEntity(row.principalId, row), 'Replace');
}

/** Rows of a partition: a principal's own assignments, or a group's roles. */
export async function listAssignments(partition: string): Promise<AssignmentRow[]> {
  const t = await table('assignments');
  const out: AssignmentRow[] = [];
  for await (const e of t.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${partition}` } })) {
    if (!String(e.rowKey).startsWith('claim|')) out.push(fromEntity(e));
  }
  return out;
}

export async function getAssignment(partition: string, target: Target): Promise<AssignmentRow | undefined> {
  const t = await table('assignments');
  try {
    return fromEntity(await t.getEntity(partition, targetKey(target)));
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw err;
  }
}

export async function putAssignment(partition: string, row: Omit<AssignmentRow, 'etag'>): Promise<void> {
  await (await table('assignments')).upsertEntity(toEntity(partition, row), 'Replace');
}

/** Removes an activated grant only while `requestId` still holds it (a later extension may own it). */
export async function removeActivatedAssignment(
  principalId: string,
  target: Target,
  requestId: string,
): Promise<boolean> {
  const t = await table('assignments');
  const row = await getAssignment(principalId, target);
  if (!row || row.requestId !== requestId) return false;
  try {
    await t.deleteEntity(principalId, targetKey(target), { etag: row.etag });
    return true;
  } catch (err) {
    if (statusCode(err) === 404 || statusCode(err) === 412) return false;
    throw err;
  }
}

/**
 * One live activation per principal and target: the claim row is created (never upserted) when a
 * request starts, so of two concurrent activations exactly one wins; the other extends the winner.
 * Returns the request that holds the claim after the call.
 */
export async function claimActivation(
  principalId: string,
  target: Target,
  requestId: string,
  isLive: (holder: string) => Promise<boolean>,
): Promise<string> {
  const t = await table('assignments');
  const rowKey = `claim|${targetKey(target)}`;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await t.createEntity({ partitionKey: principalId, rowKey, requestId });
      return requestId;
    } catch (err) {
      if (statusCode(err) !== 409) throw err;
    }
    let existing: { requestId: string; etag: string };
    try {
      const e = await t.getEntity<{ requestId: string }>(principalId, rowKey);
      existing = { requestId: e.requestId, etag: e.etag };
    } catch (err) {
      if (statusCode(err) === 404) continue;
      throw err;
    }
    if (await isLive(existing.requestId)) return existing.requestId;
    try {
      await t.updateEntity({ partitionKey: principalId, rowKey, requestId }, 'Replace', {
        etag: existing.etag,
      });
      return requestId;
    } catch (err) {
      if (statusCode(err) !== 412 && statusCode(err) !== 404) throw err;
    }
  }
  throw new Error('Could not claim the activation: too much contention.');
}

/** Releases the claim if `requestId` still holds it. */
export async function releaseActivation(
  principalId: string,
  target: Target,
  requestId: string,
): Promise<void> {
  const t = await table('assignments');
  const rowKey = `claim|${targetKey(target)}`;
  try {
    const e = await t.getEntity<{ requestId: string }>(principalId, rowKey);
    if (e.requestId === requestId) await t.deleteEntity(principalId, rowKey, { etag: e.etag });
  } catch (err) {
    if (statusCode(err) !== 404 && statusCode(err) !== 412) throw err;
  }
}
