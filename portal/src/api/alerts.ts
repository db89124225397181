// PIM alerts (Graph's roleManagementAlerts): definitions, alerts and their incidents, and the admins'
// actions on them.
import { api, V1 } from './client';

export const ALERTS = `${V1}/identityGovernance/roleManagementAlerts`;

export interface AlertDefinition {
  id: string;
  displayName: string;
  description: string;
  severityLevel: 'low' | 'medium' | 'high';
  securityImpact: string;
  mitigationSteps: string;
  howToPrevent: string;
  isRemediatable: boolean;
}

export interface Alert {
  id: string;
  alertDefinitionId: string;
  isActive: boolean;
  incidentCount: number;
  lastScannedDateTime: string | null;
}

export type Incident = { id: string; '@odata.type': string } & Record<string, string | number | null>;

export const alerts = {
  definitions: async () => (await api<{ value: AlertDefinition[] }>(`${ALERTS}/alertDefinitions`)).value,
  list: async () => (await api<{ value: Alert[] }>(`${ALERTS}/alerts`)).value,
  incidents: async (id: string) =>
    (await api<{ value: Incident[] }>(`${ALERTS}/alerts/${encodeURIComponent(id)}/alertIncidents?$top=999`))
      .value,
  refresh: () =>
    api<void>(`${ALERTS}/alerts/refresh`, {
      method: 'POST',
      body: { scopeId: '/', scopeType: 'DirectoryRole' },
    }),
  dismiss: (id: string) =>
    api<Alert>(`${ALERTS}/alerts/${encodeURIComponent(id)}/dismiss`, { method: 'POST' }),
  remediate: (id: string, incidentId: string) =>
    api<void>(
      `${ALERTS}/alerts/${encodeURIComponent(id)}/alertIncidents/${encodeURIComponent(incidentId)}/remediate`,
      { method: 'POST' },
    ),
};
