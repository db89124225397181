// Eligibility and assignment schedules, for directory roles and for privileged groups, as one
// record type with a target (role at a scope, or group with an accessId), and their Graph views:
// unifiedRoleEligibilitySchedule(Instance), unifiedRoleAssignmentSchedule(Instance) and
// privilegedAccessGroup{Eligibility,Assignment}Schedule(Instance). Schedules are not recurring, so
// each has exactly one instance, with the schedule's window.
import { z } from 'zod';
import { AccessId } from './groups';
import { scheduleInfoOf } from './schedule-info';

export const ScheduleLevel = z.enum(['eligibility', 'assignment']);
export type ScheduleLevel = z.infer<typeof ScheduleLevel>;

export const RoleTarget = z.object({
  kind: z.literal('role'),
  roleDefinitionId: z.string(),
  directoryScopeId: z.string(),
});
export type RoleTarget = z.infer<typeof RoleTarget>;

export const GroupTarget = z.object({ kind: z.literal('group'), groupId: z.string(), accessId: AccessId });
export type GroupTarget = z.infer<typeof GroupTarget>;

export const Target = z.discriminatedUnion('kind', [RoleTarget, GroupTarget]);
export type Target = z.infer<typeof Target>;

export const MemberType = z.enum(['Direct', 'Group']);
export type MemberType = z.infer<typeof MemberType>;

export const AssignmentType = z.enum(['Assigned', 'Activated']);
export type AssignmentType = z.infer<typeof AssignmentType>;

export const ScheduleRecord = z.object({
  id: z.string(),
  level: ScheduleLevel,
  target: Target,
  principalId: z.string(),
  memberType: MemberType,
  /** Assignments only: given by an admin, or activated by the principal from an eligibility. */
  assignmentType: AssignmentType.nullable(),
  status: z.string(),
  startDateTime: z.string(),
  /** null = permanent. */
  endDateTime: z.string().nullable(),
  createdDateTime: z.string(),
  modifiedDateTime: z.string(),
  /** The request that created (or last changed) the schedule. */
  createdUsing: z.string(),
});
export type ScheduleRecord = z.infer<typeof ScheduleRecord>;

/** In force at `now`: started, and not yet ended. An end in the past means inactive, cleaned up or not. */
export function isActiveAt(s: { startDateTime: string; endDateTime: string | null }, now: Date): boolean {
  const t = now.getTime();
  return Date.parse(s.startDateTime) <= t && (s.endDateTime === null || t < Date.parse(s.endDateTime));
}

/** Not ended at `now` (active, or starting later). */
export function isCurrentOrFuture(s: { endDateTime: string | null }, now: Date): boolean {
  return s.endDateTime === null || now.getTime() < Date.parse(s.endDateTime);
}

/** The same target: same role at the same scope (case-insensitive), or same group and accessId. */
export function sameTarget(a: Target, b: Target): boolean {
  if (a.kind === 'role' && b.kind === 'role') {
    return (
      a.roleDefinitionId === b.roleDefinitionId &&
      a.directoryScopeId.toLowerCase() === b.directoryScopeId.toLowerCase()
    );
  }
  if (a.kind === 'group' && b.kind === 'group') return a.groupId === b.groupId && a.accessId === b.accessId;
  return false;
}

function roleTarget(s: ScheduleRecord): RoleTarget {
  if (s.target.kind !== 'role') throw new TypeError(`schedule ${s.id} is not a role schedule`);
  return s.target;
}

function groupTarget(s: ScheduleRecord): GroupTarget {
  if (s.target.kind !== 'group') throw new TypeError(`schedule ${s.id} is not a group schedule`);
  return s.target;
}

function roleCommon(s: ScheduleRecord) {
  const t = roleTarget(s);
  return {
    id: s.id,
    principalId: s.principalId,
    roleDefinitionId: t.roleDefinitionId,
    directoryScopeId: t.directoryScopeId,
    appScopeId: null,
    memberType: s.memberType,
  };
}

/** Group PIM's enums are serialised camelCase by Graph (`direct`, `activated`); directory roles' are not. */
const camel = <T extends string | null>(v: T): T =>
  v === null ? v : ((v.charAt(0).toLowerCase() + v.slice(1)) as T);

function groupCommon(s: ScheduleRecord) {
  const t = groupTarget(s);
  return {
    id: s.id,
    groupId: t.groupId,
    principalId: s.principalId,
    accessId: t.accessId,
    memberType: camel(s.memberType),
  };
}

function scheduleFields(s: ScheduleRecord) {
  return {
    status: s.status,
    createdUsing: s.createdUsing,
    createdDateTime: s.createdDateTime,
    modifiedDateTime: s.modifiedDateTime,
    scheduleInfo: scheduleInfoOf(s.startDateTime, s.endDateTime),
  };
}

/** unifiedRoleEligibilitySchedule / unifiedRoleAssignmentSchedule. */
export function toRoleSchedule(s: ScheduleRecord) {
  return {
    ...roleCommon(s),
    ...scheduleFields(s),
    ...(s.level === 'assignment' ? { assignmentType: s.assignmentType, activatedUsing: null } : {}),
  };
}

/** unifiedRoleEligibilityScheduleInstance / unifiedRoleAssignmentScheduleInstance. */
export function toRoleScheduleInstance(s: ScheduleRecord) {
  const window = { startDateTime: s.startDateTime, endDateTime: s.endDateTime };
  if (s.level === 'eligibility') {
    return { ...roleCommon(s), ...window, roleEligibilityScheduleId: s.id };
  }
  return {
    ...roleCommon(s),
    ...window,
    assignmentType: s.assignmentType,
    roleAssignmentOriginId: s.id,
    roleAssignmentScheduleId: s.id,
  };
}

/** privilegedAccessGroupEligibilitySchedule / privilegedAccessGroupAssignmentSchedule. */
export function toGroupSchedule(s: ScheduleRecord) {
  return {
    ...groupCommon(s),
    ...scheduleFields(s),
    ...(s.level === 'assignment' ? { assignmentType: camel(s.assignmentType) } : {}),
  };
}

/** privilegedAccessGroupEligibilityScheduleInstance / privilegedAccessGroupAssignmentScheduleInstance. */
export function toGroupScheduleInstance(s: ScheduleRecord) {
  const window = { startDateTime: s.startDateTime, endDateTime: s.endDateTime };
  if (s.level === 'eligibility') return { ...groupCommon(s), ...window, eligibilityScheduleId: s.id };
  return {
    ...groupCommon(s),
    ...window,
    assignmentType: camel(s.assignmentType),
    assignmentScheduleId: s.id,
  };
}
