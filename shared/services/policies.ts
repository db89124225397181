// Role management policies: read (with rules), PATCH one rule (If-Match on the policy's ETag),
// and the policy assignments that link each policy to its role or group + accessId.
import { NotFoundError, PreconditionFailedError, ValidationError } from '../domain/errors';
import {
  applyRulePatch,
  type PolicyAssignment,
  type PolicyRule,
  type PolicyTarget,
  parsePolicyId,
  policyAssignmentFor,
  type RoleManagementPolicy,
  withAgreedScopeType,
} from '../domain/policy';
import { builtInRole } from '../domain/roles';
import type { Page, PageRequest } from '../storage/paging';
import { policyEntity, type Stored } from '../storage/role-management-entities';
import { policyRk, resourceOfTarget } from '../storage/role-management-keys';
import { event } from './audit-events';
import type { OperationContext } from './context';
import type { ServiceDeps } from './deps';
import { withRetry } from './retry';
import { filterId, validationError } from './validation';

export interface PolicyView extends Stored<RoleManagementPolicy> {
  target: PolicyTarget;
}

export interface PolicyScope {
  scopeId: string;
  /** 'Directory' (Graph's value for role policies) or 'DirectoryRole'; 'Group' with a group id. */
  scopeType: 'Directory' | 'DirectoryRole' | 'Group';
}

const policyNotFound = (id: string) => new NotFoundError(`Policy '${id}' does not exist.`);

