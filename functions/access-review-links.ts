// Review links from reviewers' mails (API.md "Access reviews"):
//   GET  /v1.0/accessReviewLinks/{token}  the reviewer's decision page (decides nothing: mail scanners prefetch)
//   POST /v1.0/accessReviewLinks/{token}  records one decision: form or JSON {decisionId, decision, justification}
// The token is the reviewer's credential for one review instance, until it ends. Decisions made here
// are the reviewer's, under the same rules as PATCH decisions/{id}.
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import * as df from 'durable-functions';
import { z } from 'zod';
import { useDurableClient } from '../orchestrations/signals';
import { now } from '../shared/clock';
import { apiRoute } from '../shared/http/api-route';
import { badRequest, HttpError } from '../shared/http/errors';
import { httpHandler, json } from '../shared/http/handler';
import { parseOrThrow } from '../shared/http/validation';
import { LinkError, LinksNotConfiguredError } from '../shared/notify/approval-links';
import { html, joinHtml } from '../shared/notify/html';
import { page } from '../shared/notify/pages';
import { type ReviewLinkClaims, verifyReviewToken } from '../shared/notify/review-links';
import { registerOperation } from '../shared/openapi/registry';
import { type Services, userContext } from '../shared/services';
import { isOpen } from '../shared/services/access-reviews';
import { appErrorToHttp } from '../shared/services/error-mapping';

const ROUTE = 'v1.0/accessReviewLinks/{token}';
const MAX_FORM_BYTES = 4096;

const LinkDecision = z
  .object({
    decisionId: z.guid(),
    decision: z.enum(['Approve', 'Deny', 'DontKnow']),
    justification: z.string().max(1000).nullish(),
  })
  .meta({ id: 'accessReviewLink_input' });

registerOperation({
  method: 'get',
  path: `/${ROUTE}`,
  summary: 'A reviewer’s decision page from a review mail (decides nothing)',
  tags: ['accessReviews'],
  anonymous: true,
  responses: { 200: 'HTML page (JSON for non-browsers: the items)', 401: 'Expired or tampered link' },
});
registerOperation({
  method: 'post',
  path: `/${ROUTE}`,
  summary: 'Record one decision through a review link',
  tags: ['accessReviews'],
  anonymous: true,
  requestBody: LinkDecision,
  responses: {
    200: 'Recorded',
    400: 'Bad decision, or a justification is required',
    401: 'Expired or tampered link',
    403: 'Not this reviewer’s item',
    404: 'No such item',
    409: 'The review has ended',
  },
});

const wantsHtml = (req: HttpRequest) => /text\/html/i.test(req.headers.get('accept') ?? '');

async function claimsOf(token: string): Promise<ReviewLinkClaims> {
  try {
    return await verifyReviewToken(token, now());
  } catch (err) {
    if (err instanceof LinksNotConfiguredError || err instanceof LinkError) {
      const expired = err instanceof LinkError && err.problem === 'expired';
      throw new HttpError(
        401,
        expired ? 'ReviewLinkExpired' : 'InvalidReviewLink',
        expired ? 'This review link has expired.' : 'This review link is not valid.',
        [],
        { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
      );
    }
    throw err;
  }
}

async function decisionOf(req: HttpRequest): Promise<z.infer<typeof LinkDecision>> {
  const text = await req.text();
  if (Buffer.byteLength(text) > MAX_FORM_BYTES) throw badRequest('The request body is too large.');
  if (/application\/x-www-form-urlencoded/i.test(req.headers.get('content-type') ?? '')) {
    const form = new URLSearchParams(text);
    return parseOrThrow(LinkDecision, {
      decisionId: form.get('decisionId'),
      decision: form.get('decision'),
      justification: form.get('justification') || null,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest('The request body is neither a form nor JSON.');
  }
  return parseOrThrow(LinkDecision, value);
}

async function reviewPage(s: Services, claims: ReviewLinkClaims, notice?: string): Promise<HttpResponseInit> {
  const ctx = userContext({ id: claims.reviewerId, displayName: null });
  const { definition, instance } = await s.reviews.instance(ctx, claims.definitionId, claims.instanceId);
  const items = await s.reviews.decisionsForReviewer(ctx, claims.definitionId, claims.instanceId);
  const open = isOpen(instance, now());
  const rows = items.map(
    (
      x,
    ) => html`<tr><td>${x.principal.displayName ?? x.principal.id}</td><td>${x.resource.displayName ?? x.resource.id}</td>
<td>${x.level === 'eligibility' ? 'eligible' : 'active'}</td><td>${x.recommendation}</td><td>${x.decision}</td>
<td>${
      open
        ? html`<form method="post"><input type="hidden" name="decisionId" value="${x.id}">
<select name="decision" aria-label="Decision for ${x.principal.displayName ?? x.principal.id}"><option>Approve</option><option>Deny</option><option value="DontKnow">Don't know</option></select>
<input name="justification" maxlength="1000" aria-label="Justification" placeholder="Justification">
<button type="submit">Save</button></form>`
        : html``
    }</td></tr>`,
  );
  return page(
    200,
    `Access review: ${definition.displayName}`,
    html`${notice ? html`<p role="status"><strong>${notice}</strong></p>` : html``}
<p>${definition.descriptionForReviewers ?? ''}</p>
<p>${open ? `Decide by ${instance.endDateTime}.` : 'This review has ended; decisions can no longer change.'}</p>
<table><tr><th align="left">Who</th><th align="left">Access</th><th align="left">Assignment</th><th align="left">Recommendation</th><th align="left">Decision</th><th></th></tr>
${joinHtml(rows)}</table>`,
  );
}

app.http('accessReviewLink', {
  route: apiRoute(ROUTE),
  methods: ['GET', 'POST'],
  extraInputs: [df.input.durableClient()],
  handler: httpHandler(async (req, context) => {
    const s = useDurableClient(context);
    try {
      const claims = await claimsOf(req.params.token ?? '');
      const ctx = userContext({
        id: claims.reviewerId,
        displayName: (await s.users.known([claims.reviewerId])).get(claims.reviewerId)?.displayName ?? null,
      });
      if (req.method === 'POST') {
        const d = await decisionOf(req);
        const item = await s.reviews.recordDecision(
          ctx,
          claims.definitionId,
          claims.instanceId,
          d.decisionId,
          {
            decision: d.decision,
            justification: d.justification,
          },
        );
        if (!wantsHtml(req)) return json(200, { decisionId: item.id, decision: item.decision });
        return reviewPage(
          s,
          claims,
          `Recorded: ${item.decision} for ${item.principal.displayName ?? item.principal.id}.`,
        );
      }
      if (!wantsHtml(req)) {
        const items = await s.reviews.decisionsForReviewer(ctx, claims.definitionId, claims.instanceId);
        return json(200, {
          value: items.map((x) => ({ id: x.id, principal: x.principal, decision: x.decision })),
        });
      }
      return reviewPage(s, claims);
    } catch (err) {
      const http = err instanceof HttpError ? err : appErrorToHttp(err);
      if (http && wantsHtml(req)) {
        return page(http.status, 'This decision cannot be recorded', html`<p>${http.message}</p>`);
      }
      throw err;
    }
  }),
});
