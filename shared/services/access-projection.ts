// Keeps the effective-access records (shared/domain/access-record.ts) in line with the assignments
// written elsewhere: an admin's assignment in a role's or group's partition, a group's roles, a
// membership activated in the member's own partition. The outbox runs it after each commit (before
// an admin's call answers; the sweeper after a crash), for every assignment row the commit touched:
//
//   1. the principal's record gets the assignment's entry (or loses it);
//   2. when that changed a group's own grants, every member's copy of them follows (fan-out);
//   3. when it is a group membership, the group's member list follows, and the member gets the
//      group's grants.
//
// Sync is state-based and idempotent: it reads the assignment as stored now and makes the
// records match; every record write is If-Match, and the assignment is read again at the end and
// the sync repeated if it changed meanwhile, so racing syncs cannot leave an older state behind.
// Why no member is missed when a group's roles and its members change at once: both write the
// group's record with If-Match, so one of them sees the other (the roles change fans out to a
// member list that holds the new member, or the new member copies the group's new roles).

import type { ProjectionRef, Projector } from '../audit/outbox';
import {
  type AccessRecord,
  activeMembers,
  type GroupRolesCopy,
  groupRolesCopy,
  type MembershipEntry,
  withAssignment,
  withGroupRoles,
  withMember,
} from '../domain/access-record';
import { ScheduleRecord } from '../domain/schedules';
import { getRow } from '../storage/paging';
import { principalOfPk, SCHEDULE_PREFIX } from '../storage/principal-keys';
import type { PrincipalStore, StoredAccess } from '../storage/principal-store';
import { parseItemRk } from '../storage/role-management-keys';
import { StaleReadError } from '../storage/stale-read';

const ATTEMPTS = 8;

export class AccessProjection {
  constructor(private readonly principals: PrincipalStore) {}

  /** The outbox's projector: assignment rows of the RoleManagement table. */
  readonly projector: Projector = async (tableName, refs) => {
    if (tableName !== this.principals.table.tableName) return;
    const assignments = refs.filter(isAssignmentRef);
    // Different principals in parallel; one principal's rows in order.
    const byPrincipal = new Map<string, ProjectionRef[]>();
    for (const ref of assignments) {
      const key = ref.principalId ?? ref.partitionKey;
      byPrincipal.set(key, [...(byPrincipal.get(key) ?? []), ref]);
    }
    await Promise.all(
      [...byPrincipal.values()].map(async (list) => {
        for (const ref of list) await this.sync(ref);
      }),
    );
  };

