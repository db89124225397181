// Table `AccessReviews`: every definition, instance and decision item in ONE partition, so that a
// decision, the instance it belongs to and the audit outbox row commit in one entity-group
// transaction. Reviews change at human speed (a partition serves ~2,000 operations a second).
//
//   PartitionKey  RowKey                              row
//   reviews       def|{definitionId}                  accessReviewScheduleDefinition
//   reviews       inst|{definitionId}|{instanceId}    accessReviewInstance
//   reviews       dec|{instanceId}|{decisionId}       accessReviewInstanceDecisionItem
//   reviews       ~outbox|{commitId}                  audit outbox rows (shared/audit/outbox.ts)
import type { TableClient, TransactionAction } from '@azure/data-tables';
import type { DirectoryAudit } from '../audit/directory-audit';
import type { AuditOutbox, OutboxSignal } from '../audit/outbox';
import type { DecisionItem, ReviewDefinition, ReviewInstance } from '../domain/access-reviews';
import { ConflictError } from '../domain/errors';
import { failedOperationIndex, statusOf } from './errors';
import { and, assertKey, partitionIs, rowKeyPrefix } from './keys';
import { getRow, queryAll, type Row } from './paging';
import { StaleReadError } from './stale-read';
import { ensureTable } from './tables';

export const REVIEWS_PK = 'reviews';

export interface Versioned<T> {
  value: T;
  etag: string;
}

const defRk = (id: string) => assertKey(`def|${id}`, 'row key');
const instRk = (definitionId: string, id: string) => assertKey(`inst|${definitionId}|${id}`, 'row key');
const decRk = (instanceId: string, id: string) => assertKey(`dec|${instanceId}|${id}`, 'row key');

export type ReviewRow =
  | { kind: 'definition'; value: ReviewDefinition }
  | { kind: 'instance'; value: ReviewInstance }
  | { kind: 'decision'; value: DecisionItem };

/** A write of one change: insert (must be new), replace (If-Match), or delete. */
export type ReviewWrite =
  | { op: 'insert' | 'upsert'; row: ReviewRow }
  | { op: 'replace'; row: ReviewRow; etag: string }
  | { op: 'delete'; row: ReviewRow };

function rowKeyOf(row: ReviewRow): string {
  switch (row.kind) {
    case 'definition':
      return defRk(row.value.id);
    case 'instance':
      return instRk(row.value.definitionId, row.value.id);
    case 'decision':
      return decRk(row.value.instanceId, row.value.id);
  }
}

function entityOf(row: ReviewRow) {
  return { partitionKey: REVIEWS_PK, rowKey: rowKeyOf(row), data: JSON.stringify(row.value) };
}

function toAction(w: ReviewWrite): TransactionAction {
  const entity = entityOf(w.row);
  switch (w.op) {
    case 'insert':
      return ['create', entity];
    case 'upsert':
      return ['upsert', entity, 'Replace'];
    case 'replace':
      return ['update', entity, 'Replace', { etag: w.etag }];
    case 'delete':
      return ['delete', { partitionKey: entity.partitionKey, rowKey: entity.rowKey }];
  }
}

const parsed = <T>(row: Row): Versioned<T> => ({
  value: JSON.parse(String(row.data)) as T,
  etag: String(row.etag),
});

export class AccessReviewStore {
  constructor(
    readonly table: TableClient,
    private readonly outbox: AuditOutbox,
  ) {}

  async definition(id: string): Promise<Versioned<ReviewDefinition> | undefined> {
    const row = await getRow(this.table, REVIEWS_PK, defRk(id));
    return row ? parsed(row) : undefined;
  }

  definitions(): Promise<Versioned<ReviewDefinition>[]> {
    return queryAll(this.table, and(partitionIs(REVIEWS_PK), rowKeyPrefix('def|')), parsed<ReviewDefinition>);
  }

  async instance(definitionId: string, id: string): Promise<Versioned<ReviewInstance> | undefined> {
    const row = await getRow(this.table, REVIEWS_PK, instRk(definitionId, id));
    return row ? parsed(row) : undefined;
  }

  /** A definition's instances, oldest first (occurrence order). */
  async instances(definitionId: string): Promise<Versioned<ReviewInstance>[]> {
    const list = await queryAll(
      this.table,
      and(partitionIs(REVIEWS_PK), rowKeyPrefix(`inst|${assertKey(definitionId)}|`)),
      parsed<ReviewInstance>,
    );
    return list.sort((a, b) => a.value.occurrence - b.value.occurrence);
  }

  async decision(instanceId: string, id: string): Promise<Versioned<DecisionItem> | undefined> {
    const row = await getRow(this.table, REVIEWS_PK, decRk(instanceId, id));
    return row ? parsed(row) : undefined;
  }

  decisions(instanceId: string): Promise<Versioned<DecisionItem>[]> {
    return queryAll(
      this.table,
      and(partitionIs(REVIEWS_PK), rowKeyPrefix(`dec|${assertKey(instanceId)}|`)),
      parsed<DecisionItem>,
    );
  }

  /**
   * One transaction: the rows, the audit rows and the signals (at most 99 writes). A replace whose
   * ETag moved on is a StaleReadError (re-read and retry); an insert of an existing row a ConflictError.
   */
  async commit(writes: ReviewWrite[], audits: DirectoryAudit[], signals: OutboxSignal[] = []): Promise<void> {
    await ensureTable(this.table);
    try {
      await this.outbox.commit({
        table: this.table,
        partitionKey: REVIEWS_PK,
        actions: writes.map(toAction),
        audits,
        signals,
      });
    } catch (err) {
      const status = statusOf(err);
      if (status !== 409 && status !== 412 && status !== 404) throw err;
      const index = failedOperationIndex(err);
      const write = index === undefined ? undefined : writes[index];
      if (write?.op === 'insert') throw new ConflictError('The object already exists.');
      throw new StaleReadError();
    }
  }

  /**
   * Deletes rows that may be going already (a deleted review's items are tidied both by the delete
   * and by its instance's end): a row someone else deleted first counts as deleted.
   */
  async deleteAll(rows: ReviewRow[]): Promise<void> {
    await ensureTable(this.table);
    for (let i = 0; i < rows.length; i += 100) {
      const part = rows.slice(i, i + 100);
      try {
        await this.table.submitTransaction(part.map((row) => toAction({ op: 'delete', row })));
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
        for (const row of part) {
          await this.table.deleteEntity(REVIEWS_PK, rowKeyOf(row)).catch((e: unknown) => {
            if (statusOf(e) !== 404) throw e;
          });
        }
      }
    }
  }

  /** Plain writes without an audit row (decision items of a starting instance, before it opens). */
  async write(writes: ReviewWrite[]): Promise<void> {
    await ensureTable(this.table);
    for (let i = 0; i < writes.length; i += 100) {
      await this.table.submitTransaction(writes.slice(i, i + 100).map(toAction));
    }
  }
}
