// Responses compared with Graph v1.0's published metadata (test/helpers/graph-shape.ts): after the
// seeds' scenario has made requests, schedules, an approval and audit rows, every PIM resource this
// service returns has Graph's properties, types and enum values, and nothing else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS, type DemoUserKey } from '../../shared/auth/demo-users';
import { DEMO_GROUP_ID } from '../../shared/services/demo-data';
import { eventually, readJson } from '../helpers/devhost';
import { shapeProblems } from '../helpers/graph-shape';
import { ROLE_IDS } from '../helpers/seeds';
import { type SeedsHost, startSeedsHost } from '../helpers/seeds-host';

const V1 = '/api/v1.0';
const ROLE = `${V1}/roleManagement/directory`;
const GROUP = `${V1}/identityGovernance/privilegedAccess/group`;
const alex = DEMO_USERS.alex.id;

let seeds: SeedsHost;
const call = (user: DemoUserKey, method: string, url: string, body?: unknown) =>
  seeds.call(user, method, url, body);
async function get(user: DemoUserKey, url: string) {
  const res = await call(user, 'GET', url);
  expect(res.status, url).toBe(200);
  return readJson(res);
}

beforeAll(async () => {
  seeds = await startSeedsHost('Shapes');
  // Requests, schedules, instances, an approval and audit rows to look at.
  const reader = await readJson(
    await call('alex', 'POST', `${ROLE}/roleAssignmentScheduleRequests`, {
      action: 'selfActivate',
      principalId: alex,
      roleDefinitionId: ROLE_IDS.securityReader,
      directoryScopeId: '/',
      justification: 'Shape check',
    }),
  );
  expect(reader.status).toBe('Provisioned');
  const purge = await readJson(
    await call('alex', 'POST', `${GROUP}/assignmentScheduleRequests`, {
      action: 'selfActivate',
      principalId: alex,
      groupId: DEMO_GROUP_ID,
      accessId: 'member',
      justification: 'Shape check',
      ticketInfo: { ticketNumber: 'INC-1', ticketSystem: 'ServiceNow' },
    }),
  );
  expect(purge.status).toBe('Provisioned');
}, 60_000);

afterAll(async () => {
  await seeds?.stop();
});

describe('users are Graph users', () => {
  it("carry Graph's default property set, no more and no less", async () => {
    const DEFAULT_SET = [
      'businessPhones',
      'displayName',
      'givenName',
      'id',
      'jobTitle',
      'mail',
      'mobilePhone',
      'officeLocation',
      'preferredLanguage',
      'surname',
      'userPrincipalName',
    ];
    const list = await get('alex', `${V1}/users`);
    for (const u of [
      ...list.value,
      await get('alex', `${V1}/users/${alex}`),
      await get('alex', `${V1}/me`),
    ]) {
      expect(
        Object.keys(u)
          .filter((k) => !k.startsWith('@odata'))
          .sort(),
      ).toEqual(DEFAULT_SET);
      expect(u.businessPhones).toEqual([]);
    }
  });
});

