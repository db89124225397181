// "May P do action A on scope S now?" over the grants that hold at `now`: direct active role
// assignments and roles held by groups P is an active member of. An assignment past its end grants
// nothing, whether or not its revoke has run yet: access ends to the second.
import { roleAllows, roleDefinition, scopeCovers } from './catalog';

export interface ActiveGrant {
  roleDefinitionId: string;
  directoryScopeId: string;
  startDateTime: string;
  endDateTime: string | null;
  memberType: 'Direct' | 'Group';
  viaGroupId?: string;
  /** For group-derived grants, the end of the membership (the earlier of the two ends counts). */
  membershipEndDateTime?: string | null;
}

export interface Decision {
  allowed: boolean;
  grants: {
    roleDefinitionId: string;
    directoryScopeId: string;
    memberType: 'Direct' | 'Group';
    viaGroupId?: string;
    endDateTime: string | null;
  }[];
}

export function isInForce(start: string, end: string | null, now: Date): boolean {
  return Date.parse(start) <= now.getTime() && (end === null || now.getTime() < Date.parse(end));
}

/** The earlier of two ends, null meaning "never". */
export function earlierEnd(a: string | null | undefined, b: string | null | undefined): string | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return Date.parse(a) <= Date.parse(b) ? a : b;
}

export function decide(grants: ActiveGrant[], action: string, scope: string, now: Date): Decision {
  const matching = grants
    .map((g) => ({
      g,
      end: g.memberType === 'Group' ? earlierEnd(g.endDateTime, g.membershipEndDateTime) : g.endDateTime,
    }))
    .filter(({ g, end }) => isInForce(g.startDateTime, end, now))
    .filter(({ g }) => scopeCovers(g.directoryScopeId, scope))
    .filter(({ g }) => {
      const role = roleDefinition(g.roleDefinitionId);
      return role !== undefined && roleAllows(role, action);
    })
    .map(({ g, end }) => ({
      roleDefinitionId: g.roleDefinitionId,
      directoryScopeId: g.directoryScopeId,
      memberType: g.memberType,
      ...(g.viaGroupId ? { viaGroupId: g.viaGroupId } : {}),
      endDateTime: end,
    }));
  return { allowed: matching.length > 0, grants: matching };
}
