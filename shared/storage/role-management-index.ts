// Table `RoleManagementIndex`: rows DERIVED from table `RoleManagement`, for the queries that do
// not name a resource. Nothing writes here but the projector, which the audit outbox runs after
// each commit (and the sweeper after a crash):
//
//   PartitionKey            RowKey                          copy of
//   principal:{principalId} {elig|asgn|ereq|areq}|{resourcePk}|{id}   the principal's schedules and
//                                                           requests (its roles, its groups, "mine")
//   id:{scheduleOrRequestId} ptr                            pointer {sourcePk, sourceRk}: GET by id
//   all:{elig|asgn|ereq|areq}:{role|group}  {resourceId}|{id}   every schedule/request of a kind
//   all:roleDefinition      {roleId}                        role definitions (GET roleDefinitions)
//   all:group               {groupId}                       groups (GET /groups)
//   all:policy:role         {roleId}                        policies (GET roleManagementPolicies)
//   all:policy:group        {groupId}|{accessId}
//
// A RowKey prefix such as `asgn|role:` selects one kind within a principal's partition.
// Copies can lag the primary rows after a crash until the sweeper runs, so lists may briefly miss
// a change, and anything that decides access (rolesOf) re-reads the primary row of each candidate.
//
// Sync is state-based and idempotent: it reads the primary row and makes the derived rows match
// (upsert, or delete when the row is gone), then reads the primary again and repeats if it
// changed meanwhile, so two syncs racing on one row cannot leave the older copy behind.
import { odata, type TableClient } from '@azure/data-tables';
import type { ProjectionRef, Projector } from '../audit/outbox';
import { Group } from '../domain/groups';
import { RoleManagementPolicy } from '../domain/policy';
import { ScheduleRequestRecord } from '../domain/requests';
import { RoleDefinition } from '../domain/roles';
import { type ScheduleLevel, ScheduleRecord } from '../domain/schedules';
import { statusOf } from './errors';
import { and, partitionIs, rowKeyPrefix } from './keys';
import { getRow, type Page, type PageRequest, queryPage, type Row } from './paging';
import { parseData } from './role-management-entities';
import {
  DEFINITION_RK,
  GROUP_RK,
  parseItemRk,
  type Resource,
  type RowType,
  resourceOfPk,
  rowPrefix,
} from './role-management-keys';
import { appTable, ensureTable, TableName } from './tables';

type Kind = Resource['kind'];

interface Derived {
  partitionKey: string;
  rowKey: string;
}

/** A primary row's key, as stored in pointer rows. */
export interface PrimaryKey {
  partitionKey: string;
  rowKey: string;
}

export class RoleManagementIndex {
  constructor(
    private readonly primary: TableClient = appTable(TableName.roleManagement),
    readonly table: TableClient = appTable(TableName.roleManagementIndex),
  ) {}

  /** The outbox's projector: only rows of the RoleManagement table's resource partitions have derived rows. */
  readonly projector: Projector = async (tableName, refs) => {
    if (tableName !== this.primary.tableName) return;
    for (const ref of refs) if (this.derivedRows(ref, undefined).length > 0) await this.sync(ref);
  };

  /** Makes the derived rows of one primary row match it. */
  async sync(ref: ProjectionRef): Promise<void> {
    await ensureTable(this.table);
    let before = await getRow(this.primary, ref.partitionKey, ref.rowKey);
    for (let attempt = 0; attempt < 5; attempt++) {
      await this.apply(ref, before);
      const after = await getRow(this.primary, ref.partitionKey, ref.rowKey);
      if (after?.etag === before?.etag) return;
      before = after;
    }
    throw new Error(`index sync of ${ref.partitionKey}/${ref.rowKey} kept racing with writers`);
  }

  // ---- queries -------------------------------------------------------------------------------

  /** A principal's schedules of one kind (copies). `notEndedAt` drops those that have ended. */
  schedulesOfPrincipal(
    principalId: string,
    kind: Kind,
    level: ScheduleLevel,
    page: PageRequest,
    notEndedAt?: Date,
  ): Promise<Page<ScheduleRecord>> {
    const filter = and(
      partitionIs(`principal:${principalId}`),
      rowKeyPrefix(`${rowPrefix('schedule', level)}${kind}:`),
      notEndedAt ? odata`expiresAt gt ${notEndedAt.toISOString()}` : undefined,
    );
    return queryPage(this.table, filter, page, (row) => parseData(ScheduleRecord, row));
  }

  requestsOfPrincipal(
    principalId: string,
    kind: Kind,
    level: ScheduleLevel,
    page: PageRequest,
  ): Promise<Page<ScheduleRequestRecord>> {
    const filter = and(
      partitionIs(`principal:${principalId}`),
      rowKeyPrefix(`${rowPrefix('request', level)}${kind}:`),
    );
    return queryPage(this.table, filter, page, (row) => parseData(ScheduleRequestRecord, row));
  }

