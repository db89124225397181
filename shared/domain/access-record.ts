// A principal's effective-access record: everything the access check needs, in one row, so that
// "may P do A on S now?" is one point read evaluated against the clock (exact to the second: an
// entry past its end grants nothing, whether or not its revoke has run).
//
//   grants        P's role assignments (admin-assigned and activated), each with its window
//   memberships   P's group assignments (member or owner; only `member` confers the group's roles)
//   groupRoles    for each group P is a member of: a copy of that group's own grants, with the
//                 group's grants revision (a group is a principal too: its record holds its grants)
//   members       for a group's record: who its members are (the fan-out list when its grants change)
//   live          one live activation per target: target key -> the request that holds it (pending
//                 or granted), so a second activation extends the first instead of granting twice
//   recent        client-request-id -> request id of recent commands, so a retried POST answers as
//                 the first did instead of acting twice
// Pure: no I/O, no clock of its own. Every entry is keyed by its schedule id, and every change sets
// or removes whole entries, so applying the same change twice gives the same record.
import { z } from 'zod';
import { earlierEnd, type Grant } from './access';
import { type AssignmentType, isActiveAt, type ScheduleRecord, type Target } from './schedules';

const Window = { start: z.string(), end: z.string().nullable() };
const Assignment = z.enum(['Assigned', 'Activated']);

export const GrantEntry = z.object({
  id: z.string(),
  roleDefinitionId: z.string(),
  directoryScopeId: z.string(),
  assignmentType: Assignment,
  ...Window,
});
export type GrantEntry = z.infer<typeof GrantEntry>;

export const MembershipEntry = z.object({
  id: z.string(),
  groupId: z.string(),
  accessId: z.enum(['member', 'owner']),
  assignmentType: Assignment,
  ...Window,
});
export type MembershipEntry = z.infer<typeof MembershipEntry>;

export const GroupRolesCopy = z.object({ revision: z.number().int(), grants: z.array(GrantEntry) });
export type GroupRolesCopy = z.infer<typeof GroupRolesCopy>;

export const MemberEntry = z.object({ id: z.string(), ...Window });
export type MemberEntry = z.infer<typeof MemberEntry>;

export const RecentCommand = z.object({ key: z.string(), requestId: z.string(), at: z.string() });

export const AccessRecord = z.object({
  principalId: z.string(),
  /** Bumped by every change of the principal's partition (the row is its concurrency guard). */
  revision: z.number().int(),
  /** Bumped only when `grants` change: members' copies of a group's grants compare it. */
  grantsRevision: z.number().int(),
  grants: z.array(GrantEntry),
  memberships: z.array(MembershipEntry),
  groupRoles: z.record(z.string(), GroupRolesCopy),
  members: z.record(z.string(), z.array(MemberEntry)),
  live: z.record(z.string(), z.string()),
  recent: z.array(RecentCommand),
});
export type AccessRecord = z.infer<typeof AccessRecord>;

export function emptyAccessRecord(principalId: string): AccessRecord {
  return {
    principalId,
    revision: 0,
    grantsRevision: 0,
    grants: [],
    memberships: [],
    groupRoles: {},
    members: {},
    live: {},
    recent: [],
  };
}

/** Key of a target in `live` (ids and scopes compare case-insensitively). */
export function targetKey(t: Target): string {
  return t.kind === 'role'
    ? `role|${t.roleDefinitionId.toLowerCase()}|${t.directoryScopeId.toLowerCase()}`
    : `group|${t.groupId.toLowerCase()}|${t.accessId}`;
}

// ---- evaluation ------------------------------------------------------------------------------

/** The principal's role grants active at `now`: direct, and through groups it is an active member of. */
export function activeGrants(r: AccessRecord, now: Date): Grant[] {
  const out: Grant[] = r.grants
    .filter((g) => isActiveAt({ startDateTime: g.start, endDateTime: g.end }, now))
    .map((g) => grantOf(g, 'Direct', g.end));
  // Of several memberships of one group, the one lasting longest counts.
  const membershipEnd = new Map<string, string | null>();
  for (const m of r.memberships) {
    if (m.accessId !== 'member' || !isActiveAt({ startDateTime: m.start, endDateTime: m.end }, now)) continue;
    const known = membershipEnd.get(m.groupId);
    membershipEnd.set(m.groupId, known === undefined ? m.end : laterEnd(known, m.end));
  }
  for (const [groupId, end] of membershipEnd) {
    for (const g of r.groupRoles[groupId]?.grants ?? []) {
      if (!isActiveAt({ startDateTime: g.start, endDateTime: g.end }, now)) continue;
      out.push({ ...grantOf(g, 'Group', earlierEnd(g.end, end)), viaGroupId: groupId });
    }
  }
  return out;
}

function grantOf(g: GrantEntry, memberType: Grant['memberType'], end: string | null): Grant {
  return {
    roleDefinitionId: g.roleDefinitionId,
    directoryScopeId: g.directoryScopeId,
    memberType,
    endDateTime: end,
    roleAssignmentScheduleId: g.id,
  };
}

