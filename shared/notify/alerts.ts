// Alert rows: a connector that gave up on a grant or a revoke after all retries. One row per
// request, connector and action (raising it again rewrites the same row). Admins list them.
//   JitNotifyAlerts  PK = 'alert'  RK = request id | connector id | action
import { odata } from '@azure/data-tables';
import { notifyTable } from './tables';

export interface ConnectorAlert {
  id: string;
  alertType: 'ConnectorRevokeFailed' | 'ConnectorGrantFailed';
  createdDateTime: string;
  requestId: string;
  principalId: string;
  connectorId: string;
  connectorDisplayName: string;
  targetDisplayName: string;
  error: string;
}

export async function raiseAlert(alert: ConnectorAlert): Promise<void> {
  await (await notifyTable('alerts')).upsertEntity(
    { partitionKey: 'alert', rowKey: alert.id, ...alert },
    'Replace',
  );
}

export async function listAlerts(): Promise<ConnectorAlert[]> {
  const out: ConnectorAlert[] = [];
  const t = await notifyTable('alerts');
  for await (const e of t.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${'alert'}` } })) {
    out.push({
      id: String(e.id),
      alertType: e.alertType as ConnectorAlert['alertType'],
      createdDateTime: String(e.createdDateTime),
      requestId: String(e.requestId),
      principalId: String(e.principalId),
      connectorId: String(e.connectorId),
      connectorDisplayName: String(e.connectorDisplayName),
      targetDisplayName: String(e.targetDisplayName),
      error: String(e.error),
    });
  }
  return out.sort((a, b) => b.createdDateTime.localeCompare(a.createdDateTime));
}
