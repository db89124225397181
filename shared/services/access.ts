// Who holds which roles now, and who may administer or read PIM. One point read of the
// principal's effective-access record (shared/domain/access-record.ts), evaluated against the
// clock: exact to the instant asked, so an assignment past its end grants nothing even if no
// revoke has run yet. Role definitions come from code (built-ins) or from a cache of the stored
// custom ones, so an edit of a custom role is in force everywhere within ROLE_CACHE_MS.

import { type Grant, grantsAllowing, type RolePermissions } from '../domain/access';
import { type AccessRecord, activeGrants } from '../domain/access-record';
import { ForbiddenError } from '../domain/errors';
import { builtInRole, Permission } from '../domain/roles';
import { ROOT_SCOPE } from '../domain/scope';
import type { Page, PageRequest } from '../storage/paging';
import type { OperationContext } from './context';
import type { Stores } from './stores';

export interface AccessCheck {
  allowed: boolean;
  evaluatedDateTime: string;
  grants: Grant[];
}

/** How long a custom role definition is trusted before it is read again. */
export const ROLE_CACHE_MS = 5_000;

/** What one read of a principal's record tells: its grants now, and what they allow. */
export interface Authority {
  grants: Grant[];
  allows(action: string, scope: string): Grant[];
  /** Administers PIM: bootstrap admins, and holders of the manage permission at `/` (GA, PRA). */
  canManage: boolean;
  /** Reads all of PIM: managers, and holders of the read permission (Security Reader, Global Reader...). */
  canRead: boolean;
  /** Reads audit logs: managers, and holders of the audit read permission. */
  canReadAudit: boolean;
}

export class AccessService {
  private readonly bootstrap: ReadonlySet<string>;
  private readonly roles = new Map<string, { value: Promise<RolePermissions | undefined>; at: number }>();

  constructor(
    private readonly stores: Stores,
    bootstrapAdminIds: readonly string[],
  ) {
    this.bootstrap = new Set(bootstrapAdminIds.map((id) => id.toLowerCase()));
  }

  /** The principal's record as stored (one point read). */
  async record(principalId: string): Promise<AccessRecord> {
    return (await this.stores.principals.access(principalId)).record;
  }

  /** The principal's active role grants at `now`: direct, and through active group memberships. */
  async rolesOf(principalId: string, now: Date): Promise<Grant[]> {
    return activeGrants(await this.record(principalId), now);
  }

  /** Everything one read of the record says about the principal at `now`. */
  async authority(principalId: string, now: Date): Promise<Authority> {
    return this.authorityOf(principalId, await this.record(principalId), now);
  }

  /** The same, from a record the caller has read already. */
  async authorityOf(principalId: string, record: AccessRecord, now: Date): Promise<Authority> {
    const grants = activeGrants(record, now);
    const roles = await this.definitions(grants);
    const allows = (action: string, scope: string) => grantsAllowing(grants, roles, action, scope);
    const canManage = this.isBootstrapAdmin(principalId) || allows(Permission.manage, ROOT_SCOPE).length > 0;
    return {
      grants,
      allows,
      canManage,
      canRead: canManage || allows(Permission.read, ROOT_SCOPE).length > 0,
      canReadAudit: canManage || allows(Permission.readAuditLogs, ROOT_SCOPE).length > 0,
    };
  }

  /** May the principal do `action` at `scope` now? Lists the grants that allow it. */
  async check(principalId: string, action: string, scope: string, now: Date): Promise<AccessCheck> {
    const allowing = (await this.authority(principalId, now)).allows(action, scope);
    return { allowed: allowing.length > 0, evaluatedDateTime: now.toISOString(), grants: allowing };
  }

  isBootstrapAdmin(principalId: string): boolean {
    return this.bootstrap.has(principalId.toLowerCase());
  }

  async canManage(principalId: string, now: Date): Promise<boolean> {
    if (this.isBootstrapAdmin(principalId)) return true;
    return (await this.authority(principalId, now)).canManage;
  }

  async canRead(principalId: string, now: Date): Promise<boolean> {
    if (this.isBootstrapAdmin(principalId)) return true;
    return (await this.authority(principalId, now)).canRead;
  }

  async canReadAudit(principalId: string, now: Date): Promise<boolean> {
    if (this.isBootstrapAdmin(principalId)) return true;
    return (await this.authority(principalId, now)).canReadAudit;
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

  /** Forgets cached custom role definitions (after this process changed one). */
  forgetRole(roleId: string): void {
    this.roles.delete(roleId);
  }

  /** Role definitions of the granted roles: built-ins from code, custom ones cached briefly. */
  private async definitions(grants: readonly Grant[]): Promise<Map<string, RolePermissions>> {
    const out = new Map<string, RolePermissions>();
    for (const roleId of new Set(grants.map((g) => g.roleDefinitionId))) {
      const def = builtInRole(roleId) ?? (await this.customRole(roleId));
      if (def) out.set(roleId, def);
    }
    return out;
  }

  private customRole(roleId: string): Promise<RolePermissions | undefined> {
    const hit = this.roles.get(roleId);
    if (hit && performance.now() - hit.at < ROLE_CACHE_MS) return hit.value;
    if (this.roles.size > 10_000) this.roles.clear();
    const value = this.stores.roleManagement.roleDefinition(roleId).then((d) => d?.value);
    this.roles.set(roleId, { value, at: performance.now() });
    value.catch(() => this.roles.delete(roleId));
    return value;
  }
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
