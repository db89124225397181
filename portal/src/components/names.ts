// Display names of roles, groups and people, loaded once per page.
import { type Group, pim, type RoleDefinition, type Target, type User } from '../api/pim';
import { useLoad } from './useLoad';

export interface Names {
  roles: RoleDefinition[];
  groups: Group[];
  users: User[];
  target(t: Target): string;
  user(id: string | null | undefined): string;
}

export function useNames(withUsers = false) {
  return useLoad<Names>(async () => {
    const [roles, groups, users] = await Promise.all([
      pim.roleDefinitions(),
      pim.groups(),
      withUsers ? pim.users() : Promise.resolve([] as User[]),
    ]);
    const roleName = new Map(roles.map((r) => [r.id, r.displayName]));
    const groupName = new Map(groups.map((g) => [g.id, g.displayName]));
    const userName = new Map(users.map((u) => [u.id, u.displayName]));
    return {
      roles,
      groups,
      users,
      target: (t) =>
        t.kind === 'role'
          ? (roleName.get(t.roleDefinitionId) ?? t.roleDefinitionId)
          : `${groupName.get(t.groupId) ?? t.groupId} (${t.accessId})`,
      user: (id) => (id ? (userName.get(id) ?? id) : ''),
    };
  });
}
