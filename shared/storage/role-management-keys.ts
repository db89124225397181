// Key design of table `RoleManagement`: one partition per RESOURCE (a directory role, or a
// privileged group), holding everything PIM knows about it:
//
//   PartitionKey       RowKey              row
//   role:{roleId}      head                guard: every change of the partition rewrites it with
//   group:{groupId}                        If-Match, so concurrent changes serialise (see below)
//   role:{roleId}      definition          the unifiedRoleDefinition
//   group:{groupId}    group               the group
//   role:{roleId}      policy              its roleManagementPolicy
//   group:{groupId}    policy|member       the group's policies, one per accessId
//                      policy|owner
//   *                  elig|{scheduleId}   eligibility schedules   (columns: principalId, expiresAt)
//   *                  asgn|{scheduleId}   assignment schedules    (columns: principalId, expiresAt)
//   *                  ereq|{requestId}    eligibility schedule requests
//   *                  areq|{requestId}    assignment schedule requests
//   *                  ~outbox|{commitId}  audit outbox rows (shared/audit/outbox.ts)
//
// Why by resource: the rules that must hold under concurrency are about one resource - "the last
// active Global Administrator assignment cannot be removed", "a role with assignments cannot be
// deleted", "no duplicate assignment" - so each change is ONE entity-group transaction in ONE
// partition: the rows it writes, the head row (If-Match the ETag read before the rules were
// checked: a concurrent change makes it fail, and the service re-reads and re-checks), and the
// audit outbox row. Queries by principal, by id and "all of a kind" read the projection table
// (role-management-index.ts), which the outbox publisher keeps in line with this one.
import type { AccessId } from '../domain/groups';
import type { PolicyTarget } from '../domain/policy';
import type { ScheduleLevel, Target } from '../domain/schedules';
import { assertKey } from './keys';

export type Resource = { kind: 'role'; id: string } | { kind: 'group'; id: string };

export function resourcePk(resource: Resource): string {
  return assertKey(`${resource.kind}:${resource.id}`, 'partition key');
}

export function resourceOfPk(pk: string): Resource | undefined {
  const m = /^(role|group):(.+)$/.exec(pk);
  return m ? { kind: m[1] as Resource['kind'], id: m[2]! } : undefined;
}

export function resourceOfTarget(target: Target | PolicyTarget): Resource {
  return target.kind === 'role'
    ? { kind: 'role', id: target.roleDefinitionId }
    : { kind: 'group', id: target.groupId };
}

export const HEAD_RK = 'head';
export const DEFINITION_RK = 'definition';
export const GROUP_RK = 'group';

export function policyRk(accessId?: AccessId): string {
  return accessId ? `policy|${accessId}` : 'policy';
}

export type RowType = 'schedule' | 'request';

const PREFIX: Record<RowType, Record<ScheduleLevel, string>> = {
  schedule: { eligibility: 'elig|', assignment: 'asgn|' },
  request: { eligibility: 'ereq|', assignment: 'areq|' },
};

export function rowPrefix(type: RowType, level: ScheduleLevel): string {
  return PREFIX[type][level];
}

export function scheduleRk(level: ScheduleLevel, id: string): string {
  return assertKey(rowPrefix('schedule', level) + id, 'row key');
}

export function requestRk(level: ScheduleLevel, id: string): string {
  return assertKey(rowPrefix('request', level) + id, 'row key');
}

/** What a schedule or request row key names, or undefined for other rows. */
export function parseItemRk(rk: string): { type: RowType; level: ScheduleLevel; id: string } | undefined {
  for (const type of ['schedule', 'request'] as const) {
    for (const level of ['eligibility', 'assignment'] as const) {
      const prefix = PREFIX[type][level];
      if (rk.startsWith(prefix)) return { type, level, id: rk.slice(prefix.length) };
    }
  }
  return undefined;
}

/** Stored permanently-open ends sort after every real one, so `expiresAt gt now` means "not ended". */
export const NEVER = '9999-12-31T23:59:59.999Z';

export function expiresAt(endDateTime: string | null): string {
  return endDateTime ?? NEVER;
}
