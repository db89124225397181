// What an activation needs to know before it commits, read in parallel: the principal's access
// record (live activations, standing assignments, its guard), the target's policy, and whether the
// principal is eligible for the target now. Also: who approves, and what the policy's end-user
// rules say about a request (domain/policy-evaluation.ts decides; this only gathers the facts).
import {
  type AccessRecord,
  activeMembers,
  type GroupRolesCopy,
  groupRolesCopy,
} from '../domain/access-record';
import { fixedDurationMs } from '../domain/duration';
import type { PolicyTarget, RoleManagementPolicy } from '../domain/policy';
import { type ActivationEvaluation, activationEvaluation } from '../domain/policy-evaluation';
import { isActiveAt, sameTarget, type Target } from '../domain/schedules';
import type { StoredAccess } from '../storage/principal-store';
import { resourceOfTarget } from '../storage/role-management-keys';
import type { ServiceDeps } from './deps';
import type { PolicyService } from './policies';

const DEFAULT_MAXIMUM_MS = 8 * 3_600_000;

export interface ActivationFacts {
  access: StoredAccess;
  policy: RoleManagementPolicy;
  eligible: boolean;
  /** For a group membership: the group's grants, which the member's record copies. */
  groupRoles?: GroupRolesCopy;
}

export interface EvaluatedRequest extends ActivationEvaluation {
  maximumMs: number;
}

export class ActivationRules {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly policies: PolicyService,
  ) {}

  /** The facts of `principalId` activating `target` at `now`: three reads, in parallel. */
  async facts(
    principalId: string,
    target: Target,
    now: Date,
    opts: { eligibility: boolean },
  ): Promise<ActivationFacts> {
    const stores = this.deps.stores;
    const [access, policy, eligible, group] = await Promise.all([
      stores.principals.access(principalId),
      this.policyOf(target),
      opts.eligibility ? this.isEligible(principalId, target, now) : Promise.resolve(true),
      target.kind === 'group' && target.accessId === 'member'
        ? stores.principals.access(target.groupId).then((g) => groupRolesCopy(g.record))
        : Promise.resolve(undefined),
    ]);
    // A role-assignable group eligible for the role makes its active members eligible: each
    // activates individually, as in Entra ID.
    const viaGroup =
      !eligible && opts.eligibility && target.kind === 'role'
        ? await this.isEligibleThroughGroup(access.record, target, now)
        : false;
    return { access, policy, eligible: eligible || viaGroup, groupRoles: group };
  }

  private async isEligibleThroughGroup(record: AccessRecord, target: Target, now: Date): Promise<boolean> {
    const groups = record.memberships
      .filter(
        (m) => m.accessId === 'member' && isActiveAt({ startDateTime: m.start, endDateTime: m.end }, now),
      )
      .map((m) => m.groupId);
    const found = await Promise.all([...new Set(groups)].map((g) => this.isEligible(g, target, now)));
    return found.some(Boolean);
  }

  async policyOf(target: Target): Promise<RoleManagementPolicy> {
    const policyTarget: PolicyTarget =
      target.kind === 'role' ? { kind: 'role', roleDefinitionId: target.roleDefinitionId } : target;
    return (await this.policies.forTarget(policyTarget)).value;
  }

  /** The end-user rules applied to a request for `[start, start + durationMs]` (null: no end). */
  evaluate(
    policy: RoleManagementPolicy,
    request: {
      start: Date;
      durationMs: number | null;
      justification?: string | null;
      ticketInfo?: { ticketNumber?: string | null } | null;
    },
    mfaSatisfied: boolean,
    kind: 'activate' | 'extend',
  ): EvaluatedRequest {
    const end = request.durationMs === null ? null : new Date(request.start.getTime() + request.durationMs);
    const evaluation = activationEvaluation(
      policy,
      {
        window: { start: request.start, end },
        justification: request.justification,
        ticketInfo: request.ticketInfo,
        mfaSatisfied,
      },
      kind,
    );
    const maximumMs =
      (evaluation.maximumDuration && fixedDurationMs(evaluation.maximumDuration)) || DEFAULT_MAXIMUM_MS;
    return { ...evaluation, maximumMs };
  }

  /** The policy's longest activation. */
  maximumMs(policy: RoleManagementPolicy): number {
    return this.evaluate(policy, { start: new Date(0), durationMs: 0 }, true, 'activate').maximumMs;
  }

  /**
   * The approvers of a stage, resolved now: users as named, groups as their active members. The
   * requester is never among them: nobody approves their own request.
   */
  async approvers(
    subjects: readonly ({ userId: string } | { groupId: string })[],
    requesterId: string,
    now: Date,
  ): Promise<string[]> {
    const ids = new Set<string>();
    await Promise.all(
      subjects.map(async (subject) => {
        if ('userId' in subject) ids.add(subject.userId.toLowerCase());
        else {
          const group = await this.deps.stores.principals.access(subject.groupId);
          for (const m of activeMembers(group.record, now)) ids.add(m);
        }
      }),
    );
    ids.delete(requesterId.toLowerCase());
    return [...ids];
  }

  private async isEligible(principalId: string, target: Target, now: Date): Promise<boolean> {
    const rows = await this.deps.stores.roleManagement.schedules(resourceOfTarget(target), 'eligibility', {
      principalId: principalId.toLowerCase(),
      notEndedAt: now,
    });
    return rows.some((r) => sameTarget(r.value.target, target) && isActiveAt(r.value, now));
  }
}
