// Durable state in Azure Table Storage, one partition per orchestration instance, in one table
// (`{Hub}Instances`) so that every checkpoint is a single entity-group transaction:
//   RowKey "state"                 the instance row (status, input, output, counters), ETag-guarded
//   RowKey "h-{exec}-{index}"      history events of execution {exec}; rows past HistoryLength are ignored
//   RowKey "i-{time}-{n}-{rand}"   inbox: completions, timer firings, raised events, control messages
//   RowKey "a-{exec}-{seq}"        an activity waiting to run (deleted with its result's inbox write)
//   RowKey "t-{exec}-{seq}"        a durable timer (FireAt); due -> deleted with a TimerFired inbox write
//   RowKey "o-{rand}"              outbox: messages to other instances (sub-orchestrations, parents)
// A crash at any point leaves either the old or the new state, never half of one; work that was
// in flight is found again by `scanPendingWork` at start.
import { randomBytes } from 'node:crypto';
import {
  odata,
  TableClient,
  type TableEntity,
  type TableEntityResult,
  type TransactionAction,
} from '@azure/data-tables';
import type { HistoryEvent } from './history';

const CHUNK = 30_000; // characters per string property (Table Storage allows 64 KiB per property)
const MAX_BATCH = 100;

export interface InstanceState {
  instanceId: string;
  name: string;
  input: string; // JSON
  output: string; // JSON
  customStatus: string; // JSON
  runtimeStatus: string;
  createdTime: string;
  lastUpdatedTime: string;
  completedTime: string;
  executionId: string;
  historyLength: number;
  nextSeq: number;
  processedActions: number;
  /** Sequence id given to each processed action (-1 where the action takes none). */
  actionIds: number[];
  parent: ParentRef | null;
  etag?: string;
}

export interface ParentRef {
  instanceId: string;
  executionId: string;
  taskId: number;
  name: string;
  /** Set when the parent called this sub-orchestration with retry options. */
  retry?: RetryPlan;
}

export interface RetryPlan {
  kind: 'activity' | 'subOrchestration';
  name: string;
  input: string;
  instanceId?: string;
  attempt: number; // 1-based attempt this row or message belongs to
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient: number;
  maxRetryIntervalInMilliseconds: number;
}

export interface InboxMessage {
  rowKey: string;
  event: HistoryEvent;
  /** Execution the message belongs to; completions for an older execution are dropped. */
  executionId?: string;
  retry?: RetryPlan;
  /**
   * Set on activity results and timer firings, which are handed to the next episode in memory
   * instead of being written: the work row they name is deleted by that episode's checkpoint, so a
   * crash before it re-runs the activity (or re-fires the timer) rather than losing anything.
   */
  source?: string;
}

export interface ActivityWork {
  instanceId: string;
  rowKey: string;
  executionId: string;
  taskId: number;
  name: string;
  input: string;
  retry?: RetryPlan;
}

export interface TimerWork {
  instanceId: string;
  rowKey: string;
  executionId: string;
  timerId: number;
  fireAt: number;
  retry?: RetryPlan;
}

export type OutboxMessage =
  | {
      kind: 'startChild';
      instanceId: string;
      name: string;
      input: string;
      parent: ParentRef;
    }
  | { kind: 'deliver'; instanceId: string; message: Omit<InboxMessage, 'rowKey'> };

export interface OutboxRow {
  instanceId: string; // the partition holding the outbox row
  rowKey: string;
  message: OutboxMessage;
}

export interface Partition {
  state?: InstanceState;
  history: HistoryEvent[];
  inbox: InboxMessage[];
  activities: ActivityWork[];
  timers: TimerWork[];
  outbox: OutboxRow[];
}

let inboxCounter = 0;
export function inboxKey(at: number): string {
  inboxCounter = (inboxCounter + 1) % 1_000_000;
  return `i-${String(at).padStart(15, '0')}-${String(inboxCounter).padStart(6, '0')}-${randomBytes(4).toString('hex')}`;
}

export const historyKey = (exec: string, index: number) => `h-${exec}-${String(index).padStart(8, '0')}`;
export const activityKey = (exec: string, seq: number) => `a-${exec}-${String(seq).padStart(8, '0')}`;
export const timerKey = (exec: string, seq: number) => `t-${exec}-${String(seq).padStart(8, '0')}`;
export const outboxKey = () => `o-${randomBytes(8).toString('hex')}`;

