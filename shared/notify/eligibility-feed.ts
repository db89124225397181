// Eligibility notices (assigned, removed) are read from the audit log rather than hooked into the
// directory's services: every eligibility change is committed together with its audit row, so a
// reader of those rows misses none, even after a crash between commit and publication. A timer
// reads a sliding window with some overlap; delivering a notice twice is prevented downstream
// (deliveries are keyed by request and event).
import type { DirectoryAudit } from '../audit/directory-audit';
import type { Target } from '../domain/schedules';
import { services } from '../services';
import type { Notice } from './notifier';
import { notifyTable, statusCode } from './tables';

// Eligibility and active (standing) assignments an admin made or removed; activations say "(PIM activation)".
const ELIGIBILITY = /^(Add|Remove) (eligible )?(member|owner) (to|from) (role|group) in PIM completed/;
// A principal's selfExtend/selfRenew, waiting for the admins (shared/domain/renewal.ts).
const RENEWAL = /^Request (extension|renewal) of (eligible )?(member|owner) in (role|group) in PIM completed/;

const detail = (a: DirectoryAudit, key: string) => a.additionalDetails.find((d) => d.key === key)?.value;

/** The notice an audit row stands for, if it is an eligibility or active assignment an admin added or removed. */
export function eligibilityNotice(a: DirectoryAudit): Notice | undefined {
  const m = ELIGIBILITY.exec(a.activityDisplayName);
  const renewal = m ? null : RENEWAL.exec(a.activityDisplayName);
  if ((!m && !renewal) || a.result !== 'success') return undefined;
  const object = a.targetResources.find((t) => t.type === 'Role' || t.type === 'Group');
  const principal = a.targetResources.find((t) => t !== object && (t.type === 'User' || t.type === 'Group'));
  if (!object || !principal) return undefined;
  const access = detail(a, 'AccessId');
  const target: Target =
    object.type === 'Role'
      ? { kind: 'role', roleDefinitionId: object.id, directoryScopeId: detail(a, 'DirectoryScopeId') ?? '/' }
      : { kind: 'group', groupId: object.id, accessId: access === 'owner' ? 'owner' : 'member' };
  const end = renewal ? detail(a, 'CurrentEndDateTime') : detail(a, 'EndDateTime');
  return {
    event: !m
      ? 'renewalRequested'
      : m[2]
        ? m[1] === 'Add'
          ? 'eligibilityAssigned'
          : 'eligibilityRemoved'
        : m[1] === 'Add'
          ? 'assignmentAssigned'
          : 'assignmentRemoved',
    subjectId: detail(a, 'RequestId') ?? a.id,
    principalId: principal.id,
    targetDisplayName: object.displayName ?? object.id,
    target,
    at: a.activityDateTime,
    endDateTime: end && end !== 'permanent' ? end : undefined,
    by: a.initiatedBy.user?.id,
    justification: detail(a, 'Justification'),
  };
}

/** Eligibility notices of audit rows in [from, to]. */
export async function eligibilityNoticesBetween(from: Date, to: Date): Promise<Notice[]> {
  const out: Notice[] = [];
  let token: string | undefined;
  do {
    const page = await services().stores.audit.query({
      criteria: { from, to, category: ['RoleManagement', 'GroupManagement'] },
      top: 500,
      continuationToken: token,
    });
    for (const a of page.items) {
      const n = eligibilityNotice(a);
      if (n) out.push(n);
    }
    token = page.continuationToken;
  } while (token);
  return out.reverse(); // oldest first
}

const CURSOR = { partitionKey: 'cursor', rowKey: 'eligibility' };

/** Where the last run stopped; undefined before the first run. */
export async function readCursor(): Promise<Date | undefined> {
  try {
    const e = await (await notifyTable('deliveries')).getEntity(CURSOR.partitionKey, CURSOR.rowKey);
    return new Date(String(e.until));
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw err;
  }
}

export async function writeCursor(until: Date): Promise<void> {
  await (await notifyTable('deliveries')).upsertEntity({ ...CURSOR, until: until.toISOString() }, 'Replace');
}
