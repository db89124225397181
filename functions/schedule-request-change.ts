// Admin schedule requests (eligible and active assignments) under the two-person rule: an admin
// action (adminAssign, adminUpdate, adminRemove, adminExtend, adminRenew) on a privileged role
// (shared/domain/admin-changes.ts `isPrivilegedRole`) or a role-assignable group. Self-service
// actions, dry runs (isValidationOnly) and other roles are never proposals.
// A replay creates its request under the proposal's id, so a replay after a crash finds it.
import { isPrivilegedRole } from '../shared/domain/admin-changes';
import {
  GroupScheduleRequestInput,
  isAdminAction,
  RoleScheduleRequestInput,
  type ScheduleRequestRecord,
  targetOfInput,
} from '../shared/domain/requests';
import { builtInRole } from '../shared/domain/roles';
import type { ScheduleLevel } from '../shared/domain/schedules';
import { services } from '../shared/services';
import { registerAdminChangeKind } from '../shared/services/admin-changes';
import type { OperationContext } from '../shared/services/context';
import { resourceOfTarget } from '../shared/storage/role-management-keys';

export const SCHEDULE_REQUEST_KIND = 'scheduleRequest.admin';

export interface ScheduleRequestChange {
  kind: 'role' | 'group';
  level: ScheduleLevel;
  body: unknown;
  /** The caller's client-request-id (direct calls only: a retried adminRemove answers as the first). */
  retryKey?: string;
}

const schemaOf = (kind: 'role' | 'group') =>
  kind === 'role' ? RoleScheduleRequestInput : GroupScheduleRequestInput;

/** The input when it is an admin action that parses; otherwise undefined (the call answers as usual). */
function adminInput(c: ScheduleRequestChange) {
  const parsed = schemaOf(c.kind).safeParse(c.body);
  if (!parsed.success || !isAdminAction(parsed.data.action) || parsed.data.isValidationOnly) return undefined;
  return parsed.data;
}

/** Whether the body asks for an admin action (only those can be proposals). */
export function isAdminBody(body: unknown): boolean {
  const action = (body as { action?: unknown } | null)?.action;
  return typeof action === 'string' && isAdminAction(action as never);
}

async function submitDirect(
  ctx: OperationContext,
  c: ScheduleRequestChange,
  requestId?: string,
): Promise<ScheduleRequestRecord> {
  const s = services();
  // An admin's removal of an assignment may end a live activation: the activation service decides.
  // A replay passes the proposal's id as the retry key, so a second run answers with the first outcome.
  if (c.level === 'assignment' && (c.body as { action?: unknown } | null)?.action === 'adminRemove')
    return (await s.activation.submit(ctx, c.kind, c.body, requestId ?? c.retryKey)).request;
  const options = requestId ? { requestId } : {};
  return c.kind === 'role'
    ? s.requests.submitRoleRequest(ctx, c.level, c.body, options)
    : s.requests.submitGroupRequest(ctx, c.level, c.body, options);
}

/** The request a replay made under the proposal's id: one point read of its row, written with its change. */
async function madeBy(
  c: ScheduleRequestChange,
  proposalId: string,
): Promise<ScheduleRequestRecord | undefined> {
  const input = schemaOf(c.kind).safeParse(c.body);
  if (!input.success) return undefined;
  const resource = resourceOfTarget(targetOfInput(input.data));
  return services().stores.roleManagement.request(resource, c.level, proposalId);
}

registerAdminChangeKind<ScheduleRequestChange, ScheduleRequestRecord>({
  kind: SCHEDULE_REQUEST_KIND,
  async covered(_ctx, c) {
    const input = adminInput(c);
    if (!input) return false;
    const target = targetOfInput(input);
    const repo = services().stores.roleManagement;
    if (target.kind === 'group') return (await repo.group(target.groupId))?.value.isAssignableToRole ?? false;
    const role =
      builtInRole(target.roleDefinitionId) ?? (await repo.roleDefinition(target.roleDefinitionId))?.value;
    return role ? isPrivilegedRole(role) : false;
  },
  async propose(ctx, c) {
    const input = adminInput(c);
    if (!input) throw new Error('an uncovered schedule request was proposed');
    // The same checks as the call itself, without writing (a live activation's removal is checked on replay).
    if (!(c.level === 'assignment' && input.action === 'adminRemove'))
      await submitDirect(ctx, { ...c, body: { ...(c.body as object), isValidationOnly: true } });
    const s = services();
    const target = targetOfInput(input);
    const who = (await s.names.nameOf(input.principalId)) ?? input.principalId;
    const what = (await s.names.targetName(target)) ?? 'unknown';
    const where = target.kind === 'role' ? ` at ${target.directoryScopeId}` : ` (${target.accessId})`;
    const noun = c.level === 'eligibility' ? 'eligible assignment' : 'active assignment';
    return {
      description: `${input.action}: ${noun} of ${what}${where} for ${who}`,
      stored: { kind: c.kind, level: c.level, body: c.body },
    };
  },
  async apply(ctx, c, replay) {
    if (!replay) return submitDirect(ctx, c);
    const made = () => madeBy(c, replay.proposalId);
    const earlier = await made();
    if (earlier) return earlier;
    try {
      return await submitDirect(ctx, c, replay.proposalId);
    } catch (err) {
      // Another replay (the sweep, a retried approve) may have made it meanwhile: that one counts.
      const meanwhile = await made();
      if (meanwhile) return meanwhile;
      throw err;
    }
  },
  showResult: (r) => ({ requestId: r.id, action: r.action, status: r.status, principalId: r.principalId }),
});
