// What a route under the two-person rule shares: the break-glass header, and the 202 Accepted
// answer with the proposal (Location: the proposal) when the change waits for a second admin.
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { BREAK_GLASS_HEADER, ProposalViewSchema } from '../shared/domain/admin-changes';
import { json } from '../shared/http/handler';
import type { ProposalView } from '../shared/services/admin-changes';

export const PROPOSALS_ROUTE = 'v1.0/jit/adminChangeProposals';

/** A Global Administrator's break-glass justification, when the call carries one. */
export function breakGlassOf(req: HttpRequest): string | undefined {
  return req.headers.get(BREAK_GLASS_HEADER) ?? undefined;
}

export function proposalAccepted(req: HttpRequest, proposal: ProposalView): HttpResponseInit {
  const base = req.url.split('/api/')[0];
  return json(202, proposal, { Location: `${base}/api/${PROPOSALS_ROUTE}/${proposal.id}` });
}

/** The 202 row of a route's OpenAPI operation. */
export const ACCEPTED_RESPONSE = {
  202: {
    description:
      'Proposed under the two-person rule: the proposal, waiting for a second admin (Location: the proposal)',
    schema: ProposalViewSchema,
  },
};
