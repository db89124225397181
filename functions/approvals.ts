// Approvals of activation requests, in Graph's shape:
//   GET   /v1.0/roleManagement/directory/roleAssignmentApprovals/{id}
//   PATCH /v1.0/roleManagement/directory/roleAssignmentApprovals/{id}/stages/{stageId}  {reviewResult, justification}
//         (and .../steps/{stepId}, beta's name for the same)
//   GET   /v1.0/roleManagement/directory/roleAssignmentApprovals/filterByCurrentUser(on='approver')
// (and the same under /identityGovernance/privilegedAccess/group/assignmentApprovals). The first
// decision wins (a different later one gets 409); nobody decides their own request, administrators
// included. Deciding is the activation service's, as for approval links and the chat webhook.
import { app } from '@azure/functions';
import * as df from 'durable-functions';
import { z } from 'zod';
import { useDurableClient } from '../orchestrations/signals';
import { apiRoute } from '../shared/http/api-route';
import { httpHandler, json, noContent } from '../shared/http/handler';
import { ciEnum, readJsonBody } from '../shared/http/validation';
import { registerOperation } from '../shared/openapi/registry';
import { services } from '../shared/services';
import { operationContext } from './directory-common';

type Kind = 'role' | 'group';
const client = df.input.durableClient();

/** The durable client binding that deciding needs (also for approval links and the webhook). */
export const decisionClientInput = client;
export const StageDecision = z
  .strictObject({ reviewResult: ciEnum(['Approve', 'Deny']), justification: z.string().max(500).nullish() })
  .meta({ id: 'approvalStage_input' });

function register(kind: Kind, base: string, name: string) {
  registerOperation({
    method: 'get',
    path: `/${base}/{id}`,
    summary: 'An approval and its stages (requester, approvers, readers)',
    tags: ['approvals'],
    responses: { 200: { description: 'The approval', graph: 'approval' }, 404: 'Not visible' },
  });
  for (const [stages, param] of [
    ['stages', 'stageId'],
    ['steps', 'stepId'],
  ] as const) {
    registerOperation({
      method: 'patch',
      path: `/${base}/{id}/${stages}/{${param}}`,
      summary: `Approve or deny a stage${stages === 'steps' ? " (beta's name)" : ''}`,
      tags: ['approvals'],
      requestBody: StageDecision,
      responses: {
        204: 'Decided',
        403: 'Not an approver of this stage, or the requester',
        409: 'Already decided, canceled or expired',
      },
    });
    app.http(`${name}Decide${stages === 'steps' ? 'Step' : ''}`, {
      route: apiRoute(`${base}/{id}/${stages}/{${param}}`),
      methods: ['PATCH'],
      extraInputs: [client],
      handler: httpHandler(async (req, context, info) => {
        const s = useDurableClient(context);
        const ctx = await operationContext(req, info);
        const decision = await readJsonBody(req, StageDecision);
        await s.activation.decide({
          kind,
          approvalId: req.params.id,
          stageId: req.params[param],
          approverId: ctx.actor.kind === 'user' ? ctx.actor.id : '',
          approverName: ctx.actor.kind === 'user' ? ctx.actor.displayName : null,
          reviewResult: decision.reviewResult,
          justification: decision.justification,
          channel: 'portal',
        });
        return noContent();
      }),
    });
  }
  registerOperation({
    method: 'get',
    path: `/${base}/filterByCurrentUser(on='approver')`,
    summary: 'Approvals waiting for the caller',
    tags: ['approvals'],
    responses: { 200: { description: 'Pending approvals', graph: 'approval', collection: true } },
  });

  app.http(`${name}Inbox`, {
    route: apiRoute(`${base}/filterByCurrentUser(on='approver')`),
    methods: ['GET'],
    handler: httpHandler(async (req, _context, info) => {
      const ctx = await operationContext(req, info);
      return json(200, { value: await services().activationReads.inbox(ctx, kind) });
    }),
  });

  app.http(`${name}Get`, {
    route: apiRoute(`${base}/{id}`),
    methods: ['GET'],
    handler: httpHandler(async (req, _context, info) => {
      const ctx = await operationContext(req, info);
      return json(200, await services().activationReads.approval(ctx, kind, req.params.id));
    }),
  });
}

register('role', 'v1.0/roleManagement/directory/roleAssignmentApprovals', 'roleAssignmentApprovals');
register(
  'group',
  'v1.0/identityGovernance/privilegedAccess/group/assignmentApprovals',
  'groupAssignmentApprovals',
);
