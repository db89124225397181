// Self-service schedule requests in Graph's PIM dialect, for directory roles and privileged groups:
//   POST .../roleAssignmentScheduleRequests                  selfActivate, selfDeactivate, selfExtend, selfRenew, adminRemove
//   GET  .../roleAssignmentScheduleRequests/{id}             the requester's own request (admins and readers: any)
//   POST .../roleAssignmentScheduleRequests/{id}/cancel      the requester, while it waits for MFA or approval
//   POST .../roleAssignmentScheduleRequests/{id}/verifyMfa   a fresh-MFA token, or {"otp"} from the caller's TOTP
// and the same under /identityGovernance/privilegedAccess/group/assignmentScheduleRequests.
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { z } from 'zod';
import { ACTIVATION_ORCHESTRATOR, ActivationEvent } from '../orchestrations/activation-contract';
import { graphShape } from '../shared/activation/graph-shape';
import { type ActivationRequestRow, getRequest, updateRequest } from '../shared/activation/requests-repo';
import {
  type Orchestrations,
  type SelfServiceRequest,
  selfActivate,
  signalHolder,
} from '../shared/activation/self-service';
import { authenticate } from '../shared/auth/authenticate';
import type { Caller } from '../shared/auth/caller';
import { now } from '../shared/clock';
import { toGroupScheduleRequest, toRoleScheduleRequest } from '../shared/domain/requests';
import { badRequest, conflict, isHttpError, notFound, tooManyRequests } from '../shared/http/errors';
import { httpHandler, json, noContent, type RequestInfo } from '../shared/http/handler';
import { ciEnum, parseOrThrow, readJsonBody } from '../shared/http/validation';
import { verifyTotp } from '../shared/mfa';
import { registerOperation } from '../shared/openapi/registry';
import { services } from '../shared/services';
import { operationContext } from './directory-common';
import '../orchestrations/activation';
import '../orchestrations/activation-activities';
import { ASSIGNMENT_REQUEST_ROUTES } from './assignment-request-routes';

const MAX_MFA_FAILURES = 5;
const client = df.input.durableClient();

const ACTIONS = [
  'selfActivate',
  'selfDeactivate',
  'selfExtend',
  'selfRenew',
  'adminAssign',
  'adminUpdate',
  'adminRemove',
  'adminExtend',
  'adminRenew',
] as const;
const HANDLED = new Set(['selfActivate', 'selfDeactivate', 'selfExtend', 'selfRenew', 'adminRemove']);

const Common = {
  action: ciEnum(ACTIONS),
  principalId: z.string().min(1).max(128),
  justification: z.string().max(500).nullish(),
  ticketInfo: z
    .strictObject({
      ticketNumber: z.string().max(100).nullish(),
      ticketSystem: z.string().max(100).nullish(),
    })
    .nullish(),
  scheduleInfo: z
    .strictObject({
      startDateTime: z.iso.datetime({ offset: true }).nullish(),
      expiration: z
        .strictObject({
          type: ciEnum(['afterDuration', 'afterDateTime', 'noExpiration', 'notSpecified']).optional(),
          duration: z.string().max(32).nullish(),
          endDateTime: z.iso.datetime({ offset: true }).nullish(),
        })
        .nullish(),
    })
    .nullish(),
  isValidationOnly: z.boolean().optional(),
};

export const RoleScheduleRequestBody = z
  .strictObject({
    ...Common,
    roleDefinitionId: z.string().min(1).max(128),
    directoryScopeId: z.string().min(1).max(400).default('/'),
    appScopeId: z.string().nullish(),
  })
  .meta({ id: 'unifiedRoleAssignmentScheduleRequest_input' });
export const GroupScheduleRequestBody = z
  .strictObject({ ...Common, groupId: z.string().min(1).max(128), accessId: ciEnum(['member', 'owner']) })
  .meta({ id: 'privilegedAccessGroupAssignmentScheduleRequest_input' });
const VerifyMfaBody = z.strictObject({
  otp: z
    .string()
    .regex(/^\d{6}$/, 'A 6-digit code.')
    .optional(),
});

type Kind = 'role' | 'group';

// Admin actions on assignments, served by shared/services (adminRemove only when no activation is live).
const DELEGATED = new Set(['adminassign', 'adminupdate', 'adminextend', 'adminrenew']);

