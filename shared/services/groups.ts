// Groups: create (security groups, optionally role-assignable) and direct membership. A member
// added here is a permanent, directly assigned `member` assignment of the group, the same record
// PIM for Groups uses, so members and activated members are found and checked the same way.
// Roles are assigned to a group with a role assignment request whose principalId is the group.
import { randomUUID } from 'node:crypto';
import { ConflictError, LastAdministratorError, NotFoundError, ValidationError } from '../domain/errors';
import { CreateGroupInput, defaultMailNickname, type Group } from '../domain/groups';
import { isObjectId } from '../domain/ids';
import { defaultPolicy } from '../domain/policy';
import { isActiveAt, isCurrentOrFuture, type ScheduleRecord } from '../domain/schedules';
import { chainedPage, type Page, type PageRequest, type PageSource } from '../storage/paging';
import { groupEntity, policyEntity, type Stored, scheduleEntity } from '../storage/role-management-entities';
import { GROUP_RK } from '../storage/role-management-keys';
import { event, principalResource } from './audit-events';
import type { OperationContext } from './context';
import type { ServiceDeps } from './deps';
import { requireOtherGroupAdmin } from './last-admin';
import { withRetry } from './retry';
import { parseInput, pathId } from './validation';

const notFound = (id: string) =>
  new NotFoundError(`Group '${id}' does not exist.`, 'Request_ResourceNotFound');
const notAMember = (id: string) => new NotFoundError(`'${id}' is not a member of the group.`);

export class GroupService {
  constructor(private readonly deps: ServiceDeps) {}

  /** Any signed-in caller may list and read groups, as in Entra. */
  list(_ctx: OperationContext, page: PageRequest): Promise<Page<Group>> {
    return this.deps.stores.index.groups(page);
  }

  async get(_ctx: OperationContext, rawId: string): Promise<Stored<Group>> {
    const group = await this.deps.stores.roleManagement.group(pathId(rawId, () => notFound(rawId)));
    if (!group) throw notFound(rawId);
    return group;
  }

  /** `options.id`: a fixed id, for demo data (never from an API body). */
  async create(ctx: OperationContext, body: unknown, options: { id?: string } = {}): Promise<Stored<Group>> {
    const input = parseInput(CreateGroupInput, body);
    const at = this.deps.now();
    await this.deps.access.requireManage(ctx, at);
    const id = options.id ?? randomUUID();
    const group: Group = {
      id,
      displayName: input.displayName,
      description: input.description ?? null,
      mailNickname: input.mailNickname ?? defaultMailNickname(input.displayName),
      mailEnabled: false,
      securityEnabled: true,
      isAssignableToRole: input.isAssignableToRole,
      createdDateTime: at.toISOString(),
    };
    const etags = await this.deps.stores.roleManagement.commit(
      { kind: 'group', id },
      {
        guard: 'new',
        writes: [
          { op: 'insert', entity: groupEntity(group) },
          ...(['member', 'owner'] as const).map((accessId) => ({
            op: 'insert' as const,
            entity: policyEntity(
              { kind: 'group', groupId: id, accessId },
              defaultPolicy({ kind: 'group', groupId: id, accessId }),
            ),
          })),
        ],
        audits: [
          event(ctx, at, {
            category: 'GroupManagement',
            activityDisplayName: 'Add group',
            operationType: 'Add',
            targets: [{ id, type: 'Group', displayName: group.displayName }],
            details: { IsAssignableToRole: String(group.isAssignableToRole) },
          }),
        ],
      },
    );
    return { value: group, etag: etags.get(GROUP_RK) ?? '' };
  }

  /** Members in force now (direct or activated), by principal id. Any signed-in caller may read. */
  async listMembers(
    _ctx: OperationContext,
    groupId: string,
    page: PageRequest,
  ): Promise<Page<ScheduleRecord>> {
    const id = pathId(groupId, () => notFound(groupId));
    const { roleManagement, activations } = this.deps.stores;
    if (!(await roleManagement.group(id))) throw notFound(groupId);
    const now = this.deps.now();
    const members = (s: ScheduleRecord) =>
      s.target.kind === 'group' &&
      s.target.groupId === id &&
      s.target.accessId === 'member' &&
      isActiveAt(s, now);
    const direct: PageSource<ScheduleRecord> = async (p) => {
      const result = await roleManagement.listSchedules({ kind: 'group', id }, 'assignment', p, {
        notEndedAt: now,
      });
      return { ...result, items: result.items.filter(members) };
    };
    const activated: PageSource<ScheduleRecord> = async (p) => {
      const result = await activations.schedules('group', p, { resourceId: id, notEndedAt: now });
      return { ...result, items: result.items.filter(members) };
    };
    return chainedPage([direct, activated], page);
  }

