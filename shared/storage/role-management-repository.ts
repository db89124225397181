// Reads and atomic writes of table `RoleManagement` (key design: role-management-keys.ts).
// Every write goes through `commit`: one entity-group transaction in the resource's partition
// holding the head guard, the written rows and the audit outbox row.
import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import type { DirectoryAudit } from '../audit/directory-audit';
import type { AuditOutbox, OutboxSignal } from '../audit/outbox';
import { ConflictError, PreconditionFailedError } from '../domain/errors';
import { Group } from '../domain/groups';
import { type PolicyTarget, RoleManagementPolicy } from '../domain/policy';
import { ScheduleRequestRecord } from '../domain/requests';
import { RoleDefinition } from '../domain/roles';
import { type ScheduleLevel, ScheduleRecord } from '../domain/schedules';
import { failedOperationIndex, statusOf } from './errors';
import { and, partitionIs, rowKeyPrefix } from './keys';
import { getRow, type Page, type PageRequest, queryAll, queryPage, type Row } from './paging';
import { type Entity, headEntity, keyOf, parseData, type Stored, stored } from './role-management-entities';
import {
  DEFINITION_RK,
  GROUP_RK,
  HEAD_RK,
  policyRk,
  type Resource,
  requestRk,
  resourceOfTarget,
  resourcePk,
  rowPrefix,
  scheduleRk,
} from './role-management-keys';
import { StaleReadError } from './stale-read';
import { appTable, ensureTable, TableName } from './tables';

export interface Head {
  resource: Resource;
  etag: string;
  revision: number;
  /** A deleted role keeps its head as a tombstone, so a late assignment cannot resurrect it. */
  deleted: boolean;
}

export type Write =
  | { op: 'insert'; entity: Entity }
  | { op: 'upsert'; entity: Entity }
  /** `callerEtag`: the ETag came from the API caller's If-Match, so a mismatch is their 412. */
  | { op: 'replace'; entity: Entity; etag: string; callerEtag?: boolean }
  | { op: 'delete'; entity: Entity; etag?: string; callerEtag?: boolean };

export interface ResourceChange {
  /** The head as read before checking the rules, or 'new' to create the resource's partition. */
  guard: Head | 'new';
  /** Marks the resource deleted (its head becomes a tombstone). */
  tombstone?: boolean;
  writes: Write[];
  audits: DirectoryAudit[];
  /** What the change owes others (grant connectors), delivered after the commit like its audit rows. */
  signals?: OutboxSignal[];
}

export { StaleReadError };

export interface ScheduleQuery {
  principalId?: string;
  /** Only schedules that have not ended at this instant. */
  notEndedAt?: Date;
}

/** Narrows derived access ahead of a change that may remove some (services/access-projection.ts). */
export type NarrowAccess = (writes: readonly Write[]) => Promise<void>;

export class RoleManagementRepository {
  constructor(
    private readonly outbox: AuditOutbox,
    readonly table: TableClient = appTable(TableName.roleManagement),
    private readonly narrowAccess?: NarrowAccess,
  ) {}

  async head(resource: Resource): Promise<Head | undefined> {
    const row = await getRow(this.table, resourcePk(resource), HEAD_RK);
    if (!row) return undefined;
    return { resource, etag: row.etag, revision: Number(row.revision ?? 0), deleted: row.deleted === true };
  }

  async roleDefinition(id: string): Promise<Stored<RoleDefinition> | undefined> {
    const row = await getRow(this.table, resourcePk({ kind: 'role', id }), DEFINITION_RK);
    return row ? stored(RoleDefinition, row) : undefined;
  }

  async group(id: string): Promise<Stored<Group> | undefined> {
    const row = await getRow(this.table, resourcePk({ kind: 'group', id }), GROUP_RK);
    return row ? stored(Group, row) : undefined;
  }

  async policy(target: PolicyTarget): Promise<Stored<RoleManagementPolicy> | undefined> {
    const rk = policyRk(target.kind === 'group' ? target.accessId : undefined);
    const row = await getRow(this.table, resourcePk(resourceOfTarget(target)), rk);
    return row ? stored(RoleManagementPolicy, row) : undefined;
  }

  async schedule(
    resource: Resource,
    level: ScheduleLevel,
    id: string,
  ): Promise<Stored<ScheduleRecord> | undefined> {
    const row = await getRow(this.table, resourcePk(resource), scheduleRk(level, id));
    return row ? stored(ScheduleRecord, row) : undefined;
  }

  /** All matching schedules of one resource (one partition: bounded by the resource's size). */
  async schedules(
    resource: Resource,
    level: ScheduleLevel,
    q: ScheduleQuery = {},
  ): Promise<Stored<ScheduleRecord>[]> {
    return queryAll(this.table, this.scheduleFilter(resource, level, q), (row) =>
      stored(ScheduleRecord, row),
    );
  }

  async listSchedules(
    resource: Resource,
    level: ScheduleLevel,
    page: PageRequest,
    q: ScheduleQuery = {},
  ): Promise<Page<ScheduleRecord>> {
    return queryPage(this.table, this.scheduleFilter(resource, level, q), page, (row) =>
      parseData(ScheduleRecord, row),
    );
  }

