// Table `JitRoleAlerts`: the alerts' own state, apart from the directory they watch.
//   PartitionKey        RowKey            row
//   config              {alertType}       the admin's settings of the type (absent: the defaults)
//   alert               {alertType}       state: active, incident count and digest, dismissal, activations
//   incidents|{type}    {incidentId}      one incident (Graph properties as JSON, first seen)
//   signin              {principalId}     last authenticated call (./sign-ins.ts)
//   done                {step}            one-time steps done (the activation index's backfill)
//   *                   ~outbox|...       audit outbox rows of changes made here (shared/audit/outbox.ts)
// Config and alert rows change through the audit outbox (their audit row commits with them);
// incident rows are derived from the directory and rewritten only when an alert's digest changes.
import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import type { DirectoryAudit } from '../audit/directory-audit';
import type { AuditOutbox } from '../audit/outbox';
import { tableClient } from '../storage/connection';
import { statusOf } from '../storage/errors';
import { getRow, type Page, type PageRequest, queryAll, queryPage } from '../storage/paging';
import { StaleReadError } from '../storage/stale-read';
import { ensureTable } from '../storage/tables';
import {
  ALERT_TYPES,
  type AlertSettings,
  type AlertType,
  CONFIG_SCHEMAS,
  DEFAULT_SETTINGS,
} from './definitions';
import type { Incident } from './detect';

export const ALERTS_TABLE = 'JitRoleAlerts';

export interface AlertState {
  type: AlertType;
  isActive: boolean;
  incidentCount: number;
  /** Digest of the incident ids: evaluation rewrites incidents only when it changes. */
  digest: string;
  dismissed: boolean;
  /** When it was dismissed: an incident first seen later brings it back. */
  dismissedDateTime: string | null;
  /** Counts the times the alert became active; `notified` is the last one whose notice went out. */
  activations: number;
  notified: number;
  /** An evaluation sending activation `notifying.activation`'s notice holds this lease until `until`. */
  notifying?: { activation: number; until: string } | null;
  lastScannedDateTime: string | null;
  lastModifiedDateTime: string | null;
}

export interface StoredState {
  state: AlertState;
  etag: string | undefined;
}

export interface StoredIncident extends Incident {
  firstSeenDateTime: string;
}

const ALERT_PK = 'alert';
const CONFIG_PK = 'config';
const incidentsPk = (type: AlertType) => `incidents|${type}`;

export function emptyState(type: AlertType): AlertState {
  return {
    type,
    isActive: false,
    incidentCount: 0,
    digest: '',
    dismissed: false,
    dismissedDateTime: null,
    activations: 0,
    notified: 0,
    lastScannedDateTime: null,
    lastModifiedDateTime: null,
  };
}

export class AlertStore {
  constructor(
    private readonly outbox: AuditOutbox,
    readonly table: TableClient = tableClient(ALERTS_TABLE),
  ) {}

  prepare(): Promise<void> {
    return ensureTable(this.table);
  }

  /** Whether a one-time step (a migration) is done; `markDone` records it. */
  async isDone(step: string): Promise<boolean> {
    return (await getRow(this.table, 'done', step)) !== undefined;
  }

  async markDone(step: string): Promise<void> {
    await this.table.upsertEntity({ partitionKey: 'done', rowKey: step }, 'Replace');
  }

  // ---- settings ------------------------------------------------------------------------------

  /** Every type's settings (one query). */
  async settings(): Promise<{ settings: AlertSettings; etags: Map<AlertType, string> }> {
    const settings: AlertSettings = { ...DEFAULT_SETTINGS };
    const etags = new Map<AlertType, string>();
    const rows = await queryAll(this.table, odata`PartitionKey eq ${CONFIG_PK}`, (r) => r);
    for (const row of rows) {
      const type = String(row.rowKey) as AlertType;
      if (!ALERT_TYPES.includes(type)) continue;
      const parsed = CONFIG_SCHEMAS[type].safeParse(JSON.parse(String(row.data)));
      if (!parsed.success) continue;
      (settings as Record<AlertType, unknown>)[type] = parsed.data;
      etags.set(type, row.etag);
    }
    return { settings, etags };
  }

  /** Replaces one type's settings with its audit row; StaleReadError when it changed meanwhile. */
  async putSettings<T extends AlertType>(
    type: T,
    value: AlertSettings[T],
    etag: string | undefined,
    audit: DirectoryAudit,
  ): Promise<void> {
    const entity = { partitionKey: CONFIG_PK, rowKey: type, data: JSON.stringify(value) };
    await this.commit(
      CONFIG_PK,
      [etag ? ['update', entity, 'Replace', { etag }] : ['create', entity]],
      [audit],
    );
  }

  // ---- alert states --------------------------------------------------------------------------

