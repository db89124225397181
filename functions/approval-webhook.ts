// POST /v1.0/approvals/webhook: chat tools and bots decide approvals for their users.
//   X-Jit-Integration: <name>            a registered integration (APPROVAL_WEBHOOK_SECRETS name:secret)
//   X-Jit-Timestamp:   <Unix seconds>    within five minutes of the service's clock
//   X-Jit-Signature:   sha256=<hex>      HMAC-SHA256(secret, timestamp + "." + body)
//   {approvalId, stepId?, approverId, reviewResult: "Approve"|"Deny", justification}
// A signature is accepted once (a replay is 409). The approver must be one of the step's approvers;
// the decision then follows the portal's rules and has the same outcome (the activation service).
// The decision is made before the message is marked received: a tool retrying after a crash of
// ours gets the first answer (the same approver's same decision again), never a lost decision.
import { app, type HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { useDurableClient } from '../orchestrations/signals';
import { now } from '../shared/clock';
import { settings } from '../shared/config';
import { apiRoute } from '../shared/http/api-route';
import { badRequest, conflict, HttpError } from '../shared/http/errors';
import { httpHandler, json } from '../shared/http/handler';
import { ciEnum, parseOrThrow } from '../shared/http/validation';
import { useOnce, wasUsed } from '../shared/notify/one-time';
import { checkSignature, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../shared/notify/signing';
import { registerOperation } from '../shared/openapi/registry';
import { decisionView } from './approval-links';
import { decisionClientInput } from './approvals';

const INTEGRATION_HEADER = 'x-jit-integration';
const MAX_BODY_BYTES = 16 * 1024;

export const WebhookDecision = z
  .strictObject({
    approvalId: z.guid(),
    stepId: z.string().min(1).max(64).optional(),
    approverId: z.guid(),
    reviewResult: ciEnum(['Approve', 'Deny']),
    justification: z.string().max(500).nullish(),
  })
  .meta({ id: 'approvalWebhook_input' });

registerOperation({
  method: 'post',
  path: '/v1.0/approvals/webhook',
  summary: 'Decide an approval step from a chat tool or bot (HMAC-signed, see README)',
  tags: ['approvals'],
  anonymous: true,
  requestBody: WebhookDecision,
  responses: {
    200: 'Decided',
    400: 'Bad body',
    401: 'Unknown integration, bad or stale signature',
    403: 'Not an approver of the step, or the requester',
    404: 'No such approval step',
    409: 'Already decided, expired, or a replayed message',
  },
});

// The challenge names the scheme a caller must use: an HMAC signature in X-Jit-Signature.
const unauthenticated = (message: string) =>
  new HttpError(401, 'InvalidWebhookSignature', message, [], {
    'WWW-Authenticate': 'HMAC-SHA256 realm="approval webhook", headers="x-jit-timestamp x-jit-signature"',
  });

function secretOf(name: string): string | undefined {
  for (const entry of settings().APPROVAL_WEBHOOK_SECRETS) {
    const at = entry.indexOf(':');
    if (entry.slice(0, at) === name) return entry.slice(at + 1);
  }
  return undefined;
}

app.http('approvalWebhook', {
  route: apiRoute('v1.0/approvals/webhook'),
  methods: ['POST'],
  extraInputs: [decisionClientInput],
  handler: httpHandler(async (req: HttpRequest, context) => {
    const integration = req.headers.get(INTEGRATION_HEADER) ?? '';
    const secret = /^[A-Za-z0-9_-]{1,64}$/.test(integration) ? secretOf(integration) : undefined;
    if (!secret)
      throw unauthenticated(`Unknown integration; send ${INTEGRATION_HEADER} with a registered name.`);
    const body = await req.text();
    if (Buffer.byteLength(body) > MAX_BODY_BYTES) throw badRequest('The request body is too large.');
    const signature = req.headers.get(SIGNATURE_HEADER);
    const problem = checkSignature(secret, body, req.headers.get(TIMESTAMP_HEADER), signature, now());
    if (problem === 'missing') throw unauthenticated(`Send ${TIMESTAMP_HEADER} and ${SIGNATURE_HEADER}.`);
    if (problem === 'stale') throw unauthenticated('The timestamp is more than five minutes off.');
    if (problem) throw unauthenticated('The signature does not match the body.');
    // Within the five minutes a captured message could be sent again; each signature counts once.
    const digest = `${integration}|${(signature ?? '').replace(/^sha256=/, '')}`;
    const replayed = () => conflict('This message was already received.', 'ReplayedRequest');
    if (await wasUsed('webhook', digest)) throw replayed();
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      throw badRequest('The request body is not valid JSON.');
    }
    const d = parseOrThrow(WebhookDecision, value);
    const { request } = await useDurableClient(context).activation.decide({
      approvalId: d.approvalId,
      stageId: d.stepId,
      approverId: d.approverId,
      reviewResult: d.reviewResult,
      justification: d.justification,
      channel: 'webhook',
      via: integration,
    });
    if (!(await useOnce('webhook', digest, now(), integration))) throw replayed();
    return json(200, decisionView(request, d.stepId, d.approverId));
  }),
});
