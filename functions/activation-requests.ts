// Assignment schedule requests in Graph's PIM dialect, for directory roles and privileged groups:
//   POST .../roleAssignmentScheduleRequests                  selfActivate, selfDeactivate, selfExtend,
//                                                             selfRenew, and the admin actions
//   GET  .../roleAssignmentScheduleRequests/{id}             the requester's own (readers: any)
//   POST .../roleAssignmentScheduleRequests/{id}/cancel      the requester, while it waits for MFA or approval
//   POST .../roleAssignmentScheduleRequests/{id}/verifyMfa   a fresh-MFA token, or {"otp"} from the caller's TOTP
// and the same under /identityGovernance/privilegedAccess/group/assignmentScheduleRequests.
// Each handler parses, calls the activation service (shared/services/activation.ts), and shapes.
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { z } from 'zod';
import '../orchestrations/activation';
import '../orchestrations/activation-activities';
import { useDurableClient } from '../orchestrations/signals';
import { NotFoundError } from '../shared/domain/errors';
import {
  GroupScheduleRequestInput,
  RoleScheduleRequestInput,
  type ScheduleRequestRecord,
  toGroupScheduleRequest,
  toRoleScheduleRequest,
} from '../shared/domain/requests';
import { apiRoute } from '../shared/http/api-route';
import { httpHandler, json, noContent, type RequestInfo } from '../shared/http/handler';
import { readJsonBody } from '../shared/http/validation';
import { registerOperation } from '../shared/openapi/registry';
import { services } from '../shared/services';
import { ACCEPTED_RESPONSE, breakGlassOf, proposalAccepted } from './admin-change-gate';
import { ASSIGNMENT_REQUEST_ROUTES } from './assignment-request-routes';
import { operationContext, readRawBody } from './directory-common';
import { isAdminBody, SCHEDULE_REQUEST_KIND, type ScheduleRequestChange } from './schedule-request-change';

type Kind = 'role' | 'group';
const client = df.input.durableClient();

const VerifyMfaBody = z
  .strictObject({
    otp: z
      .string()
      .regex(/^\d{6}$/, 'A 6-digit code.')
      .optional(),
  })
  .meta({ id: 'verifyMfa_input' });

/** Graph's unifiedRoleAssignmentScheduleRequest or privilegedAccessGroupAssignmentScheduleRequest. */
export function requestShape(kind: Kind, r: ScheduleRequestRecord, isValidationOnly = r.isValidationOnly) {
  const record = { ...r, isValidationOnly };
  return kind === 'role' ? toRoleScheduleRequest(record) : toGroupScheduleRequest(record);
}

/** The invocation's services, with its durable client as the way to the orchestrations. */
async function callerOf(req: HttpRequest, context: InvocationContext, info: RequestInfo) {
  const s = useDurableClient(context);
  return { s, ctx: await operationContext(req, info) };
}

function register(kind: Kind, base: string, name: string) {
  registerOperation({
    method: 'post',
    path: `/${base}`,
    summary: `Create a ${kind} assignment schedule request (self-service and admin actions)`,
    tags: ['activation'],
    requestBody: kind === 'role' ? RoleScheduleRequestInput : GroupScheduleRequestInput,
    responses: {
      201: {
        description: 'The request',
        graph:
          kind === 'role'
            ? 'unifiedRoleAssignmentScheduleRequest'
            : 'privilegedAccessGroupAssignmentScheduleRequest',
      },
      ...ACCEPTED_RESPONSE,
      400: 'Invalid or failed policy rules',
      403: 'Not allowed',
    },
  });
  registerOperation({
    method: 'get',
    path: `/${base}/{id}`,
    summary: 'Get a schedule request',
    tags: ['activation'],
    responses: {
      200: {
        description: 'The request',
        graph:
          kind === 'role'
            ? 'unifiedRoleAssignmentScheduleRequest'
            : 'privilegedAccessGroupAssignmentScheduleRequest',
      },
      404: 'Not visible',
    },
  });
  registerOperation({
    method: 'post',
    path: `/${base}/{id}/cancel`,
    summary: 'Cancel a request waiting for MFA or approval',
    tags: ['activation'],
    responses: {
      204: 'Canceled (by an admin: denied, for a selfExtend/selfRenew)',
      403: 'Neither the principal nor an admin',
      404: 'Not visible',
      409: 'Not pending',
    },
  });
  registerOperation({
    method: 'post',
    path: `/${base}/{id}/verifyMfa`,
    summary: 'Complete the MFA step with a fresh MFA token or a TOTP code',
    tags: ['activation'],
    requestBody: VerifyMfaBody,
    responses: { 204: 'Verified', 400: 'Wrong code', 409: 'Not waiting for MFA', 429: 'Locked' },
  });

  app.http(`${name}Create`, {
    route: apiRoute(base),
    methods: ['POST'],
    extraInputs: [client],
    handler: httpHandler(async (req, context, info) => {
      const { s, ctx } = await callerOf(req, context, info);
      const body = await readRawBody(req);
      if (isAdminBody(body)) {
        // Under the two-person rule, a privileged role's change may become a proposal (202).
        const change: ScheduleRequestChange = { kind, level: 'assignment', body };
        if (info.sentClientRequestId) change.retryKey = info.sentClientRequestId;
        const out = await s.adminChanges.submit<ScheduleRequestChange, ScheduleRequestRecord>(
          ctx,
          SCHEDULE_REQUEST_KIND,
          change,
          breakGlassOf(req),
        );
        if ('proposal' in out) return proposalAccepted(req, out.proposal);
        return json(201, requestShape(kind, out.applied));
      }
      const outcome = await s.activation.submit(ctx, kind, body, info.sentClientRequestId);
      return json(201, requestShape(kind, outcome.request, outcome.isValidationOnly));
    }),
  });

  app.http(`${name}Get`, {
    route: apiRoute(`${base}/{id}`),
    methods: ['GET'],
    handler: httpHandler(async (req, _context, info) => {
      const ctx = await operationContext(req, info);
      return json(
        200,
        requestShape(kind, await services().activationReads.request(ctx, kind, req.params.id)),
      );
    }),
  });

  app.http(`${name}Cancel`, {
    route: apiRoute(`${base}/{id}/cancel`),
    methods: ['POST'],
    extraInputs: [client],
    handler: httpHandler(async (req, context, info) => {
      const { s, ctx } = await callerOf(req, context, info);
      try {
        await s.activation.cancel(ctx, kind, req.params.id);
      } catch (err) {
        // Not an activation of the caller's: a selfExtend/selfRenew waiting for an admin, perhaps.
        if (!(err instanceof NotFoundError)) throw err;
        const request = await s.schedules.getRequest(ctx, kind, 'assignment', req.params.id);
        await s.requests.cancelRequest(ctx, request);
      }
      return noContent();
    }),
  });

  app.http(`${name}VerifyMfa`, {
    route: apiRoute(`${base}/{id}/verifyMfa`),
    methods: ['POST'],
    extraInputs: [client],
    handler: httpHandler(async (req, context, info) => {
      const { s, ctx } = await callerOf(req, context, info);
      const body = await readJsonBody(req, VerifyMfaBody, { emptyAs: {} });
      await s.activation.verifyMfa(ctx, kind, req.params.id, body.otp);
      return noContent();
    }),
  });
}

for (const { kind, route, name } of ASSIGNMENT_REQUEST_ROUTES) register(kind, route, name);