  allSchedules(
    kind: Kind,
    level: ScheduleLevel,
    page: PageRequest,
    notEndedAt?: Date,
  ): Promise<Page<ScheduleRecord>> {
    const filter = and(
      partitionIs(catalogPk('schedule', level, kind)),
      notEndedAt ? odata`expiresAt gt ${notEndedAt.toISOString()}` : undefined,
    );
    return queryPage(this.table, filter, page, (row) => parseData(ScheduleRecord, row));
  }

  allRequests(kind: Kind, level: ScheduleLevel, page: PageRequest): Promise<Page<ScheduleRequestRecord>> {
    return queryPage(this.table, partitionIs(catalogPk('request', level, kind)), page, (row) =>
      parseData(ScheduleRequestRecord, row),
    );
  }

  roleDefinitions(page: PageRequest): Promise<Page<RoleDefinition>> {
    return queryPage(this.table, partitionIs('all:roleDefinition'), page, (row) =>
      parseData(RoleDefinition, row),
    );
  }

  groups(page: PageRequest): Promise<Page<Group>> {
    return queryPage(this.table, partitionIs('all:group'), page, (row) => parseData(Group, row));
  }

  policies(kind: Kind, page: PageRequest, resourceId?: string): Promise<Page<RoleManagementPolicy>> {
    const filter = and(
      partitionIs(`all:policy:${kind}`),
      resourceId === undefined ? undefined : rowKeyPrefix(kind === 'role' ? resourceId : `${resourceId}|`),
    );
    return queryPage(this.table, filter, page, (row) => parseData(RoleManagementPolicy, row));
  }

  /** Where the schedule or request with this id lives, if the index knows it. */
  async locate(id: string): Promise<PrimaryKey | undefined> {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(id)) return undefined;
    const row = await getRow(this.table, `id:${id}`, 'ptr');
    if (!row) return undefined;
    return { partitionKey: String(row.sourcePk), rowKey: String(row.sourceRk) };
  }

  // ---- projection ----------------------------------------------------------------------------

  private async apply(ref: ProjectionRef, row: Row | undefined): Promise<void> {
    const derived = this.derivedRows(ref, row);
    if (derived.length === 0) return;
    if (row) {
      const copy: Record<string, unknown> = {
        data: row.data,
        sourcePk: ref.partitionKey,
        sourceRk: ref.rowKey,
      };
      if (typeof row.expiresAt === 'string') copy.expiresAt = row.expiresAt;
      if (typeof row.principalId === 'string') copy.principalId = row.principalId;
      await Promise.all(derived.map((d) => this.table.upsertEntity({ ...d, ...copy }, 'Replace')));
    } else {
      await Promise.all(derived.map((d) => ignore404(this.table.deleteEntity(d.partitionKey, d.rowKey))));
    }
  }

  private derivedRows(ref: ProjectionRef, row: Row | undefined): Derived[] {
    const resource = resourceOfPk(ref.partitionKey);
    if (!resource) return [];
    if (ref.rowKey === DEFINITION_RK && resource.kind === 'role') {
      return [{ partitionKey: 'all:roleDefinition', rowKey: resource.id }];
    }
    if (ref.rowKey === GROUP_RK && resource.kind === 'group') {
      return [{ partitionKey: 'all:group', rowKey: resource.id }];
    }
    if (ref.rowKey === 'policy') return [{ partitionKey: 'all:policy:role', rowKey: resource.id }];
    if (ref.rowKey.startsWith('policy|')) {
      return [
        { partitionKey: 'all:policy:group', rowKey: `${resource.id}|${ref.rowKey.slice('policy|'.length)}` },
      ];
    }
    const item = parseItemRk(ref.rowKey);
    if (!item) return [];
    const principalId = typeof row?.principalId === 'string' ? row.principalId : ref.principalId;
    const out: Derived[] = [
      { partitionKey: `id:${item.id}`, rowKey: 'ptr' },
      { partitionKey: catalogPk(item.type, item.level, resource.kind), rowKey: `${resource.id}|${item.id}` },
    ];
    if (principalId) {
      out.push({
        partitionKey: `principal:${principalId}`,
        rowKey: `${rowPrefix(item.type, item.level)}${ref.partitionKey}|${item.id}`,
      });
    }
    return out;
  }
}

function catalogPk(type: RowType, level: ScheduleLevel, kind: Kind): string {
  return `all:${rowPrefix(type, level).slice(0, -1)}:${kind}`;
}

async function ignore404(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
  }
}
