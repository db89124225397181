// The grants that hold for a principal now: direct role assignments plus roles held by groups the
// principal is an active member (or owner) of. One partition read for the principal and one per
// group: never a scan.

import { ROLE_IDS } from '../access/catalog';
import { type ActiveGrant, decide, isInForce } from '../access/decision';
import { isBootstrapAdmin } from '../auth/authenticate';
import { groupPartition, listAssignments } from './assignments-repo';

export async function activeGrants(principalId: string, now: Date): Promise<ActiveGrant[]> {
  const own = await listAssignments(principalId);
  const grants: ActiveGrant[] = [];
  for (const a of own) {
    if (a.target.kind === 'role') {
      grants.push({
        roleDefinitionId: a.target.roleDefinitionId,
        directoryScopeId: a.target.directoryScopeId,
        startDateTime: a.startDateTime,
        endDateTime: a.endDateTime,
        memberType: 'Direct',
      });
    } else if (isInForce(a.startDateTime, a.endDateTime, now)) {
      for (const g of await listAssignments(groupPartition(a.target.groupId))) {
        if (g.target.kind !== 'role') continue;
        grants.push({
          roleDefinitionId: g.target.roleDefinitionId,
          directoryScopeId: g.target.directoryScopeId,
          startDateTime: g.startDateTime,
          endDateTime: g.endDateTime,
          memberType: 'Group',
          viaGroupId: a.target.groupId,
          membershipEndDateTime: a.endDateTime,
        });
      }
    }
  }
  return grants;
}

export async function checkAccess(principalId: string, action: string, scope: string, now: Date) {
  return decide(await activeGrants(principalId, now), action, scope, now);
}

const ADMIN_ROLES = new Set<string>([ROLE_IDS.globalAdministrator, ROLE_IDS.privilegedRoleAdministrator]);
const READER_ROLES = new Set<string>([
  ...ADMIN_ROLES,
  ROLE_IDS.securityReader,
  ROLE_IDS.globalReader,
  ROLE_IDS.securityAdministrator,
]);

async function holdsAny(principalId: string, roles: Set<string>, now: Date): Promise<boolean> {
  const grants = await activeGrants(principalId, now);
  return grants.some(
    (g) =>
      roles.has(g.roleDefinitionId) &&
      g.directoryScopeId === '/' &&
      isInForce(g.startDateTime, g.endDateTime, now),
  );
}

/** Global Administrator and Privileged Role Administrator manage; bootstrap admins too. */
export async function isAdmin(principalId: string, now: Date): Promise<boolean> {
  return isBootstrapAdmin(principalId) || holdsAny(principalId, ADMIN_ROLES, now);
}

/** Admins, Security Reader, Global Reader and Security Administrator read. */
export async function isReader(principalId: string, now: Date): Promise<boolean> {
  return isBootstrapAdmin(principalId) || holdsAny(principalId, READER_ROLES, now);
}
