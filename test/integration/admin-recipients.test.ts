// Who gets the admins' mails by default (no NOTIFY_ADMIN_EMAILS): as in Entra, whoever holds Global
// Administrator or Privileged Role Administrator now, directly or as an active member of a group
// that holds it, and nobody whose assignment has ended.
import { beforeAll, describe, expect, it } from 'vitest';
import { BuiltInRoleId } from '../../shared/domain/roles';
import type { Services } from '../../shared/services';
import { protectedRoleHolderIds } from '../../shared/services/last-admin';
import { adminCtx, HOUR, isolateTables, makeServices, newUser, TestClock } from './services-fixtures';

isolateTables();

const clock = new TestClock();
let s: Services;
beforeAll(async () => {
  s = makeServices(clock);
  await s.startup();
});

const assign = (principalId: string, roleDefinitionId: string, duration?: string) =>
  s.requests.submitRoleRequest(adminCtx(), 'assignment', {
    action: 'adminAssign',
    principalId,
    roleDefinitionId,
    directoryScopeId: '/',
    justification: 'Administrators',
    scheduleInfo: { expiration: duration ? { type: 'afterDuration', duration } : { type: 'noExpiration' } },
  });

describe('default admin recipients', () => {
  it('are the holders of Global Administrator and Privileged Role Administrator, through groups too', async () => {
    const [global, pra, reader, member] = [
      newUser('Global'),
      newUser('Pra'),
      newUser('Reader'),
      newUser('Member'),
    ];
    for (const u of [global, pra, reader, member]) await s.users.create(adminCtx(), u);
    await assign(global.id, BuiltInRoleId.globalAdministrator);
    await assign(pra.id, BuiltInRoleId.privilegedRoleAdministrator, 'PT2H');
    await assign(reader.id, BuiltInRoleId.securityReader);
    const group = await s.groups.create(adminCtx(), { displayName: 'PIM admins', isAssignableToRole: true });
    await s.groups.addMember(adminCtx(), group.value.id, member.id);
    await assign(group.value.id, BuiltInRoleId.privilegedRoleAdministrator);

    const now = await protectedRoleHolderIds(s.stores, clock.now());
    expect(now.sort()).toEqual([global.id, pra.id, member.id].sort());
    clock.advance(3 * HOUR); // the PRA assignment has ended
    expect((await protectedRoleHolderIds(s.stores, clock.now())).sort()).toEqual(
      [global.id, member.id].sort(),
    );
  });
});
