// Approve and Deny pressed in Teams or Slack (shared/notify/chat-actions.ts draws the cards):
//   POST /v1.0/approvals/chat/teams/{token}           an Adaptive Card's Action.Http; body
//        {"justification": "..."} (optional). Answers the redrawn card, CARD-UPDATE-IN-BODY: true.
//   POST /v1.0/approvals/chat/slack/{subscriptionId}  Slack's interactivity request: form field
//        `payload` (block_actions) signed with X-Slack-Signature (v0, HMAC-SHA256 with the
//        subscription's secret over "v0:" + X-Slack-Request-Timestamp + ":" + body, five minutes'
//        replay window). The pressed button's value is the token; the redrawn message is POSTed
//        to the press's response_url.
// Either way the token names the approver, the approval, the stage and the decision (signed,
// expiring, single-use, shared with the mail's links), and the decision is the activation service's
// with the portal's rules. It is made before the token is marked used, so a press retried after a
// crash of ours gets the first answer.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { app, type HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { useDurableClient } from '../orchestrations/signals';
import { now } from '../shared/clock';
import type { ActivationRequest } from '../shared/domain/activation';
import { AppError } from '../shared/domain/errors';
import { apiRoute } from '../shared/http/api-route';
import { badRequest, conflict, HttpError } from '../shared/http/errors';
import { httpHandler, json } from '../shared/http/handler';
import { parseOrThrow } from '../shared/http/validation';
import {
  type ApprovalLinkClaims,
  LinkError,
  LinksNotConfiguredError,
  verifyLinkToken,
} from '../shared/notify/approval-links';
import { adaptiveCard, cardOf, slackMessage } from '../shared/notify/chat-actions';
import { postSigned, safeMessage } from '../shared/notify/http-post';
import { useOnce, wasUsed } from '../shared/notify/one-time';
import { REPLAY_WINDOW_SECONDS } from '../shared/notify/signing';
import { getSubscription } from '../shared/notify/subscriptions';
import { webhookUrlProblem } from '../shared/notify/urls';
import { registerOperation } from '../shared/openapi/registry';
import { decisionClientInput } from './approvals';

const MAX_BODY_BYTES = 16 * 1024;

const TeamsBody = z
  .object({ justification: z.string().max(500).nullish() })
  .meta({ id: 'teamsApprovalAction_input' });

const SlackPress = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().min(1).max(64), username: z.string().max(128).optional() }),
  response_url: z.string().min(1).max(2048),
  actions: z.array(z.object({ action_id: z.string().max(255), value: z.string().min(1).max(2048) })).min(1),
});

registerOperation({
  method: 'post',
  path: '/v1.0/approvals/chat/teams/{token}',
  summary: "Approve or deny from a Teams Adaptive Card's Action.Http (the token is the approver's, once)",
  tags: ['approvals'],
  anonymous: true,
  requestBody: TeamsBody,
  responses: {
    200: 'Decided; the body is the redrawn card (CARD-UPDATE-IN-BODY: true)',
    400: 'Bad body, or a justification is required',
    401: 'Expired or tampered token',
    403: 'Not an approver of the stage, or the requester',
    409: 'Token already used, stage already decided, expired, or the approver decided before',
  },
});
registerOperation({
  method: 'post',
  path: '/v1.0/approvals/chat/slack/{subscriptionId}',
  summary:
    "Approve or deny from a Slack button (Slack's interactivity request, signed with X-Slack-Signature)",
  tags: ['approvals'],
  anonymous: true,
  responses: {
    200: 'Decided; the redrawn message went to response_url',
    400: 'Bad payload, or a justification is required',
    401: 'Unknown subscription, bad or stale signature, expired or tampered token',
    403: 'Not an approver of the stage, or the requester',
    409: 'Replayed request, token already used, stage already decided, or expired',
  },
});

