// Approve/deny links from approvers' mails (API.md "Approvals from outside the portal"):
//   GET  /v1.0/approvalLinks/{token}  a confirmation page; decides nothing (mail scanners prefetch links)
//   POST /v1.0/approvalLinks/{token}  decides, once: {justification} as a form field or JSON
// The token is the approver's credential for this one decision (signed, expiring, single-use, bound
// to approver, approval, step and decision); if a bearer token is sent too, it must be the same
// person. Browsers get HTML pages, other clients Graph's JSON envelope. The decision is made before
// the link is marked used, so a click retried after a crash of ours gets the first answer.
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { useDurableClient } from '../orchestrations/signals';
import { authenticate } from '../shared/auth/authenticate';
import { now } from '../shared/clock';
import { type ActivationRequest, approvalsIn, stageOf } from '../shared/domain/activation';
import { apiRoute } from '../shared/http/api-route';
import { badRequest, conflict, forbidden, HttpError } from '../shared/http/errors';
import { httpHandler, json } from '../shared/http/handler';
import { parseOrThrow } from '../shared/http/validation';
import {
  type ApprovalLinkClaims,
  LinkError,
  LinksNotConfiguredError,
  verifyLinkToken,
} from '../shared/notify/approval-links';
import { nameOf, person, scopeOf } from '../shared/notify/facts';
import { html } from '../shared/notify/html';
import { useOnce, wasUsed } from '../shared/notify/one-time';
import { confirmPage, page } from '../shared/notify/pages';
import { registerOperation } from '../shared/openapi/registry';
import { services } from '../shared/services';
import { decisionClientInput } from './approvals';

const ROUTE = 'v1.0/approvalLinks/{token}';
const MAX_FORM_BYTES = 4096;

const LinkDecision = z
  .object({ justification: z.string().max(500).nullish() })
  .meta({ id: 'approvalLink_input' });

registerOperation({
  method: 'get',
  path: '/v1.0/approvalLinks/{token}',
  summary: 'Confirmation page of an approve/deny link from a mail (decides nothing)',
  tags: ['approvals'],
  anonymous: true,
  responses: {
    200: 'HTML confirmation page',
    401: 'Expired or tampered link',
    403: 'Not an approver, or the requester',
    409: 'Link already used, or step already decided',
  },
});
registerOperation({
  method: 'post',
  path: '/v1.0/approvalLinks/{token}',
  summary: 'Decide with an approve/deny link (once)',
  tags: ['approvals'],
  anonymous: true,
  requestBody: LinkDecision,
  responses: {
    200: 'Decided',
    400: 'Justification required',
    401: 'Expired or tampered link',
    403: 'Not an approver, the requester, or a signed-in caller other than the link’s approver',
    409: 'Link already used, or step already decided',
  },
});

const wantsHtml = (req: HttpRequest) => /text\/html/i.test(req.headers.get('accept') ?? '');

async function claimsOf(token: string): Promise<ApprovalLinkClaims> {
  try {
    return await verifyLinkToken(token, now());
  } catch (err) {
    // Without a key no link was ever issued, so whatever this is, it is not one of ours.
    if (err instanceof LinksNotConfiguredError)
      throw badLink('InvalidApprovalLink', 'Approval links are not enabled.');
    if (err instanceof LinkError) {
      throw badLink(err.problem === 'expired' ? 'ApprovalLinkExpired' : 'InvalidApprovalLink', err.message);
    }
    throw err;
  }
}

