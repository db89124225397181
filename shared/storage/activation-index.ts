// Rows DERIVED from the activations kept in principals' partitions (principal-keys.ts), for the
// reads that do not start from the principal: a request or schedule by id, every activation of a
// kind or of one role or group, and what waits for an approver. One partition per kind in table
// `RoleManagementIndex`, so that publishing many activations' changes is one batch:
//
//   PartitionKey      RowKey                          row
//   activation:role   i|{requestId}                   whose request (and activated schedule) it is
//   activation:group  r|{resourceId}|{requestId}      copy of the request
//                     s|{resourceId}|{scheduleId}     copy of an activated assignment (`removed` once revoked)
//                     a|{approverId}|{requestId}      an approver was asked (`waiting` while undecided)
//
// Copies are only ever upserted (a revoked schedule or a decided approval keeps its row, marked),
// so a batch never fails on a row that is not there and republishing writes the same rows again.
// Nothing writes here but the projector, which the outbox runs after each commit (and the sweeper
// after a crash). Sync is state-based: it reads the rows as they are now (one query per principal
// partition) and makes the copies match, so publishing twice or late converges on the truth.
// Anything that decides something (a GET by id, a decision) re-reads the primary row.
import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import type { ProjectionRef, Projector } from '../audit/outbox';
import { ActivationRequest, pendingApprovers } from '../domain/activation';
import { ScheduleRecord } from '../domain/schedules';
import { idTime } from '../time-ordered-id';
import { and, partitionIs, rowKeyPrefix } from './keys';
import { getRow, type Page, type PageRequest, queryPage, type Row } from './paging';
import { principalOfPk, REQUEST_PREFIX, SCHEDULE_PREFIX } from './principal-keys';
import { resourceOfPk } from './role-management-keys';
import { appTable, ensureTable, TableName } from './tables';

type Kind = 'role' | 'group';
type Entity = { partitionKey: string; rowKey: string } & Record<string, unknown>;

const MAX_BATCH = 100;
const partitionOf = (kind: Kind) => `activation:${kind}`;

export class ActivationIndex {
  /** Whose request an id is never changes: what this process has seen it keeps (a bounded map). */
  private readonly owners = new Map<string, string>();

  constructor(
    private readonly primary: TableClient = appTable(TableName.roleManagement),
    readonly table: TableClient = appTable(TableName.roleManagementIndex),
  ) {}

  /** The outbox's projector: request and schedule rows of principals' partitions. */
  readonly projector: Projector = async (tableName, refs) => {
    if (tableName !== this.primary.tableName) return;
    const mine = refs.filter(
      (r) =>
        principalOfPk(r.partitionKey) !== undefined &&
        (r.rowKey.startsWith(REQUEST_PREFIX) || r.rowKey.startsWith(SCHEDULE_PREFIX)),
    );
    if (mine.length === 0) return;
    const byPartition = new Map<string, ProjectionRef[]>();
    for (const ref of mine)
      byPartition.set(ref.partitionKey, [...(byPartition.get(ref.partitionKey) ?? []), ref]);
    const current = new Map<string, Row>();
    await Promise.all(
      [...byPartition].map(async ([pk, list]) => {
        for (const row of await this.readRows(pk, [...new Set(list.map((r) => r.rowKey))])) {
          current.set(`${pk}\n${String(row.rowKey)}`, row);
        }
      }),
    );
    const puts = new Map<string, Entity>();
    for (const ref of mine) {
      for (const e of this.derived(ref, current.get(`${ref.partitionKey}\n${ref.rowKey}`))) {
        puts.set(`${e.partitionKey}\n${e.rowKey}`, e);
      }
    }
    await this.write([...puts.values()]);
  };

  /**
   * Writes the pointer of a request right away (the projection writes it too, moments later): an
   * approver may decide a request as soon as its requester has the answer.
   */
  async point(kind: Kind, requestId: string, principalId: string): Promise<void> {
    this.remember(kind, requestId, principalId);
    await this.table.upsertEntity(
      { partitionKey: partitionOf(kind), rowKey: `i|${requestId.toLowerCase()}`, principalId },
      'Replace',
    );
  }