function putText(entity: Record<string, unknown>, name: string, text: string): void {
  const parts = Math.max(1, Math.ceil(text.length / CHUNK));
  entity[`${name}Parts`] = parts;
  for (let i = 0; i < parts; i++) entity[`${name}${i}`] = text.slice(i * CHUNK, (i + 1) * CHUNK);
}

function getText(entity: Record<string, unknown>, name: string): string {
  const parts = Number(entity[`${name}Parts`] ?? 0);
  let out = '';
  for (let i = 0; i < parts; i++) out += String(entity[`${name}${i}`] ?? '');
  return out;
}

export class DurableStore {
  readonly table: TableClient;
  /** Table operations issued, for benchmarks. */
  operations = 0;

  constructor(connectionString: string, hubName: string) {
    const tableName = `${hubName.replace(/[^A-Za-z0-9]/g, '')}Instances`;
    this.table = TableClient.fromConnectionString(connectionString, tableName, {
      allowInsecureConnection: true,
    });
  }

  async init(): Promise<void> {
    this.operations++;
    await this.table.createTable();
  }

  stateEntity(s: InstanceState): TableEntity {
    const e: Record<string, unknown> = {
      partitionKey: s.instanceId,
      rowKey: 'state',
      Name: s.name,
      RuntimeStatus: s.runtimeStatus,
      CreatedTime: s.createdTime,
      LastUpdatedTime: s.lastUpdatedTime,
      CompletedTime: s.completedTime,
      ExecutionId: s.executionId,
      HistoryLength: s.historyLength,
      NextSeq: s.nextSeq,
      ProcessedActions: s.processedActions,
      Parent: s.parent ? JSON.stringify(s.parent) : '',
    };
    putText(e, 'Input', s.input);
    putText(e, 'Output', s.output);
    putText(e, 'CustomStatus', s.customStatus);
    putText(e, 'ActionIds', JSON.stringify(s.actionIds));
    return e as TableEntity;
  }

  private parseState(e: TableEntityResult<Record<string, unknown>>): InstanceState {
    return {
      instanceId: String(e.partitionKey),
      name: String(e.Name),
      input: getText(e, 'Input') || 'null',
      output: getText(e, 'Output') || 'null',
      customStatus: getText(e, 'CustomStatus') || 'null',
      runtimeStatus: String(e.RuntimeStatus),
      createdTime: String(e.CreatedTime),
      lastUpdatedTime: String(e.LastUpdatedTime),
      completedTime: String(e.CompletedTime ?? ''),
      executionId: String(e.ExecutionId),
      historyLength: Number(e.HistoryLength ?? 0),
      nextSeq: Number(e.NextSeq ?? 0),
      processedActions: Number(e.ProcessedActions ?? 0),
      actionIds: JSON.parse(getText(e, 'ActionIds') || '[]'),
      parent: e.Parent ? JSON.parse(String(e.Parent)) : null,
      etag: e.etag,
    };
  }

  historyEntity(instanceId: string, exec: string, index: number, ev: HistoryEvent): TableEntity {
    const e: Record<string, unknown> = { partitionKey: instanceId, rowKey: historyKey(exec, index) };
    putText(e, 'Event', JSON.stringify(ev));
    return e as TableEntity;
  }

  inboxEntity(instanceId: string, m: InboxMessage): TableEntity {
    const e: Record<string, unknown> = { partitionKey: instanceId, rowKey: m.rowKey };
    putText(e, 'Message', JSON.stringify({ event: m.event, executionId: m.executionId, retry: m.retry }));
    return e as TableEntity;
  }

  activityEntity(a: ActivityWork): TableEntity {
    const e: Record<string, unknown> = {
      partitionKey: a.instanceId,
      rowKey: a.rowKey,
      ExecutionId: a.executionId,
      TaskId: a.taskId,
      Name: a.name,
      Retry: a.retry ? JSON.stringify(a.retry) : '',
    };
    putText(e, 'Input', a.input);
    return e as TableEntity;
  }

  timerEntity(t: TimerWork): TableEntity {
    return {
      partitionKey: t.instanceId,
      rowKey: t.rowKey,
      ExecutionId: t.executionId,
      TimerId: t.timerId,
      FireAt: new Date(t.fireAt).toISOString(),
      Retry: t.retry ? JSON.stringify(t.retry) : '',
    };
  }

