// Schedule requests: roleEligibilityScheduleRequests, roleAssignmentScheduleRequests and the
// privileged-group eligibilityScheduleRequests / assignmentScheduleRequests. The action enum is
// Graph's complete one; this layer implements the admin actions, the self* ones belong to
// activation (the orchestration).
import { z } from 'zod';
import { ciEnum } from './enums';
import { ObjectId } from './ids';
import { ScheduleInfo, TicketInfo } from './schedule-info';
import { ScheduleLevel, Target } from './schedules';
import { Scope } from './scope';

export const SCHEDULE_REQUEST_ACTIONS = [
  'adminAssign',
  'adminUpdate',
  'adminRemove',
  'adminExtend',
  'adminRenew',
  'selfActivate',
  'selfDeactivate',
  'selfExtend',
  'selfRenew',
] as const;
export type ScheduleRequestAction = (typeof SCHEDULE_REQUEST_ACTIONS)[number];

export const ADMIN_ACTIONS = [
  'adminAssign',
  'adminUpdate',
  'adminRemove',
  'adminExtend',
  'adminRenew',
] as const;
export type AdminAction = (typeof ADMIN_ACTIONS)[number];

export function isAdminAction(action: ScheduleRequestAction): action is AdminAction {
  return (ADMIN_ACTIONS as readonly string[]).includes(action);
}

/** Graph's request statuses plus this service's own (PendingMfa, TimedOut, Expired). */
export const REQUEST_STATUSES = [
  'PendingApproval',
  'PendingAdminDecision',
  'PendingProvisioning',
  'PendingScheduleCreation',
  'Granted',
  'Provisioned',
  'ScheduleCreated',
  'Denied',
  'Canceled',
  'Revoked',
  'Failed',
  'PendingMfa',
  'TimedOut',
  'Expired',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

const Justification = z.string().max(1000).nullish();

// Graph clients send these, with values this service has no use for; accepted and ignored.
const graphExtras = {
  '@odata.type': z.string().max(128).optional(),
  customData: z.string().max(1000).nullish(),
  targetScheduleId: z.string().max(128).nullish(),
};

const common = {
  action: ciEnum(SCHEDULE_REQUEST_ACTIONS),
  principalId: ObjectId,
  justification: Justification,
  ticketInfo: TicketInfo.nullish(),
  scheduleInfo: ScheduleInfo.nullish(),
  isValidationOnly: z.boolean().default(false),
  ...graphExtras,
};

/** POST body of roleEligibilityScheduleRequests / roleAssignmentScheduleRequests. */
export const RoleScheduleRequestInput = z.strictObject({
  ...common,
  roleDefinitionId: ObjectId,
  directoryScopeId: Scope.default('/'),
  // App-specific scopes are not supported: only the directory-wide app scope may be named.
  appScopeId: z.literal('/').nullish(),
});
export type RoleScheduleRequestInput = z.infer<typeof RoleScheduleRequestInput>;

/** POST body of the privileged-group eligibilityScheduleRequests / assignmentScheduleRequests. */
export const GroupScheduleRequestInput = z.strictObject({
  ...common,
  groupId: ObjectId,
  accessId: ciEnum(['member', 'owner']),
});
export type GroupScheduleRequestInput = z.infer<typeof GroupScheduleRequestInput>;

export type ScheduleRequestInput = RoleScheduleRequestInput | GroupScheduleRequestInput;

export function targetOfInput(input: ScheduleRequestInput): Target {
  return 'roleDefinitionId' in input
    ? { kind: 'role', roleDefinitionId: input.roleDefinitionId, directoryScopeId: input.directoryScopeId }
    : { kind: 'group', groupId: input.groupId, accessId: input.accessId };
}

export const Identity = z.object({ id: z.string(), displayName: z.string().nullable() });
export type Identity = z.infer<typeof Identity>;

export const ScheduleRequestRecord = z.object({
  id: z.string(),
  level: ScheduleLevel,
  action: z.enum(SCHEDULE_REQUEST_ACTIONS),
  target: Target,
  principalId: z.string(),
  status: z.enum(REQUEST_STATUSES),
  justification: z.string().nullable(),
  ticketInfo: z.object({ ticketNumber: z.string().nullish(), ticketSystem: z.string().nullish() }).nullable(),
  /** The window as resolved by the service (what the schedule got), null for removals. */
  scheduleInfo: z
    .object({
      startDateTime: z.string(),
      expiration: z.object({
        type: z.enum(['afterDuration', 'afterDateTime', 'noExpiration']),
        duration: z.string().nullable(),
        endDateTime: z.string().nullable(),
      }),
    })
    .nullable(),
  isValidationOnly: z.boolean(),
  targetScheduleId: z.string().nullable(),
  approvalId: z.string().nullable(),
  createdDateTime: z.string(),
  completedDateTime: z.string().nullable(),
  createdBy: z.object({ user: Identity }),
});
export type ScheduleRequestRecord = z.infer<typeof ScheduleRequestRecord>;

function requestFields(r: ScheduleRequestRecord) {
  return {
    id: r.id,
    action: r.action,
    principalId: r.principalId,
    status: r.status,
    justification: r.justification,
    ticketInfo: r.ticketInfo ?? { ticketNumber: null, ticketSystem: null },
    scheduleInfo: r.scheduleInfo === null ? null : { ...r.scheduleInfo, recurrence: null },
    isValidationOnly: r.isValidationOnly,
    targetScheduleId: r.targetScheduleId,
    approvalId: r.approvalId,
    createdDateTime: r.createdDateTime,
    completedDateTime: r.completedDateTime,
    customData: null,
    // Graph's identitySet: a user made it; no application or device identity.
    createdBy: { application: null, device: null, user: r.createdBy.user },
  };
}

/** unifiedRoleEligibilityScheduleRequest / unifiedRoleAssignmentScheduleRequest. */
export function toRoleScheduleRequest(r: ScheduleRequestRecord) {
  if (r.target.kind !== 'role') throw new TypeError(`request ${r.id} is not a role request`);
  return {
    ...requestFields(r),
    roleDefinitionId: r.target.roleDefinitionId,
    directoryScopeId: r.target.directoryScopeId,
    appScopeId: null,
  };
}

/** privilegedAccessGroupEligibilityScheduleRequest / privilegedAccessGroupAssignmentScheduleRequest. */
export function toGroupScheduleRequest(r: ScheduleRequestRecord) {
  if (r.target.kind !== 'group') throw new TypeError(`request ${r.id} is not a group request`);
  return { ...requestFields(r), groupId: r.target.groupId, accessId: r.target.accessId };
}