  /** Makes the records that depend on one assignment row match it. */
  async sync(ref: ProjectionRef): Promise<void> {
    const id = scheduleIdOf(ref);
    if (!id) return;
    if (principalOfPk(ref.partitionKey) !== undefined) return this.syncActivated(ref, id);
    let before = await getRow(this.principals.table, ref.partitionKey, ref.rowKey);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const schedule = before ? ScheduleRecord.parse(JSON.parse(String(before.data))) : undefined;
      if (schedule && schedule.level !== 'assignment') return;
      const principalId = (schedule?.principalId ?? ref.principalId)?.toLowerCase();
      if (!principalId) return;
      const old = await this.setEntry(principalId, id, schedule);
      const membership = [old, schedule && entryOfSchedule(schedule)].find(
        (e): e is MembershipEntry => e !== undefined && 'groupId' in e && e.accessId === 'member',
      );
      if (membership) await this.syncMembership(membership.groupId, principalId, id, schedule);
      const after = await getRow(this.principals.table, ref.partitionKey, ref.rowKey);
      if (after?.etag === before?.etag) return;
      before = after;
    }
    throw new Error(`access sync of ${ref.partitionKey}/${ref.rowKey} kept racing with writers`);
  }

  /**
   * Before an admin's change of assignments commits: every record it affects is narrowed to what
   * both the old and the new state grant (a removal: nothing), so that no crash between the commit
   * and its projection leaves a removed or shortened assignment granting. Widening waits for the
   * projection after the commit. If the commit does not happen, the outbox re-derives the records.
   */
  async narrow(writes: readonly { op: string; entity: Record<string, unknown> }[]): Promise<void> {
    for (const w of writes) {
      if (w.op === 'insert') continue;
      const ref = { partitionKey: String(w.entity.partitionKey), rowKey: String(w.entity.rowKey) };
      const id = scheduleIdOf(ref);
      const principalId =
        typeof w.entity.principalId === 'string' ? w.entity.principalId.toLowerCase() : undefined;
      if (!id || !principalId || principalOfPk(ref.partitionKey) !== undefined) continue;
      const next =
        w.op === 'delete' || typeof w.entity.data !== 'string'
          ? undefined
          : ScheduleRecord.parse(JSON.parse(w.entity.data));
      if (next && next.level !== 'assignment') continue;
      const written = await this.update(principalId, (r) => {
        const held = [...r.grants, ...r.memberships].find((e) => e.id === id);
        if (!held) return r;
        const narrowed = next && intersect(next, held);
        return withAssignment(r, id, narrowed);
      });
      if (written && written.before.grantsRevision !== written.after.grantsRevision) {
        await this.fanOut(principalId, groupRolesCopy(written.after), Object.keys(written.after.members));
      }
    }
  }

  /**
   * An activation's row: its principal's record changed in the same transaction; only a group
   * membership has more to follow (the group's member list).
   */
  private async syncActivated(ref: ProjectionRef, id: string): Promise<void> {
    const memberId = principalOfPk(ref.partitionKey) as string;
    if (!ref.groupId) return;
    let before = await getRow(this.principals.table, ref.partitionKey, ref.rowKey);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const schedule = before ? ScheduleRecord.parse(JSON.parse(String(before.data))) : undefined;
      await this.syncMembership(ref.groupId, memberId, id, schedule);
      const after = await getRow(this.principals.table, ref.partitionKey, ref.rowKey);
      if (after?.etag === before?.etag) return;
      before = after;
    }
    throw new Error(`access sync of ${ref.partitionKey}/${ref.rowKey} kept racing with writers`);
  }

  /**
   * Sets the principal's entry for assignment `id`; fans out when the principal is a group whose
   * grants changed. Returns the membership entry the record held before, if any (a removed row
   * no longer says which group it was about).
   */
  private async setEntry(
    principalId: string,
    id: string,
    schedule: ScheduleRecord | undefined,
  ): Promise<MembershipEntry | undefined> {
    let previous: MembershipEntry | undefined;
    const written = await this.update(principalId, (r) => {
      previous = r.memberships.find((m) => m.id === id);
      return withAssignment(r, id, schedule);
    });
    if (written && written.before.grantsRevision !== written.after.grantsRevision) {
      await this.fanOut(principalId, groupRolesCopy(written.after), Object.keys(written.after.members));
    }
    return previous;
  }

  /** The group's member list gets (or loses) the membership; the member gets the group's grants. */
  private async syncMembership(
    groupId: string,
    memberId: string,
    id: string,
    schedule: ScheduleRecord | undefined,
  ): Promise<void> {
    const written = await this.update(groupId, (g) =>
      withMember(g, memberId, id, schedule && { start: schedule.startDateTime, end: schedule.endDateTime }),
    );
    const group = written?.after ?? (await this.principals.access(groupId)).record;
    await this.copyGroupRoles(memberId, groupId, groupRolesCopy(group));
  }

  private async fanOut(groupId: string, copy: GroupRolesCopy, memberIds: string[]): Promise<void> {
    await Promise.all(memberIds.map((m) => this.copyGroupRoles(m, groupId, copy)));
  }

  private async copyGroupRoles(memberId: string, groupId: string, copy: GroupRolesCopy): Promise<void> {
    await this.update(memberId, (r) => withGroupRoles(r, groupId, copy));
  }

  /** Read, change, If-Match write, again on a lost race. Undefined when nothing changed. */
  private async update(
    principalId: string,
    change: (r: AccessRecord) => AccessRecord,
  ): Promise<{ before: AccessRecord; after: AccessRecord } | undefined> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const read: StoredAccess = await this.principals.access(principalId);
      const after = change(read.record);
      if (JSON.stringify(after) === JSON.stringify(read.record)) return undefined;
      try {
        await this.principals.putAccess(principalId, read, after);
        return { before: read.record, after };
      } catch (err) {
        if (!(err instanceof StaleReadError)) throw err;
      }
    }
    throw new StaleReadError();
  }
}

/** The active members of a group (for approvers given as a group): its record's member list. */
export async function groupMembers(
  principals: PrincipalStore,
  groupId: string,
  now: Date,
): Promise<string[]> {
  return activeMembers((await principals.access(groupId)).record, now);
}

/** The schedule with its window cut to the part `held` grants too; undefined when nothing is left. */
function intersect(
  next: ScheduleRecord,
  held: { start: string; end: string | null },
): ScheduleRecord | undefined {
  const start = Math.max(Date.parse(next.startDateTime), Date.parse(held.start));
  const ends = [next.endDateTime, held.end].filter((e): e is string => e !== null).map((e) => Date.parse(e));
  const end = ends.length > 0 ? Math.min(...ends) : null;
  if (end !== null && end <= start) return undefined;
  return {
    ...next,
    startDateTime: new Date(start).toISOString(),
    endDateTime: end === null ? null : new Date(end).toISOString(),
  };
}

function isAssignmentRef(ref: ProjectionRef): boolean {
  return scheduleIdOf(ref) !== undefined;
}

/** The schedule id of an assignment row (an admin's in a resource partition, or an activation's). */
function scheduleIdOf(ref: ProjectionRef): string | undefined {
  if (principalOfPk(ref.partitionKey) !== undefined) {
    return ref.rowKey.startsWith(SCHEDULE_PREFIX) ? ref.rowKey.slice(SCHEDULE_PREFIX.length) : undefined;
  }
  const item = parseItemRk(ref.rowKey);
  return item?.type === 'schedule' && item.level === 'assignment' ? item.id : undefined;
}

function entryOfSchedule(s: ScheduleRecord): MembershipEntry | undefined {
  if (s.target.kind !== 'group') return undefined;
  return {
    id: s.id,
    groupId: s.target.groupId,
    accessId: s.target.accessId,
    assignmentType: s.assignmentType ?? 'Assigned',
    start: s.startDateTime,
    end: s.endDateTime,
  };
}
