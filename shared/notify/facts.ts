// What a notice says, gathered once from the stores: people (names and mail addresses), the role or
// group, the window, justification and ticket, the approval and its approvers. Templates and
// payloads render only these facts; nothing here is secret.
import { now } from '../clock';
import type { Target } from '../domain/schedules';
import { services } from '../services';
import type { Notice, NoticeEvent } from './notifier';

export interface Person {
  id: string;
  displayName: string | null;
  email: string | null;
}

export interface NoticeFacts {
  event: NoticeEvent;
  at: string;
  /** The request (or schedule) the notice is about. */
  subjectId: string;
  principal: Person;
  target?: Target;
  targetDisplayName: string;
  startDateTime?: string | null;
  endDateTime?: string | null;
  justification?: string | null;
  ticketNumber?: string | null;
  ticketSystem?: string | null;
  by?: Person | null;
  approval?: {
    id: string;
    stepId: string;
    expiresDateTime: string;
    approvers: Person[];
    /** The approver's justification, once decided. */
    reviewJustification: string | null;
  };
  connector?: Notice['connector'];
  alert?: Notice['alert'];
}

export async function person(id: string): Promise<Person> {
  const user = (await services().stores.users.get(id.toLowerCase()))?.value;
  const upn = user?.userPrincipalName ?? null;
  return { id, displayName: user?.displayName ?? null, email: upn?.includes('@') ? upn : null };
}

export async function gatherFacts(notice: Notice): Promise<NoticeFacts> {
  const r = notice.request;
  const target = notice.target;
  const facts: NoticeFacts = {
    event: notice.event,
    at: notice.at ?? now().toISOString(),
    subjectId: notice.subjectId,
    principal: await person(notice.principalId),
    target,
    targetDisplayName:
      (target ? await services().names.targetName(target) : null) ??
      notice.targetDisplayName ??
      'unknown role',
    startDateTime: notice.event === 'activated' ? notice.at : r?.startDateTime,
    endDateTime: notice.endDateTime ?? null,
    justification: notice.justification ?? null,
    ticketNumber: notice.ticketNumber ?? null,
    ticketSystem: r?.ticketSystem ?? null,
    by: notice.by ? await person(notice.by) : null,
    connector: notice.connector,
    alert: notice.alert,
  };
  if (r?.approval) {
    facts.approval = {
      id: r.approval.id,
      stepId: r.approval.stepId,
      expiresDateTime: r.approval.expiresDateTime,
      approvers: await Promise.all(r.approval.approverIds.map(person)),
      reviewJustification: r.approval.reviewJustification,
    };
  }
  return facts;
}

export function nameOf(p: Person | null | undefined): string {
  return p?.displayName ?? p?.email ?? p?.id ?? 'someone';
}

/** "/" for the whole directory, else the scope path; "member"/"owner" for groups. */
export function scopeOf(target: Target | undefined): string | null {
  if (!target) return null;
  return target.kind === 'role' ? target.directoryScopeId : `${target.accessId} of the group`;
}