  outboxEntity(o: OutboxRow): TableEntity {
    const e: Record<string, unknown> = { partitionKey: o.instanceId, rowKey: o.rowKey };
    putText(e, 'Message', JSON.stringify(o.message));
    return e as TableEntity;
  }

  private parseRow(e: TableEntityResult<Record<string, unknown>>, into: Partition): void {
    const rk = String(e.rowKey);
    const pk = String(e.partitionKey);
    if (rk === 'state') into.state = this.parseState(e);
    else if (rk.startsWith('i-')) {
      const m = JSON.parse(getText(e, 'Message'));
      into.inbox.push({ rowKey: rk, event: m.event, executionId: m.executionId, retry: m.retry });
    } else if (rk.startsWith('a-')) into.activities.push(this.parseActivity(e));
    else if (rk.startsWith('t-')) into.timers.push(this.parseTimer(e));
    else if (rk.startsWith('o-'))
      into.outbox.push({ instanceId: pk, rowKey: rk, message: JSON.parse(getText(e, 'Message')) });
  }

  private parseActivity(e: TableEntityResult<Record<string, unknown>>): ActivityWork {
    return {
      instanceId: String(e.partitionKey),
      rowKey: String(e.rowKey),
      executionId: String(e.ExecutionId),
      taskId: Number(e.TaskId),
      name: String(e.Name),
      input: getText(e, 'Input'),
      retry: e.Retry ? JSON.parse(String(e.Retry)) : undefined,
    };
  }

  private parseTimer(e: TableEntityResult<Record<string, unknown>>): TimerWork {
    return {
      instanceId: String(e.partitionKey),
      rowKey: String(e.rowKey),
      executionId: String(e.ExecutionId),
      timerId: Number(e.TimerId),
      fireAt: Date.parse(String(e.FireAt)),
      retry: e.Retry ? JSON.parse(String(e.Retry)) : undefined,
    };
  }

