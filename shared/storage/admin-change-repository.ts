// The two-person rule's rows: the tenant's setting and the proposals, one partition (admin-sized:
// a handful of proposals a day), so a proposal's change of state commits with its audit rows and
// signals in one entity-group transaction through the audit outbox.
//   AdminChanges  PK = 'adminChanges'  RK = 'settings'           the setting (absent: off)
//                                       RK = 'proposal|{id}'      one proposal (JSON)
import type { TableClient, TransactionAction } from '@azure/data-tables';
import type { DirectoryAudit } from '../audit/directory-audit';
import type { AuditOutbox, OutboxSignal } from '../audit/outbox';
import { type AdminChangeProposal, DEFAULT_SETTINGS, TwoPersonSettings } from '../domain/admin-changes';
import { ConflictError, PreconditionFailedError } from '../domain/errors';
import { tableClient } from './connection';
import { statusOf } from './errors';
import { and, partitionIs, rowKeyPrefix } from './keys';
import { getRow, queryAll } from './paging';
import { ensureTable } from './tables';

export const ADMIN_CHANGES_TABLE = 'AdminChanges';
const PK = 'adminChanges';
const SETTINGS_RK = 'settings';
const proposalRk = (id: string) => `proposal|${id}`;

export interface Stored<T> {
  value: T;
  /** Absent: the row does not exist yet. */
  etag?: string;
}

export interface ProposalWrite {
  proposal: AdminChangeProposal;
  /** The ETag it was read with; absent: a new proposal. */
  etag?: string;
}

export class AdminChangeRepository {
  readonly table: TableClient;

  constructor(private readonly outbox: AuditOutbox) {
    this.table = tableClient(ADMIN_CHANGES_TABLE);
  }

  async settings(): Promise<Stored<TwoPersonSettings>> {
    await ensureTable(this.table);
    const row = await getRow(this.table, PK, SETTINGS_RK);
    if (!row) return { value: DEFAULT_SETTINGS };
    const parsed = TwoPersonSettings.safeParse(JSON.parse(String(row.json)));
    return { value: parsed.success ? parsed.data : DEFAULT_SETTINGS, etag: row.etag ?? '' };
  }

  async proposal(id: string): Promise<Stored<AdminChangeProposal> | undefined> {
    await ensureTable(this.table);
    const row = await getRow(this.table, PK, proposalRk(id));
    if (!row) return undefined;
    return { value: JSON.parse(String(row.json)) as AdminChangeProposal, etag: row.etag ?? '' };
  }

  /** Every proposal, newest first (the partition holds a bounded, admin-sized set). */
  async proposals(): Promise<AdminChangeProposal[]> {
    await ensureTable(this.table);
    const rows = await queryAll(
      this.table,
      and(partitionIs(PK), rowKeyPrefix('proposal|')),
      (e) => JSON.parse(String(e.json)) as AdminChangeProposal,
    );
    return rows.sort((a, b) => b.createdDateTime.localeCompare(a.createdDateTime));
  }

  /**
   * Writes proposals and/or the setting with their audit rows and signals, atomically. A stale ETag
   * is a 412 (someone else decided first), an existing new row a 409.
   */
  async commit(change: {
    proposals?: ProposalWrite[];
    settings?: { value: TwoPersonSettings; etag?: string };
    audits: DirectoryAudit[];
    signals?: OutboxSignal[];
  }): Promise<void> {
    await ensureTable(this.table);
    const actions: TransactionAction[] = [];
    for (const w of change.proposals ?? []) {
      const entity = {
        partitionKey: PK,
        rowKey: proposalRk(w.proposal.id),
        json: JSON.stringify(w.proposal),
      };
      actions.push(w.etag ? ['update', entity, 'Replace', { etag: w.etag }] : ['create', entity]);
    }
    if (change.settings) {
      const entity = { partitionKey: PK, rowKey: SETTINGS_RK, json: JSON.stringify(change.settings.value) };
      actions.push(
        change.settings.etag
          ? ['update', entity, 'Replace', { etag: change.settings.etag }]
          : ['create', entity],
      );
    }
    try {
      await this.outbox.commit({
        table: this.table,
        partitionKey: PK,
        actions,
        audits: change.audits,
        ...(change.signals ? { signals: change.signals } : {}),
      });
    } catch (err) {
      const status = statusOf(err);
      if (status === 412) throw new PreconditionFailedError();
      if (status === 409) throw new ConflictError('The proposal was changed concurrently; read it again.');
      throw err;
    }
  }
}
