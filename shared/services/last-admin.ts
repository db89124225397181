// The last active holder of a protected role (Global Administrator, Privileged Role Administrator)
// may not go: without one, nobody could administer PIM again. A holder is a user with an active
// assignment of the role (admin-assigned or a live activation), or a role-assignable group with one
// that has an active member, so taking the last member out of such a group counts as removing the
// role too. Live activations are read from the activation index, which publication keeps a moment
// behind the commits: a grant made in the last moment may not count yet (the rule errs towards
// refusing), and an activation ended in that moment may still count.
import { LastAdministratorError } from '../domain/errors';
import { builtInRole, PROTECTED_ROLE_IDS } from '../domain/roles';
import { isActiveAt, type ScheduleRecord } from '../domain/schedules';
import { allPages } from './access';
import type { Stores } from './stores';

async function activeAssignments(
  stores: Stores,
  resource: { kind: 'role' | 'group'; id: string },
  now: Date,
  principalId?: string,
): Promise<ScheduleRecord[]> {
  const [assigned, activated] = await Promise.all([
    stores.roleManagement.schedules(resource, 'assignment', { principalId, notEndedAt: now }),
    allPages((page) =>
      stores.activations.schedules(resource.kind, page, { resourceId: resource.id, notEndedAt: now }),
    ),
  ]);
  return [
    ...assigned.map((r) => r.value),
    ...activated.filter((s) => principalId === undefined || s.principalId === principalId),
  ].filter((s) => isActiveAt(s, now));
}

/** Whether someone still holds `roleId` actively once the schedules in `without` are gone. */
async function stillHeld(
  stores: Stores,
  roleId: string,
  now: Date,
  without: ReadonlySet<string>,
): Promise<boolean> {
  const holders = (await activeAssignments(stores, { kind: 'role', id: roleId }, now)).filter(
    (s) => !without.has(s.id),
  );
  for (const holder of holders) {
    if (!(await stores.roleManagement.group(holder.principalId))) return true;
    const members = (await activeAssignments(stores, { kind: 'group', id: holder.principalId }, now)).filter(
      (m) => m.target.kind === 'group' && m.target.accessId === 'member' && !without.has(m.id),
    );
    if (members.length > 0) return true;
  }
  return false;
}

function refusal(roleId: string): LastAdministratorError {
  return new LastAdministratorError(builtInRole(roleId)?.displayName ?? 'administrator');
}

/** Refuses ending (or postponing) `schedule`, an active assignment of a protected role, if it is the last. */
export async function requireOtherRoleHolder(
  stores: Stores,
  schedule: ScheduleRecord,
  now: Date,
): Promise<void> {
  const t = schedule.target;
  if (t.kind !== 'role' || !PROTECTED_ROLE_IDS.includes(t.roleDefinitionId) || !isActiveAt(schedule, now))
    return;
  if (!(await stillHeld(stores, t.roleDefinitionId, now, new Set([schedule.id]))))
    throw refusal(t.roleDefinitionId);
}

/** Refuses ending the group memberships `memberships` if they leave a protected role without a holder. */
export async function requireOtherGroupAdmin(
  stores: Stores,
  groupId: string,
  memberships: readonly ScheduleRecord[],
  now: Date,
): Promise<void> {
  const ending = memberships.filter(
    (m) => m.target.kind === 'group' && m.target.accessId === 'member' && isActiveAt(m, now),
  );
  if (ending.length === 0) return;
  const without = new Set(ending.map((m) => m.id));
  for (const roleId of PROTECTED_ROLE_IDS) {
    const heldByGroup = await activeAssignments(stores, { kind: 'role', id: roleId }, now, groupId);
    if (heldByGroup.length > 0 && !(await stillHeld(stores, roleId, now, without))) throw refusal(roleId);
  }
}

/** Who holds a protected role now: direct holders, and the active members of groups that hold one. */
export async function protectedRoleHolderIds(stores: Stores, now: Date): Promise<string[]> {
  const ids = new Set<string>();
  for (const roleId of PROTECTED_ROLE_IDS) {
    for (const holder of await activeAssignments(stores, { kind: 'role', id: roleId }, now)) {
      if (!(await stores.roleManagement.group(holder.principalId))) {
        ids.add(holder.principalId);
        continue;
      }
      for (const m of await activeAssignments(stores, { kind: 'group', id: holder.principalId }, now)) {
        if (m.target.kind === 'group' && m.target.accessId === 'member') ids.add(m.principalId);
      }
    }
  }
  return [...ids];
}
