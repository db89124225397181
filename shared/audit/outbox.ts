// "A change is never stored without its audit row, even if the process dies between two writes."
//
// Table Storage has no transactions across tables or partitions, but it has entity-group
// transactions within one partition. So every change is committed as ONE transaction in the
// partition it changes, together with an outbox row holding the change's audit events:
//
//   1. marker   AuditOutbox/pending/{time}|{commitId} -> "look at table T, partition P"   (before)
//   2. commit   T/P: the change's rows + T/P/~outbox|{commitId} {audits, refs}          (atomic)
//   3. publish  audits -> the day tables (created once, RowKey = time|auditId: idempotent);
//               refs   -> the projector re-derives index rows from the committed rows;
//               then delete the outbox row, then the marker.
//
// Step 2 is the only one that matters for the guarantee: the change and its audit events are
// stored together or not at all. Steps 1 and 3 make publication eventual: the request publishes
// inline; if the process dies after step 2, the marker (written first) tells the sweeper which
// partition holds an unpublished outbox row, so sweeping reads only pending markers, never whole
// tables. Publishing twice is harmless, so the sweeper and a slow request may race. A marker
// whose transaction never committed points at nothing and is deleted. The sweeper only touches
// markers older than a grace period, longer than any storage call, so it never deletes the marker of
// a transaction that is still in flight. `deepSweep` scans a table for stray outbox rows (maintenance).
import { randomUUID } from 'node:crypto';
import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { now as clockNow } from '../clock';
import { statusOf } from '../storage/errors';
import { and, partitionIs, rowKeyPrefix, sortableTime } from '../storage/keys';
import { getRow, queryAll, queryPage } from '../storage/paging';
import { appTable, ensureTable, TableName, tableByFullName } from '../storage/tables';
import type { AuditRepository } from './audit-repository';
import { DirectoryAudit } from './directory-audit';

export const OUTBOX_ROW_PREFIX = '~outbox|';
const PENDING = 'pending';
const MAX_PAYLOAD_CHARS = 30_000; // a string property holds 64 KiB of UTF-16
export const DEFAULT_SWEEP_GRACE_MS = 5 * 60_000;

/** A row the change touched; the projector re-derives whatever index rows depend on it. */
export interface ProjectionRef {
  partitionKey: string;
  rowKey: string;
  /** For rows keyed elsewhere by principal: lets a deleted row's index entries be found. */
  principalId?: string;
}

/** Keeps derived rows (indexes, catalogs) in line with the rows a change touched. Idempotent. */
export type Projector = (tableName: string, refs: readonly ProjectionRef[]) => Promise<void>;

/** Where a test makes the process "die" (the hook throws): each step of commit and publish. */
export type CrashPoint =
  | 'afterMarker'
  | 'afterCommit'
  | 'afterAuditWritten'
  | 'afterProjected'
  | 'afterOutboxDeleted';

export interface OutboxOptions {
  markers?: TableClient;
  audit: AuditRepository;
  projector?: Projector;
  /** Test hook: called at each step; throwing simulates a crash at that point. */
  crashAt?: (point: CrashPoint) => void;
  /** Where failures of inline publication go (the sweeper retries them). */
  onPublishError?: (err: unknown) => void;
}

export interface AtomicChange {
  table: TableClient;
  partitionKey: string;
  /** The change: every action's entity must be in `partitionKey`. At most 99 (one slot is the outbox row). */
  actions: TransactionAction[];
  /** The audit rows this change must produce (at least one). */
  audits: DirectoryAudit[];
}

export interface CommitResult {
  /** False when inline publication failed; the sweeper will finish it. */
  published: boolean;
  /** New ETags of the rows the transaction wrote, by RowKey (for ETag response headers). */
  etags: ReadonlyMap<string, string>;
}

interface Pending {
  table: string;
  partitionKey: string;
  rowKey: string;
  marker: string;
}

export class AuditOutbox {
  private readonly markers: TableClient;
  private readonly clients = new Map<string, TableClient>();

  constructor(private readonly options: OutboxOptions) {
    this.markers = options.markers ?? appTable(TableName.auditOutbox);
  }

