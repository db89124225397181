// Who holds what now (rolesOf), who may administer or read, and the rule that the last active
// Global Administrator / Privileged Role Administrator assignment cannot be removed.
import { beforeAll, describe, expect, it } from 'vitest';
import type { CrashPoint } from '../../shared/audit/outbox';
import { type AppError, LastAdministratorError } from '../../shared/domain/errors';
import { BuiltInRoleId } from '../../shared/domain/roles';
import type { Services } from '../../shared/services';
import { userContext } from '../../shared/services/context';
import {
  adminCtx,
  BOOTSTRAP_ADMIN,
  HOUR,
  isolateTables,
  makeServices,
  newUser,
  TestClock,
} from './services-fixtures';

isolateTables();

const clock = new TestClock();

function crashOnce(point: CrashPoint) {
  let armed = true;
  return (at: CrashPoint) => {
    if (armed && at === point) {
      armed = false;
      throw new Error(`simulated crash at ${at}`);
    }
  };
}
let s: Services;
beforeAll(async () => {
  s = makeServices(clock);
  await s.startup();
});

const assign = (principalId: string, roleDefinitionId: string, duration?: string, start?: Date) =>
  s.requests.submitRoleRequest(adminCtx(), 'assignment', {
    action: 'adminAssign',
    principalId,
    roleDefinitionId,
    justification: 'test',
    scheduleInfo: {
      ...(start ? { startDateTime: start.toISOString() } : {}),
      expiration: duration ? { type: 'afterDuration', duration } : { type: 'noExpiration' },
    },
  });
const remove = (principalId: string, roleDefinitionId: string) =>
  s.requests.submitRoleRequest(adminCtx(), 'assignment', {
    action: 'adminRemove',
    principalId,
    roleDefinitionId,
  });

describe('rolesOf and who may do what', () => {
  it('direct grants, grants through group membership (ending with the membership), and nothing not yet started', async () => {
    const user = newUser();
    const group = await s.groups.create(adminCtx(), { displayName: 'Readers', isAssignableToRole: true });
    await assign(user.id, BuiltInRoleId.securityReader, 'PT8H');
    await assign(user.id, BuiltInRoleId.globalReader, 'PT1H', new Date(clock.now().getTime() + HOUR));
    await assign(group.value.id, BuiltInRoleId.searchAndPurge);
    await s.requests.submitGroupRequest(adminCtx(), 'assignment', {
      action: 'adminAssign',
      principalId: user.id,
      groupId: group.value.id,
      accessId: 'member',
      justification: 'on call',
      scheduleInfo: { expiration: { type: 'afterDuration', duration: 'PT2H' } },
    });
    const now = clock.now();
    const grants = await s.access.rolesOf(user.id, now);
    expect(grants).toHaveLength(2);
    expect(grants).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          roleDefinitionId: BuiltInRoleId.securityReader,
          memberType: 'Direct',
          directoryScopeId: '/',
        }),
        expect.objectContaining({
          roleDefinitionId: BuiltInRoleId.searchAndPurge,
          memberType: 'Group',
          viaGroupId: group.value.id,
          endDateTime: new Date(now.getTime() + 2 * HOUR).toISOString(),
        }),
      ]),
    );
    const later = new Date(now.getTime() + 90 * 60_000);
    expect((await s.access.rolesOf(user.id, later)).map((g) => g.roleDefinitionId).sort()).toEqual(
      [BuiltInRoleId.securityReader, BuiltInRoleId.searchAndPurge, BuiltInRoleId.globalReader].sort(),
    );
    const afterMembership = new Date(now.getTime() + 2 * HOUR);
    expect((await s.access.rolesOf(user.id, afterMembership)).map((g) => g.roleDefinitionId)).toEqual([
      BuiltInRoleId.securityReader,
    ]);
  });

  it('GA and PRA manage; Security Reader and Global Reader read; bootstrap admins manage; others neither', async () => {
    const [pra, ga, reader, globalReader, plain] = [newUser(), newUser(), newUser(), newUser(), newUser()];
    await assign(pra.id, BuiltInRoleId.privilegedRoleAdministrator);
    await assign(ga.id, BuiltInRoleId.globalAdministrator);
    await assign(reader.id, BuiltInRoleId.securityReader);
    await assign(globalReader.id, BuiltInRoleId.globalReader);
    const now = clock.now();
    const matrix = async (id: string) => [
      await s.access.canManage(id, now),
      await s.access.canRead(id, now),
      await s.access.canReadAudit(id, now),
    ];
    expect(await matrix(pra.id)).toEqual([true, true, true]);
    expect(await matrix(ga.id)).toEqual([true, true, true]);
    expect(await matrix(reader.id)).toEqual([false, true, true]);
    expect(await matrix(globalReader.id)).toEqual([false, true, true]);
    expect(await matrix(plain.id)).toEqual([false, false, false]);
    expect(await matrix(BOOTSTRAP_ADMIN.id.toUpperCase())).toEqual([true, true, true]);
    // A PRA (not bootstrap) can administer through the services.
    await s.groups.create(userContext(pra), { displayName: 'Made by PRA' });
    await expect(s.groups.create(userContext(reader), { displayName: 'Nope' })).rejects.toThrow(
      /Insufficient privileges/,
    );
  });

  it('a removal that crashed after its commit grants nothing: the access record was narrowed first', async () => {
    const user = newUser();
    await assign(user.id, BuiltInRoleId.securityReader);
    expect(await s.access.rolesOf(user.id, clock.now())).toHaveLength(1);
    const crashing = makeServices(clock, { crashAt: crashOnce('afterCommit') });
    await expect(
      crashing.requests.submitRoleRequest(adminCtx(), 'assignment', {
        action: 'adminRemove',
        principalId: user.id,
        roleDefinitionId: BuiltInRoleId.securityReader,
      }),
    ).rejects.toThrow('simulated crash');
    // The principal's index still lists the assignment (not yet projected)...
    const copies = await s.stores.index.schedulesOfPrincipal(
      user.id,
      'role',
      'assignment',
      { top: 10 },
      clock.now(),
    );
    expect(copies.items).toHaveLength(1);
    // ...but it grants nothing: the record lost it before the commit.
    expect(await s.access.rolesOf(user.id, clock.now())).toEqual([]);
    await s.sweepAuditOutbox(0);
    expect(
      (await s.stores.index.schedulesOfPrincipal(user.id, 'role', 'assignment', { top: 10 }, clock.now()))
        .items,
    ).toEqual([]);
    expect(await s.access.rolesOf(user.id, clock.now())).toEqual([]);
  });

  it('a removal that crashed before its commit is undone in the record by the sweeper', async () => {
    const user = newUser();
    await assign(user.id, BuiltInRoleId.securityReader);
    const crashing = makeServices(clock, { crashAt: crashOnce('afterPrepare') });
    const removal = crashing.requests.submitRoleRequest(adminCtx(), 'assignment', {
      action: 'adminRemove',
      principalId: user.id,
      roleDefinitionId: BuiltInRoleId.securityReader,
    });
    await expect(removal).rejects.toThrow('simulated crash');
    // Narrowed ahead, never committed: the assignment is still stored, the record no longer grants it...
    expect(await s.access.rolesOf(user.id, clock.now())).toEqual([]);
    // ...until the sweeper finds the marker without its commit and re-derives the record from the rows.
    await s.sweepAuditOutbox(0);
    expect(await s.access.rolesOf(user.id, clock.now())).toHaveLength(1);
  });
});

