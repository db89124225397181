// Reads of activations: a request by id, lists of requests (activations and admins' requests
// together), activated schedules, and approvals. A principal reads its own (one point read in its
// partition); readers and admins read everyone's through the activation index; an approver reads
// what it was asked. Anything else is "not found": its existence is not the caller's business.
import { type ActivationRequest, type ApprovalStageRecord, approvalsIn } from '../domain/activation';
import { NotFoundError } from '../domain/errors';
import type { ScheduleRequestRecord } from '../domain/requests';
import { chainedPage, type Page, type PageRequest, type PageSource } from '../storage/paging';
import type { OperationContext } from './context';
import type { ServiceDeps } from './deps';
import type { ScheduleQueryService } from './schedules';

type Kind = 'role' | 'group';

/** Graph's approval with its stages (v1.0) and, for beta clients, the same list as `steps`. */
export interface ApprovalView {
  id: string;
  stages: ReturnType<typeof stageView>[];
}

/**
 * Graph's approvalStage, plus the service's extensions for N-of-M stages: how many approvals the
 * stage needs and has, who it still waits on, each decision made in it, and its escalation.
 */
function stageView(s: ApprovalStageRecord, callerId: string) {
  const decided = new Set(s.decisions.map((d) => d.reviewer.id));
  return {
    id: s.id,
    displayName: null,
    status: s.status,
    reviewResult: s.reviewResult,
    reviewedBy: s.reviewedBy,
    reviewedDateTime: s.reviewedDateTime,
    justification: s.justification,
    assignedToMe: s.approverIds.includes(callerId) && !decided.has(callerId),
    approverCountRequired: s.approverCountRequired,
    approvalCount: approvalsIn(s),
    waitingOn: s.status === 'InProgress' ? s.approverIds.filter((id) => !decided.has(id)) : [],
    decisions: s.decisions.map((d) => ({
      reviewedBy: d.reviewer,
      reviewResult: d.reviewResult,
      justification: d.justification,
      reviewedDateTime: d.reviewedDateTime,
    })),
    startedDateTime: s.startedDateTime,
    escalationDateTime:
      s.escalatedDateTime ??
      (s.startedDateTime && s.escalationTimeInMinutes !== null
        ? new Date(Date.parse(s.startedDateTime) + s.escalationTimeInMinutes * 60_000).toISOString()
        : null),
    isEscalated: s.escalatedDateTime !== null,
  };
}

