// "A change is never stored without its audit rows and the signals it owes, even if the process
// dies between two writes."
//
// Table Storage has no transactions across tables or partitions, but it has entity-group
// transactions within one partition. So every change is committed as ONE transaction in the
// partition it changes, together with an outbox row holding everything that must follow it:
//
//   1. marker   AuditOutbox/pending/{time}|{commitId} -> "look at table T, partition P"   (before)
//   2. commit   T/P: the change's rows + T/P/~outbox|{commitId} {audits, refs, signals}  (atomic)
//   3. publish  audits  -> the day tables and their index copies (batched, created once);
//               refs    -> the projectors re-derive index rows and access records from the rows;
//               signals -> the sink (events to orchestrations, notices, connectors);
//               then delete the outbox row, then the marker.
//
// Step 2 is the only one that matters for the guarantee: the change, its audit events and its
// signals are stored together or not at all. Publication is off the request's critical path: a
// background publisher gathers the commits of many requests and writes their rows in a few
// batches (admin changes, whose lists and projections must be current when they answer, publish
// inline). If the process dies after step 2, the marker (written first) tells the sweeper which
// partition holds an unpublished outbox row, so sweeping reads only pending markers, never whole
// tables. Publishing twice is harmless (audit rows are created once, projections are state-based,
// signals are idempotent), so the sweeper and a slow publisher may race. A marker whose
// transaction never committed points at nothing and is deleted. The sweeper only touches markers
// older than a grace period, longer than any storage call, so it never deletes the marker of a
// transaction still in flight. `deepSweep` scans a table for stray outbox rows (maintenance).
import { randomUUID } from 'node:crypto';
import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { now as clockNow } from '../clock';
import { statusOf } from '../storage/errors';
import { and, partitionIs, rowKeyPrefix, sortableTime } from '../storage/keys';
import { getRow, queryAll, queryPage } from '../storage/paging';
import { detached } from '../storage/request-count';
import { appTable, ensureTable, TableName, tableByFullName } from '../storage/tables';
import type { AuditRepository } from './audit-repository';
import { DirectoryAudit, inEventOrder } from './directory-audit';

export const OUTBOX_ROW_PREFIX = '~outbox|';
const PENDING = 'pending';
const MAX_PAYLOAD_CHARS = 30_000; // a string property holds 64 KiB of UTF-16
const MAX_BATCH = 100;
export const DEFAULT_SWEEP_GRACE_MS = 5 * 60_000;
/** Commits published together by the background publisher, at most. */
const PUBLISH_GROUP = 200;
const RETRY_DELAYS_MS = [200, 1_000, 5_000];
/** How long background publication waits for more commits to publish together. */
const PUBLISH_WINDOW_MS = 50;

/** A row the change touched; the projectors re-derive whatever depends on it. */
export interface ProjectionRef {
  partitionKey: string;
  rowKey: string;
  /** For rows keyed elsewhere by principal: lets a deleted row's derived rows be found. */
  principalId?: string;
  /** For a group membership's row: the group, whose member list follows it. */
  groupId?: string;
  /** For a row kept by principal but listed by role or group: that resource (`role:{id}`...). */
  resource?: string;
}

/** Keeps derived rows (indexes, catalogs, access records) in line with the rows a change touched. Idempotent. */
export type Projector = (tableName: string, refs: readonly ProjectionRef[]) => Promise<void>;

/** Something a change owes the rest of the system: opaque here, delivered by the sink. */
export interface OutboxSignal {
  kind: string;
  [key: string]: unknown;
}

/**
 * Delivers signals (events to orchestrations, notices...). Idempotent; throws to be retried.
 * `redelivery`: they may have been delivered before (a sweep after a crash, a re-drive), so e.g.
 * an orchestration to start may exist already, even finished.
 */
export type SignalSink = (
  signals: readonly OutboxSignal[],
  options: { redelivery: boolean },
) => Promise<void>;