function actionOf(raw: unknown): string {
  const action = typeof raw === 'object' && raw !== null ? (raw as { action?: unknown }).action : undefined;
  return typeof action === 'string' ? action.toLowerCase() : '';
}

async function adminAssignmentRequest(req: HttpRequest, info: RequestInfo, kind: Kind, raw: unknown) {
  const ctx = await operationContext(req, info);
  const s = services();
  const record =
    kind === 'role'
      ? toRoleScheduleRequest(await s.requests.submitRoleRequest(ctx, 'assignment', raw))
      : toGroupScheduleRequest(await s.requests.submitGroupRequest(ctx, 'assignment', raw));
  return json(201, record);
}

function orchestrationsOf(context: InvocationContext): Orchestrations {
  const c = df.getClient(context);
  return {
    start: async (requestId, input) => {
      await c.startNew(ACTIVATION_ORCHESTRATOR, { instanceId: requestId, input });
    },
    raise: (requestId, event, data) => c.raiseEvent(requestId, event, data),
    isRunning: async (requestId) => {
      const status = await c.getStatus(requestId).catch((err: unknown) => {
        if (err instanceof Error && /HTTP 404/.test(err.message)) return undefined;
        throw err;
      });
      return (
        status?.runtimeStatus === df.OrchestrationRuntimeStatus.Running ||
        status?.runtimeStatus === df.OrchestrationRuntimeStatus.Pending
      );
    },
  };
}

async function visibleRequest(caller: Caller, id: string, kind: Kind): Promise<ActivationRequestRow> {
  return visible(caller, await getRequest(id), id, kind);
}

async function visible(
  caller: Caller,
  r: ActivationRequestRow | undefined,
  id: string,
  kind: Kind,
): Promise<ActivationRequestRow> {
  // Someone else's request is "not found", not "forbidden": its existence is not the caller's business.
  if (
    !r ||
    r.target.kind !== kind ||
    (r.principalId !== caller.id && !(await services().access.canRead(caller.id, now())))
  ) {
    throw notFound(`No schedule request with id '${id}' is visible to the caller.`);
  }
  return r;
}