  async states(): Promise<Map<AlertType, StoredState>> {
    const out = new Map<AlertType, StoredState>();
    for (const type of ALERT_TYPES) out.set(type, { state: emptyState(type), etag: undefined });
    const rows = await queryAll(this.table, odata`PartitionKey eq ${ALERT_PK}`, (r) => r);
    for (const row of rows) {
      const type = String(row.rowKey) as AlertType;
      if (!ALERT_TYPES.includes(type)) continue;
      out.set(type, {
        state: { ...emptyState(type), ...JSON.parse(String(row.data)), type },
        etag: row.etag,
      });
    }
    return out;
  }

  async state(type: AlertType): Promise<StoredState> {
    const row = await getRow(this.table, ALERT_PK, type);
    if (!row) return { state: emptyState(type), etag: undefined };
    return { state: { ...emptyState(type), ...JSON.parse(String(row.data)), type }, etag: row.etag };
  }

  /**
   * Writes alert states in one transaction (one partition), guarded by the ETags read; with audit
   * rows it goes through the outbox, so that the change and its audit rows commit together.
   */
  async putStates(
    changes: { next: AlertState; etag: string | undefined }[],
    audits: DirectoryAudit[],
  ): Promise<void> {
    if (changes.length === 0) return;
    const actions = changes.map(({ next, etag }): TransactionAction => {
      const entity = { partitionKey: ALERT_PK, rowKey: next.type, data: JSON.stringify(next) };
      return etag ? ['update', entity, 'Replace', { etag }] : ['create', entity];
    });
    if (audits.length > 0) return this.commit(ALERT_PK, actions, audits);
    try {
      await this.table.submitTransaction(actions);
    } catch (err) {
      throw translate(err);
    }
  }

  private async commit(pk: string, actions: TransactionAction[], audits: DirectoryAudit[]): Promise<void> {
    try {
      await this.outbox.commit({ table: this.table, partitionKey: pk, actions, audits });
    } catch (err) {
      throw translate(err);
    }
  }

  // ---- incidents -----------------------------------------------------------------------------

  async incidents(type: AlertType): Promise<StoredIncident[]> {
    return queryAll(this.table, odata`PartitionKey eq ${incidentsPk(type)}`, incidentOf, 100_000);
  }

  incidentPage(type: AlertType, page: PageRequest): Promise<Page<StoredIncident>> {
    return queryPage(this.table, odata`PartitionKey eq ${incidentsPk(type)}`, page, incidentOf);
  }

  async incident(type: AlertType, id: string): Promise<StoredIncident | undefined> {
    const row = await getRow(this.table, incidentsPk(type), id);
    return row ? incidentOf(row) : undefined;
  }

  /**
   * Makes the stored incidents of `type` equal `next` (batches of 100); returns when each was first
   * seen (kept from the stored row, so that an evaluation retried after a race gets the same answer).
   */
  async replaceIncidents(type: AlertType, next: readonly Incident[], at: Date): Promise<Map<string, string>> {
    const current = new Map((await this.incidents(type)).map((i) => [i.id, i]));
    const firstSeen = new Map<string, string>();
    const actions: TransactionAction[] = [];
    const wanted = new Set(next.map((i) => i.id));
    for (const i of next) {
      const before = current.get(i.id);
      firstSeen.set(i.id, before?.firstSeenDateTime ?? at.toISOString());
      const row = {
        partitionKey: incidentsPk(type),
        rowKey: i.id,
        data: JSON.stringify({ props: i.props, fix: i.fix ?? null }),
        firstSeenDateTime: before?.firstSeenDateTime ?? at.toISOString(),
      };
      if (!before || JSON.stringify(before.props) !== JSON.stringify(i.props))
        actions.push(['upsert', row, 'Replace']);
    }
    for (const id of current.keys()) {
      if (!wanted.has(id)) actions.push(['delete', { partitionKey: incidentsPk(type), rowKey: id }]);
    }
    for (let i = 0; i < actions.length; i += 100) {
      const batch = actions.slice(i, i + 100);
      try {
        await this.table.submitTransaction(batch);
      } catch (err) {
        // A concurrent evaluation wrote the same rows: the next one converges.
        if (statusOf(err) !== 404 && statusOf(err) !== 409) throw err;
      }
    }
    return firstSeen;
  }
}

function incidentOf(row: Record<string, unknown>): StoredIncident {
  const data = JSON.parse(String(row.data)) as { props: Incident['props']; fix: Incident['fix'] | null };
  return {
    id: String(row.rowKey),
    props: data.props,
    ...(data.fix ? { fix: data.fix } : {}),
    firstSeenDateTime: String(row.firstSeenDateTime),
  };
}

function translate(err: unknown): unknown {
  const status = statusOf(err);
  return status === 409 || status === 412 || status === 404 ? new StaleReadError() : err;
}
