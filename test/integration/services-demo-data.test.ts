// The seeds' scenario as demo data: loading twice changes nothing and writes no audit rows.
import { odata } from '@azure/data-tables';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '../../shared/auth/demo-users';
import { activationEvaluation } from '../../shared/domain/policy-evaluation';
import { BuiltInRoleId, Permission } from '../../shared/domain/roles';
import type { Services } from '../../shared/services';
import { systemContext } from '../../shared/services/context';
import { DEMO_GROUP_ID, loadDemoData } from '../../shared/services/demo-data';
import { queryAll } from '../../shared/storage/paging';
import { appTable, type TableBaseName, TableName } from '../../shared/storage/tables';
import { isolateTables, makeServices, TestClock } from './services-fixtures';

isolateTables();

const clock = new TestClock();
let s: Services;
let first: number;
beforeAll(async () => {
  s = makeServices(clock);
  first = (await loadDemoData(s)).changes;
});

const rows = (table: TableBaseName) =>
  queryAll(appTable(table), odata`PartitionKey ge ${''}`, (r) => `${r.partitionKey}/${r.rowKey}/${r.etag}`);

describe('demo data', () => {
  it('is idempotent: a second run writes nothing, not even audit rows', async () => {
    expect(first).toBeGreaterThan(5);
    const before = await Promise.all([
      rows(TableName.users),
      rows(TableName.roleManagement),
      rows(TableName.auditLogs),
      rows(TableName.roleManagementIndex),
    ]);
    clock.advance(60_000);
    expect((await loadDemoData(makeServices(clock))).changes).toBe(0);
    const after = await Promise.all([
      rows(TableName.users),
      rows(TableName.roleManagement),
      rows(TableName.auditLogs),
      rows(TableName.roleManagementIndex),
    ]);
    expect(after).toEqual(before); // same rows, same ETags
  });

  it("holds the seeds' scenario", async () => {
    const now = clock.now();
    const { alex, megan, reader, adele } = DEMO_USERS;
    // Alex: permanently eligible for Security Reader at '/', eligible member of the group, nothing active.
    const eligible = await s.schedules.listSchedules(
      systemContext('test'),
      'role',
      'eligibility',
      { principalId: alex.id },
      { top: 10 },
    );
    expect(eligible.items).toMatchObject([
      {
        target: { roleDefinitionId: BuiltInRoleId.securityReader, directoryScopeId: '/' },
        endDateTime: null,
      },
    ]);
    expect(await s.access.rolesOf(alex.id, now)).toEqual([]);
    const groupEligible = await s.stores.index.schedulesOfPrincipal(alex.id, 'group', 'eligibility', {
      top: 10,
    });
    expect(groupEligible.items).toMatchObject([
      { target: { groupId: DEMO_GROUP_ID, accessId: 'member' }, endDateTime: null },
    ]);

    // Security Reader: 8 hours, MFA, no justification.
    const sr = await s.policies.forTarget({ kind: 'role', roleDefinitionId: BuiltInRoleId.securityReader });
    const eightHours = { start: now, end: new Date(now.getTime() + 8 * 3_600_000) };
    expect(activationEvaluation(sr.value, { window: eightHours, mfaSatisfied: true })).toMatchObject({
      failedRules: [],
      mfaRequired: true,
    });
    expect(
      activationEvaluation(sr.value, {
        window: { start: now, end: new Date(now.getTime() + 9 * 3_600_000) },
        mfaSatisfied: true,
      }).failedRules,
    ).toEqual(['ExpirationRule']);

    // The group's member policy: MFA, justification and ticket; Adele is the configured approver.
    const gp = await s.policies.forTarget({ kind: 'group', groupId: DEMO_GROUP_ID, accessId: 'member' });
    const evaluation = activationEvaluation(gp.value, { window: eightHours, mfaSatisfied: false });
    expect(evaluation.failedRules).toEqual(['MfaRule', 'JustificationRule', 'TicketingRule']);
    const approval = gp.value.rules.find((r) => r.id === 'Approval_EndUser_Assignment');
    expect(JSON.stringify(approval)).toContain(adele.id);

    // The group holds Search and Purge; Megan administers; Isaiah reads.
    const group = await s.stores.roleManagement.group(DEMO_GROUP_ID);
    expect(group?.value).toMatchObject({ displayName: 'Search and Purge PIM', isAssignableToRole: true });
    expect((await s.access.rolesOf(DEMO_GROUP_ID, now)).map((g) => g.roleDefinitionId)).toEqual([
      BuiltInRoleId.searchAndPurge,
    ]);
    expect(await s.access.canManage(megan.id, now)).toBe(true);
    expect(await s.access.canRead(reader.id, now)).toBe(true);
    expect((await s.access.check(reader.id, Permission.purgeMail, '/', now)).allowed).toBe(false);
    expect((await s.stores.users.get(alex.id))?.value.displayName).toBe('Alex Wilber');
  });
});