  async addMember(ctx: OperationContext, groupId: string, memberId: string): Promise<ScheduleRecord> {
    const id = pathId(groupId, () => notFound(groupId));
    if (!isObjectId(memberId)) {
      throw new ValidationError('memberId must be an object id (GUID).', [
        { target: 'memberId', message: 'expected a GUID' },
      ]);
    }
    const principalId = memberId.toLowerCase();
    await this.deps.access.requireManage(ctx, this.deps.now());
    const repo = this.deps.stores.roleManagement;
    if (await repo.group(principalId)) {
      throw new ValidationError('Groups cannot be nested in a privileged group.', [
        { target: 'memberId', message: 'is a group' },
      ]);
    }
    return withRetry(async () => {
      const now = this.deps.now();
      const [head, group] = await Promise.all([repo.head({ kind: 'group', id }), repo.group(id)]);
      if (!head || !group) throw notFound(groupId);
      const current = (
        await repo.schedules({ kind: 'group', id }, 'assignment', { principalId, notEndedAt: now })
      ).filter((s) => s.value.target.kind === 'group' && s.value.target.accessId === 'member');
      if (current.some((s) => isCurrentOrFuture(s.value, now))) {
        throw new ConflictError('The principal is already a member of the group.', 'MemberAlreadyExists');
      }
      const schedule: ScheduleRecord = {
        id: randomUUID(),
        level: 'assignment',
        target: { kind: 'group', groupId: id, accessId: 'member' },
        principalId,
        memberType: 'Direct',
        assignmentType: 'Assigned',
        status: 'Provisioned',
        startDateTime: now.toISOString(),
        endDateTime: null,
        createdDateTime: now.toISOString(),
        modifiedDateTime: now.toISOString(),
        createdUsing: ctx.correlationId,
      };
      await repo.commit(
        { kind: 'group', id },
        {
          guard: head,
          writes: [{ op: 'insert', entity: scheduleEntity(schedule) }],
          audits: [
            event(ctx, now, {
              category: 'GroupManagement',
              activityDisplayName: 'Add member to group',
              operationType: 'Add',
              targets: [
                { id, type: 'Group', displayName: group.value.displayName },
                await principalResource(this.deps.stores, principalId),
              ],
              details: { ScheduleId: schedule.id },
            }),
          ],
        },
      );
      return schedule;
    });
  }

  /** Ends the principal's membership: removes its current member assignments (direct or activated). */
  async removeMember(ctx: OperationContext, groupId: string, memberId: string): Promise<void> {
    const id = pathId(groupId, () => notFound(groupId));
    const principalId = pathId(memberId, () => notAMember(memberId));
    await this.deps.access.requireManage(ctx, this.deps.now());
    const repo = this.deps.stores.roleManagement;
    await withRetry(async () => {
      const now = this.deps.now();
      const [head, group] = await Promise.all([repo.head({ kind: 'group', id }), repo.group(id)]);
      if (!head || !group) throw notFound(groupId);
      const current = (
        await repo.schedules({ kind: 'group', id }, 'assignment', { principalId, notEndedAt: now })
      ).filter((s) => s.value.target.kind === 'group' && s.value.target.accessId === 'member');
      if (current.length === 0) throw notAMember(memberId);
      const targets = [
        { id, type: 'Group', displayName: group.value.displayName },
        await principalResource(this.deps.stores, principalId),
      ];
      try {
        await requireOtherGroupAdmin(
          this.deps.stores,
          id,
          current.map((s) => s.value),
          now,
        );
      } catch (err) {
        // A refused removal is a security signal: audited, though nothing changed.
        if (err instanceof LastAdministratorError) {
          await this.deps.stores.audit.append([
            event(ctx, now, {
              category: 'GroupManagement',
              activityDisplayName: 'Remove member from group failed',
              operationType: 'Delete',
              targets,
              result: 'failure',
              resultReason: err.message,
            }),
          ]);
        }
        throw err;
      }
      await repo.commit(
        { kind: 'group', id },
        {
          guard: head,
          writes: current.map((s) => ({ op: 'delete' as const, entity: scheduleEntity(s.value) })),
          audits: [
            event(ctx, now, {
              category: 'GroupManagement',
              activityDisplayName: 'Remove member from group',
              operationType: 'Delete',
              targets,
              details: { ScheduleIds: current.map((s) => s.value.id).join(',') },
            }),
          ],
        },
      );
    });
  }
}
