// Who must approve a target's activations, from its policy's Approval_EndUser_Assignment rule (any
// signed-in person may read policies), so a requester knows whom to ask.
import { type GroupAccess, paths, type TargetKind } from './api-paths';
import type { ApiClient } from './http-client';

interface ApproverRef {
  '@odata.type'?: string;
  userId?: string;
  groupId?: string;
}

interface ApprovalRule {
  id: string;
  setting?: { approvalStages?: { primaryApprovers?: ApproverRef[] }[] };
}

/** Names of the first stage's approvers; an empty list when the policy cannot be read. */
export async function approverNames(
  client: ApiClient,
  kind: TargetKind,
  targetId: string,
  access: GroupAccess = 'member',
): Promise<string[]> {
  try {
    const policy = await client.get<{ rules?: ApprovalRule[] }>(paths.policy(kind, targetId, access));
    const rule = policy.rules?.find((r) => r.id === 'Approval_EndUser_Assignment');
    const approvers = rule?.setting?.approvalStages?.[0]?.primaryApprovers ?? [];
    return await Promise.all(approvers.map((a) => approverName(client, a)));
  } catch {
    // Naming approvers is a courtesy: the request waits for them all the same.
    return [];
  }
}

async function approverName(client: ApiClient, ref: ApproverRef): Promise<string> {
  if (ref.userId) {
    const user = await client.get<{ displayName?: string }>(paths.user(ref.userId)).catch(() => undefined);
    return user?.displayName ?? ref.userId;
  }
  if (ref.groupId) {
    const group = await client.get<{ displayName?: string }>(paths.group(ref.groupId)).catch(() => undefined);
    return `members of ${group?.displayName ?? ref.groupId}`;
  }
  return 'an approver';
}
