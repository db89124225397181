// Who holds which roles now, and who may administer or read PIM. The answer is exact to the
// instant asked: an assignment past its end is not active even if no revoke has run yet, and
// candidates found in the (eventually consistent) index are confirmed against their primary rows,
// so a removed assignment whose index copy lingers after a crash never grants anything.
import { earlierEnd, type Grant, grantsAllowing, type RolePermissions } from '../domain/access';
import { ForbiddenError } from '../domain/errors';
import { builtInRole, Permission } from '../domain/roles';
import { isActiveAt, type ScheduleRecord } from '../domain/schedules';
import { ROOT_SCOPE } from '../domain/scope';
import type { Page, PageRequest } from '../storage/paging';
import { resourceOfTarget } from '../storage/role-management-keys';
import type { OperationContext } from './context';
import type { Stores } from './stores';

export interface AccessCheck {
  allowed: boolean;
  evaluatedDateTime: string;
  grants: Grant[];
}

export class AccessService {
  private readonly bootstrap: ReadonlySet<string>;

  constructor(
    private readonly stores: Stores,
    bootstrapAdminIds: readonly string[],
  ) {
    this.bootstrap = new Set(bootstrapAdminIds.map((id) => id.toLowerCase()));
  }

  /** The principal's active role grants at `now`: direct, and through active group memberships. */
  async rolesOf(principalId: string, now: Date): Promise<Grant[]> {
    const id = principalId.toLowerCase();
    const grants: Grant[] = (await this.activeAssignments(id, 'role', now)).map((s) => grantOf(s, 'Direct'));
    // Groups the principal is an active member of (membership itself may be a PIM activation).
    const memberships = (await this.activeAssignments(id, 'group', now)).filter(
      (s) => s.target.kind === 'group' && s.target.accessId === 'member',
    );
    const membershipEnd = new Map<string, string | null>();
    for (const m of memberships) {
      const groupId = m.target.kind === 'group' ? m.target.groupId : '';
      const known = membershipEnd.get(groupId);
      // Of several memberships of one group, the one lasting longest counts.
      membershipEnd.set(
        groupId,
        known === undefined
          ? m.endDateTime
          : known === null || m.endDateTime === null
            ? null
            : laterEnd(known, m.endDateTime),
      );
    }
    for (const [groupId, end] of membershipEnd) {
      for (const s of await this.activeAssignments(groupId, 'role', now)) {
        grants.push({
          ...grantOf(s, 'Group'),
          viaGroupId: groupId,
          endDateTime: earlierEnd(s.endDateTime, end),
        });
      }
    }
    return grants;
  }

  /** May the principal do `action` at `scope` now? Lists the grants that allow it. */
  async check(principalId: string, action: string, scope: string, now: Date): Promise<AccessCheck> {
    const grants = await this.rolesOf(principalId, now);
    const roles = await this.definitions(grants);
    const allowing = grantsAllowing(grants, roles, action, scope);
    return { allowed: allowing.length > 0, evaluatedDateTime: now.toISOString(), grants: allowing };
  }

  isBootstrapAdmin(principalId: string): boolean {
    return this.bootstrap.has(principalId.toLowerCase());
  }

  /** Administers PIM: bootstrap admins, and holders of the manage permission at `/` (GA, PRA). */
  async canManage(principalId: string, now: Date): Promise<boolean> {
    if (this.isBootstrapAdmin(principalId)) return true;
    return (await this.check(principalId, Permission.manage, ROOT_SCOPE, now)).allowed;
  }

  /** Reads all of PIM: managers, and holders of the read permission (Security Reader, Global Reader, ...). */
  async canRead(principalId: string, now: Date): Promise<boolean> {
    if (await this.canManage(principalId, now)) return true;
    return (await this.check(principalId, Permission.read, ROOT_SCOPE, now)).allowed;
  }

  /** Reads audit logs: managers, and holders of the audit read permission. */
  async canReadAudit(principalId: string, now: Date): Promise<boolean> {
    if (await this.canManage(principalId, now)) return true;
    return (await this.check(principalId, Permission.readAuditLogs, ROOT_SCOPE, now)).allowed;
  }

  async requireManage(ctx: OperationContext, now: Date): Promise<void> {
    if (ctx.actor.kind === 'system') return;
    if (!(await this.canManage(ctx.actor.id, now))) throw new ForbiddenError();
  }

  async requireRead(ctx: OperationContext, now: Date): Promise<void> {
    if (ctx.actor.kind === 'system') return;
    if (!(await this.canRead(ctx.actor.id, now))) throw new ForbiddenError();
  }

  async requireAuditRead(ctx: OperationContext, now: Date): Promise<void> {
    if (ctx.actor.kind === 'system') return;
    if (!(await this.canReadAudit(ctx.actor.id, now))) throw new ForbiddenError();
  }

  /** Role definitions of the granted roles: built-ins from code, custom ones from storage. */
  private async definitions(grants: readonly Grant[]): Promise<Map<string, RolePermissions>> {
    const out = new Map<string, RolePermissions>();
    for (const roleId of new Set(grants.map((g) => g.roleDefinitionId))) {
      const def = builtInRole(roleId) ?? (await this.stores.roleManagement.roleDefinition(roleId))?.value;
      if (def) out.set(roleId, def);
    }
    return out;
  }

  // Index candidates (not ended), each confirmed against its primary row and the clock.
  private async activeAssignments(
    principalId: string,
    kind: 'role' | 'group',
    now: Date,
  ): Promise<ScheduleRecord[]> {
    const candidates = await allPages((page) =>
      this.stores.index.schedulesOfPrincipal(principalId, kind, 'assignment', page, now),
    );
    const confirmed = await Promise.all(
      candidates.map((c) =>
        this.stores.roleManagement.schedule(resourceOfTarget(c.target), 'assignment', c.id),
      ),
    );
    return confirmed
      .map((s) => s?.value)
      .filter(
        (s): s is ScheduleRecord => s !== undefined && s.principalId === principalId && isActiveAt(s, now),
      );
  }
}

function grantOf(s: ScheduleRecord, memberType: Grant['memberType']): Grant {
  if (s.target.kind !== 'role') throw new TypeError('not a role assignment');
  return {
    roleDefinitionId: s.target.roleDefinitionId,
    directoryScopeId: s.target.directoryScopeId,
    memberType,
    endDateTime: s.endDateTime,
    roleAssignmentScheduleId: s.id,
  };
}

function laterEnd(a: string, b: string): string {
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

/** Reads every page of a bounded query (a principal's own rows). */
export async function allPages<T>(read: (page: PageRequest) => Promise<Page<T>>, limit = 5000): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  do {
    const page = await read({ top: 1000, continuationToken: token });
    out.push(...page.items);
    token = page.continuationToken;
    if (out.length > limit) throw new Error(`more than ${limit} rows for one principal`);
  } while (token);
  return out;
}
