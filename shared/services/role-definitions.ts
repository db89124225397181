// Role definitions: built-ins (provisioned from code, immutable) and custom roles (create, update,
// delete when unassigned). Every role has its partition in RoleManagement: definition, head, policy.
import { randomUUID } from 'node:crypto';
import { AppError, ConflictError, NotFoundError, PreconditionFailedError } from '../domain/errors';
import { defaultPolicy } from '../domain/policy';
import {
  BUILT_IN_ROLES,
  builtInRole,
  CreateRoleDefinitionInput,
  isBuiltInRoleId,
  type RoleDefinition,
  UpdateRoleDefinitionInput,
} from '../domain/roles';
import { isCurrentOrFuture } from '../domain/schedules';
import { statusOf } from '../storage/errors';
import type { Page, PageRequest } from '../storage/paging';
import { policyEntity, roleDefinitionEntity, type Stored } from '../storage/role-management-entities';
import { DEFINITION_RK, policyRk } from '../storage/role-management-keys';
import { allPages } from './access';
import { event } from './audit-events';
import { type OperationContext, systemContext } from './context';
import type { ServiceDeps } from './deps';
import { withRetry } from './retry';
import { parseInput, pathId } from './validation';

export interface RoleDefinitionView {
  value: RoleDefinition;
  /** Absent for a built-in not provisioned yet. */
  etag?: string;
}

function builtInImmutable(): AppError {
  return new AppError(
    400,
    'BuiltInRoleDefinitionReadOnly',
    'Built-in role definitions cannot be changed or deleted.',
  );
}

function notFound(id: string): NotFoundError {
  return new NotFoundError(`Role definition '${id}' does not exist.`, 'Request_ResourceNotFound');
}

export class RoleDefinitionService {
  constructor(private readonly deps: ServiceDeps) {}

  /** Provisions every built-in role's partition, and refreshes stored copies that differ from code. */
  async ensureBuiltIns(): Promise<void> {
    for (const role of BUILT_IN_ROLES) await this.ensureBuiltIn(role.id);
  }

  /** Idempotent: does nothing when the role's stored copy matches the code. */
  async ensureBuiltIn(id: string): Promise<void> {
    const role = builtInRole(id);
    if (!role) return;
    const repo = this.deps.stores.roleManagement;
    const resource = { kind: 'role', id: role.id } as const;
    const ctx = systemContext('PIM built-in roles');
    await withRetry(async () => {
      const head = await repo.head(resource);
      const current = await repo.roleDefinition(role.id);
      if (head && current && JSON.stringify(current.value) === JSON.stringify(role)) return;
      const at = this.deps.now();
      const audit = event(ctx, at, {
        category: 'RoleManagement',
        activityDisplayName: current ? 'Update role definition' : 'Add role definition',
        operationType: current ? 'Update' : 'Add',
        targets: [{ id: role.id, type: 'Role', displayName: role.displayName }],
        details: { IsBuiltIn: 'true' },
      });
      try {
        if (!head) {
          await repo.commit(resource, {
            guard: 'new',
            writes: [
              { op: 'upsert', entity: roleDefinitionEntity(role) },
              {
                op: 'upsert',
                entity: policyEntity(
                  { kind: 'role', roleDefinitionId: role.id },
                  defaultPolicy({ kind: 'role', roleDefinitionId: role.id }),
                ),
              },
            ],
            audits: [audit],
          });
        } else {
          await repo.commit(resource, {
            guard: head,
            writes: [{ op: 'upsert', entity: roleDefinitionEntity(role) }],
            audits: [audit],
          });
        }
      } catch (err) {
        // Another instance provisioned it first.
        if (err instanceof ConflictError && !head) return;
        throw err;
      }
    });
  }

  /** Any signed-in caller may list roles (a portal shows them to requesters). */
  list(_ctx: OperationContext, page: PageRequest): Promise<Page<RoleDefinition>> {
    return this.deps.stores.index.roleDefinitions(page);
  }

  async get(_ctx: OperationContext, rawId: string): Promise<RoleDefinitionView> {
    const id = pathId(rawId, () => notFound(rawId));
    const stored = await this.deps.stores.roleManagement.roleDefinition(id);
    if (stored) return stored;
    const builtIn = builtInRole(id);
    if (builtIn) return { value: builtIn };
    throw notFound(rawId);
  }

  async create(
    ctx: OperationContext,
    body: unknown,
    options: { id?: string } = {},
  ): Promise<Stored<RoleDefinition>> {
    const input = parseInput(CreateRoleDefinitionInput, body);
    await this.deps.access.requireManage(ctx, this.deps.now());
    await this.requireUniqueName(input.displayName);
    const id = options.id ?? randomUUID();
    const def: RoleDefinition = {
      id,
      displayName: input.displayName,
      description: input.description,
      isBuiltIn: false,
      isEnabled: input.isEnabled,
      templateId: input.templateId ?? id,
      version: input.version,
      rolePermissions: input.rolePermissions,
    };
    const at = this.deps.now();
    const etags = await this.deps.stores.roleManagement.commit(
      { kind: 'role', id },
      {
        guard: 'new',
        writes: [
          { op: 'insert', entity: roleDefinitionEntity(def) },
          {
            op: 'insert',
            entity: policyEntity(
              { kind: 'role', roleDefinitionId: id },
              defaultPolicy({ kind: 'role', roleDefinitionId: id }),
            ),
          },
        ],
        audits: [
          event(ctx, at, {
            category: 'RoleManagement',
            activityDisplayName: 'Add role definition',
            operationType: 'Add',
            targets: [{ id, type: 'Role', displayName: def.displayName }],
            details: { RolePermissions: JSON.stringify(def.rolePermissions) },
          }),
        ],
      },
    );
    return { value: def, etag: etags.get(DEFINITION_RK) ?? '' };
  }