function laterEnd(a: string | null, b: string | null): string | null {
  if (a === null || b === null) return null;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

/** An admin-assigned (standing) assignment of exactly this target, in force at `now`. */
export function standingAssignment(
  r: AccessRecord,
  target: Target,
  now: Date,
): GrantEntry | MembershipEntry | undefined {
  const inForce = (e: { start: string; end: string | null }) =>
    isActiveAt({ startDateTime: e.start, endDateTime: e.end }, now);
  if (target.kind === 'role') {
    return r.grants.find(
      (g) =>
        g.assignmentType === 'Assigned' &&
        g.roleDefinitionId === target.roleDefinitionId &&
        g.directoryScopeId.toLowerCase() === target.directoryScopeId.toLowerCase() &&
        inForce(g),
    );
  }
  return r.memberships.find(
    (m) =>
      m.assignmentType === 'Assigned' &&
      m.groupId === target.groupId &&
      m.accessId === target.accessId &&
      inForce(m),
  );
}

/** The group ids the principal has a member entry of (in force or not yet ended). */
export function memberGroupIds(r: AccessRecord): string[] {
  return [...new Set(r.memberships.filter((m) => m.accessId === 'member').map((m) => m.groupId))];
}

// ---- changes (each returns a new record) ------------------------------------------------------

/** The entry a schedule contributes: a grant (role target) or a membership (group target). */
export function entryOf(s: ScheduleRecord): GrantEntry | MembershipEntry {
  const base = {
    id: s.id,
    assignmentType: (s.assignmentType ?? 'Assigned') as AssignmentType,
    start: s.startDateTime,
    end: s.endDateTime,
  };
  return s.target.kind === 'role'
    ? {
        ...base,
        roleDefinitionId: s.target.roleDefinitionId,
        directoryScopeId: s.target.directoryScopeId,
      }
    : { ...base, groupId: s.target.groupId, accessId: s.target.accessId };
}

/**
 * Sets the entry of assignment schedule `id` (or removes it when `schedule` is undefined). Grants
 * changing bumps `grantsRevision`. Group copies of groups the principal no longer belongs to go.
 */
export function withAssignment(
  r: AccessRecord,
  id: string,
  schedule: ScheduleRecord | undefined,
): AccessRecord {
  const entry = schedule ? entryOf(schedule) : undefined;
  const grants = r.grants.filter((g) => g.id !== id);
  const memberships = r.memberships.filter((m) => m.id !== id);
  const newGrant = entry && 'roleDefinitionId' in entry ? entry : undefined;
  const grantsChanged = JSON.stringify(r.grants.find((g) => g.id === id)) !== JSON.stringify(newGrant);
  if (newGrant) grants.push(newGrant);
  if (entry && 'groupId' in entry) memberships.push(entry);
  const next: AccessRecord = {
    ...r,
    grants,
    memberships,
    grantsRevision: grantsChanged ? r.grantsRevision + 1 : r.grantsRevision,
  };
  return withoutStaleGroupCopies(next);
}

/** Keeps a copy of `groupId`'s grants when it is newer than the one held (and P is a member). */
export function withGroupRoles(r: AccessRecord, groupId: string, copy: GroupRolesCopy): AccessRecord {
  const held = r.groupRoles[groupId];
  if (held && held.revision >= copy.revision) return r;
  if (!memberGroupIds(r).includes(groupId)) return r;
  return { ...r, groupRoles: { ...r.groupRoles, [groupId]: copy } };
}

function withoutStaleGroupCopies(r: AccessRecord): AccessRecord {
  const groups = new Set(memberGroupIds(r));
  const stale = Object.keys(r.groupRoles).filter((g) => !groups.has(g));
  if (stale.length === 0) return r;
  const groupRoles = { ...r.groupRoles };
  for (const g of stale) delete groupRoles[g];
  return { ...r, groupRoles };
}

/** A group's record: member `memberId`'s entry `entryId` set (or removed). */
export function withMember(
  group: AccessRecord,
  memberId: string,
  entryId: string,
  entry: { start: string; end: string | null } | undefined,
): AccessRecord {
  const current = (group.members[memberId] ?? []).filter((e) => e.id !== entryId);
  if (entry) current.push({ id: entryId, start: entry.start, end: entry.end });
  const members = { ...group.members };
  if (current.length > 0) members[memberId] = current;
  else delete members[memberId];
  return { ...group, members };
}

/** The members of a group's record whose membership is active at `now`. */
export function activeMembers(group: AccessRecord, now: Date): string[] {
  return Object.entries(group.members)
    .filter(([, entries]) =>
      entries.some((e) => isActiveAt({ startDateTime: e.start, endDateTime: e.end }, now)),
    )
    .map(([id]) => id);
}

export function groupRolesCopy(group: AccessRecord): GroupRolesCopy {
  return { revision: group.grantsRevision, grants: group.grants };
}

export function withLive(r: AccessRecord, target: Target, requestId: string | undefined): AccessRecord {
  const live = { ...r.live };
  if (requestId) live[targetKey(target)] = requestId;
  else delete live[targetKey(target)];
  return { ...r, live };
}

/** Releases `target` if `requestId` still holds it. */
export function released(r: AccessRecord, target: Target, requestId: string): AccessRecord {
  return r.live[targetKey(target)] === requestId ? withLive(r, target, undefined) : r;
}

const RECENT_KEEP_MS = 24 * 3_600_000;
const RECENT_MAX = 50;

/** Remembers the request a client-request-id produced (a day, at most the last 50). */
export function remembered(r: AccessRecord, key: string, requestId: string, now: Date): AccessRecord {
  const horizon = now.getTime() - RECENT_KEEP_MS;
  const recent = [
    ...r.recent.filter((c) => c.key !== key && Date.parse(c.at) >= horizon),
    { key, requestId, at: now.toISOString() },
  ].slice(-RECENT_MAX);
  return { ...r, recent };
}

export function recentRequest(r: AccessRecord, key: string): string | undefined {
  return r.recent.find((c) => c.key === key)?.requestId;
}
