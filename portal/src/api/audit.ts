// Audit rows (Graph's directoryAudit) and the queries the portal makes.
import { api, apiText, filter, V1 } from './client';

export interface AuditRow {
  id: string;
  category: string;
  activityDisplayName: string;
  activityDateTime: string;
  operationType: string;
  result: string;
  resultReason: string | null;
  correlationId: string;
  initiatedBy: { user?: { id: string; displayName: string | null } | null } | null;
  targetResources: { id: string; type: string | null; displayName: string | null }[];
  additionalDetails: { key: string; value: string }[];
}

export interface AuditFilter {
  from?: string;
  to?: string;
  category?: string;
  initiatorId?: string;
  correlationId?: string;
}

const AUDITS = `${V1}/auditLogs/directoryAudits`;

/** Graph's $filter for the chosen fields (values are quoted; quotes in them doubled). */
export function auditFilter(f: AuditFilter): string {
  const q = (v: string) => `'${v.replaceAll("'", "''")}'`;
  const parts: string[] = [];
  if (f.from) parts.push(`activityDateTime ge ${new Date(f.from).toISOString()}`);
  if (f.to) parts.push(`activityDateTime le ${new Date(f.to).toISOString()}`);
  if (f.category) parts.push(`category eq ${q(f.category)}`);
  if (f.initiatorId) parts.push(`initiatedBy/user/id eq ${q(f.initiatorId)}`);
  if (f.correlationId) parts.push(`correlationId eq ${q(f.correlationId)}`);
  return parts.join(' and ');
}

const withFilter = (base: string, expression: string, extra = '') => {
  const params = [expression ? filter(expression) : '', extra].filter((p) => p !== '');
  return params.length > 0 ? `${base}?${params.join('&')}` : base;
};

export const audit = {
  mine: async () =>
    (await api<{ value: AuditRow[] }>(`${AUDITS}/filterByCurrentUser(on='initiator')?$top=100`)).value,
  list: async (f: AuditFilter) =>
    (await api<{ value: AuditRow[] }>(withFilter(AUDITS, auditFilter(f), '$top=100'))).value,
  exportCsv: (f: AuditFilter) => apiText(withFilter(`${AUDITS}/export`, auditFilter(f), 'format=csv')),
};

export const detailOf = (row: AuditRow, key: string) =>
  row.additionalDetails.find((d) => d.key === key)?.value;
