// The seeds' scenario, loaded by `npm start` (DEMO_DATA=true), idempotently: running it again
// changes nothing, and a policy an admin already changed is left as it is.
import { ROLE_IDS } from '../access/catalog';
import { DEMO_USERS } from '../auth/demo-users';
import { groupPartition, putAssignment, putEligibility } from './assignments-repo';
import { DEMO_GROUPS } from './demo-groups';
import { defaultRules, getPolicy, type PolicyRule, putRule } from './policies';
import type { Target } from './targets';

const SINCE = '2026-01-01T00:00:00.000Z';
export const SEARCH_AND_PURGE_GROUP = DEMO_GROUPS[0];
export const SECURITY_READER: Target = {
  kind: 'role',
  roleDefinitionId: ROLE_IDS.securityReader,
  directoryScopeId: '/',
};
export const GROUP_MEMBER: Target = { kind: 'group', groupId: SEARCH_AND_PURGE_GROUP.id, accessId: 'member' };

function rules(enabled: ('MultiFactorAuthentication' | 'Justification' | 'Ticketing')[]): PolicyRule[] {
  return defaultRules().map((r) => {
    if (r['@odata.type'] === '#microsoft.graph.unifiedRoleManagementPolicyEnablementRule')
      return { ...r, enabledRules: enabled };
    if (r['@odata.type'] === '#microsoft.graph.unifiedRoleManagementPolicyApprovalRule') {
      const stage = r.setting.approvalStages[0];
      // Approval is off, with Adele named as approver so that switching it on is one PATCH.
      return {
        ...r,
        setting: {
          ...r.setting,
          approvalStages: [
            {
              ...stage,
              primaryApprovers: [
                {
                  '@odata.type': '#microsoft.graph.singleUser' as const,
                  userId: DEMO_USERS.adele.id,
                  description: DEMO_USERS.adele.displayName,
                },
              ],
            },
          ],
        },
      };
    }
    return r;
  });
}

async function seedPolicy(target: Target, wanted: PolicyRule[]): Promise<void> {
  if ((await getPolicy(target)).etag) return; // already stored (maybe edited by an admin)
  for (const rule of wanted) await putRule(target, rule, SINCE);
}

export async function loadDemoData(): Promise<void> {
  const { alex, megan, reader } = DEMO_USERS;
  // Step 1 of the seeds: Security Reader, 8-hour activations, MFA on activation, no justification; Alex permanently eligible.
  await seedPolicy(SECURITY_READER, rules(['MultiFactorAuthentication']));
  await putEligibility({
    principalId: alex.id,
    target: SECURITY_READER,
    startDateTime: SINCE,
    endDateTime: null,
  });
  // Step 2: the role-assignable group "Search and Purge PIM" holds the Search and Purge role; Alex is
  // eligible as a member; its member policy requires MFA, justification and ticket information.
  await putAssignment(groupPartition(SEARCH_AND_PURGE_GROUP.id), {
    principalId: SEARCH_AND_PURGE_GROUP.id,
    target: { kind: 'role', roleDefinitionId: ROLE_IDS.searchAndPurge, directoryScopeId: '/' },
    startDateTime: SINCE,
    endDateTime: null,
    assignmentType: 'Assigned',
  });
  await seedPolicy(GROUP_MEMBER, rules(['MultiFactorAuthentication', 'Justification', 'Ticketing']));
  await putEligibility({
    principalId: alex.id,
    target: GROUP_MEMBER,
    startDateTime: SINCE,
    endDateTime: null,
  });
  // The administrators and readers of the service itself.
  await putAssignment(megan.id, {
    principalId: megan.id,
    target: { kind: 'role', roleDefinitionId: ROLE_IDS.privilegedRoleAdministrator, directoryScopeId: '/' },
    startDateTime: SINCE,
    endDateTime: null,
    assignmentType: 'Assigned',
  });
  await putAssignment(reader.id, {
    principalId: reader.id,
    target: SECURITY_READER,
    startDateTime: SINCE,
    endDateTime: null,
    assignmentType: 'Assigned',
  });
}