export class ActivationReads {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly schedules: ScheduleQueryService,
  ) {}

  /** GET .../assignmentScheduleRequests/{id}: an activation, or an admin's request. */
  async request(ctx: OperationContext, kind: Kind, id: string): Promise<ScheduleRequestRecord> {
    const found = await this.activation(ctx, kind, id);
    if (found) return found;
    return this.schedules.getRequest(ctx, kind, 'assignment', id);
  }

  /** An activation request the caller may see: its own (one read), one they are asked to approve, or anyone's for readers. */
  private async activation(
    ctx: OperationContext,
    kind: Kind,
    id: string,
  ): Promise<ActivationRequest | undefined> {
    const principals = this.deps.stores.principals;
    const callerId = ctx.actor.kind === 'user' ? ctx.actor.id : undefined;
    const own = callerId ? await principals.request(callerId, id) : undefined;
    if (own) return own.target.kind === kind ? own : undefined;
    const owner = await this.deps.stores.activations.locate(kind, id);
    if (!owner) return undefined;
    const request = await principals.request(owner, id);
    if (!request || request.target.kind !== kind) return undefined;
    const approver = callerId !== undefined && isApproverOf(request, callerId);
    if (!approver && !(await this.isReader(ctx))) throw notVisible(id);
    return request;
  }

  /**
   * filterByCurrentUser(on='approver'): the requests waiting for the caller's decision, so that an
   * approver sees who asks for what, why, with which ticket and for how long.
   */
  async awaitingApproval(ctx: OperationContext, kind: Kind): Promise<ActivationRequest[]> {
    const callerId = ctx.actor.kind === 'user' ? ctx.actor.id : '';
    const waiting = await this.deps.stores.activations.waitingFor(kind, callerId);
    const requests = await Promise.all(
      waiting.map((w) => this.deps.stores.principals.request(w.principalId, w.requestId)),
    );
    // The index may lag a decision by a moment: the request itself decides.
    return requests.filter((r): r is ActivationRequest => r !== undefined && waitsFor(r, callerId));
  }

  /**
   * Requests of one kind, activations first, then admins' requests, with one $skiptoken: the
   * principal's own (`principalId`), or everyone's (the caller must be a reader; checked by the caller).
   */
  requests(
    ctx: OperationContext,
    kind: Kind,
    principalId: string | undefined,
    page: PageRequest,
  ): Promise<Page<ScheduleRequestRecord>> {
    const stores = this.deps.stores;
    const activations: PageSource<ScheduleRequestRecord> = async (p) => {
      const found = principalId
        ? await stores.principals.requests(principalId, p)
        : await stores.activations.requests(kind, p);
      return { ...found, items: found.items.filter((r) => r.target.kind === kind) };
    };
    const admins: PageSource<ScheduleRequestRecord> = (p) =>
      this.schedules.listRequests(ctx, kind, 'assignment', { principalId }, p);
    return chainedPage([activations, admins], page);
  }

  /** GET .../assignmentApprovals/{id}: for the requester, the approvers, and readers. */
  async approval(ctx: OperationContext, kind: Kind, id: string): Promise<ApprovalView> {
    const callerId = ctx.actor.kind === 'user' ? ctx.actor.id : '';
    // The requester's own is read at once; others' are found through the index (written just after).
    const own = callerId ? await this.deps.stores.principals.request(callerId, id) : undefined;
    const owner = own ? undefined : await this.deps.stores.activations.locate(kind, id);
    const request = own ?? (owner ? await this.deps.stores.principals.request(owner, id) : undefined);
    const approval = request?.target.kind === kind ? request.activation.approval : null;
    if (!request || !approval) throw notVisible(id, 'approval');
    const involved = request.principalId === callerId || isApproverOf(request, callerId);
    if (!involved && !(await this.isReader(ctx))) throw notVisible(id, 'approval');
    return approvalView(approval.id, approval.stages, callerId);
  }

  /** filterByCurrentUser(on='approver'): approvals with a stage waiting for the caller. */
  async inbox(ctx: OperationContext, kind: Kind): Promise<ApprovalView[]> {
    const callerId = ctx.actor.kind === 'user' ? ctx.actor.id : '';
    const requests = await this.awaitingApproval(ctx, kind);
    return requests.map((r) =>
      approvalView(r.activation.approval!.id, r.activation.approval!.stages, callerId),
    );
  }

  private async isReader(ctx: OperationContext): Promise<boolean> {
    return ctx.actor.kind === 'system' || (await this.deps.access.canRead(ctx.actor.id, this.deps.now()));
  }
}

/** The request waits for `approverId`'s decision in a stage still open. */
function waitsFor(r: ActivationRequest, approverId: string): boolean {
  return (
    r.status === 'PendingApproval' &&
    r.activation.approval?.stages.some(
      (s) =>
        s.status === 'InProgress' &&
        s.approverIds.includes(approverId) &&
        !s.decisions.some((d) => d.reviewer.id === approverId),
    ) === true
  );
}

/** `approverId` is (or was) asked to decide on the request, in any stage. */
function isApproverOf(r: ActivationRequest, approverId: string): boolean {
  return (
    r.activation.approval?.stages.some(
      (s) => s.approverIds.includes(approverId) || s.escalationApproverIds.includes(approverId),
    ) === true
  );
}

function approvalView(id: string, stages: ApprovalStageRecord[], callerId: string): ApprovalView {
  const views = stages.map((s) => stageView(s, callerId));
  return { id, stages: views };
}

function notVisible(id: string, what = 'schedule request'): NotFoundError {
  return new NotFoundError(`No ${what} with id '${id.slice(0, 64)}' is visible to the caller.`);
}