function badToken(err: unknown): HttpError {
  const expired = err instanceof LinkError && err.problem === 'expired';
  return new HttpError(
    401,
    expired ? 'ApprovalLinkExpired' : 'InvalidApprovalLink',
    err instanceof LinkError ? err.message : 'Chat actions are not enabled.',
    [],
    { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
  );
}

async function claimsOf(token: string): Promise<ApprovalLinkClaims> {
  try {
    return await verifyLinkToken(token, now());
  } catch (err) {
    if (err instanceof LinkError || err instanceof LinksNotConfiguredError) throw badToken(err);
    throw err;
  }
}

const alreadyUsed = () => conflict('This action has already been used.', 'ApprovalLinkAlreadyUsed');

/** Decides as the token's approver, once; answers the request as it stands after the decision. */
async function decideWith(
  context: Parameters<typeof useDurableClient>[0],
  claims: ApprovalLinkClaims,
  justification: string | null | undefined,
  via: string,
): Promise<ActivationRequest> {
  if (await wasUsed('link', claims.jti)) throw alreadyUsed();
  const { request } = await useDurableClient(context).activation.decide({
    approvalId: claims.approvalId,
    stageId: claims.stepId,
    approverId: claims.approverId,
    reviewResult: claims.decision,
    justification,
    channel: 'chat',
    via,
  });
  if (!(await useOnce('link', claims.jti, now(), claims.approverId))) throw alreadyUsed();
  return request;
}

async function readBody(req: HttpRequest): Promise<string> {
  const text = await req.text();
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw badRequest('The request body is too large.');
  return text;
}

app.http('chatApprovalTeams', {
  route: apiRoute('v1.0/approvals/chat/teams/{token}'),
  methods: ['POST'],
  extraInputs: [decisionClientInput],
  handler: httpHandler(async (req, context) => {
    const claims = await claimsOf(req.params.token ?? '');
    const text = await readBody(req);
    let value: unknown = {};
    if (text.trim()) {
      try {
        value = JSON.parse(text);
      } catch {
        throw badRequest('The request body is not valid JSON.');
      }
    }
    // An empty input comes back as "" from the card's template: no justification.
    const justification = parseOrThrow(TeamsBody, value).justification?.trim() || null;
    const request = await decideWith(context, claims, justification, 'teams');
    return json(200, adaptiveCard(await cardOf(request)), { 'CARD-UPDATE-IN-BODY': 'true' });
  }),
});

const unauthenticated = (message: string) =>
  new HttpError(401, 'InvalidWebhookSignature', message, [], {
    'WWW-Authenticate':
      'HMAC-SHA256 realm="slack interactivity", headers="x-slack-request-timestamp x-slack-signature"',
  });

/** Slack's v0 signature over "v0:{timestamp}:{body}"; undefined when good. */
function slackSignatureProblem(secret: string, body: string, req: HttpRequest): string | undefined {
  const timestamp = req.headers.get('x-slack-request-timestamp') ?? '';
  const received = req.headers.get('x-slack-signature') ?? '';
  if (!timestamp || !received) return 'Send X-Slack-Request-Timestamp and X-Slack-Signature.';
  if (!/^\d{1,12}$/.test(timestamp)) return 'The timestamp is not Unix seconds.';
  if (Math.abs(now().getTime() / 1000 - Number(timestamp)) > REPLAY_WINDOW_SECONDS)
    return 'The timestamp is more than five minutes off.';
  const expected = Buffer.from(
    `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`,
  );
  const got = Buffer.from(received.trim());
  return got.length === expected.length && timingSafeEqual(got, expected)
    ? undefined
    : 'The signature does not match the body.';
}

app.http('chatApprovalSlack', {
  route: apiRoute('v1.0/approvals/chat/slack/{subscriptionId}'),
  methods: ['POST'],
  extraInputs: [decisionClientInput],
  handler: httpHandler(async (req, context) => {
    const sub = await getSubscription(req.params.subscriptionId ?? '');
    if (sub?.format !== 'slack' || !sub.approvalActions)
      throw unauthenticated('No Slack subscription with approval actions has this id.');
    const body = await readBody(req);
    const problem = slackSignatureProblem(sub.secret, body, req);
    if (problem) throw unauthenticated(problem);
    // Within the five minutes a captured request could be sent again; each signature counts once.
    const digest = `slack|${sub.id}|${req.headers.get('x-slack-signature')}`;
    if (await wasUsed('webhook', digest))
      throw conflict('This request was already received.', 'ReplayedRequest');
    let press: z.infer<typeof SlackPress>;
    try {
      press = parseOrThrow(SlackPress, JSON.parse(new URLSearchParams(body).get('payload') ?? ''));
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw badRequest('The form field `payload` is not valid JSON.');
    }
    const responseUrlProblem = webhookUrlProblem(press.response_url);
    if (responseUrlProblem) throw badRequest(`Invalid response_url: ${responseUrlProblem}`);
    const claims = await claimsOf(press.actions[0]!.value);
    let request: ActivationRequest;
    try {
      request = await decideWith(context, claims, null, `slack:${press.user.id}`);
    } catch (err) {
      // Slack shows the presser why, beside the message, which stays as it was.
      if (err instanceof AppError || err instanceof HttpError)
        await postSigned(press.response_url, null, reply(err.message), now()).catch(() => undefined);
      throw err;
    }
    await useOnce('webhook', digest, now(), sub.id);
    try {
      const card = await cardOf(request);
      await postSigned(press.response_url, null, { replace_original: true, ...slackMessage(card) }, now());
    } catch (err) {
      // The decision stands; only the redraw failed (the next notice redraws the state anyway).
      context.warn(`chat: redrawing the Slack message failed: ${safeMessage(err)}`);
    }
    return json(200, { ok: true });
  }),
});

function reply(message: string) {
  return { response_type: 'ephemeral', replace_original: false, text: message };
}
