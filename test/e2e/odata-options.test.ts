// OData as Graph clients use it on the PIM lists: $expand of the role, group and principal,
// @odata.context on every answer, and annotations sent back in a round trip ignored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS, type DemoUserKey } from '../../shared/auth/demo-users';
import { DEMO_GROUP_ID } from '../../shared/services/demo-data';
import { readJson } from '../helpers/devhost';
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
