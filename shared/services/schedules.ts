// Reads of schedules, instances and requests. A principal may always read its own
// (filterByCurrentUser(on='principal')); everything else needs a reader role. Each query reads one
// partition: the resource's (filter by role or group), the principal's, or the kind's catalog.
import { NotFoundError } from '../domain/errors';
import type { ScheduleRequestRecord } from '../domain/requests';
import { isActiveAt, isCurrentOrFuture, type ScheduleLevel, type ScheduleRecord } from '../domain/schedules';
import { chainedPage, type Page, type PageRequest, type PageSource } from '../storage/paging';
import { parseItemRk, resourceOfPk } from '../storage/role-management-keys';
import type { OperationContext } from './context';
import type { ServiceDeps } from './deps';
import { filterId } from './validation';

export type ResourceKind = 'role' | 'group';

export interface ScheduleListQuery {
  /** Only this principal's (the caller's own needs no reader role). */
  principalId?: string;
  /** Only this role's (kind 'role') or group's (kind 'group'). */
  resourceId?: string;
  /**
   * Instances: only schedules in force now or later (ended ones are history). With `activeOnly`,
   * only those in force now.
   */
  instances?: boolean;
  activeOnly?: boolean;
}

/** The query's ids, lower-cased; a malformed one is a 400 (ids become table keys). */
function validIds(
  kind: ResourceKind,
  q: { principalId?: string; resourceId?: string },
): { principalId?: string; resourceId?: string } {
  return {
    principalId: q.principalId === undefined ? undefined : filterId(q.principalId, 'principalId'),
    resourceId:
      q.resourceId === undefined
        ? undefined
        : filterId(q.resourceId, kind === 'role' ? 'roleDefinitionId' : 'groupId'),
  };
}

export class ScheduleQueryService {
  constructor(private readonly deps: ServiceDeps) {}

  async listSchedules(
    ctx: OperationContext,
    kind: ResourceKind,
    level: ScheduleLevel,
    q: ScheduleListQuery,
    page: PageRequest,
  ): Promise<Page<ScheduleRecord>> {
    const now = this.deps.now();
    const { principalId, resourceId } = validIds(kind, q);
    await this.authorize(ctx, principalId, now);
    const notEndedAt = q.instances || q.activeOnly ? now : undefined;
    const { stores } = this.deps;
    // Admins' assignments and eligibilities live by role or group; activations by principal.
    const assigned: PageSource<ScheduleRecord> = (p) => {
      if (resourceId !== undefined)
        return stores.roleManagement.listSchedules({ kind, id: resourceId }, level, p, {
          principalId,
          notEndedAt,
        });
      if (principalId !== undefined)
        return stores.index.schedulesOfPrincipal(principalId, kind, level, p, notEndedAt);
      return stores.index.allSchedules(kind, level, p, notEndedAt);
    };
    const activated: PageSource<ScheduleRecord> = async (p) => {
      const found = principalId
        ? await stores.principals.schedules(principalId, p)
        : await stores.activations.schedules(kind, p, { resourceId, notEndedAt });
      return {
        ...found,
        items: found.items.filter(
          (s) =>
            s.target.kind === kind &&
            (resourceId === undefined || resourceIdOf(s) === resourceId) &&
            (notEndedAt === undefined || isCurrentOrFuture(s, notEndedAt)),
        ),
      };
    };
    // A person's role eligibilities include those of the role-assignable groups they are an active
    // member of (memberType Group), as Graph lists them: they may activate those roles themselves.
    const inherited: PageSource<ScheduleRecord> = async (p) => {
      if (principalId === undefined) return { items: [] };
      const { record } = await stores.principals.access(principalId);
      const groupIds = new Set(
        record.memberships
          .filter(
            (m) => m.accessId === 'member' && isActiveAt({ startDateTime: m.start, endDateTime: m.end }, now),
          )
          .map((m) => m.groupId),
      );
      const items: ScheduleRecord[] = [];
      for (const groupId of groupIds) {
        const found = await stores.index.schedulesOfPrincipal(groupId, kind, level, { top: 999 }, notEndedAt);
        for (const s of found.items) {
          if (resourceId === undefined || resourceIdOf(s) === resourceId)
            items.push({ ...s, principalId, memberType: 'Group' });
        }
      }
      // A person is in few groups: all of them read at once, served a page at a time.
      const from = Number(p.continuationToken ?? 0) || 0;
      const to = from + (p.top ?? 100);
      return {
        items: items.slice(from, to),
        ...(to < items.length ? { continuationToken: String(to) } : {}),
      };
    };
    const sources =
      level === 'assignment' ? [activated, assigned] : kind === 'role' ? [assigned, inherited] : [assigned];
    const result = await chainedPage(sources, page);
    return q.activeOnly ? { ...result, items: result.items.filter((s) => isActiveAt(s, now)) } : result;
  }

