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
