// Effective access, pure: given the grants a principal holds now (direct and through groups) and
// the definitions of their roles, may it perform an action at a scope? The answer lists what
// granted it. Finding the grants (storage) and the clock are the caller's business.
import { permissionsAllow, type RolePermission } from './permissions';
import type { MemberType } from './schedules';
import { scopeContains } from './scope';

/** An active role assignment of a principal, direct or through an active group membership. */
export interface Grant {
  roleDefinitionId: string;
  directoryScopeId: string;
  memberType: MemberType;
  /** The group that holds the role, for memberType Group. */
  viaGroupId?: string;
  /** When this grant ends (the earlier of the assignment's and the membership's ends); null = never. */
  endDateTime: string | null;
  /** The role assignment schedule behind the grant. */
  roleAssignmentScheduleId: string;
}

export interface RolePermissions {
  id: string;
  isEnabled: boolean;
  rolePermissions: readonly RolePermission[];
}

/** The grants that allow `action` at `scope` (empty: not allowed). Disabled or unknown roles grant nothing. */
export function grantsAllowing(
  grants: readonly Grant[],
  roles: ReadonlyMap<string, RolePermissions>,
  action: string,
  scope: string,
): Grant[] {
  return grants.filter((g) => {
    const role = roles.get(g.roleDefinitionId);
    return (
      role?.isEnabled === true &&
      scopeContains(g.directoryScopeId, scope) &&
      permissionsAllow(role.rolePermissions, action)
    );
  });
}

/** The earlier of two ends, where null means "never". */
export function earlierEnd(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return Date.parse(a) <= Date.parse(b) ? a : b;
}