/** Where a test makes the process "die" (the hook throws or kills): each step of commit and publish. */
export type CrashPoint =
  | 'afterMarker'
  | 'afterPrepare'
  | 'afterCommit'
  | 'afterAuditWritten'
  | 'afterProjected'
  | 'afterSignalled'
  | 'afterOutboxDeleted';

export interface OutboxOptions {
  markers?: TableClient;
  audit: AuditRepository;
  projectors?: Projector[];
  /** Test hook: called at each step; throwing (or killing the process) simulates a crash there. */
  crashAt?: (point: CrashPoint) => void;
  /** Where failures of publication go (the publisher retries, then the sweeper). */
  onPublishError?: (err: unknown) => void;
}

export interface AtomicChange {
  table: TableClient;
  partitionKey: string;
  /** The change: every action's entity must be in `partitionKey`. At most 99 (one slot is the outbox row). */
  actions: TransactionAction[];
  /** The audit rows this change must produce. */
  audits: DirectoryAudit[];
  /** What must follow the change (in order), delivered once its audit rows are published. */
  signals?: OutboxSignal[];
  /** 'inline' (default): `commit` returns once published. 'background': right after the commit. */
  publication?: 'inline' | 'background';
  /** A marker written ahead (`reserve`), while the caller was still reading. */
  reservation?: MarkerReservation;
  /**
   * Runs after the marker is written and before the transaction: derived rows that must never
   * grant more than the change leaves (access records narrowed ahead of a removal). If the process
   * dies before the transaction, the sweeper re-derives them from the rows as they are.
   */
  prepare?: () => Promise<void>;
}

/** A marker whose write started before its change was known (see `AuditOutbox.reserve`). */
export interface MarkerReservation {
  readonly commitId: string;
  readonly marker: string;
  readonly table: string;
  readonly partitionKey: string;
  readonly written: Promise<void>;
  used: boolean;
}

export interface CommitResult {
  /** False when publication has not finished (background, or it failed: the sweeper finishes it). */
  published: boolean;
  /** New ETags of the rows the transaction wrote, by RowKey (for ETag response headers). */
  etags: ReadonlyMap<string, string>;
}

/** One committed change waiting for publication. */
interface Pending {
  table: string;
  partitionKey: string;
  rowKey: string;
  marker: string;
  audits: DirectoryAudit[];
  refs: ProjectionRef[];
  signals: OutboxSignal[];
  /** How many of `signals` (from the start) this process delivered already. */
  delivered: number;
  /** Read back from storage (a sweep): its signals may have gone out before. */
  swept: boolean;
  attempts: number;
}