  /** `countOperation: false` for reads on behalf of status queries, which benchmarks leave out. */
  async getState(instanceId: string, countOperation = true): Promise<InstanceState | undefined> {
    if (countOperation) this.operations++;
    try {
      return this.parseState(await this.table.getEntity<Record<string, unknown>>(instanceId, 'state'));
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  /** Everything an episode needs: state, the current execution's history, inbox and pending work. */
  async loadPartition(instanceId: string): Promise<Partition> {
    const p: Partition = { history: [], inbox: [], activities: [], timers: [], outbox: [] };
    const historyRows: TableEntityResult<Record<string, unknown>>[] = [];
    const pages = this.table
      .listEntities<Record<string, unknown>>({
        queryOptions: { filter: odata`PartitionKey eq ${instanceId}` },
      })
      .byPage({ maxPageSize: 1000 });
    for await (const page of pages) {
      this.operations++;
      for (const e of page) {
        if (String(e.rowKey).startsWith('h-')) historyRows.push(e);
        else this.parseRow(e, p);
      }
    }
    if (p.state) {
      const prefix = `h-${p.state.executionId}-`;
      const mine = historyRows
        .filter((e) => String(e.rowKey).startsWith(prefix))
        .sort((a, b) => String(a.rowKey).localeCompare(String(b.rowKey)))
        .slice(0, p.state.historyLength);
      p.history = mine.map((e) => JSON.parse(getText(e, 'Event')));
    }
    return p;
  }

  async loadHistory(state: InstanceState): Promise<HistoryEvent[]> {
    const prefix = `h-${state.executionId}-`;
    const events: HistoryEvent[] = [];
    const pages = this.table
      .listEntities<Record<string, unknown>>({
        queryOptions: {
          filter: odata`PartitionKey eq ${state.instanceId} and RowKey ge ${prefix} and RowKey lt ${`${prefix}~`}`,
        },
      })
      .byPage({ maxPageSize: 1000 });
    for await (const page of pages) {
      this.operations++;
      for (const e of page) events.push(JSON.parse(getText(e, 'Event')));
    }
    return events.slice(0, state.historyLength);
  }

  /** Runs `actions` in one partition atomically; over 100 actions, `prelude` rows go first. */
  /** Runs `actions` atomically (one partition); returns the instance row's new ETag if it changed. */
  async commit(actions: TransactionAction[], prelude: TransactionAction[] = []): Promise<string | undefined> {
    for (let i = 0; i < prelude.length; i += MAX_BATCH) {
      this.operations++;
      await this.table.submitTransaction(prelude.slice(i, i + MAX_BATCH));
    }
    if (actions.length === 0) return undefined;
    if (actions.length > MAX_BATCH)
      throw new Error(`checkpoint of ${actions.length} rows exceeds one transaction`);
    this.operations++;
    const response = await this.table.submitTransaction(actions);
    return response.getResponseForEntity('state')?.etag;
  }

  async deleteRows(instanceId: string, rowKeys: string[]): Promise<void> {
    for (let i = 0; i < rowKeys.length; i += MAX_BATCH) {
      this.operations++;
      const batch = rowKeys
        .slice(i, i + MAX_BATCH)
        .map((rk): TransactionAction => ['delete', { partitionKey: instanceId, rowKey: rk }]);
      try {
        await this.table.submitTransaction(batch);
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
        for (const [, entity] of batch) {
          await this.table.deleteEntity(entity.partitionKey, entity.rowKey).catch(() => undefined);
        }
      }
    }
  }

  /** Removes rows of older executions (after continueAsNew or a restart of a finished id). */
  async deleteOtherExecutions(instanceId: string, keepExecutionId: string): Promise<void> {
    const stale: string[] = [];
    for await (const e of this.table.listEntities({
      queryOptions: {
        filter: odata`PartitionKey eq ${instanceId} and RowKey ge 'h-' and RowKey lt 'h.'`,
        select: ['rowKey'],
      },
    })) {
      if (!String(e.rowKey).startsWith(`h-${keepExecutionId}-`)) stale.push(String(e.rowKey));
    }
    await this.deleteRows(instanceId, stale);
  }

  async deletePartition(instanceId: string): Promise<number> {
    const keys: string[] = [];
    for await (const e of this.table.listEntities({
      queryOptions: { filter: odata`PartitionKey eq ${instanceId}`, select: ['rowKey'] },
    })) {
      keys.push(String(e.rowKey));
    }
    const others = keys.filter((k) => k !== 'state');
    await this.deleteRows(instanceId, others);
    if (keys.includes('state')) await this.deleteRows(instanceId, ['state']);
    return keys.includes('state') ? 1 : 0;
  }

  /** Work left by a previous run of the host: pending activities, inboxes, timers, outboxes. */
  async scanPendingWork(): Promise<Partition> {
    const p: Partition = { history: [], inbox: [], activities: [], timers: [], outbox: [] };
    const filter =
      "(RowKey ge 'a-' and RowKey lt 'a.') or (RowKey ge 'i-' and RowKey lt 'i.') or " +
      "(RowKey ge 'o-' and RowKey lt 'o.') or (RowKey ge 't-' and RowKey lt 't.')";
    for await (const page of this.table
      .listEntities<Record<string, unknown>>({ queryOptions: { filter } })
      .byPage({ maxPageSize: 1000 })) {
      this.operations++;
      for (const e of page) {
        if (String(e.rowKey).startsWith('i-')) {
          // Only which instances have inbox rows matters here.
          p.inbox.push({
            rowKey: String(e.partitionKey),
            event: { EventType: -1, EventId: -1, IsPlayed: false, Timestamp: '' },
          });
        } else this.parseRow(e, p);
      }
    }
    return p;
  }

  async queryStates(filter: {
    createdFrom?: string;
    createdTo?: string;
    statuses?: string[];
    top?: number;
    continuationToken?: string;
  }): Promise<{ states: InstanceState[]; continuationToken?: string }> {
    let q = odata`RowKey eq 'state'`;
    if (filter.createdFrom) q += ` and ${odata`CreatedTime ge ${filter.createdFrom}`}`;
    if (filter.createdTo) q += ` and ${odata`CreatedTime le ${filter.createdTo}`}`;
    if (filter.statuses && filter.statuses.length > 0) {
      q += ` and (${filter.statuses.map((s) => odata`RuntimeStatus eq ${s}`).join(' or ')})`;
    }
    const iterator = this.table
      .listEntities<Record<string, unknown>>({ queryOptions: { filter: q } })
      .byPage({ maxPageSize: filter.top ?? 100, continuationToken: filter.continuationToken });
    this.operations++;
    const page = await iterator.next();
    if (page.done) return { states: [] };
    return {
      states: page.value.map((e) => this.parseState(e)),
      continuationToken: page.value.continuationToken,
    };
  }
}

export function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number })?.statusCode;
}