  // ---- queries -------------------------------------------------------------------------------

  /** Whose request (or activated schedule) `id` is, if the index knows it. */
  async locate(kind: Kind, id: string): Promise<string | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const known = this.owners.get(`${kind}|${id.toLowerCase()}`);
    if (known) return known;
    const row = await getRow(this.table, partitionOf(kind), `i|${id.toLowerCase()}`);
    if (!row) return undefined;
    this.remember(kind, id, String(row.principalId));
    return String(row.principalId);
  }

  private remember(kind: Kind, id: string, principalId: string): void {
    if (this.owners.size >= 100_000) this.owners.clear();
    this.owners.set(`${kind}|${id.toLowerCase()}`, principalId);
  }

  requests(kind: Kind, page: PageRequest, resourceId?: string): Promise<Page<ActivationRequest>> {
    const filter = and(
      partitionIs(partitionOf(kind)),
      rowKeyPrefix(resourceId === undefined ? 'r|' : `r|${resourceId}|`),
    );
    return queryPage(this.table, filter, page, (row) =>
      ActivationRequest.parse(JSON.parse(String(row.data))),
    );
  }

  schedules(
    kind: Kind,
    page: PageRequest,
    q: { resourceId?: string; notEndedAt?: Date } = {},
  ): Promise<Page<ScheduleRecord>> {
    const filter = and(
      partitionIs(partitionOf(kind)),
      rowKeyPrefix(q.resourceId === undefined ? 's|' : `s|${q.resourceId}|`),
      odata`removed eq ${false}`,
      q.notEndedAt ? odata`expiresAt gt ${q.notEndedAt.toISOString()}` : undefined,
    );
    return queryPage(this.table, filter, page, (row) => ScheduleRecord.parse(JSON.parse(String(row.data))));
  }

  /** Activations (live, ended or revoked) asked for at or after `since`, with who, what and when. */
  activatedSince(
    kind: Kind,
    since: Date,
    page: PageRequest,
  ): Promise<Page<{ principalId: string; resourceId: string; startDateTime: string }>> {
    const filter = and(
      partitionIs(partitionOf(kind)),
      rowKeyPrefix('s|'),
      odata`startAt ge ${since.toISOString()}`,
    );
    return queryPage(this.table, filter, page, (row) => ({
      principalId: String(row.principalId),
      resourceId: String(row.rowKey).split('|')[1] ?? '',
      startDateTime: String(row.startAt),
    }));
  }

  /**
   * Gives the activation copies written before `startAt` existed their start (the time of their
   * time-ordered id), so that the alerts count them. Reads the role partition's copies once, in
   * pages; merges only the rows that lack it. Idempotent.
   */
  async backfillStartAt(): Promise<number> {
    await ensureTable(this.table);
    const missing: Entity[] = [];
    const filter = and(partitionIs(partitionOf('role')), rowKeyPrefix('s|'));
    const rows = this.table.listEntities<Record<string, unknown>>({
      queryOptions: { filter, select: ['PartitionKey', 'RowKey', 'startAt'] },
    });
    for await (const row of rows) {
      if (typeof row.startAt === 'string') continue;
      const startAt = startOf(String(row.rowKey).slice(String(row.rowKey).lastIndexOf('|') + 1));
      if (startAt)
        missing.push({ partitionKey: String(row.partitionKey), rowKey: String(row.rowKey), startAt });
    }
    for (let i = 0; i < missing.length; i += MAX_BATCH) {
      await this.table.submitTransaction(
        missing.slice(i, i + MAX_BATCH).map((e): TransactionAction => ['upsert', e, 'Merge']),
      );
    }
    return missing.length;
  }

  /** How many activations of one role one principal asked for at or after `since` (one query). */
  async countActivations(roleId: string, principalId: string, since: Date): Promise<number> {
    const filter = and(
      partitionIs(partitionOf('role')),
      rowKeyPrefix(`s|${roleId}|`),
      odata`principalId eq ${principalId}`,
      odata`startAt ge ${since.toISOString()}`,
    );
    const page = await queryPage(this.table, filter, { top: 1000 }, () => true);
    return page.items.length;
  }

  /** Requests waiting for `approverId`: who asked (principal id) and the request id. */
  async waitingFor(kind: Kind, approverId: string): Promise<{ principalId: string; requestId: string }[]> {
    const filter = and(
      partitionIs(partitionOf(kind)),
      rowKeyPrefix(`a|${approverId.toLowerCase()}|`),
      odata`waiting eq ${true}`,
    );
    const page = await queryPage(this.table, filter, { top: 1000 }, (row) => ({
      principalId: String(row.principalId),
      requestId: String(row.rowKey).slice(String(row.rowKey).lastIndexOf('|') + 1),
    }));
    return page.items;
  }

  // ---- projection ----------------------------------------------------------------------------

  /** The rows of one partition among `rowKeys`, in one query. */
  private async readRows(pk: string, rowKeys: string[]): Promise<Row[]> {
    if (rowKeys.length === 1) {
      const row = await getRow(this.primary, pk, rowKeys[0]!);
      return row ? [row] : [];
    }
    const keys = rowKeys.map((rk) => odata`RowKey eq ${rk}`).join(' or ');
    const page = await queryPage(this.primary, and(partitionIs(pk), keys), { top: 1000 }, (r) => r);
    return page.items;
  }

  private derived(ref: ProjectionRef, row: Row | undefined): Entity[] {
    const resource = ref.resource ? resourceOfPk(ref.resource) : undefined;
    if (!resource) return [];
    const pk = partitionOf(resource.kind);
    const principalId = ref.principalId ?? principalOfPk(ref.partitionKey) ?? '';
    if (ref.rowKey.startsWith(SCHEDULE_PREFIX)) {
      const id = ref.rowKey.slice(SCHEDULE_PREFIX.length);
      const copy = { partitionKey: pk, rowKey: `s|${resource.id}|${id}`, principalId };
      // startAt: when it was asked for (the id is time-ordered), so that alerts count recent
      // activations without reading them all; known even when the projection runs after the revoke.
      const startAt = startOf(id);
      if (!row) return [{ ...copy, removed: true, startAt }];
      return [
        { ...copy, removed: false, expiresAt: row.expiresAt, startAt, data: row.data },
        { partitionKey: pk, rowKey: `i|${id}`, principalId },
      ];
    }
    if (!row) return []; // requests are never deleted
    const request = ActivationRequest.parse(JSON.parse(String(row.data)));
    const waiting = new Set(pendingApprovers(request));
    const asked = new Set(request.activation.approval?.stages.flatMap((s) => s.approverIds) ?? []);
    return [
      { partitionKey: pk, rowKey: `i|${request.id}`, principalId },
      {
        partitionKey: pk,
        rowKey: `r|${resource.id}|${request.id}`,
        principalId,
        status: request.status,
        data: row.data,
      },
      ...[...asked].map((a) => ({
        partitionKey: pk,
        rowKey: `a|${a}|${request.id}`,
        principalId,
        waiting: waiting.has(a),
      })),
    ];
  }

  /** Upserts, one batch per partition and 100 rows. */
  private async write(puts: Entity[]): Promise<void> {
    const byPartition = new Map<string, Entity[]>();
    for (const e of puts) byPartition.set(e.partitionKey, [...(byPartition.get(e.partitionKey) ?? []), e]);
    await Promise.all(
      [...byPartition.values()].map(async (rows) => {
        for (let i = 0; i < rows.length; i += MAX_BATCH) {
          const batch = rows.slice(i, i + MAX_BATCH);
          if (batch.length === 1) await this.table.upsertEntity(batch[0]!, modeOf(batch[0]!));
          else
            await this.table.submitTransaction(batch.map((e): TransactionAction => ['upsert', e, modeOf(e)]));
        }
      }),
    );
  }
}

function startOf(scheduleId: string): string | undefined {
  const ms = idTime(scheduleId);
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

// A revoked activation's copy keeps its other columns (startAt: it still counts as an activation).
function modeOf(e: Entity): 'Merge' | 'Replace' {
  return e.removed === true ? 'Merge' : 'Replace';
}
