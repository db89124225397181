// Approvals of activation requests (Graph's approval with stages/steps).
//   JitApprovals  PK = approval id,            RK = 'approval'   the approval; its ETag makes the first decision win
//                 PK = 'approver:' + user id,  RK = approval id  the approver's inbox while the step is pending
import { odata } from '@azure/data-tables';
import { statusCode, table } from './tables';

export interface ApprovalStep {
  id: string;
  status: 'InProgress' | 'Completed' | 'Expired' | 'Canceled';
  reviewResult: 'NotReviewed' | 'Approve' | 'Deny';
  reviewedBy: { id: string; displayName: string } | null;
  reviewedDateTime: string | null;
  justification: string | null;
  approverIds: string[];
  isApproverJustificationRequired: boolean;
}

export interface ApprovalRow {
  id: string;
  requestId: string;
  requesterId: string;
  expiresDateTime: string;
  steps: ApprovalStep[];
  etag?: string;
}

export class DecisionConflictError extends Error {}

/** Creates the approval unless it exists (a re-run never undoes a decision), and its inbox rows while pending. */
export async function createApproval(row: Omit<ApprovalRow, 'etag'>): Promise<void> {
  const t = await table('approvals');
  try {
    await t.createEntity({
      partitionKey: row.id,
      rowKey: 'approval',
      ...row,
      steps: JSON.stringify(row.steps),
    });
  } catch (err) {
    if (statusCode(err) !== 409) throw err;
  }
  const current = await getApproval(row.id);
  if (!current?.steps.some((s) => s.status === 'InProgress')) return;
  for (const approverId of current.steps.flatMap((s) => s.approverIds)) {
    await t.upsertEntity(
      { partitionKey: `approver:${approverId}`, rowKey: row.id, requestId: row.requestId },
      'Replace',
    );
  }
}

export async function getApproval(id: string): Promise<ApprovalRow | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined; // ids are GUIDs; keys refuse some characters
  try {
    const e = await (await table('approvals')).getEntity<Record<string, unknown>>(id, 'approval');
    return {
      id: String(e.id),
      requestId: String(e.requestId),
      requesterId: String(e.requesterId),
      expiresDateTime: String(e.expiresDateTime),
      steps: JSON.parse(String(e.steps)),
      etag: e.etag,
    };
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw err;
  }
}

/** Writes the steps only if nobody decided since `approval` was read: the first decision wins. */
export async function saveSteps(approval: ApprovalRow, steps: ApprovalStep[]): Promise<void> {
  const t = await table('approvals');
  try {
    await t.updateEntity(
      { partitionKey: approval.id, rowKey: 'approval', steps: JSON.stringify(steps) },
      'Merge',
      { etag: approval.etag },
    );
  } catch (err) {
    if (statusCode(err) === 412) throw new DecisionConflictError('Another decision was recorded first.');
    throw err;
  }
  if (steps.every((s) => s.status !== 'InProgress')) {
    for (const approverId of steps.flatMap((s) => s.approverIds)) {
      await t.deleteEntity(`approver:${approverId}`, approval.id).catch(() => undefined);
    }
  }
}

export async function pendingApprovalIds(approverId: string): Promise<string[]> {
  const t = await table('approvals');
  const ids: string[] = [];
  for await (const e of t.listEntities({
    queryOptions: { filter: odata`PartitionKey eq ${`approver:${approverId}`}` },
  })) {
    ids.push(String(e.rowKey));
  }
  return ids;
}
