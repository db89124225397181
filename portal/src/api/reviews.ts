// Access reviews (Graph's /identityGovernance/accessReviews/definitions): what the caller reviews,
// and the admins' definitions.
import { api } from './client';

const BASE = '/api/v1.0/identityGovernance/accessReviews/definitions';
const MINE = "filterByCurrentUser(on='reviewer')";

export interface ReviewDefinition {
  id: string;
  displayName: string;
  descriptionForReviewers: string | null;
  status: string;
  reviewers: { query: string }[];
  settings: {
    instanceDurationInDays: number;
    recurrence: { pattern: { type: string; interval: number } | null } | null;
  };
}

export interface ReviewInstance {
  id: string;
  status: string;
  startDateTime: string;
  endDateTime: string;
}

export interface DecisionItem {
  id: string;
  decision: 'Approve' | 'Deny' | 'DontKnow' | 'NotReviewed';
  justification: string | null;
  recommendation: string;
  applyResult: string;
  principal: { id: string; displayName: string | null };
  resource: { id: string; displayName: string | null; type: string };
  assignmentType: 'eligible' | 'active';
}

/** One instance the caller reviews in, with its items. */
export interface MyReview {
  definition: ReviewDefinition;
  instance: ReviewInstance;
  items: DecisionItem[];
}

type List<T> = { value: T[] };
const list = async <T>(url: string) => (await api<List<T>>(url)).value;

export const reviews = {
  /** Running instances the caller reviews in, and their items. */
  mine: async (): Promise<MyReview[]> => {
    const out: MyReview[] = [];
    for (const definition of await list<ReviewDefinition>(`${BASE}/${MINE}`)) {
      for (const instance of await list<ReviewInstance>(`${BASE}/${definition.id}/instances/${MINE}`)) {
        if (instance.status !== 'InProgress') continue;
        const items = await list<DecisionItem>(
          `${BASE}/${definition.id}/instances/${instance.id}/decisions/${MINE}`,
        );
        out.push({ definition, instance, items });
      }
    }
    return out;
  },
  decide: (
    r: MyReview,
    item: DecisionItem,
    decision: 'Approve' | 'Deny' | 'DontKnow',
    justification: string,
  ) =>
    api<void>(`${BASE}/${r.definition.id}/instances/${r.instance.id}/decisions/${item.id}`, {
      method: 'PATCH',
      body: { decision, justification: justification || null },
    }),
  definitions: () => list<ReviewDefinition>(BASE),
  instances: (definitionId: string) => list<ReviewInstance>(`${BASE}/${definitionId}/instances`),
  create: (body: unknown) => api<ReviewDefinition>(BASE, { method: 'POST', body }),
  stop: (definitionId: string, instanceId: string) =>
    api<void>(`${BASE}/${definitionId}/instances/${instanceId}/stop`, { method: 'POST' }),
  remove: (definitionId: string) => api<void>(`${BASE}/${definitionId}`, { method: 'DELETE' }),
};