describe('the last active administrator', () => {
  it('cannot be removed; a second holder makes removal possible; ended assignments do not count', async () => {
    const [megan, nina] = [newUser('Megan'), newUser('Nina')];
    await assign(megan.id, BuiltInRoleId.privilegedRoleAdministrator);
    // Another test of this file assigned a PRA too; remove every other holder first.
    const holders = await s.stores.roleManagement.schedules(
      { kind: 'role', id: BuiltInRoleId.privilegedRoleAdministrator },
      'assignment',
      {
        notEndedAt: clock.now(),
      },
    );
    for (const h of holders.filter((x) => x.value.principalId !== megan.id))
      await remove(h.value.principalId, BuiltInRoleId.privilegedRoleAdministrator);

    const refused = remove(megan.id, BuiltInRoleId.privilegedRoleAdministrator);
    await expect(refused).rejects.toBeInstanceOf(LastAdministratorError);
    await expect(refused).rejects.toMatchObject({ status: 400, code: 'LastActiveAdministratorAssignment' });
    const failure = (await s.stores.audit.query({ criteria: { targetId: megan.id }, top: 10 })).items.find(
      (a) => a.result === 'failure',
    );
    expect(failure?.resultReason).toMatch(/last active Privileged Role Administrator/);

    // A holder whose assignment will have ended by then does not count.
    await assign(nina.id, BuiltInRoleId.privilegedRoleAdministrator, 'PT1H');
    await remove(megan.id, BuiltInRoleId.privilegedRoleAdministrator).then(() =>
      assign(megan.id, BuiltInRoleId.privilegedRoleAdministrator),
    );
    clock.advance(2 * HOUR);
    await expect(remove(megan.id, BuiltInRoleId.privilegedRoleAdministrator)).rejects.toBeInstanceOf(
      LastAdministratorError,
    );
    // Eligibilities are not protected.
    const e = newUser();
    await s.requests.submitRoleRequest(adminCtx(), 'eligibility', {
      action: 'adminAssign',
      principalId: e.id,
      roleDefinitionId: BuiltInRoleId.globalAdministrator,
    });
    await s.requests.submitRoleRequest(adminCtx(), 'eligibility', {
      action: 'adminRemove',
      principalId: e.id,
      roleDefinitionId: BuiltInRoleId.globalAdministrator,
    });
  });

  it('two admins removing the last two holders at once: one wins, one is refused', async () => {
    const role = BuiltInRoleId.globalAdministrator;
    const holders = await s.stores.roleManagement.schedules({ kind: 'role', id: role }, 'assignment', {
      notEndedAt: clock.now(),
    });
    const [a, b] = [newUser('A'), newUser('B')];
    await assign(a.id, role);
    await assign(b.id, role);
    for (const h of holders) await remove(h.value.principalId, role);

    const results = await Promise.allSettled([remove(a.id, role), remove(b.id, role)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((refused.reason as AppError).code).toBe('LastActiveAdministratorAssignment');
    const left = (
      await s.stores.roleManagement.schedules({ kind: 'role', id: role }, 'assignment', {
        notEndedAt: clock.now(),
      })
    ).length;
    expect(left).toBe(1);
  });
});