export class PolicyService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly ensureBuiltIn: (roleId: string) => Promise<void>,
  ) {}

  /** Any signed-in caller may read policies: requesters need to know limits and requirements. */
  async get(_ctx: OperationContext, policyId: string): Promise<PolicyView> {
    const target = parsePolicyId(policyId);
    if (!target) throw policyNotFound(policyId);
    return this.forTarget(target, policyId);
  }

  /** The policy of a role or group + accessId (for activation, which needs the EndUser rules). */
  async forTarget(target: PolicyTarget, idForErrors?: string): Promise<PolicyView> {
    const repo = this.deps.stores.roleManagement;
    let stored = await repo.policy(target);
    if (!stored && target.kind === 'role' && builtInRole(target.roleDefinitionId)) {
      await this.ensureBuiltIn(target.roleDefinitionId);
      stored = await repo.policy(target);
    }
    if (!stored) throw policyNotFound(idForErrors ?? target.kind);
    return { ...stored, value: withAgreedScopeType(stored.value), target };
  }

  async getRule(
    ctx: OperationContext,
    policyId: string,
    ruleId: string,
  ): Promise<{ rule: PolicyRule; etag: string }> {
    const policy = await this.get(ctx, policyId);
    const rule = policy.value.rules.find((r) => r.id === ruleId);
    if (!rule) throw new NotFoundError(`Rule '${ruleId}' does not exist in policy '${policyId}'.`);
    return { rule, etag: policy.etag };
  }

  async list(
    _ctx: OperationContext,
    scope: PolicyScope,
    page: PageRequest,
  ): Promise<Page<RoleManagementPolicy>> {
    const found =
      scope.scopeType === 'Group'
        ? await this.deps.stores.index.policies('group', page, filterId(scope.scopeId, 'scopeId'))
        : scope.scopeId === '/'
          ? await this.deps.stores.index.policies('role', page)
          : { items: [] };
    return { ...found, items: found.items.map(withAgreedScopeType) };
  }

  /**
   * Replaces one rule's settings. `ifMatch` (the policy's ETag, from a GET) makes a concurrent edit
   * a 412 instead of a silent overwrite. Returns the new rule and the policy's new ETag.
   */
  async patchRule(
    ctx: OperationContext,
    policyId: string,
    ruleId: string,
    body: unknown,
    ifMatch?: string,
  ): Promise<{ rule: PolicyRule; policy: RoleManagementPolicy; etag: string }> {
    const target = parsePolicyId(policyId);
    if (!target) throw policyNotFound(policyId);
    await this.deps.access.requireManage(ctx, this.deps.now());
    const repo = this.deps.stores.roleManagement;
    const resource = resourceOfTarget(target);
    const callerEtag = ifMatch !== undefined && ifMatch !== '*';
    return withRetry(async () => {
      const head = await repo.head(resource);
      const current = head && !head.deleted ? await repo.policy(target) : undefined;
      if (!head || !current) throw policyNotFound(policyId);
      if (callerEtag && ifMatch !== current.etag) throw new PreconditionFailedError();
      const old = current.value.rules.find((r) => r.id === ruleId);
      if (!old) throw new NotFoundError(`Rule '${ruleId}' does not exist in policy '${policyId}'.`);
      const patched = applyRulePatch(old, body);
      if (!patched.success) throw validationError(patched.error, 'rule');
      if (patched.rule['@odata.type'] !== old['@odata.type']) {
        throw new ValidationError('The rule type cannot change.', [
          { target: '@odata.type', message: 'must match the rule' },
        ]);
      }
      // Nothing to change (e.g. the rule as it was read, sent back): no write, no audit row.
      if (JSON.stringify(patched.rule) === JSON.stringify(old))
        return { rule: old, policy: current.value, etag: current.etag };
      const now = this.deps.now();
      const policy: RoleManagementPolicy = {
        ...current.value,
        rules: current.value.rules.map((r) => (r.id === ruleId ? patched.rule : r)),
        lastModifiedDateTime: now.toISOString(),
        lastModifiedBy:
          ctx.actor.kind === 'user'
            ? { id: ctx.actor.id, displayName: ctx.actor.displayName }
            : { id: null, displayName: ctx.actor.name },
      };
      const subject = await this.subject(target);
      const etags = await repo.commit(resource, {
        guard: head,
        writes: [{ op: 'replace', entity: policyEntity(target, policy), etag: current.etag, callerEtag }],
        audits: [
          event(ctx, now, {
            category: 'Policy',
            activityDisplayName: 'Update role setting in PIM',
            operationType: 'Update',
            targets: [
              {
                id: policyId,
                type: 'Policy',
                displayName: subject.displayName,
                modifiedProperties: [
                  {
                    displayName: ruleId,
                    oldValue: clip(JSON.stringify(old)),
                    newValue: clip(JSON.stringify(patched.rule)),
                  },
                ],
              },
              subject,
            ],
            details: { RuleId: ruleId, AccessId: target.kind === 'group' ? target.accessId : undefined },
          }),
        ],
      });
      const rk = policyRk(target.kind === 'group' ? target.accessId : undefined);
      return { rule: patched.rule, policy, etag: etags.get(rk) ?? '' };
    });
  }

  /**
   * What `patchRule` would check before writing (admin, policy and rule exist, the patch is valid and
   * keeps the rule's type), without writing: a proposal under the two-person rule is checked so.
   * Returns a description of the change.
   */
  async checkRulePatch(
    ctx: OperationContext,
    policyId: string,
    ruleId: string,
    body: unknown,
  ): Promise<string> {
    await this.deps.access.requireManage(ctx, this.deps.now());
    const policy = await this.get(ctx, policyId);
    const old = policy.value.rules.find((r) => r.id === ruleId);
    if (!old) throw new NotFoundError(`Rule '${ruleId}' does not exist in policy '${policyId}'.`);
    const patched = applyRulePatch(old, body);
    if (!patched.success) throw validationError(patched.error, 'rule');
    if (patched.rule['@odata.type'] !== old['@odata.type']) {
      throw new ValidationError('The rule type cannot change.', [
        { target: '@odata.type', message: 'must match the rule' },
      ]);
    }
    const subject = await this.subject(policy.target);
    return `Update role setting ${ruleId} of ${subject.displayName ?? policyId}`;
  }

  /**
   * roleManagementPolicyAssignments: `scopeType eq 'DirectoryRole' and scopeId eq '/'` (optionally
   * one roleDefinitionId), or `scopeType eq 'Group' and scopeId eq '{groupId}'` (optionally member/owner).
   */
  async listAssignments(
    _ctx: OperationContext,
    scope: PolicyScope & { roleDefinitionId?: string },
    page: PageRequest,
  ): Promise<Page<PolicyAssignment>> {
    const repo = this.deps.stores.roleManagement;
    if (scope.scopeType === 'Group') {
      const groupId = filterId(scope.scopeId, 'scopeId');
      if (!(await repo.group(groupId))) return { items: [] };
      const accessIds = (['member', 'owner'] as const).filter(
        (a) => !scope.roleDefinitionId || scope.roleDefinitionId === a,
      );
      return {
        items: accessIds.map((accessId) => policyAssignmentFor({ kind: 'group', groupId, accessId })),
      };
    }
    if (scope.scopeId !== '/') return { items: [] };
    if (scope.roleDefinitionId !== undefined) {
      const roleId = filterId(scope.roleDefinitionId, 'roleDefinitionId');
      const known = builtInRole(roleId) ?? (await repo.roleDefinition(roleId))?.value;
      return { items: known ? [policyAssignmentFor({ kind: 'role', roleDefinitionId: known.id })] : [] };
    }
    const roles = await this.deps.stores.index.roleDefinitions(page);
    return {
      items: roles.items.map((r) => policyAssignmentFor({ kind: 'role', roleDefinitionId: r.id })),
      ...(roles.continuationToken ? { continuationToken: roles.continuationToken } : {}),
    };
  }

  private async subject(target: PolicyTarget) {
    const repo = this.deps.stores.roleManagement;
    if (target.kind === 'role') {
      const def =
        builtInRole(target.roleDefinitionId) ?? (await repo.roleDefinition(target.roleDefinitionId))?.value;
      return { id: target.roleDefinitionId, type: 'Role', displayName: def?.displayName ?? null };
    }
    const group = await repo.group(target.groupId);
    return {
      id: target.groupId,
      type: 'Group',
      displayName: group ? `${group.value.displayName} (${target.accessId})` : null,
    };
  }
}

function clip(text: string): string {
  return text.length > 2000 ? `${text.slice(0, 2000)}...` : text;
}