describe('groups are Graph groups', () => {
  it("carry Graph's default property set, of Graph's types", async () => {
    const DEFAULT_SET = [
      'classification',
      'createdDateTime',
      'deletedDateTime',
      'description',
      'displayName',
      'expirationDateTime',
      'groupTypes',
      'id',
      'isAssignableToRole',
      'mail',
      'mailEnabled',
      'mailNickname',
      'membershipRule',
      'membershipRuleProcessingState',
      'onPremisesDomainName',
      'onPremisesLastSyncDateTime',
      'onPremisesNetBiosName',
      'onPremisesProvisioningErrors',
      'onPremisesSamAccountName',
      'onPremisesSecurityIdentifier',
      'onPremisesSyncEnabled',
      'preferredDataLocation',
      'preferredLanguage',
      'proxyAddresses',
      'renewedDateTime',
      'resourceBehaviorOptions',
      'resourceProvisioningOptions',
      'securityEnabled',
      'securityIdentifier',
      'theme',
      'visibility',
    ];
    const list = await get('alex', `${V1}/groups`);
    for (const g of [...list.value, await get('alex', `${V1}/groups/${DEMO_GROUP_ID}`)]) {
      const own = Object.keys(g).filter((k) => !k.startsWith('@odata'));
      expect(own.sort()).toEqual(DEFAULT_SET);
      // Of Graph's types: the full type's other properties are simply not asked for here.
      const problems = shapeProblems(g, 'group').filter((p) => !/: missing \(/.test(p));
      expect(problems).toEqual([]);
    }
  });
});

describe('approvals are Graph approvals', () => {
  it("for the requester and in the approver's inbox", async () => {
    // Extensions of Security Reader now need Adele's yes; Alex's second activation is such an extension.
    const policy = `${V1}/policies/roleManagementPolicies/DirectoryRole_${ROLE_IDS.securityReader}`;
    const rule = await get('megan', `${policy}/rules/Approval_EndUser_Assignment`);
    rule.setting.isApprovalRequiredForExtension = true;
    rule.setting.approvalStages[0].primaryApprovers = [
      { '@odata.type': '#microsoft.graph.singleUser', userId: DEMO_USERS.adele.id },
    ];
    expect((await call('megan', 'PATCH', `${policy}/rules/Approval_EndUser_Assignment`, rule)).status).toBe(
      200,
    );
    const extension = await readJson(
      await call('alex', 'POST', `${ROLE}/roleAssignmentScheduleRequests`, {
        action: 'selfActivate',
        principalId: alex,
        roleDefinitionId: ROLE_IDS.securityReader,
        directoryScopeId: '/',
        justification: 'Shape check, longer',
      }),
    );
    expect(extension.status).toBe('PendingApproval');
    const own = await eventually(async () => {
      const res = await call('alex', 'GET', `${ROLE}/roleAssignmentApprovals/${extension.approvalId}`);
      return res.status === 200 ? readJson(res) : undefined;
    });
    expect(shapeProblems(own, 'approval')).toEqual([]);
    const inbox = await eventually(async () => {
      const body = await get('adele', `${ROLE}/roleAssignmentApprovals/filterByCurrentUser(on='approver')`);
      return body.value.length > 0 ? body : undefined;
    });
    for (const item of inbox.value) expect(shapeProblems(item, 'approval')).toEqual([]);
  });
});

describe('responses have the shapes of Graph v1.0', () => {
  const cases: [string, DemoUserKey, string, string][] = [
    ['role definitions', 'alex', `${ROLE}/roleDefinitions`, 'unifiedRoleDefinition'],
    [
      'role assignment schedule requests',
      'alex',
      `${ROLE}/roleAssignmentScheduleRequests/filterByCurrentUser(on='principal')`,
      'unifiedRoleAssignmentScheduleRequest',
    ],
    [
      'role eligibility schedule requests',
      'megan',
      `${ROLE}/roleEligibilityScheduleRequests`,
      'unifiedRoleEligibilityScheduleRequest',
    ],
    [
      'role assignment schedule instances',
      'megan',
      `${ROLE}/roleAssignmentScheduleInstances`,
      'unifiedRoleAssignmentScheduleInstance',
    ],
    [
      'role assignment schedules',
      'megan',
      `${ROLE}/roleAssignmentSchedules`,
      'unifiedRoleAssignmentSchedule',
    ],
    [
      'role eligibility schedule instances',
      'megan',
      `${ROLE}/roleEligibilityScheduleInstances`,
      'unifiedRoleEligibilityScheduleInstance',
    ],
    [
      'role eligibility schedules',
      'megan',
      `${ROLE}/roleEligibilitySchedules`,
      'unifiedRoleEligibilitySchedule',
    ],
    [
      'group assignment schedule requests',
      'alex',
      `${GROUP}/assignmentScheduleRequests/filterByCurrentUser(on='principal')`,
      'privilegedAccessGroupAssignmentScheduleRequest',
    ],
    [
      'group assignment schedule instances',
      'megan',
      `${GROUP}/assignmentScheduleInstances?$filter=${encodeURIComponent(`groupId eq '${DEMO_GROUP_ID}'`)}`,
      'privilegedAccessGroupAssignmentScheduleInstance',
    ],
    [
      'group eligibility schedule instances',
      'megan',
      `${GROUP}/eligibilityScheduleInstances?$filter=${encodeURIComponent(`groupId eq '${DEMO_GROUP_ID}'`)}`,
      'privilegedAccessGroupEligibilityScheduleInstance',
    ],
    [
      'policies',
      'megan',
      `${V1}/policies/roleManagementPolicies?$filter=${encodeURIComponent("scopeId eq '/' and scopeType eq 'DirectoryRole'")}`,
      'unifiedRoleManagementPolicy',
    ],
    [
      'policy assignments',
      'megan',
      `${V1}/policies/roleManagementPolicyAssignments?$filter=${encodeURIComponent("scopeId eq '/' and scopeType eq 'DirectoryRole'")}`,
      'unifiedRoleManagementPolicyAssignment',
    ],
    [
      'policy rules',
      'megan',
      `${V1}/policies/roleManagementPolicies/DirectoryRole_${ROLE_IDS.securityReader}/rules`,
      'unifiedRoleManagementPolicyRule',
    ],
    ['audit rows', 'megan', `${V1}/auditLogs/directoryAudits?$top=50`, 'directoryAudit'],
  ];

  for (const [name, user, url, type] of cases) {
    it(name, async () => {
      const page = await eventually(async () => {
        const body = await get(user, url);
        return body.value.length > 0 ? body : undefined;
      });
      const problems = new Set<string>();
      for (const item of page.value) {
        for (const p of shapeProblems(item, type)) problems.add(p.replace(/\[\d+\]/g, '[]'));
      }
      expect([...problems]).toEqual([]);
    });
  }
});
