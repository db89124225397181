// $filter on the PIM lists, as Graph documents it: eq, ne, in and, on dates, ge/gt/le/lt, joined by
// `and`. Storage narrows by the keyed ids (principal, role or group) when the filter pins them with a
// top-level eq; every clause is then checked on the Graph-shaped items (a page may come back shorter
// than $top, with a nextLink, as Graph's own filtered pages do).

import { REQUEST_STATUSES, SCHEDULE_REQUEST_ACTIONS } from '../shared/domain/requests';
import type { FilterFields, FilterNode, FilterOperator, ScalarField } from '../shared/http/odata';
import { matchesFilter } from '../shared/http/odata';

const ids: ScalarField = { type: 'string', operators: ['eq', 'ne', 'in'] };
const dates: ScalarField = { type: 'datetime', operators: ['ge', 'gt', 'le', 'lt'] };
const oneOf = (values: readonly string[]): ScalarField => ({
  type: 'string',
  operators: ['eq', 'ne', 'in'] as FilterOperator[],
  enum: values,
});

/** Id-valued properties: stored in lower case, so compared in lower case. */
const ID_FIELDS = new Set(['principalId', 'roleDefinitionId', 'groupId']);

const SCHEDULE_COMMON: FilterFields = {
  principalId: ids,
  memberType: oneOf(['Direct', 'Group', 'Inherited']),
  startDateTime: dates,
  endDateTime: dates,
};

export const ROLE_SCHEDULE_FILTER: FilterFields = {
  ...SCHEDULE_COMMON,
  roleDefinitionId: ids,
  directoryScopeId: { type: 'string', operators: ['eq', 'ne'] },
};
export const GROUP_SCHEDULE_FILTER: FilterFields = {
  ...SCHEDULE_COMMON,
  groupId: ids,
  accessId: oneOf(['member', 'owner']),
};

const REQUEST_COMMON: FilterFields = {
  principalId: ids,
  status: oneOf(REQUEST_STATUSES),
  action: oneOf(SCHEDULE_REQUEST_ACTIONS),
  createdDateTime: dates,
  completedDateTime: dates,
};
export const ROLE_REQUEST_FILTER: FilterFields = {
  ...REQUEST_COMMON,
  roleDefinitionId: ids,
  directoryScopeId: { type: 'string', operators: ['eq', 'ne'] },
};
export const GROUP_REQUEST_FILTER: FilterFields = {
  ...REQUEST_COMMON,
  groupId: ids,
  accessId: oneOf(['member', 'owner']),
};

/** The values top-level `eq` clauses give `names` (lower case), for narrowing the storage query. */
export function keyedEq(
  filter: FilterNode | undefined,
  names: readonly string[],
): Record<string, string | undefined> {
  const clauses = !filter ? [] : filter.kind === 'and' ? filter.clauses : [filter];
  const out: Record<string, string | undefined> = {};
  for (const c of clauses)
    if (
      c.kind === 'compare' &&
      c.operator === 'eq' &&
      names.includes(c.property) &&
      typeof c.value === 'string'
    )
      out[c.property] = c.value.toLowerCase();
  return out;
}

/** Whether a shaped item satisfies the whole filter (ids compared in lower case). */
export function itemMatches(filter: FilterNode | undefined, item: unknown): boolean {
  return matchesFilter(filter && lowerIds(filter), item);
}

function lowerIds(node: FilterNode): FilterNode {
  const lower = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v) as never;
  switch (node.kind) {
    case 'and':
      return { ...node, clauses: node.clauses.map(lowerIds) };
    case 'compare':
      return ID_FIELDS.has(node.property) ? { ...node, value: lower(node.value) } : node;
    case 'in':
      return ID_FIELDS.has(node.property) ? { ...node, values: node.values.map(lower) } : node;
    case 'any':
      return node;
  }
}