export class AuditOutbox {
  private readonly markers: TableClient;
  private readonly clients = new Map<string, TableClient>();
  private readonly projectors: Projector[];
  private sink: SignalSink | undefined;
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];
  private inFlight = 0;

  constructor(private readonly options: OutboxOptions) {
    this.markers = options.markers ?? appTable(TableName.auditOutbox);
    this.projectors = options.projectors ?? [];
  }

  /** Where signals go (the orchestrations layer registers its durable client here). */
  useSignalSink(sink: SignalSink): void {
    this.sink = sink;
  }

  get hasSignalSink(): boolean {
    return this.sink !== undefined;
  }

  /** Creates the tables the outbox writes (at startup, so that no request creates one). */
  async prepare(...tables: TableClient[]): Promise<void> {
    await Promise.all([this.markers, ...tables].map((t) => ensureTable(t)));
  }

  /**
   * Commits the change with its audit events and signals atomically, then publishes (inline) or
   * queues publication (background). Throws the storage error of the
   * transaction (the caller translates ETag failures); never throws for publication.
   */
  async commit(change: AtomicChange): Promise<CommitResult> {
    if (change.actions.length > 99) throw new Error('a change may touch at most 99 rows');
    const reservation = change.reservation;
    if (reservation) {
      if (reservation.used) throw new Error('a marker reservation serves one commit');
      if (reservation.partitionKey !== change.partitionKey || change.prepare)
        throw new Error('the reservation does not fit this change');
      reservation.used = true;
    }
    const commitId = reservation?.commitId ?? randomUUID();
    const refs = change.actions.map(([, entity]) => refOf(entity as Record<string, unknown>));
    for (const ref of refs) {
      if (ref.partitionKey !== change.partitionKey)
        throw new Error('all rows of a change must share its partition');
    }
    const signals = change.signals ?? [];
    const audits = inEventOrder(change.audits.map((a) => DirectoryAudit.parse(a)));
    const payload = {
      audits: JSON.stringify(audits),
      refs: JSON.stringify(refs),
      signals: JSON.stringify(signals),
    };
    if (Object.values(payload).some((p) => p.length > MAX_PAYLOAD_CHARS)) {
      throw new Error('outbox payload too large for one outbox row');
    }
    const pending: Pending = {
      table: change.table.tableName,
      partitionKey: change.partitionKey,
      rowKey: OUTBOX_ROW_PREFIX + commitId,
      marker: reservation?.marker ?? `${sortableTime(clockNow().getTime())}|${commitId}`,
      audits,
      refs,
      signals,
      delivered: 0,
      swept: false,
      attempts: 0,
    };
    this.clients.set(change.table.tableName, change.table);

    if (reservation) await reservation.written;
    else await this.writeMarker(pending, change.prepare ? payload.refs : undefined);
    this.crash('afterMarker');
    if (change.prepare) {
      await change.prepare().catch(async (err: unknown) => {
        await this.undo(pending, refs);
        throw err;
      });
      this.crash('afterPrepare');
    }
    let etags: Map<string, string>;
    try {
      const response = await change.table.submitTransaction([
        ...change.actions,
        [
          'create',
          {
            partitionKey: change.partitionKey,
            rowKey: pending.rowKey,
            ...payload,
            createdDateTime: clockNow().toISOString(),
          },
        ],
      ]);
      // Sub-responses come in the order of the operations.
      etags = new Map();
      change.actions.forEach(([, entity], i) => {
        const etag = response.subResponses[i]?.etag?.trim();
        if (etag) etags.set(String(entity.rowKey), etag);
      });
    } catch (err) {
      await this.undo(pending, change.prepare ? refs : []);
      throw err;
    }
    this.crash('afterCommit');
    if (change.publication === 'background') {
      this.enqueue(pending);
      return { published: false, etags };
    }
    try {
      this.inFlight++;
      await this.publish([pending]);
      return { published: true, etags };
    } catch (err) {
      this.options.onPublishError?.(err);
      // Retried in the background a few times (e.g. no signal sink yet at startup), then swept.
      this.retryLater(pending);
      return { published: false, etags };
    } finally {
      this.inFlight--;
      this.notifyIdle();
    }
  }

  /**
   * Starts writing the marker of a commit to come in `table`/`partitionKey` at once, so that the
   * caller's reads and this write share one round trip. The commit that takes it (`commit` with
   * `reservation`) waits for it; `release` deletes one that no commit took.
   */
  reserve(table: TableClient, partitionKey: string): MarkerReservation {
    const commitId = randomUUID();
    const marker = `${sortableTime(clockNow().getTime())}|${commitId}`;
    const written = this.writeMarker({
      table: table.tableName,
      partitionKey,
      rowKey: OUTBOX_ROW_PREFIX + commitId,
      marker,
    });
    written.catch(() => undefined); // observed by the commit or the release
    this.clients.set(table.tableName, table);
    return { commitId, marker, table: table.tableName, partitionKey, written, used: false };
  }

  /** A reservation no commit took (the call was refused, or lost a race): its marker goes. */
  release(reservation: MarkerReservation): void {
    if (reservation.used) return;
    reservation.used = true;
    void reservation.written.then(() => this.deleteMarkers([reservation.marker])).catch(() => undefined);
  }

  /**
   * Delivers signals that follow no new change (a retried decision re-drives its event, a
   * reminder goes out): idempotent, so delivering them again is always safe.
   */
  deliverNow(signals: readonly OutboxSignal[]): Promise<void> {
    return this.deliver(signals, true);
  }

  /** Resolves when nothing this process committed waits for publication (tests, benchmarks, shutdown). */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
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
      prepared: typeof row.refs === 'string' ? (JSON.parse(row.refs) as ProjectionRef[]) : [],
    }));
    const found: Pending[] = [];
    const orphans: string[] = [];
    for (const m of page.items) {
      const row = await getRow(this.client(m.table), m.partitionKey, m.rowKey);
      if (row) found.push(pendingOf(m, row));
      else {
        // Never committed (or already published): what its `prepare` derived ahead is re-derived.
        if (m.prepared.length > 0) await this.reproject(m.table, m.prepared);
        orphans.push(m.marker);
      }
    }
    if (found.length > 0) {
      try {
        await this.publish(found);
      } catch (err) {
        this.options.onPublishError?.(err); // left pending: the next sweep tries again
      }
    }
    await this.deleteMarkers(orphans);
    return page.items.length;
  }

  /** Publishes every outbox row left in `table`, marker or not. A full scan: maintenance only. */
  async deepSweep(table: TableClient): Promise<number> {
    this.clients.set(table.tableName, table);
    const rows = await queryAll(table, rowKeyPrefix(OUTBOX_ROW_PREFIX), (row) => row);
    const found = rows.map((row) =>
      pendingOf(
        {
          table: table.tableName,
          partitionKey: String(row.partitionKey),
          rowKey: String(row.rowKey),
          marker: '',
        },
        row,
      ),
    );
    if (found.length > 0) await this.publish(found);
    return rows.length;
  }

  // ---- publication ------------------------------------------------------------------------------

  private enqueue(pending: Pending): void {
    this.queue.push(pending);
    this.startDrain();
  }

  // One drain at a time; it starts on the next turn of the event loop, so that the commits of
  // requests running concurrently are published together.
  private startDrain(): void {
    // Detached from the call that queued it: its requests are publication's, not the call's. A
    // short wait lets the commits of calls arriving together be published in the same batches.
    this.flushing ??= detached(
      () => new Promise<void>((resolve) => setTimeout(resolve, PUBLISH_WINDOW_MS).unref()),
    ).then(() => detached(() => this.drain()));
  }

  // Publishes what is queued in groups; what fails is retried after a while, then left to the sweeper.
  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0, PUBLISH_GROUP);
        this.inFlight += group.length;
        try {
          await this.publish(group);
        } catch (err) {
          this.options.onPublishError?.(err);
          for (const p of group) this.retryLater(p);
        } finally {
          this.inFlight -= group.length;
        }
      }
    } finally {
      this.flushing = undefined;
      if (this.queue.length > 0) this.startDrain();
      this.notifyIdle();
    }
  }

  private retryLater(p: Pending): void {
    const delay = RETRY_DELAYS_MS[p.attempts];
    p.attempts++;
    if (delay === undefined) return; // the sweeper will find its marker
    this.inFlight++;
    setTimeout(() => {
      this.inFlight--;
      this.enqueue(p);
    }, delay).unref();
  }

  private async publish(items: Pending[]): Promise<void> {
    await this.options.audit.append(items.flatMap((p) => p.audits));
    this.crash('afterAuditWritten');
    const byTable = new Map<string, ProjectionRef[]>();
    for (const p of items) byTable.set(p.table, [...(byTable.get(p.table) ?? []), ...p.refs]);
    for (const [table, refs] of byTable) {
      for (const projector of this.projectors) await projector(table, refs);
    }
    this.crash('afterProjected');
    const fresh = items.filter((p) => !p.swept).flatMap((p) => p.signals.slice(p.delivered));
    const swept = items.filter((p) => p.swept).flatMap((p) => p.signals.slice(p.delivered));
    if (fresh.length > 0) await this.deliver(fresh, false);
    if (swept.length > 0) await this.deliver(swept, true);
    for (const p of items) p.delivered = p.signals.length;
    this.crash('afterSignalled');
    await this.deleteOutboxRows(items);
    this.crash('afterOutboxDeleted');
    await this.deleteMarkers(items.map((p) => p.marker).filter((m) => m !== ''));
  }

  private async writeMarker(
    p: { table: string; partitionKey: string; rowKey: string; marker: string },
    refs?: string,
  ): Promise<void> {
    await ensureTable(this.markers);
    await this.markers.createEntity({
      partitionKey: PENDING,
      rowKey: p.marker,
      table: p.table,
      targetPartitionKey: p.partitionKey,
      targetRowKey: p.rowKey,
      ...(refs ? { refs } : {}),
    });
  }

  /** Nothing was committed: what `prepare` derived ahead goes back to match the rows, the marker goes. */
  private async undo(pending: Pending, prepared: readonly ProjectionRef[]): Promise<void> {
    try {
      if (prepared.length > 0) await this.reproject(pending.table, prepared);
      await this.deleteMarkers([pending.marker]);
    } catch {
      // The marker stays: the sweeper does the same later.
    }
  }

  private async reproject(table: string, refs: readonly ProjectionRef[]): Promise<void> {
    for (const projector of this.projectors) await projector(table, refs);
  }

  private async deliver(signals: readonly OutboxSignal[], redelivery: boolean): Promise<void> {
    if (!this.sink) throw new Error('outbox: no signal sink registered yet; publication will retry');
    await this.sink(signals, { redelivery });
  }

  private async deleteOutboxRows(items: Pending[]): Promise<void> {
    const groups = new Map<string, Pending[]>();
    for (const p of items) {
      const key = `${p.table}\n${p.partitionKey}`;
      groups.set(key, [...(groups.get(key) ?? []), p]);
    }
    await Promise.all(
      [...groups.values()].map((group) =>
        deleteAll(
          this.client(group[0]!.table),
          group[0]!.partitionKey,
          group.map((p) => p.rowKey),
        ),
      ),
    );
  }

  private deleteMarkers(markers: string[]): Promise<void> {
    return deleteAll(this.markers, PENDING, markers);
  }

  private crash(point: CrashPoint): void {
    this.options.crashAt?.(point);
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && this.flushing === undefined && this.inFlight === 0;
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
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

function pendingOf(
  m: { table: string; partitionKey: string; rowKey: string; marker: string },
  row: Record<string, unknown>,
): Pending {
  return {
    ...m,
    audits: DirectoryAudit.array().parse(JSON.parse(String(row.audits ?? '[]'))),
    refs: JSON.parse(String(row.refs ?? '[]')) as ProjectionRef[],
    signals: JSON.parse(String(row.signals ?? '[]')) as OutboxSignal[],
    delivered: 0,
    swept: true,
    attempts: 0,
  };
}

function refOf(entity: Record<string, unknown>): ProjectionRef {
  const ref: ProjectionRef = { partitionKey: String(entity.partitionKey), rowKey: String(entity.rowKey) };
  if (typeof entity.principalId === 'string') ref.principalId = entity.principalId;
  if (typeof entity.groupId === 'string') ref.groupId = entity.groupId;
  if (typeof entity.resource === 'string') ref.resource = entity.resource;
  return ref;
}

/** Deletes rows of one partition in batches; rows already gone are fine. */
async function deleteAll(table: TableClient, partitionKey: string, rowKeys: string[]): Promise<void> {
  const unique = [...new Set(rowKeys)];
  for (let i = 0; i < unique.length; i += MAX_BATCH) {
    const batch = unique.slice(i, i + MAX_BATCH);
    try {
      if (batch.length === 1) await table.deleteEntity(partitionKey, batch[0]!);
      else await table.submitTransaction(batch.map((rk) => ['delete', { partitionKey, rowKey: rk }]));
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
      // Some were gone already (a racing publisher): the rest one by one.
      if (batch.length > 1) {
        await Promise.all(batch.map((rk) => ignore404(table.deleteEntity(partitionKey, rk))));
      }
    }
  }
}

async function ignore404(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
  }
}
