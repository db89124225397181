// The $filter subset of GET /auditLogs/directoryAudits (API.md) as an allow-list for shared/http's
// parser, and the parsed tree turned into AuditCriteria for AuditRepository.query.
import type { FilterFields, FilterNode } from '../http/filter/ast';
import type { AuditCriteria } from './audit-repository';
import { AUDIT_CATEGORIES, type AuditCategory } from './directory-audit';

export const DIRECTORY_AUDIT_FILTER: FilterFields = {
  activityDateTime: { type: 'datetime', operators: ['ge', 'le', 'gt', 'lt'] },
  category: { type: 'string', operators: ['eq', 'in'], enum: AUDIT_CATEGORIES },
  activityDisplayName: { type: 'string', operators: ['eq'] },
  'initiatedBy/user/id': { type: 'string', operators: ['eq'] },
  correlationId: { type: 'string', operators: ['eq'] },
  targetResources: { type: 'collection', items: { id: { type: 'string', operators: ['eq'] } } },
};

/** Criteria for the filter, or `undefined` when its clauses contradict each other (nothing matches). */
export function auditCriteriaFromFilter(node: FilterNode | undefined): AuditCriteria | undefined {
  const c: AuditCriteria = {};
  let possible = true;
  const setOnce = (
    key: 'activityDisplayName' | 'initiatorId' | 'targetId' | 'correlationId',
    value: string,
  ) => {
    if (c[key] !== undefined && c[key] !== value) possible = false;
    c[key] = value;
  };
  const visit = (n: FilterNode): void => {
    switch (n.kind) {
      case 'and':
        n.clauses.forEach(visit);
        return;
      case 'in':
        if (n.property === 'category') narrowCategories(n.values.filter(isString) as AuditCategory[]);
        return;
      case 'any': {
        const p = n.predicate;
        if (
          n.property === 'targetResources' &&
          p.kind === 'compare' &&
          p.property === 'id' &&
          isString(p.value)
        ) {
          setOnce('targetId', p.value);
        }
        return;
      }
      case 'compare': {
        const v = n.value;
        if (n.property === 'activityDateTime' && v instanceof Date) {
          const ms = v.getTime() + (n.operator === 'gt' ? 1 : n.operator === 'lt' ? -1 : 0);
          if (n.operator === 'ge' || n.operator === 'gt') {
            if (!c.from || ms > c.from.getTime()) c.from = new Date(ms);
          } else if (!c.to || ms < c.to.getTime()) {
            c.to = new Date(ms);
          }
          return;
        }
        if (!isString(v)) return;
        if (n.property === 'category') narrowCategories([v as AuditCategory]);
        else if (n.property === 'activityDisplayName') setOnce('activityDisplayName', v);
        else if (n.property === 'initiatedBy/user/id') setOnce('initiatorId', v);
        else if (n.property === 'correlationId') setOnce('correlationId', v);
        return;
      }
    }
  };
  const narrowCategories = (values: AuditCategory[]) => {
    c.category = c.category ? c.category.filter((x) => values.includes(x)) : [...new Set(values)];
    if (c.category.length === 0) possible = false;
  };
  if (node) visit(node);
  if (c.from && c.to && c.from.getTime() > c.to.getTime()) possible = false;
  return possible ? c : undefined;
}

function isString(v: unknown): v is string {
  return typeof v === 'string';
}
