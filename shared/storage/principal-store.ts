// Reads and atomic writes of a principal's partition (key design: principal-keys.ts). Every write
// goes through `commit`: one entity-group transaction holding the access record (If-Match the
// ETag it was read with: a concurrent change makes it fail, and the service re-reads and
// re-checks), the rows the change writes, and the audit outbox row.
import type { TableClient, TransactionAction } from '@azure/data-tables';
import type { DirectoryAudit } from '../audit/directory-audit';
import type { AuditOutbox, MarkerReservation, OutboxSignal } from '../audit/outbox';
import { AccessRecord, emptyAccessRecord } from '../domain/access-record';
import { ActivationRequest } from '../domain/activation';
import { ScheduleRecord } from '../domain/schedules';
import { statusOf } from './errors';
import { and, partitionIs, rowKeyPrefix } from './keys';
import { getRow, type Page, type PageRequest, queryPage, type Row } from './paging';
import {
  ACCESS_RK,
  activatedScheduleRk,
  activationRequestRk,
  principalPk,
  REQUEST_PREFIX,
  SCHEDULE_PREFIX,
} from './principal-keys';
import { expiresAt, resourceOfTarget, resourcePk } from './role-management-keys';
import { StaleReadError } from './stale-read';
import { appTable, TableName } from './tables';

type Entity = { partitionKey: string; rowKey: string } & Record<string, unknown>;

export interface StoredAccess {
  record: AccessRecord;
  /** Undefined when the principal has no record yet (the first change creates it). */
  etag: string | undefined;
}

export type PrincipalWrite = { op: 'put'; entity: Entity } | { op: 'delete'; entity: Entity };

export interface PrincipalChange {
  /** The access record as read (its ETag guards the whole change). */
  read: StoredAccess;
  /** The record after the change; its revision is bumped here. */
  access: AccessRecord;
  writes: PrincipalWrite[];
  audits: DirectoryAudit[];
  signals?: OutboxSignal[];
  publication?: 'inline' | 'background';
  /** The outbox marker, written ahead while the change was being decided (`reserve`). */
  reservation?: MarkerReservation;
}

const CHUNK = 30_000; // characters per string property (64 KiB of UTF-16)
const MAX_CHUNKS = 15;

export class PrincipalStore {
  constructor(
    private readonly outbox: AuditOutbox,
    readonly table: TableClient = appTable(TableName.roleManagement),
  ) {}

  async access(principalId: string): Promise<StoredAccess> {
    const id = principalId.toLowerCase();
    const row = await getRow(this.table, principalPk(id), ACCESS_RK);
    if (!row) return { record: emptyAccessRecord(id), etag: undefined };
    return { record: AccessRecord.parse(JSON.parse(getText(row, 'data'))), etag: row.etag };
  }

  async request(principalId: string, requestId: string): Promise<ActivationRequest | undefined> {
    const rk = activationRequestRk(requestId);
    if (!rk) return undefined;
    const row = await getRow(this.table, principalPk(principalId), rk);
    return row ? requestOf(row) : undefined;
  }

  /** The principal's activation requests, newest first. */
  requests(principalId: string, page: PageRequest): Promise<Page<ActivationRequest>> {
    const filter = and(partitionIs(principalPk(principalId)), rowKeyPrefix(REQUEST_PREFIX));
    return queryPage(this.table, filter, page, requestOf);
  }

  async schedule(principalId: string, scheduleId: string): Promise<ScheduleRecord | undefined> {
    const row = await getRow(this.table, principalPk(principalId), activatedScheduleRk(scheduleId));
    return row ? ScheduleRecord.parse(JSON.parse(String(row.data))) : undefined;
  }

  /** The principal's activated assignments (those not yet revoked). */
  schedules(principalId: string, page: PageRequest): Promise<Page<ScheduleRecord>> {
    const filter = and(partitionIs(principalPk(principalId)), rowKeyPrefix(SCHEDULE_PREFIX));
    return queryPage(this.table, filter, page, (row) => ScheduleRecord.parse(JSON.parse(String(row.data))));
  }

  /** Starts the outbox marker of a change of this principal's partition (see AuditOutbox.reserve). */
  reserve(principalId: string): MarkerReservation {
    return this.outbox.reserve(this.table, principalPk(principalId));
  }

  release(reservation: MarkerReservation): void {
    this.outbox.release(reservation);
  }