/** 401: the link's token is a bearer credential for one decision, and this one is not valid. */
function badLink(code: string, message: string): HttpError {
  return new HttpError(401, code, message, [], { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
}

const alreadyUsed = () => conflict('This approval link has already been used.', 'ApprovalLinkAlreadyUsed');

async function justificationOf(req: HttpRequest): Promise<string | null | undefined> {
  const text = await req.text();
  if (Buffer.byteLength(text) > MAX_FORM_BYTES) throw badRequest('The request body is too large.');
  if (text.trim() === '') return undefined;
  const type = req.headers.get('content-type') ?? '';
  if (/application\/x-www-form-urlencoded/i.test(type)) {
    return parseOrThrow(LinkDecision, { justification: new URLSearchParams(text).get('justification') })
      .justification;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest('The request body is neither a form nor JSON.');
  }
  return parseOrThrow(LinkDecision, value).justification;
}

/** Errors as a page for browsers, as Graph's envelope for everyone else. */
function respond(fn: (req: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>) {
  return httpHandler(async (req, context) => {
    try {
      return await fn(req, context);
    } catch (err) {
      if (err instanceof HttpError && wantsHtml(req)) {
        return page(err.status, 'This link cannot be used', html`<p>${err.message}</p>`);
      }
      throw err;
    }
  });
}

/** What a decision answers with: the decided stage (the approver's, when no stage is named). */
export function decisionView(request: ActivationRequest, stageId?: string, approverId?: string) {
  const stage = request.activation.approval
    ? stageOf(request.activation.approval, stageId, approverId?.toLowerCase())
    : undefined;
  return {
    approvalId: request.activation.approval?.id ?? request.id,
    stepId: stage?.id ?? stageId ?? null,
    status: stage?.status ?? null,
    reviewResult: stage?.reviewResult ?? null,
    reviewedBy: stage?.reviewedBy ?? null,
    reviewedDateTime: stage?.reviewedDateTime ?? null,
    approvalCount: stage ? approvalsIn(stage) : null,
    approverCountRequired: stage?.approverCountRequired ?? null,
    requestStatus: request.status,
  };
}

app.http('approvalLinkPage', {
  route: apiRoute(ROUTE),
  methods: ['GET'],
  handler: respond(async (req) => {
    const claims = await claimsOf(req.params.token);
    if (await wasUsed('link', claims.jti)) throw alreadyUsed();
    const s = services();
    const { request, stage } = await s.activation.checkDecisionPossible({
      approvalId: claims.approvalId,
      stageId: claims.stepId,
      approverId: claims.approverId,
      channel: 'link',
    });
    const facts = {
      decision: claims.decision,
      approverName: nameOf(await person(claims.approverId)),
      requesterName: nameOf(await person(request.principalId)),
      roleName: (await s.names.targetName(request.target)) ?? 'unknown role',
      scope: scopeOf(request.target),
      justification: request.justification,
      ticket: request.ticketInfo?.ticketNumber ?? null,
      justificationRequired: stage.isApproverJustificationRequired,
    };
    if (wantsHtml(req)) return confirmPage(facts);
    return json(200, { ...facts, approvalId: claims.approvalId, stepId: stage.id, status: stage.status });
  }),
});

app.http('approvalLinkDecide', {
  route: apiRoute(ROUTE),
  methods: ['POST'],
  extraInputs: [decisionClientInput],
  handler: respond(async (req, context) => {
    const claims = await claimsOf(req.params.token);
    if (req.headers.get('authorization')) {
      const caller = await authenticate(req);
      if (caller.id !== claims.approverId) throw forbidden('This link belongs to another approver.');
    }
    if (await wasUsed('link', claims.jti)) throw alreadyUsed();
    const { request } = await useDurableClient(context).activation.decide({
      approvalId: claims.approvalId,
      stageId: claims.stepId,
      approverId: claims.approverId,
      reviewResult: claims.decision,
      justification: await justificationOf(req),
      channel: 'link',
    });
    if (!(await useOnce('link', claims.jti, now(), claims.approverId))) throw alreadyUsed();
    if (wantsHtml(req)) {
      const done = claims.decision === 'Approve' ? 'Approved' : 'Denied';
      return page(200, done, html`<p>Your decision was recorded. You can close this page.</p>`);
    }
    return json(200, decisionView(request, claims.stepId));
  }),
});