function register(kind: Kind, base: string, name: string) {
  const schema = kind === 'role' ? RoleScheduleRequestBody : GroupScheduleRequestBody;
  registerOperation({
    method: 'post',
    path: `/${base}`,
    summary: `Create a ${kind} assignment schedule request (self-service actions and adminRemove)`,
    tags: ['activation'],
    requestBody: schema,
    responses: { 201: 'The request', 400: 'Invalid or failed policy rules' },
  });
  registerOperation({
    method: 'get',
    path: `/${base}/{id}`,
    summary: 'Get a schedule request',
    tags: ['activation'],
    responses: { 200: 'The request', 404: 'Not visible' },
  });
  registerOperation({
    method: 'post',
    path: `/${base}/{id}/cancel`,
    summary: 'Cancel a request waiting for MFA or approval',
    tags: ['activation'],
    responses: { 204: 'Canceled', 409: 'Not pending' },
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
    route: base,
    methods: ['POST'],
    extraInputs: [client],
    handler: httpHandler(async (req: HttpRequest, context: InvocationContext, info) => {
      const caller = await authenticate(req);
      const raw = await readJsonBody(req, z.unknown());
      // Admin assignments (not activations) belong to the directory services.
      if (DELEGATED.has(actionOf(raw))) return adminAssignmentRequest(req, info, kind, raw);
      const body = parseOrThrow(schema, raw);
      if (!HANDLED.has(body.action))
        throw badRequest(`The action '${body.action}' is not available on this service yet.`, [
          {
            target: 'action',
            message: 'Use selfActivate, selfDeactivate, selfExtend, selfRenew or adminRemove.',
          },
        ]);
      const request: SelfServiceRequest = {
        ...body,
        target:
          'roleDefinitionId' in body
            ? {
                kind: 'role',
                roleDefinitionId: body.roleDefinitionId,
                directoryScopeId: body.directoryScopeId,
              }
            : { kind: 'group', groupId: body.groupId, accessId: body.accessId },
      };
      const at = now();
      let outcome: Awaited<ReturnType<typeof selfActivate>>;
      try {
        outcome =
          body.action === 'selfActivate'
            ? await selfActivate(caller, request, at, orchestrationsOf(context))
            : await signalHolder(
                caller,
                request,
                at,
                orchestrationsOf(context),
                await services().access.canManage(caller.id, at),
              );
      } catch (err) {
        // adminRemove of a direct assignment: no live activation to revoke, so remove the schedule.
        if (body.action === 'adminRemove' && isHttpError(err) && err.code === 'RoleAssignmentDoesNotExist')
          return adminAssignmentRequest(req, info, kind, raw);
        throw err;
      }
      return json(201, graphShape(outcome.request, outcome.isValidationOnly));
    }),
  });

  app.http(`${name}Get`, {
    route: `${base}/{id}`,
    methods: ['GET'],
    handler: httpHandler(async (req: HttpRequest, _context, info) => {
      const activation = await getRequest(req.params.id);
      if (!activation) {
        // Not an activation: an admin's request, kept by the directory services.
        const ctx = await operationContext(req, info);
        const record = await services().schedules.getRequest(ctx, kind, 'assignment', req.params.id);
        return json(200, kind === 'role' ? toRoleScheduleRequest(record) : toGroupScheduleRequest(record));
      }
      const caller = await authenticate(req);
      return json(200, graphShape(await visible(caller, activation, req.params.id, kind), false));
    }),
  });

  app.http(`${name}Cancel`, {
    route: `${base}/{id}/cancel`,
    methods: ['POST'],
    extraInputs: [client],
    handler: httpHandler(async (req: HttpRequest, context: InvocationContext) => {
      const caller = await authenticate(req);
      const r = await visibleRequest(caller, req.params.id, kind);
      if (r.principalId !== caller.id)
        throw notFound(`No schedule request with id '${r.id}' is visible to the caller.`);
      if (r.status !== 'PendingMfa' && r.status !== 'PendingApproval')
        throw conflict(
          `The request is ${r.status}; only pending requests can be canceled.`,
          'RequestNotPending',
        );
      await orchestrationsOf(context).raise(r.id, ActivationEvent.Cancel, { by: caller.id });
      return noContent();
    }),
  });

  app.http(`${name}VerifyMfa`, {
    route: `${base}/{id}/verifyMfa`,
    methods: ['POST'],
    extraInputs: [client],
    handler: httpHandler(async (req: HttpRequest, context: InvocationContext) => {
      const caller = await authenticate(req);
      const r = await visibleRequest(caller, req.params.id, kind);
      if (r.principalId !== caller.id)
        throw notFound(`No schedule request with id '${r.id}' is visible to the caller.`);
      const text = await req.text();
      const body = text.trim() === '' ? {} : parseOrThrow(VerifyMfaBody, parseJson(text));
      if (r.status !== 'PendingMfa')
        throw conflict(`The request is ${r.status}, not waiting for MFA.`, 'RequestNotPending');
      if (r.mfaFailures >= MAX_MFA_FAILURES)
        throw tooManyRequests('Too many wrong codes: this request is locked until it times out.', 900);
      let method = 'token';
      if (!caller.hasFreshMfa(now())) {
        if (!body.otp)
          throw badRequest(
            'Send {"otp":"123456"} from your authenticator, or sign in again with MFA.',
            [{ target: 'otp', message: 'Required without a fresh MFA token.' }],
            'MfaRequired',
          );
        const result = await verifyTotp(caller.id, body.otp);
        if (!result.ok) {
          if (result.reason === 'Invalid')
            await updateRequest(r.id, { mfaFailures: r.mfaFailures + 1 }, r.etag).catch(() => undefined);
          if (result.reason === 'Locked')
            throw tooManyRequests(
              'The authenticator is locked after repeated failures.',
              Math.max(1, Math.ceil((result.lockedUntil.getTime() - now().getTime()) / 1000)),
            );
          throw badRequest(
            result.reason === 'NoAuthenticator'
              ? 'No TOTP authenticator is enrolled.'
              : 'The code is not valid.',
            [],
            `Totp${result.reason}`,
          );
        }
        method = 'totp';
      }
      await orchestrationsOf(context).raise(r.id, ActivationEvent.MfaVerified, { method });
      return noContent();
    }),
  });
}

for (const { kind, route, name } of ASSIGNMENT_REQUEST_ROUTES) register(kind, route, name);

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('The request body is not valid JSON.');
  }
}