  async request(
    resource: Resource,
    level: ScheduleLevel,
    id: string,
  ): Promise<ScheduleRequestRecord | undefined> {
    const row = await getRow(this.table, resourcePk(resource), requestRk(level, id));
    return row ? parseData(ScheduleRequestRecord, row) : undefined;
  }

  async listRequests(
    resource: Resource,
    level: ScheduleLevel,
    page: PageRequest,
    q: { principalId?: string } = {},
  ): Promise<Page<ScheduleRequestRecord>> {
    const filter = and(
      partitionIs(resourcePk(resource)),
      rowKeyPrefix(rowPrefix('request', level)),
      q.principalId === undefined ? undefined : odata`principalId eq ${q.principalId}`,
    );
    return queryPage(this.table, filter, page, (row) => parseData(ScheduleRequestRecord, row));
  }

  /** A row by key (for the index's pointers); undefined when absent. */
  row(partitionKey: string, rowKey: string): Promise<Row | undefined> {
    return getRow(this.table, partitionKey, rowKey);
  }

  /**
   * Commits one change of one resource atomically with its audit events. Throws StaleReadError
   * when the partition changed since `guard` was read, PreconditionFailedError when a caller's
   * If-Match ETag is stale, ConflictError when an inserted row exists. Returns the new ETags by RowKey.
   */
  async commit(resource: Resource, change: ResourceChange): Promise<ReadonlyMap<string, string>> {
    const pk = resourcePk(resource);
    const guard: TransactionAction =
      change.guard === 'new'
        ? ['create', headEntity(resource, 1, change.tombstone === true)]
        : [
            'update',
            headEntity(resource, change.guard.revision + 1, change.tombstone ?? change.guard.deleted),
            'Replace',
            { etag: change.guard.etag },
          ];
    const actions: TransactionAction[] = [guard, ...change.writes.map(toAction)];
    for (const [, entity] of actions) {
      if (entity.partitionKey !== pk)
        throw new Error(`row ${entity.partitionKey}/${entity.rowKey} is outside ${pk}`);
    }
    await ensureTable(this.table);
    for (const w of change.writes) {
      if (w.op === 'delete' && w.etag !== undefined) {
        const row = await getRow(this.table, pk, String(w.entity.rowKey));
        if (!row || row.etag !== w.etag)
          throw w.callerEtag ? new PreconditionFailedError() : new StaleReadError();
      }
    }
    try {
      const narrowing =
        this.narrowAccess && change.writes.some((w) => w.op === 'delete' || w.op === 'replace');
      const result = await this.outbox.commit({
        table: this.table,
        partitionKey: pk,
        actions,
        audits: change.audits,
        ...(change.signals ? { signals: change.signals } : {}),
        ...(narrowing ? { prepare: () => this.narrowAccess!(change.writes) } : {}),
      });
      return result.etags;
    } catch (err) {
      throw await this.translate(err, change.writes);
    }
  }

  private scheduleFilter(resource: Resource, level: ScheduleLevel, q: ScheduleQuery): string {
    return and(
      partitionIs(resourcePk(resource)),
      rowKeyPrefix(rowPrefix('schedule', level)),
      q.principalId === undefined ? undefined : odata`principalId eq ${q.principalId}`,
      q.notEndedAt === undefined ? undefined : odata`expiresAt gt ${q.notEndedAt.toISOString()}`,
    );
  }

  // Which operation failed decides whose fault it is: the guard (index 0) means a concurrent change.
  private async translate(err: unknown, writes: Write[]): Promise<unknown> {
    const status = statusOf(err);
    if (status !== 409 && status !== 412 && status !== 404) return err;
    const index = failedOperationIndex(err);
    if (index === 0) return new StaleReadError();
    const write = index === undefined ? undefined : writes[index - 1];
    if (write) {
      if ('callerEtag' in write && write.callerEtag) return new PreconditionFailedError();
      return write.op === 'insert' ? new ConflictError('The object already exists.') : new StaleReadError();
    }
    // The service did not say which operation failed: check the caller's ETags ourselves.
    for (const w of writes) {
      if ((w.op === 'replace' || w.op === 'delete') && w.callerEtag) {
        const row = await getRow(this.table, String(w.entity.partitionKey), String(w.entity.rowKey));
        if (!row || row.etag !== w.etag) return new PreconditionFailedError();
      }
    }
    return new StaleReadError();
  }
}

function toAction(w: Write): TransactionAction {
  switch (w.op) {
    case 'insert':
      return ['create', w.entity];
    case 'upsert':
      return ['upsert', w.entity, 'Replace'];
    case 'replace':
      return ['update', w.entity, 'Replace', { etag: w.etag }];
    case 'delete':
      // Transactions cannot carry an ETag on a delete; the caller's is checked before commit, and
      // the head guard catches any change made after that check.
      return ['delete', keyOf(w.entity)];
  }
}
