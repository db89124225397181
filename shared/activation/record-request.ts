// Writes a new activation request, its approval and its "requested" audit row, each only if absent.
// The orchestration is started first and runs this as its first step, and the HTTP handler runs it
// too before answering: a crash anywhere leaves either nothing (no orchestration, the caller got an
// error) or an orchestration that will finish writing it. Never a request without its orchestration.
import { type ApprovalRow, createApproval } from './approvals-repo';
import { auditStep } from './audit-steps';
import { type ActivationRequestRow, createRequestIfAbsent, getRequest } from './requests-repo';

export interface RequestRecord {
  request: Omit<ActivationRequestRow, 'etag'>;
  approval?: Omit<ApprovalRow, 'etag'>;
}

/** Writes what is missing. The request row goes last, so once it exists everything else does. */
export async function recordRequest(record: RequestRecord): Promise<void> {
  const r = record.request;
  if (await getRequest(r.id)) return; // written before (by the handler, or by an earlier run)
  if (record.approval) await createApproval(record.approval);
  await auditStep({
    requestId: r.id,
    step: 'Requested',
    at: r.createdDateTime,
    activity: `Add member to ${r.target.kind} requested (PIM activation)`,
    target: r.target,
    principalId: r.principalId,
    initiatedBy: r.principalId,
    details: {
      Justification: r.justification,
      TicketNumber: r.ticketInfo?.ticketNumber,
      TicketSystem: r.ticketInfo?.ticketSystem,
      Duration: r.scheduleInfo.expiration.duration,
    },
  });
  await createRequestIfAbsent(r);
}