  async update(
    ctx: OperationContext,
    rawId: string,
    body: unknown,
    ifMatch?: string,
  ): Promise<Stored<RoleDefinition>> {
    const id = pathId(rawId, () => notFound(rawId));
    const patch = parseInput(UpdateRoleDefinitionInput, body);
    await this.deps.access.requireManage(ctx, this.deps.now());
    if (isBuiltInRoleId(id)) throw builtInImmutable();
    if (patch.displayName !== undefined) await this.requireUniqueName(patch.displayName, id);
    const repo = this.deps.stores.roleManagement;
    return withRetry(async () => {
      const resource = { kind: 'role', id } as const;
      const [head, current] = await Promise.all([repo.head(resource), repo.roleDefinition(id)]);
      if (!head || head.deleted || !current) throw notFound(id);
      if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== current.etag)
        throw new PreconditionFailedError();
      const next: RoleDefinition = { ...current.value, ...definedOnly(patch) };
      const changed = (Object.keys(definedOnly(patch)) as (keyof RoleDefinition)[]).filter(
        (k) => JSON.stringify(current.value[k]) !== JSON.stringify(next[k]),
      );
      if (changed.length === 0) return current;
      const etags = await repo.commit(resource, {
        guard: head,
        writes: [
          {
            op: 'replace',
            entity: roleDefinitionEntity(next),
            etag: current.etag,
            callerEtag: ifMatch !== undefined && ifMatch !== '*',
          },
        ],
        audits: [
          event(ctx, this.deps.now(), {
            category: 'RoleManagement',
            activityDisplayName: 'Update role definition',
            operationType: 'Update',
            targets: [
              {
                id,
                type: 'Role',
                displayName: next.displayName,
                modifiedProperties: changed.map((k) => ({
                  displayName: k,
                  oldValue: clip(JSON.stringify(current.value[k] ?? null)),
                  newValue: clip(JSON.stringify(next[k] ?? null)),
                })),
              },
            ],
          }),
        ],
      });
      return { value: next, etag: etags.get(DEFINITION_RK) ?? '' };
    });
  }

  /** Deletes a custom role that has no current eligibility or assignment. */
  async delete(ctx: OperationContext, rawId: string, ifMatch?: string): Promise<void> {
    const id = pathId(rawId, () => notFound(rawId));
    await this.deps.access.requireManage(ctx, this.deps.now());
    if (isBuiltInRoleId(id)) throw builtInImmutable();
    const repo = this.deps.stores.roleManagement;
    await withRetry(async () => {
      const resource = { kind: 'role', id } as const;
      const [head, current] = await Promise.all([repo.head(resource), repo.roleDefinition(id)]);
      if (!head || head.deleted || !current) throw notFound(id);
      if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== current.etag)
        throw new PreconditionFailedError();
      const now = this.deps.now();
      // Read after the head: a concurrent assignment changes the head, so the commit below fails.
      for (const level of ['eligibility', 'assignment'] as const) {
        const inUse = (await repo.schedules(resource, level, { notEndedAt: now })).some((s) =>
          isCurrentOrFuture(s.value, now),
        );
        if (inUse) {
          throw new ConflictError(
            `Role definition '${current.value.displayName}' still has ${level === 'eligibility' ? 'eligible' : 'active'} assignments; remove them first.`,
            'RoleDefinitionInUse',
          );
        }
      }
      await repo.commit(resource, {
        guard: head,
        tombstone: true,
        writes: [
          { op: 'delete', entity: roleDefinitionEntity(current.value), etag: current.etag },
          { op: 'delete', entity: { partitionKey: `role:${id}`, rowKey: policyRk() } },
        ],
        audits: [
          event(ctx, now, {
            category: 'RoleManagement',
            activityDisplayName: 'Delete role definition',
            operationType: 'Delete',
            targets: [{ id, type: 'Role', displayName: current.value.displayName }],
          }),
        ],
      });
    }).catch((err: unknown) => {
      if (statusOf(err) === 404) throw notFound(id);
      throw err;
    });
  }

  // Display names are unique, as in Entra (case-insensitive). Read from the catalog: admin-only,
  // a few hundred rows at most.
  private async requireUniqueName(displayName: string, exceptId?: string): Promise<void> {
    const all = await allPages((page) => this.deps.stores.index.roleDefinitions(page), 10_000);
    const taken = [...BUILT_IN_ROLES, ...all].some(
      (r) => r.id !== exceptId && r.displayName.toLowerCase() === displayName.toLowerCase(),
    );
    if (taken)
      throw new ConflictError(`A role named '${displayName}' already exists.`, 'RoleDefinitionAlreadyExists');
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function clip(text: string): string {
  return text.length > 900 ? `${text.slice(0, 900)}...` : text;
}