  /**
   * Commits the change and its audit events atomically, then publishes them. Throws the storage
   * error of the transaction (the caller translates ETag failures); never throws for publication,
   * which the sweeper completes.
   */
  async commit(change: AtomicChange): Promise<CommitResult> {
    if (change.audits.length === 0) throw new Error('a change must carry at least one audit event');
    if (change.actions.length > 99) throw new Error('a change may touch at most 99 rows');
    const commitId = randomUUID();
    const refs = change.actions.map(([, entity]) => refOf(entity as Record<string, unknown>));
    for (const ref of refs) {
      if (ref.partitionKey !== change.partitionKey)
        throw new Error('all rows of a change must share its partition');
    }
    const audits = JSON.stringify(change.audits.map((a) => DirectoryAudit.parse(a)));
    const refsJson = JSON.stringify(refs);
    if (audits.length > MAX_PAYLOAD_CHARS || refsJson.length > MAX_PAYLOAD_CHARS) {
      throw new Error('audit payload too large for one outbox row');
    }
    const pending: Pending = {
      table: change.table.tableName,
      partitionKey: change.partitionKey,
      rowKey: OUTBOX_ROW_PREFIX + commitId,
      marker: `${sortableTime(clockNow().getTime())}|${commitId}`,
    };
    this.clients.set(change.table.tableName, change.table);

    await ensureTable(this.markers);
    await ensureTable(change.table);
    await this.markers.createEntity({
      partitionKey: PENDING,
      rowKey: pending.marker,
      table: pending.table,
      targetPartitionKey: pending.partitionKey,
      targetRowKey: pending.rowKey,
    });
    this.options.crashAt?.('afterMarker');
    let etags: Map<string, string>;
    try {
      const response = await change.table.submitTransaction([
        ...change.actions,
        [
          'create',
          {
            partitionKey: change.partitionKey,
            rowKey: pending.rowKey,
            audits,
            refs: refsJson,
            createdDateTime: clockNow().toISOString(),
          },
        ],
      ]);
      // Sub-responses come in the order of the operations (only inserts name their row).
      etags = new Map();
      change.actions.forEach(([, entity], i) => {
        const etag = response.subResponses[i]?.etag?.trim();
        if (etag) etags.set(String(entity.rowKey), etag);
      });
    } catch (err) {
      await this.deleteMarker(pending.marker).catch(() => undefined);
      throw err;
    }
    this.options.crashAt?.('afterCommit');
    try {
      await this.publish(pending);
      return { published: true, etags };
    } catch (err) {
      this.options.onPublishError?.(err);
      return { published: false, etags };
    }
  }

  /**
   * Publishes the markers older than `graceMs` (all of them with 0, e.g. at startup after a crash
   * when no request is in flight). Returns how many markers were handled.
   */
  async sweep(options: { graceMs?: number; limit?: number } = {}): Promise<number> {
    await ensureTable(this.markers);
    const cutoff = clockNow().getTime() - (options.graceMs ?? DEFAULT_SWEEP_GRACE_MS);
    const filter = and(partitionIs(PENDING), odata`RowKey lt ${`${sortableTime(cutoff + 1)}|`}`);
    const page = await queryPage(this.markers, filter, { top: options.limit ?? 500 }, (row) => ({
      table: String(row.table),
      partitionKey: String(row.targetPartitionKey),
      rowKey: String(row.targetRowKey),
      marker: String(row.rowKey),
    }));
    for (const pending of page.items) await this.publish(pending);
    return page.items.length;
  }

  /** Publishes every outbox row left in `table`, marker or not. A full scan: maintenance only. */
  async deepSweep(table: TableClient): Promise<number> {
    this.clients.set(table.tableName, table);
    const rows = await queryAll(table, rowKeyPrefix(OUTBOX_ROW_PREFIX), (row) => row);
    for (const row of rows) {
      await this.publishRow(table, String(row.partitionKey), String(row.rowKey));
    }
    return rows.length;
  }

  private async publish(pending: Pending): Promise<void> {
    await this.publishRow(this.client(pending.table), pending.partitionKey, pending.rowKey);
    await this.deleteMarker(pending.marker);
  }

  private async publishRow(table: TableClient, partitionKey: string, rowKey: string): Promise<void> {
    const row = await getRow(table, partitionKey, rowKey);
    if (!row) return; // never committed, or already published
    const audits = DirectoryAudit.array().parse(JSON.parse(String(row.audits)));
    const refs = JSON.parse(String(row.refs)) as ProjectionRef[];
    await this.options.audit.append(audits);
    this.options.crashAt?.('afterAuditWritten');
    await this.options.projector?.(table.tableName, refs);
    this.options.crashAt?.('afterProjected');
    await ignore404(table.deleteEntity(partitionKey, rowKey));
    this.options.crashAt?.('afterOutboxDeleted');
  }

  private deleteMarker(rowKey: string): Promise<void> {
    return ignore404(this.markers.deleteEntity(PENDING, rowKey));
  }

  private client(name: string): TableClient {
    let client = this.clients.get(name);
    if (!client) {
      client = tableByFullName(name);
      this.clients.set(name, client);
    }
    return client;
  }
}

function refOf(entity: Record<string, unknown>): ProjectionRef {
  const ref: ProjectionRef = { partitionKey: String(entity.partitionKey), rowKey: String(entity.rowKey) };
  if (typeof entity.principalId === 'string') ref.principalId = entity.principalId;
  return ref;
}

async function ignore404(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
  }
}
