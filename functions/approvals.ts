// Approvals of activation requests, in Graph's shape:
//   GET   /v1.0/roleManagement/directory/roleAssignmentApprovals/{id}
//   PATCH /v1.0/roleManagement/directory/roleAssignmentApprovals/{id}/steps/{stepId}  {reviewResult, justification}
//   GET   /v1.0/roleManagement/directory/roleAssignmentApprovals/filterByCurrentUser(on='approver')
// (and the same under /identityGovernance/privilegedAccess/group/assignmentApprovals). The first
// decision wins (a later one gets 409); nobody decides their own request, administrators included.
// Deciding is shared/activation/decide-approval.ts, as for approval links and the chat webhook.
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { z } from 'zod';
import { ActivationEvent } from '../orchestrations/activation-contract';
import { type ApprovalRow, getApproval, pendingApprovalIds } from '../shared/activation/approvals-repo';
import { decideApproval, type RaiseDecision } from '../shared/activation/decide-approval';
import { authenticate } from '../shared/auth/authenticate';
import { notFound } from '../shared/http/errors';
import { httpHandler, json, noContent } from '../shared/http/handler';
import { ciEnum, readJsonBody } from '../shared/http/validation';
import { registerOperation } from '../shared/openapi/registry';

const client = df.input.durableClient();

/** Hands a decision to the request's orchestration (also used by approval links and the webhook). */
export function raiseDecision(context: InvocationContext): RaiseDecision {
  return (requestId, decision) =>
    df.getClient(context).raiseEvent(requestId, ActivationEvent.ApprovalDecided, decision);
}

/** The durable client binding that `raiseDecision` needs. */
export const decisionClientInput = client;
export const StepDecision = z
  .strictObject({ reviewResult: ciEnum(['Approve', 'Deny']), justification: z.string().max(500).nullish() })
  .meta({ id: 'approvalStep_input' });

function graphShape(a: ApprovalRow, callerId: string) {
  return {
    id: a.id,
    steps: a.steps.map((s) => ({
      id: s.id,
      displayName: null,
      status: s.status,
      reviewResult: s.reviewResult,
      reviewedBy: s.reviewedBy,
      reviewedDateTime: s.reviewedDateTime,
      justification: s.justification,
      assignedToMe: s.approverIds.includes(callerId),
    })),
  };
}

function register(base: string, name: string) {
  registerOperation({
    method: 'get',
    path: `/${base}/{id}`,
    summary: 'An approval and its steps (approvers and the requester)',
    tags: ['approvals'],
    responses: { 200: 'The approval', 404: 'Not visible' },
  });
  registerOperation({
    method: 'patch',
    path: `/${base}/{id}/steps/{stepId}`,
    summary: 'Approve or deny a step',
    tags: ['approvals'],
    requestBody: StepDecision,
    responses: {
      204: 'Decided',
      403: 'Not an approver of this step, or the requester',
      409: 'Already decided',
    },
  });
  registerOperation({
    method: 'get',
    path: `/${base}/filterByCurrentUser(on='approver')`,
    summary: 'Approvals waiting for the caller',
    tags: ['approvals'],
    responses: { 200: 'Pending approvals' },
  });

  app.http(`${name}Inbox`, {
    route: `${base}/filterByCurrentUser(on='approver')`,
    methods: ['GET'],
    handler: httpHandler(async (req: HttpRequest) => {
      const caller = await authenticate(req);
      const approvals = (await Promise.all((await pendingApprovalIds(caller.id)).map(getApproval))).filter(
        (a): a is ApprovalRow => a?.steps.some((s) => s.status === 'InProgress') === true,
      );
      return json(200, { value: approvals.map((a) => graphShape(a, caller.id)) });
    }),
  });

  app.http(`${name}Get`, {
    route: `${base}/{id}`,
    methods: ['GET'],
    handler: httpHandler(async (req: HttpRequest) => {
      const caller = await authenticate(req);
      const a = await getApproval(req.params.id);
      if (!a || (a.requesterId !== caller.id && !a.steps.some((s) => s.approverIds.includes(caller.id)))) {
        throw notFound(`No approval with id '${req.params.id}' is visible to the caller.`);
      }
      return json(200, graphShape(a, caller.id));
    }),
  });

  app.http(`${name}Decide`, {
    route: `${base}/{id}/steps/{stepId}`,
    methods: ['PATCH'],
    extraInputs: [client],
    handler: httpHandler(async (req: HttpRequest, context: InvocationContext) => {
      const caller = await authenticate(req);
      const decision = await readJsonBody(req, StepDecision);
      await decideApproval(
        {
          approvalId: req.params.id,
          stepId: req.params.stepId,
          approverId: caller.id,
          approverName: caller.name,
          reviewResult: decision.reviewResult,
          justification: decision.justification,
          channel: 'portal',
        },
        raiseDecision(context),
      );
      return noContent();
    }),
  });
}

register('v1.0/roleManagement/directory/roleAssignmentApprovals', 'roleAssignmentApprovals');
register('v1.0/identityGovernance/privilegedAccess/group/assignmentApprovals', 'groupAssignmentApprovals');