  /**
   * Writes a derived change of the access record alone (a projection of rows kept elsewhere:
   * admin assignments, a group's roles). Throws StaleReadError when it changed since read.
   */
  async putAccess(principalId: string, read: StoredAccess, next: AccessRecord): Promise<void> {
    const row = accessEntity(principalPk(principalId), { ...next, revision: read.record.revision + 1 });
    try {
      if (read.etag === undefined) await this.table.createEntity(row);
      else await this.table.updateEntity(row, 'Replace', { etag: read.etag });
    } catch (err) {
      const status = statusOf(err);
      if (status === 409 || status === 412 || status === 404) throw new StaleReadError();
      throw err;
    }
  }

  /**
   * Commits one change of the principal's partition atomically with its audit events and signals.
   * Throws StaleReadError when the partition changed since the record was read. Returns the record
   * as stored.
   */
  async commit(principalId: string, change: PrincipalChange): Promise<AccessRecord> {
    const pk = principalPk(principalId);
    const access: AccessRecord = { ...change.access, revision: change.read.record.revision + 1 };
    const accessRow = accessEntity(pk, access);
    const guard: TransactionAction =
      change.read.etag === undefined
        ? ['create', accessRow]
        : ['update', accessRow, 'Replace', { etag: change.read.etag }];
    const actions: TransactionAction[] = [
      guard,
      ...change.writes.map(
        (w): TransactionAction =>
          // A delete sends only the keys; the rest of the entity names what derives from the row
          // (its role or group, its principal), so the projections can follow its removal.
          w.op === 'put' ? ['upsert', w.entity, 'Replace'] : ['delete', w.entity],
      ),
    ];
    try {
      await this.outbox.commit({
        table: this.table,
        partitionKey: pk,
        actions,
        audits: change.audits,
        signals: change.signals,
        publication: change.publication,
        reservation: change.reservation,
      });
    } catch (err) {
      // The guard failed (a concurrent change), or a row the change expected was gone (the same):
      // re-read and re-decide.
      const status = statusOf(err);
      if (status === 409 || status === 412 || status === 404) throw new StaleReadError();
      throw err;
    }
    return access;
  }
}

// ---- entities ---------------------------------------------------------------------------------

export function requestEntity(r: ActivationRequest): Entity {
  const rk = activationRequestRk(r.id);
  if (!rk) throw new TypeError(`activation request id ${r.id} is not time-ordered`);
  return {
    partitionKey: principalPk(r.principalId),
    rowKey: rk,
    type: 'activationRequest',
    principalId: r.principalId,
    resource: resourcePk(resourceOfTarget(r.target)),
    status: r.status,
    createdDateTime: r.createdDateTime,
    data: data(ActivationRequest.parse(r)),
  };
}

export function requestOf(row: Row): ActivationRequest {
  return ActivationRequest.parse(JSON.parse(String(row.data)));
}

export function activatedScheduleEntity(s: ScheduleRecord): Entity {
  return {
    partitionKey: principalPk(s.principalId),
    rowKey: activatedScheduleRk(s.id),
    type: 'schedule',
    principalId: s.principalId,
    resource: resourcePk(resourceOfTarget(s.target)),
    // A membership names its group, so that the group's member list can follow (access-projection.ts).
    ...(s.target.kind === 'group' && s.target.accessId === 'member' ? { groupId: s.target.groupId } : {}),
    expiresAt: expiresAt(s.endDateTime),
    data: data(ScheduleRecord.parse(s)),
  };
}

function accessEntity(pk: string, record: AccessRecord): Entity {
  const e: Entity = { partitionKey: pk, rowKey: ACCESS_RK, type: 'access', revision: record.revision };
  putText(e, 'data', JSON.stringify(AccessRecord.parse(record)));
  return e;
}

function data(value: unknown): string {
  const json = JSON.stringify(value);
  if (json.length > CHUNK) throw new Error('record too large for one table property');
  return json;
}

// A record longer than one property holds is split over several (data0, data1, ...).
function putText(e: Entity, name: string, text: string): void {
  const parts = Math.max(1, Math.ceil(text.length / CHUNK));
  if (parts > MAX_CHUNKS) throw new Error(`${name} too large for one table row`);
  e[`${name}Parts`] = parts;
  for (let i = 0; i < parts; i++) e[`${name}${i}`] = text.slice(i * CHUNK, (i + 1) * CHUNK);
}

function getText(row: Row, name: string): string {
  const parts = Number(row[`${name}Parts`] ?? 0);
  let out = '';
  for (let i = 0; i < parts; i++) out += String(row[`${name}${i}`] ?? '');
  return out;
}