  async listRequests(
    ctx: OperationContext,
    kind: ResourceKind,
    level: ScheduleLevel,
    q: { principalId?: string; resourceId?: string },
    page: PageRequest,
  ): Promise<Page<ScheduleRequestRecord>> {
    const { principalId, resourceId } = validIds(kind, q);
    await this.authorize(ctx, principalId, this.deps.now());
    const { stores } = this.deps;
    if (resourceId !== undefined) {
      return stores.roleManagement.listRequests({ kind, id: resourceId }, level, page, { principalId });
    }
    if (principalId !== undefined) {
      return stores.index.requestsOfPrincipal(principalId, kind, level, page);
    }
    return stores.index.allRequests(kind, level, page);
  }

  /** A request by id: the principal, its creator and readers see it; anyone else gets 404. */
  async getRequest(
    ctx: OperationContext,
    kind: ResourceKind,
    level: ScheduleLevel,
    id: string,
  ): Promise<ScheduleRequestRecord> {
    const notFound = new NotFoundError(`Request '${id}' does not exist.`);
    const located = await this.deps.stores.index.locate(id.toLowerCase());
    const resource = located && resourceOfPk(located.partitionKey);
    const item = located && parseItemRk(located.rowKey);
    if (!resource || !item || resource.kind !== kind || item.type !== 'request' || item.level !== level)
      throw notFound;
    const request = await this.deps.stores.roleManagement.request(resource, level, item.id);
    if (!request) throw notFound;
    const self =
      ctx.actor.kind === 'user' && [request.principalId, request.createdBy.user.id].includes(ctx.actor.id);
    if (!self && !(await this.isReader(ctx))) throw notFound;
    return request;
  }

  /** A schedule by id, for readers and the schedule's principal. */
  async getSchedule(
    ctx: OperationContext,
    kind: ResourceKind,
    level: ScheduleLevel,
    id: string,
  ): Promise<ScheduleRecord> {
    const notFound = new NotFoundError(`Schedule '${id}' does not exist.`);
    const located = await this.deps.stores.index.locate(id.toLowerCase());
    const resource = located && resourceOfPk(located.partitionKey);
    const item = located && parseItemRk(located.rowKey);
    if (!resource || !item || resource.kind !== kind || item.type !== 'schedule' || item.level !== level)
      throw notFound;
    const schedule = await this.deps.stores.roleManagement.schedule(resource, level, item.id);
    if (!schedule) throw notFound;
    const self = ctx.actor.kind === 'user' && schedule.value.principalId === ctx.actor.id;
    if (!self && !(await this.isReader(ctx))) throw notFound;
    return schedule.value;
  }

  private async authorize(ctx: OperationContext, principalId: string | undefined, now: Date): Promise<void> {
    if (ctx.actor.kind === 'user' && principalId !== undefined && principalId.toLowerCase() === ctx.actor.id)
      return;
    await this.deps.access.requireRead(ctx, now);
  }

  private async isReader(ctx: OperationContext): Promise<boolean> {
    return ctx.actor.kind === 'system' || (await this.deps.access.canRead(ctx.actor.id, this.deps.now()));
  }
}

function resourceIdOf(s: ScheduleRecord): string {
  return s.target.kind === 'role' ? s.target.roleDefinitionId : s.target.groupId;
}
