// OData as Graph clients use it on the PIM lists: $expand of the role, group and principal,
// @odata.context on every answer, and annotations sent back in a round trip ignored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS, type DemoUserKey } from '../../shared/auth/demo-users';
import { DEMO_GROUP_ID } from '../../shared/services/demo-data';
import { eventually, readJson } from '../helpers/devhost';
import { ROLE_IDS } from '../helpers/seeds';
import { type SeedsHost, startSeedsHost } from '../helpers/seeds-host';

const ROLE = '/api/v1.0/roleManagement/directory';
const GROUP = '/api/v1.0/identityGovernance/privilegedAccess/group';
const MINE = "filterByCurrentUser(on='principal')";

describe('OData options on the PIM lists', () => {
  let seeds: SeedsHost;
  beforeAll(async () => {
    seeds = await startSeedsHost('OData');
  });
  afterAll(async () => {
    await seeds?.stop();
  });
  const get = async (user: DemoUserKey, url: string) => {
    const res = await seeds.call(user, 'GET', url);
    return { status: res.status, body: await readJson(res) };
  };

  it('expands the role definition, the principal and the scope of eligibility instances', async () => {
    const { status, body } = await get(
      'alex',
      `${ROLE}/roleEligibilityScheduleInstances/${MINE}?$expand=roleDefinition,principal,directoryScope`,
    );
    expect(status).toBe(200);
    expect(body['@odata.context']).toMatch(
      /\/api\/v1\.0\/\$metadata#roleManagement\/directory\/roleEligibilityScheduleInstances$/,
    );
    const reader = body.value.find(
      (i: { roleDefinitionId: string }) => i.roleDefinitionId === ROLE_IDS.securityReader,
    );
    expect(reader.roleDefinition).toMatchObject({
      id: ROLE_IDS.securityReader,
      displayName: 'Security Reader',
    });
    expect(reader.roleDefinition.rolePermissions[0].allowedResourceActions.length).toBeGreaterThan(0);
    expect(reader.principal).toMatchObject({
      '@odata.type': '#microsoft.graph.user',
      id: DEMO_USERS.alex.id,
      displayName: 'Alex Wilber',
    });
    expect(reader.directoryScope).toBeNull(); // '/' is the whole directory, as in Graph
  });

  it('expands the group on group lists, and keeps $select with $expand', async () => {
    const { body } = await get(
      'alex',
      `${GROUP}/eligibilityScheduleInstances/${MINE}?$expand=group&$select=groupId`,
    );
    const item = body.value.find((i: { groupId: string }) => i.groupId === DEMO_GROUP_ID);
    expect(Object.keys(item).sort()).toEqual(['group', 'groupId', 'id']);
    expect(item.group).toMatchObject({ id: DEMO_GROUP_ID, displayName: 'Search and Purge PIM' });
  });

  it('selects properties of one item as of a list', async () => {
    const one = await get('alex', `/api/v1.0/groups/${DEMO_GROUP_ID}?$select=displayName`);
    expect(one.status).toBe(200);
    expect(Object.keys(one.body).sort()).toEqual(['@odata.context', 'displayName', 'id']);
    const role = await get(
      'alex',
      `${ROLE}/roleDefinitions/${ROLE_IDS.securityReader}?$select=displayName,isBuiltIn`,
    );
    expect(role.body).toMatchObject({
      id: ROLE_IDS.securityReader,
      displayName: 'Security Reader',
      isBuiltIn: true,
    });
    expect(role.body.rolePermissions).toBeUndefined();
    const unknown = await get('alex', `/api/v1.0/groups/${DEMO_GROUP_ID}?$select=shoeSize`);
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain("'shoeSize'");
    expect((await get('alex', `/api/v1.0/groups/${DEMO_GROUP_ID}?$select=a/b`)).status).toBe(400);
    // On a list, a name the Graph type lacks is a 400 even when the page is empty.
    const none = `${ROLE}/roleAssignmentScheduleRequests/filterByCurrentUser(on='approver')`;
    const empty = await get(
      'megan',
      `${ROLE}/roleEligibilityScheduleInstances?$filter=${encodeURIComponent("principalId eq '00000000-0000-0000-0000-000000000000'")}&$select=shoeSize`,
    );
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toContain('unifiedRoleEligibilityScheduleInstance');
    const fine = await get(
      'megan',
      `${ROLE}/roleEligibilityScheduleInstances?$filter=${encodeURIComponent("principalId eq '00000000-0000-0000-0000-000000000000'")}&$select=startDateTime`,
    );
    expect(fine.status).toBe(200);
    expect(fine.body.value).toEqual([]);
    expect((await get('adele', `${none}?$top=1`)).status).toBe(200);
  });

  it('takes $orderby where it names the order the list has (audit rows, newest first)', async () => {
    const audits = '/api/v1.0/auditLogs/directoryAudits?$top=5&$orderby=';
    const desc = await get('megan', `${audits}${encodeURIComponent('activityDateTime  DESC')}`);
    expect(desc.status).toBe(200);
    const times = desc.body.value.map((a: { activityDateTime: string }) => a.activityDateTime);
    expect([...times].sort().reverse()).toEqual(times);
    const asc = await get('megan', `${audits}${encodeURIComponent('activityDateTime asc')}`);
    expect(asc.status).toBe(400);
    expect(asc.body.error.message).toContain('activityDateTime desc');
    expect((await get('alex', `/api/v1.0/users?$orderby=displayName`)).status).toBe(400);
  });

  it('refuses what cannot be expanded there, naming what can', async () => {
    const bogus = await get('alex', `${ROLE}/roleEligibilityScheduleInstances/${MINE}?$expand=appScope`);
    expect(bogus.status).toBe(400);
    expect(bogus.body.error.message).toContain('roleDefinition, principal, directoryScope');
    const onGroups = await get(
      'alex',
      `${GROUP}/eligibilityScheduleInstances/${MINE}?$expand=roleDefinition`,
    );
    expect(onGroups.status).toBe(400);
  });

  it("filters requests with ne, in, dates and status (the admin's pending view), ids in any case", async () => {
    const activation = {
      principalId: DEMO_USERS.alex.id,
      roleDefinitionId: ROLE_IDS.securityReader,
      directoryScopeId: '/',
      justification: 'filter test',
    };
    const clock = await readJson(await fetch(`${seeds.host.baseUrl}/admin/devhost/clock`));
    const started = new Date(clock.now).toISOString();
    const on = await seeds.call('alex', 'POST', `${ROLE}/roleAssignmentScheduleRequests`, {
      action: 'selfActivate',
      ...activation,
    });
    expect(on.status).toBe(201);
    const off = await seeds.call('alex', 'POST', `${ROLE}/roleAssignmentScheduleRequests`, {
      action: 'selfDeactivate',
      ...activation,
    });
    expect(off.status).toBe(201);
    const list = async (filter: string, user: DemoUserKey = 'megan') => {
      const res = await get(
        user,
        `${ROLE}/roleAssignmentScheduleRequests?$filter=${encodeURIComponent(filter)}`,
      );
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body.value as {
        action: string;
        status: string;
        principalId: string;
        createdDateTime: string;
      }[];
    };
    const alexUpper = DEMO_USERS.alex.id.toUpperCase();
    const deactivations = await list(`principalId eq '${alexUpper}' and action eq 'selfDeactivate'`, 'alex');
    expect(deactivations.length).toBeGreaterThan(0);
    expect(deactivations.every((r) => r.action === 'selfDeactivate')).toBe(true);
    // Everyone's list reads the index, which publication fills just after each answer.
    const both = await eventually(async () => {
      const found = await list(
        `action in ('selfActivate', 'selfDeactivate') and createdDateTime ge ${started}`,
      );
      return found.length >= 2 ? found : undefined;
    });
    expect(new Set(both.map((r) => r.action))).toEqual(new Set(['selfActivate', 'selfDeactivate']));
    expect(both.every((r) => r.createdDateTime >= started)).toBe(true);
    const counted = await get(
      'megan',
      `${ROLE}/roleAssignmentScheduleRequests?$count=true&$top=1&$filter=${encodeURIComponent(`createdDateTime ge ${started}`)}`,
    );
    expect(counted.body['@odata.count']).toBeGreaterThanOrEqual(2);
    expect(counted.body.value).toHaveLength(1);
    expect(counted.body['@odata.nextLink']).toContain('$count=true');
    expect(counted.body['@odata.context']).toMatch(
      /#roleManagement\/directory\/roleAssignmentScheduleRequests$/,
    );
    expect((await get('megan', `${ROLE}/roleAssignmentScheduleRequests?$count=yes`)).status).toBe(400);
    const users = await get('alex', '/api/v1.0/users?$count=true&$top=2');
    expect(users.body['@odata.count']).toBeGreaterThanOrEqual(5); // the five demo users at least
    expect(users.body.value).toHaveLength(2);
    const notRevoked = await list(`status ne 'Revoked' and createdDateTime ge ${started}`);
    expect(notRevoked.every((r) => r.status !== 'Revoked')).toBe(true);
    const pending = await list(`status eq 'pendingapproval'`); // enums in any case, as Graph's
    expect(pending.every((r) => r.status === 'PendingApproval')).toBe(true);
    // Another person's requests stay a reader's business, whatever the filter's shape.
    expect(
      (
        await get(
          'alex',
          `${ROLE}/roleAssignmentScheduleRequests?$filter=${encodeURIComponent("status eq 'Revoked'")}`,
        )
      ).status,
    ).toBe(403);
    const unknown = await get(
      'megan',
      `${ROLE}/roleAssignmentScheduleRequests?$filter=${encodeURIComponent("ticketNumber eq 'x'")}`,
    );
    expect(unknown.status).toBe(400);
  });

  it('says the context of one item, and ignores it when the item is sent back', async () => {
    const rule = `/api/v1.0/policies/roleManagementPolicies/DirectoryRole_${ROLE_IDS.securityReader}/rules/Expiration_EndUser_Assignment`;
    const { body } = await get('megan', rule);
    expect(body['@odata.context']).toBeTruthy();
    const patched = await seeds.call('megan', 'PATCH', rule, { ...body, maximumDuration: 'PT6H' });
    expect(patched.status).toBe(200);
    expect((await readJson(patched)).maximumDuration).toBe('PT6H');
    const me = await get('alex', '/api/v1.0/me');
    expect(me.body['@odata.context']).toMatch(/\$metadata#me\/\$entity$/);
  });
});
