// The durable engine: drives the app's orchestrator, activity and (sub-)orchestration functions
// through the real durable-functions library, the way the Durable Task extension does in Azure:
// every episode replays the persisted history plus new events, the library answers with its
// cumulative actions, and the engine checkpoints the difference atomically (see store.ts).
import { randomUUID } from 'node:crypto';
import type { TransactionAction } from '@azure/data-tables';
import type { HostClock } from '../clock';
import type { DueScheduler } from '../due-scheduler';
import type { Invoker } from '../invoke';
import type { RegisteredFunction, Registry } from '../registry';
import {
  completedTaskId,
  EventType,
  event,
  type HistoryEvent,
  scheduledTaskId,
  TERMINAL,
  toJsonPayload,
} from './history';
import {
  type ActivityWork,
  activityKey,
  DurableStore,
  type InboxMessage,
  type InstanceState,
  inboxKey,
  type OutboxMessage,
  type OutboxRow,
  outboxKey,
  type ParentRef,
  type Partition,
  type RetryPlan,
  statusOf,
  type TimerWork,
  timerKey,
} from './store';

const MAX_SHORT_TIMER = '10675199.02:48:05.4775807'; // one timer = one sequence id (see notes)
const SCHEMA_V4 = 3;

export interface EngineOptions {
  hubName: string;
  connectionString: string;
  clock: HostClock;
  scheduler: DueScheduler;
  invoker: Invoker;
  registry: Registry;
  log: (line: string) => void;
  maxConcurrentOrchestrations?: number;
  maxConcurrentActivities?: number;
  /** Fault injection for crash tests: the host SIGKILLs itself at this point, once. */
  fault?: string;
}

export class InstanceExistsError extends Error {}

interface LibraryAction {
  actionType: number;
  functionName?: string;
  input?: unknown;
  instanceId?: string;
  fireAt?: Date;
  isCanceled?: boolean;
  retryOptions?: Record<string, number>;
  compoundActions?: LibraryAction[];
}

interface OrchestratorResult {
  isDone: boolean;
  actions: LibraryAction[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
}

export class DurableEngine {
  readonly store: DurableStore;
  private readonly dirty = new Set<string>();
  private readonly runningEpisodes = new Set<string>();
  private readonly activityQueue: ActivityWork[] = [];
  private readonly knownActivities = new Set<string>();
  private activeActivities = 0;
  private readonly maxEpisodes: number;
  private readonly maxActivities: number;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  private readonly completionWaiters = new Map<string, Set<() => void>>();
  /**
   * Each running instance's partition as of our last checkpoint. This host is the only writer, so
   * an episode need not read it back; the instance row's ETag still guards every checkpoint.
   */
  private readonly partitions = new Map<string, Partition>();
  /** Activity results and timer firings waiting for the next episode (see InboxMessage.source). */
  private readonly handoffs = new Map<string, InboxMessage[]>();

  constructor(private readonly o: EngineOptions) {
    this.store = new DurableStore(o.connectionString, o.hubName);
    this.maxEpisodes = o.maxConcurrentOrchestrations ?? 10;
    this.maxActivities = o.maxConcurrentActivities ?? 10;
  }

  /** Creates the table and resumes whatever a previous run of the host left unfinished. */
  async start(): Promise<void> {
    await this.store.init();
    const pending = await this.store.scanPendingWork();
    for (const a of pending.activities) this.enqueueActivity(a);
    for (const t of pending.timers) this.scheduleTimer(t);
    for (const o of pending.outbox) void this.deliver(o);
    for (const m of pending.inbox) this.kick(m.rowKey);
    const resumed =
      pending.activities.length + pending.timers.length + pending.inbox.length + pending.outbox.length;
    if (resumed > 0) this.o.log(`[durable] resumed ${resumed} pending work items`);
  }

  stop(): void {
    this.stopped = true;
  }

  // ---- client operations -------------------------------------------------------------------

  async startNew(
    name: string,
    instanceId: string | undefined,
    inputJson: string,
    parent: ParentRef | null = null,
  ): Promise<string> {
    const fn = this.orchestrator(name);
    if (!fn) throw new Error(`No orchestrator function named "${name}" is registered.`);
    const id = instanceId ?? randomUUID().replace(/-/g, '');
    const now = this.o.clock.now();
    const executionId = randomUUID().replace(/-/g, '');
    const state: InstanceState = {
      instanceId: id,
      name,
      input: inputJson,
      output: 'null',
      customStatus: 'null',
      runtimeStatus: 'Pending',
      createdTime: new Date(now).toISOString(),
      lastUpdatedTime: new Date(now).toISOString(),
      completedTime: '',
      executionId,
      historyLength: 0,
      nextSeq: 0,
      processedActions: 0,
      actionIds: [],
      parent,
    };
    const started: InboxMessage = {
      rowKey: inboxKey(now),
      executionId,
      event: event(EventType.ExecutionStarted, now, {
        Name: name,
        Version: '',
        Input: inputJson,
        OrchestrationInstance: { InstanceId: id, ExecutionId: executionId },
        ParentInstance: parent
          ? {
              Name: parent.name,
              OrchestrationInstance: { InstanceId: parent.instanceId, ExecutionId: parent.executionId },
              TaskScheduleId: parent.taskId,
            }
          : null,
        Tags: null,
      }),
    };
    const inboxRow: TransactionAction = ['create', this.store.inboxEntity(id, started)];
    const exists = () => new InstanceExistsError(`An instance with ID '${id}' already exists.`);
    // Optimistically a new instance: one write. Only an id that is taken costs a read, to decide
    // whether the earlier instance has finished (then it is replaced) or still runs (refused).
    let etag: string | undefined;
    let existing: InstanceState | undefined;
    try {
      etag = await this.store.commit([['create', this.store.stateEntity(state)], inboxRow]);
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
      existing = await this.store.getState(id);
      if (!existing || !TERMINAL.has(existing.runtimeStatus)) throw exists();
      try {
        etag = await this.store.commit([
          ['update', this.store.stateEntity(state), 'Replace', { etag: existing.etag }],
          inboxRow,
        ]);
      } catch (again) {
        const code = statusOf(again);
        if (code === 409 || code === 412) throw exists();
        throw again;
      }
    }
    this.handoffs.delete(id);
    this.partitions.set(id, {
      state: { ...state, etag },
      history: [],
      inbox: [started],
      activities: [],
      timers: [],
      outbox: [],
    });
    if (existing) void this.store.deleteOtherExecutions(id, executionId).catch(() => undefined);
    this.kick(id);
    return id;
  }

  /** 'accepted' | 'notFound' | 'gone' (already finished), like the Durable HTTP API's 202/404/410. */
  async sendControl(instanceId: string, ev: HistoryEvent): Promise<'accepted' | 'notFound' | 'gone'> {
    // An instance this host is running needs no read: it exists and has not finished.
    if (!this.partitions.has(instanceId)) {
      const state = await this.store.getState(instanceId);
      if (!state) return 'notFound';
      if (TERMINAL.has(state.runtimeStatus)) return 'gone';
    }
    const message: InboxMessage = { rowKey: inboxKey(this.o.clock.now()), event: ev };
    await this.store.commit([['create', this.store.inboxEntity(instanceId, message)]]);
    this.partitions.get(instanceId)?.inbox.push(message);
    this.crashIf('afterEventAccepted');
    this.kick(instanceId);
    return 'accepted';
  }

  raiseEvent(instanceId: string, name: string, inputJson: string) {
    return this.sendControl(
      instanceId,
      event(EventType.EventRaised, this.o.clock.now(), { Name: name, Input: inputJson }),
    );
  }

  terminate(instanceId: string, reason: string) {
    return this.sendControl(
      instanceId,
      event(EventType.ExecutionTerminated, this.o.clock.now(), { Input: toJsonPayload(reason) }),
    );
  }

  suspend(instanceId: string, reason: string) {
    return this.sendControl(
      instanceId,
      event(EventType.ExecutionSuspended, this.o.clock.now(), { Reason: reason }),
    );
  }

  resume(instanceId: string, reason: string) {
    return this.sendControl(
      instanceId,
      event(EventType.ExecutionResumed, this.o.clock.now(), { Reason: reason }),
    );
  }

  async purge(instanceId: string): Promise<number> {
    const state = await this.store.getState(instanceId);
    if (!state) return 0;
    if (!TERMINAL.has(state.runtimeStatus))
      throw new InstanceExistsError(`Instance '${instanceId}' is still running.`);
    this.partitions.delete(instanceId);
    return this.store.deletePartition(instanceId);
  }

  /** Resolves when the instance reaches a final status, or after `timeoutMs` (false). */
  async waitForCompletion(instanceId: string, timeoutMs: number): Promise<boolean> {
    const done = async () =>
      TERMINAL.has((await this.store.getState(instanceId, false))?.runtimeStatus ?? '');
    if (await done()) return true;
    return new Promise((resolve) => {
      const waiters = this.completionWaiters.get(instanceId) ?? new Set();
      this.completionWaiters.set(instanceId, waiters);
      const finish = (value: boolean) => {
        clearTimeout(timer);
        waiters.delete(onComplete);
        if (waiters.size === 0) this.completionWaiters.delete(instanceId);
        resolve(value);
      };
      const onComplete = () => finish(true);
      const timer = setTimeout(() => void done().then(finish), timeoutMs);
      waiters.add(onComplete);
    });
  }

  /** Resolves when no episode, activity or due work is running or queued (for tests and benchmarks). */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  // ---- scheduling ------------------------------------------------------------------------------

  kick(instanceId: string): void {
    this.dirty.add(instanceId);
    this.pumpEpisodes();
  }

  private pumpEpisodes(): void {
    if (this.stopped) return;
    for (const id of this.dirty) {
      if (this.runningEpisodes.size >= this.maxEpisodes) break;
      if (this.runningEpisodes.has(id)) continue;
      this.dirty.delete(id);
      this.runningEpisodes.add(id);
      this.runEpisode(id)
        .catch((err) => {
          this.o.log(
            `[durable] episode of ${id} failed, will retry: ${err instanceof Error ? err.message : err}`,
          );
          setTimeout(() => this.kick(id), 500).unref();
        })
        .finally(() => {
          this.runningEpisodes.delete(id);
          this.pumpEpisodes();
          this.notifyIdle();
        });
    }
  }

  private enqueueActivity(a: ActivityWork): void {
    const key = `${a.instanceId}|${a.rowKey}`;
    if (this.knownActivities.has(key)) return;
    this.knownActivities.add(key);
    this.activityQueue.push(a);
    this.pumpActivities();
  }

  private pumpActivities(): void {
    while (!this.stopped && this.activeActivities < this.maxActivities && this.activityQueue.length > 0) {
      const work = this.activityQueue.shift() as ActivityWork;
      this.activeActivities++;
      this.runActivity(work)
        .catch((err) => {
          this.o.log(`[durable] activity ${work.name} could not record its result, will retry: ${err}`);
          setTimeout(() => {
            this.knownActivities.delete(`${work.instanceId}|${work.rowKey}`);
            this.enqueueActivity(work);
          }, 500).unref();
          return 'retrying';
        })
        .then((outcome) => {
          if (outcome !== 'retrying') this.knownActivities.delete(`${work.instanceId}|${work.rowKey}`);
        })
        .finally(() => {
          this.activeActivities--;
          this.pumpActivities();
          this.notifyIdle();
        });
    }
  }

  private scheduleTimer(t: TimerWork): void {
    this.o.scheduler.schedule(`durable:${t.instanceId}|${t.rowKey}`, t.fireAt, () => {
      void this.fireTimer(t).catch((err) => {
        this.o.log(`[durable] timer of ${t.instanceId} could not fire, will retry: ${err}`);
        setTimeout(() => this.scheduleTimer(t), 500).unref();
      });
    });
  }

  private isIdle(): boolean {
    return (
      this.dirty.size === 0 &&
      this.runningEpisodes.size === 0 &&
      this.activeActivities === 0 &&
      this.activityQueue.length === 0
    );
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private crashIf(point: string): void {
    if (this.o.fault === point) {
      this.o.log(`[durable] fault injection: SIGKILL at ${point}`);
      process.kill(process.pid, 'SIGKILL');
    }
  }

  private orchestrator(name: string): RegisteredFunction | undefined {
    const fn = this.o.registry.get(name);
    return fn && isTriggerOf(fn, 'orchestrationtrigger') ? fn : undefined;
  }

  // ---- activities, timers, outbox --------------------------------------------------------------

  private async runActivity(w: ActivityWork): Promise<void> {
    const fn = this.o.registry.get(w.name);
    let result: HistoryEvent;
    const now = () => this.o.clock.now();
    if (!fn || !isTriggerOf(fn, 'activitytrigger')) {
      result = event(EventType.TaskFailed, now(), {
        TaskScheduledId: w.taskId,
        Reason: `No activity function named "${w.name}" is registered.`,
        Details: '',
      });
    } else {
      try {
        const raw = await this.o.invoker.invokeRaw(fn, { json: w.input === '' ? 'null' : w.input });
        result = event(EventType.TaskCompleted, now(), {
          TaskScheduledId: w.taskId,
          Result: toJsonPayload(raw),
        });
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        result = event(EventType.TaskFailed, now(), {
          TaskScheduledId: w.taskId,
          Reason: e.message,
          Details: e.stack ?? '',
        });
      }
    }
    this.crashIf('afterActivityRun');
    const message: InboxMessage = {
      rowKey: inboxKey(now()),
      event: result,
      executionId: w.executionId,
      source: w.rowKey,
    };
    if (result.EventType === EventType.TaskFailed && w.retry) message.retry = w.retry;
    this.handOff(w.instanceId, message);
  }

  private async fireTimer(t: TimerWork): Promise<void> {
    const at = this.o.clock.now();
    const message: InboxMessage = {
      rowKey: inboxKey(at),
      executionId: t.executionId,
      event: event(EventType.TimerFired, at, {
        TimerId: t.timerId,
        FireAt: new Date(t.fireAt).toISOString(),
      }),
      retry: t.retry,
      source: t.rowKey,
    };
    this.crashIf('afterTimerFired');
    this.handOff(t.instanceId, message);
  }

  private async deliver(row: OutboxRow): Promise<void> {
    const m = row.message;
    try {
      if (m.kind === 'startChild') {
        try {
          await this.startNew(m.name, m.instanceId, m.input, m.parent);
        } catch (err) {
          if (!(err instanceof InstanceExistsError)) {
            // The child cannot start (e.g. unknown orchestrator): fail the parent's task.
            await this.deliverToInbox(m.parent.instanceId, {
              executionId: m.parent.executionId,
              retry: m.parent.retry,
              event: event(EventType.SubOrchestrationInstanceFailed, this.o.clock.now(), {
                TaskScheduledId: m.parent.taskId,
                Reason: err instanceof Error ? err.message : String(err),
                Details: '',
              }),
            });
          }
        }
      } else {
        await this.deliverToInbox(m.instanceId, m.message);
      }
      await this.store.deleteRows(row.instanceId, [row.rowKey]);
    } catch (err) {
      this.o.log(`[durable] outbox delivery failed, will retry: ${err}`);
      setTimeout(() => void this.deliver(row), 500).unref();
    }
  }

  private async deliverToInbox(instanceId: string, message: Omit<InboxMessage, 'rowKey'>): Promise<void> {
    const state = await this.store.getState(instanceId);
    if (!state) return;
    const row: InboxMessage = { ...message, rowKey: inboxKey(this.o.clock.now()) };
    await this.store.commit([['create', this.store.inboxEntity(instanceId, row)]]);
    this.partitions.get(instanceId)?.inbox.push(row);
    this.kick(instanceId);
  }

  // ---- episodes ------------------------------------------------------------------------------

  private handOff(instanceId: string, message: InboxMessage): void {
    const list = this.handoffs.get(instanceId) ?? [];
    list.push(message);
    this.handoffs.set(instanceId, list);
    this.kick(instanceId);
  }

  /** Handed-off messages whose work row still exists; the others are stale (e.g. after terminate). */
  private takeLiveHandoffs(instanceId: string, p: Partition): InboxMessage[] {
    const list = this.handoffs.get(instanceId) ?? [];
    const live = list.filter(
      (m) => p.activities.some((a) => a.rowKey === m.source) || p.timers.some((t) => t.rowKey === m.source),
    );
    if (live.length !== list.length) this.handoffs.set(instanceId, live);
    return live;
  }

  private forgetHandoffs(instanceId: string, consumed: InboxMessage[]): void {
    const list = this.handoffs.get(instanceId);
    if (!list) return;
    const rest = list.filter((m) => !consumed.includes(m));
    if (rest.length === 0) this.handoffs.delete(instanceId);
    else this.handoffs.set(instanceId, rest);
  }

  private async runEpisode(instanceId: string): Promise<void> {
    const p = this.partitions.get(instanceId) ?? (await this.store.loadPartition(instanceId));
    const s = p.state;
    const handed = this.takeLiveHandoffs(instanceId, p);
    if (!s || TERMINAL.has(s.runtimeStatus)) {
      this.partitions.delete(instanceId);
      this.handoffs.delete(instanceId);
      await this.store.deleteRows(
        instanceId,
        p.inbox.map((m) => m.rowKey),
      );
      return;
    }
    if (p.inbox.length === 0 && handed.length === 0) return;
    const now = this.o.clock.now();
    const inbox = [...p.inbox, ...handed].sort((a, b) => a.rowKey.localeCompare(b.rowKey));
    const consumed: InboxMessage[] = [];
    const newEvents: HistoryEvent[] = [];
    const tx: TransactionAction[] = [];
    const newActivities: ActivityWork[] = [];
    const newTimers: TimerWork[] = [];
    const newOutbox: OutboxRow[] = [];
    const deleteRows = new Set<string>();

    const scheduled = new Set(p.history.map(scheduledTaskId).filter((x) => x !== undefined));
    const completed = new Set(p.history.map(completedTaskId).filter((x) => x !== undefined));
    let started = p.history.some((e) => e.EventType === EventType.ExecutionStarted);
    let suspended = s.runtimeStatus === 'Suspended';
    let terminateReason: string | undefined;
    let runOrchestrator = false;
    let hiddenIdTaken = false;

    for (const m of inbox) {
      const ev = m.event;
      const type = ev.EventType;
      if (type === EventType.ExecutionTerminated) {
        consumed.push(m);
        terminateReason = JSON.parse(String(ev.Input ?? 'null')) ?? '';
        newEvents.push(ev);
        break;
      }
      if (type === EventType.ExecutionSuspended || type === EventType.ExecutionResumed) {
        consumed.push(m);
        if ((type === EventType.ExecutionSuspended) !== suspended) newEvents.push(ev);
        suspended = type === EventType.ExecutionSuspended;
        continue;
      }
      if (suspended) continue; // everything else waits for resume
      if (type === EventType.ExecutionStarted) {
        consumed.push(m);
        if (!started && m.executionId === s.executionId) {
          started = true;
          newEvents.push(ev);
          runOrchestrator = true;
        }
        continue;
      }
      if (type === EventType.EventRaised) {
        if (!started) continue; // keep it until the execution has started
        consumed.push(m);
        newEvents.push(ev);
        runOrchestrator = true;
        continue;
      }
      const taskId = completedTaskId(ev);
      if (taskId === undefined) {
        consumed.push(m);
        continue;
      }
      const stale =
        (m.executionId !== undefined && m.executionId !== s.executionId) ||
        completed.has(taskId) ||
        !scheduled.has(taskId);
      if (stale) {
        consumed.push(m);
        continue;
      }
      if (m.retry) {
        // A retry step takes a hidden sequence id that the library assigns while replaying this
        // very event, so it must be the first new completion of an episode, and the only one.
        if (runOrchestrator || hiddenIdTaken) break;
        hiddenIdTaken = true;
      }
      consumed.push(m);
      completed.add(taskId);
      newEvents.push(ev);
      runOrchestrator = true;
      if (m.retry) this.planRetryStep(s, m, now, newEvents, newActivities, newTimers, newOutbox, scheduled);
      if (hiddenIdTaken) break;
    }

    if (consumed.length === 0 && newEvents.length === 0) return;

    let finalStatus: string = suspended ? 'Suspended' : started ? 'Running' : s.runtimeStatus;
    let output = s.output;
    let customStatus = s.customStatus;
    let continueAsNewInput: string | undefined;
    let failure: { message: string; details: string } | undefined;
    const oldHistoryLength = p.history.length;
    const episodeEvents: HistoryEvent[] = [event(EventType.OrchestratorStarted, now), ...newEvents];

    if (terminateReason !== undefined) {
      finalStatus = 'Terminated';
      output = toJsonPayload(terminateReason);
      episodeEvents.push(
        event(EventType.ExecutionCompleted, now, { OrchestrationStatus: 'Terminated', Result: output }),
      );
      for (const a of p.activities) deleteRows.add(a.rowKey);
      for (const t of p.timers) deleteRows.add(t.rowKey);
    } else if (runOrchestrator && !suspended) {
      const outcome = await this.replay(s, [...p.history, ...episodeEvents], p.history.length);
      customStatus = toJsonPayload(outcome.state?.customStatus ?? null);
      if (outcome.failure) {
        failure = outcome.failure;
      } else if (outcome.state) {
        const applied = this.applyActions(
          s,
          outcome.state,
          now,
          episodeEvents,
          newActivities,
          newTimers,
          newOutbox,
          deleteRows,
          p.timers,
        );
        if (applied.unsupported) failure = { message: applied.unsupported, details: '' };
        else if (applied.continueAsNew !== undefined) continueAsNewInput = applied.continueAsNew;
        else if (outcome.state.isDone) {
          finalStatus = 'Completed';
          output = toJsonPayload(outcome.state.output);
          episodeEvents.push(
            event(EventType.ExecutionCompleted, now, { OrchestrationStatus: 'Completed', Result: output }),
          );
        }
      }
      if (failure) {
        finalStatus = 'Failed';
        output = toJsonPayload(failure.message);
        episodeEvents.push(
          event(EventType.ExecutionCompleted, now, {
            OrchestrationStatus: 'Failed',
            Result: output,
            FailureDetails: {
              ErrorType: 'Error',
              ErrorMessage: failure.message,
              StackTrace: failure.details,
            },
          }),
        );
      }
      if (TERMINAL.has(finalStatus)) {
        // Work the orchestration no longer waits for (e.g. the loser of a Task.any) goes.
        for (const a of p.activities) deleteRows.add(a.rowKey);
        for (const t of p.timers) deleteRows.add(t.rowKey);
        newActivities.length = 0;
        newTimers.length = 0;
      }
    }
    episodeEvents.push(event(EventType.OrchestratorCompleted, now));

    // Parents learn how their sub-orchestration ended.
    if (TERMINAL.has(finalStatus) && s.parent) {
      const parentEvent =
        finalStatus === 'Completed'
          ? event(EventType.SubOrchestrationInstanceCompleted, now, {
              TaskScheduledId: s.parent.taskId,
              Result: output,
            })
          : event(EventType.SubOrchestrationInstanceFailed, now, {
              TaskScheduledId: s.parent.taskId,
              Reason:
                finalStatus === 'Terminated'
                  ? `Sub-orchestration terminated: ${JSON.parse(output)}`
                  : JSON.parse(output),
              Details: failure?.details ?? '',
            });
      newOutbox.push({
        instanceId,
        rowKey: outboxKey(),
        message: {
          kind: 'deliver',
          instanceId: s.parent.instanceId,
          message: {
            event: parentEvent,
            executionId: s.parent.executionId,
            retry: finalStatus === 'Completed' ? undefined : s.parent.retry,
          },
        },
      });
    }

    // The new state row.
    const next: InstanceState = {
      ...s,
      runtimeStatus: finalStatus,
      output,
      customStatus,
      lastUpdatedTime: new Date(now).toISOString(),
      completedTime: TERMINAL.has(finalStatus) ? new Date(now).toISOString() : s.completedTime,
      historyLength: oldHistoryLength + episodeEvents.length,
    };
    const historyRows: TransactionAction[] = episodeEvents.map((ev, i) => [
      'upsert',
      this.store.historyEntity(instanceId, s.executionId, oldHistoryLength + i, ev),
      'Replace',
    ]);
    let restartInbox: InboxMessage | undefined;
    if (continueAsNewInput !== undefined) {
      // A new execution: fresh history and counters, same instance id; pending work of the old one goes.
      next.executionId = randomUUID().replace(/-/g, '');
      next.input = continueAsNewInput;
      next.historyLength = 0;
      next.nextSeq = 0;
      next.processedActions = 0;
      next.actionIds = [];
      next.runtimeStatus = 'Running';
      for (const a of p.activities) deleteRows.add(a.rowKey);
      for (const t of p.timers) deleteRows.add(t.rowKey);
      newActivities.length = 0;
      newTimers.length = 0;
      historyRows.length = 0;
      restartInbox = {
        rowKey: inboxKey(now),
        executionId: next.executionId,
        event: event(EventType.ExecutionStarted, now, {
          Name: s.name,
          Version: '',
          Input: continueAsNewInput,
          OrchestrationInstance: { InstanceId: instanceId, ExecutionId: next.executionId },
          ParentInstance: null,
          Tags: null,
        }),
      };
    }

    for (const m of consumed) {
      if (m.source)
        deleteRows.add(m.source); // the work row goes with the recorded result
      else tx.push(['delete', { partitionKey: instanceId, rowKey: m.rowKey }]);
    }
    tx.unshift(['update', this.store.stateEntity(next), 'Replace', { etag: s.etag }]);
    for (const rk of deleteRows) tx.push(['delete', { partitionKey: instanceId, rowKey: rk }]);
    if (restartInbox) tx.push(['create', this.store.inboxEntity(instanceId, restartInbox)]);
    let work: TransactionAction[] = [
      ...newActivities.map((a): TransactionAction => ['upsert', this.store.activityEntity(a), 'Replace']),
      ...newTimers.map((t): TransactionAction => ['upsert', this.store.timerEntity(t), 'Replace']),
      ...newOutbox.map((o): TransactionAction => ['upsert', this.store.outboxEntity(o), 'Replace']),
    ];
    let prelude: TransactionAction[] = [];
    if (tx.length + historyRows.length + work.length <= 100) {
      tx.push(...historyRows, ...work);
    } else {
      // Too big for one transaction: rows that are invisible until the state row points past them
      // (history beyond HistoryLength) or harmless if orphaned (deterministic upserts) go first.
      prelude = [...historyRows, ...work];
      work = [];
    }
    this.crashIf('beforeCheckpoint');
    let etag: string | undefined;
    try {
      etag = await this.store.commit(tx, prelude);
    } catch (err) {
      this.partitions.delete(instanceId); // our view may be stale: read storage next time
      if (statusOf(err) === 412 || statusOf(err) === 404 || statusOf(err) === 409) {
        this.kick(instanceId); // someone else moved the state on; replay from the new state
        return;
      }
      throw err;
    }
    this.crashIf('afterCheckpoint');
    this.forgetHandoffs(instanceId, consumed);
    if (TERMINAL.has(next.runtimeStatus)) this.partitions.delete(instanceId);
    else {
      const consumedKeys = new Set(consumed.map((m) => m.rowKey));
      this.partitions.set(instanceId, {
        state: { ...next, etag },
        history: continueAsNewInput !== undefined ? [] : [...p.history, ...episodeEvents],
        inbox: [
          ...p.inbox.filter((m) => !consumedKeys.has(m.rowKey)),
          ...(restartInbox ? [restartInbox] : []),
        ],
        activities: [...p.activities.filter((a) => !deleteRows.has(a.rowKey)), ...newActivities],
        timers: [...p.timers.filter((t) => !deleteRows.has(t.rowKey)), ...newTimers],
        outbox: [],
      });
    }

    if (TERMINAL.has(next.runtimeStatus)) for (const w of this.completionWaiters.get(instanceId) ?? []) w();
    for (const a of newActivities) this.enqueueActivity(a);
    for (const t of newTimers) this.scheduleTimer(t);
    for (const rk of deleteRows) this.o.scheduler.cancel(`durable:${instanceId}|${rk}`);
    for (const o of newOutbox) void this.deliver(o);
    if (continueAsNewInput !== undefined)
      void this.store.deleteOtherExecutions(instanceId, next.executionId).catch(() => undefined);
    if (consumed.length < inbox.length || restartInbox) this.kick(instanceId);
  }

  /** Host side of a retry: after a failed attempt a retry timer; when it fires, the next attempt. */
  private planRetryStep(
    s: InstanceState,
    m: InboxMessage,
    now: number,
    newEvents: HistoryEvent[],
    activities: ActivityWork[],
    timers: TimerWork[],
    outbox: OutboxRow[],
    scheduled: Set<number | undefined>,
  ): void {
    const plan = m.retry as RetryPlan;
    const id = s.nextSeq++;
    scheduled.add(id);
    if (m.event.EventType !== EventType.TimerFired) {
      if (plan.attempt >= plan.maxNumberOfAttempts) {
        // Out of attempts: the library still waits for one (zero-length) timer, then fails the task.
        newEvents.push(event(EventType.TimerCreated, now, { FireAt: new Date(now).toISOString() }, id));
        newEvents.push(
          event(EventType.TimerFired, now, { TimerId: id, FireAt: new Date(now).toISOString() }),
        );
        return;
      }
      const delay = Math.min(
        plan.firstRetryIntervalInMilliseconds * plan.backoffCoefficient ** (plan.attempt - 1),
        plan.maxRetryIntervalInMilliseconds,
      );
      addTimer(s, id, now + delay, now, newEvents, timers, { ...plan, attempt: plan.attempt + 1 });
      return;
    }
    // The retry timer fired: schedule the next attempt under a new hidden id.
    if (plan.kind === 'activity') {
      newEvents.push(event(EventType.TaskScheduled, now, { Name: plan.name, Input: plan.input }, id));
      activities.push({
        instanceId: s.instanceId,
        rowKey: activityKey(s.executionId, id),
        executionId: s.executionId,
        taskId: id,
        name: plan.name,
        input: plan.input,
        retry: plan,
      });
    } else {
      const childId = `${plan.instanceId ?? `${s.instanceId}:${id}`}`;
      newEvents.push(
        event(
          EventType.SubOrchestrationInstanceCreated,
          now,
          { Name: plan.name, InstanceId: childId, Input: plan.input },
          id,
        ),
      );
      outbox.push({
        instanceId: s.instanceId,
        rowKey: outboxKey(),
        message: {
          kind: 'startChild',
          instanceId: childId,
          name: plan.name,
          input: plan.input,
          parent: {
            instanceId: s.instanceId,
            executionId: s.executionId,
            taskId: id,
            name: s.name,
            retry: plan,
          },
        },
      });
    }
  }

  /** Runs the orchestrator over the history; the library's state, or how it failed. */
  private async replay(
    s: InstanceState,
    history: HistoryEvent[],
    playedCount: number,
  ): Promise<{ state?: OrchestratorResult; failure?: { message: string; details: string } }> {
    const fn = this.orchestrator(s.name);
    if (!fn)
      return {
        failure: { message: `No orchestrator function named "${s.name}" is registered.`, details: '' },
      };
    const payload = {
      history: history.map((e, i) => ({ ...e, IsPlayed: i < playedCount })),
      input: JSON.parse(s.input),
      instanceId: s.instanceId,
      isReplaying: playedCount > 0,
      parentInstanceId: s.parent?.instanceId ?? '',
      upperSchemaVersion: SCHEMA_V4,
      upperSchemaVersionNew: SCHEMA_V4,
      longRunningTimerIntervalDuration: '3.00:00:00',
      maximumShortTimerDuration: MAX_SHORT_TIMER,
      defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
    };
    try {
      const state = (await this.o.invoker.invokeRaw(fn, {
        string: JSON.stringify(payload),
      })) as OrchestratorResult;
      return { state };
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      const marker = text.indexOf('$OutOfProcData$:');
      if (marker >= 0) {
        try {
          const state = JSON.parse(text.slice(marker + '$OutOfProcData$:'.length)) as OrchestratorResult;
          return { state, failure: { message: state.error ?? 'Orchestrator failed', details: '' } };
        } catch {
          // fall through
        }
      }
      return { failure: { message: text, details: err instanceof Error ? (err.stack ?? '') : '' } };
    }
  }

  /** Turns the library's new actions into history events and pending work. */
  private applyActions(
    s: InstanceState,
    state: OrchestratorResult,
    now: number,
    events: HistoryEvent[],
    activities: ActivityWork[],
    timers: TimerWork[],
    outbox: OutboxRow[],
    deleteRows: Set<string>,
    pendingTimers: TimerWork[],
  ): { continueAsNew?: string; unsupported?: string } {
    const unique = uniqueActions(state.actions);
    // Timers cancelled since they were scheduled (e.g. the loser of a Task.any) need not fire.
    for (let k = 0; k < Math.min(s.processedActions, unique.length); k++) {
      const a = unique[k];
      if (a.actionType === 5 && a.isCanceled) {
        const pending = pendingTimers.find((t) => t.timerId === s.actionIds[k]);
        if (pending) deleteRows.add(pending.rowKey);
      }
    }
    let continueAsNew: string | undefined;
    for (let k = s.processedActions; k < unique.length; k++) {
      const a = unique[k];
      let id = -1;
      switch (a.actionType) {
        case 0:
        case 1: {
          id = s.nextSeq++;
          const input = typeof a.input === 'string' ? a.input : toJsonPayload(a.input);
          const name = String(a.functionName);
          events.push(event(EventType.TaskScheduled, now, { Name: name, Input: input }, id));
          const retry =
            a.actionType === 1
              ? retryPlan('activity', name, input, undefined, a.retryOptions ?? {})
              : undefined;
          activities.push({
            instanceId: s.instanceId,
            rowKey: activityKey(s.executionId, id),
            executionId: s.executionId,
            taskId: id,
            name,
            input,
            retry,
          });
          break;
        }
        case 2:
        case 3: {
          id = s.nextSeq++;
          const input = toJsonPayload(a.input);
          const name = String(a.functionName);
          const childId = a.instanceId || `${s.instanceId}:${id}`;
          const retry =
            a.actionType === 3
              ? retryPlan('subOrchestration', name, input, a.instanceId, a.retryOptions ?? {})
              : undefined;
          events.push(
            event(
              EventType.SubOrchestrationInstanceCreated,
              now,
              { Name: name, InstanceId: childId, Input: input },
              id,
            ),
          );
          const parent: ParentRef = {
            instanceId: s.instanceId,
            executionId: s.executionId,
            taskId: id,
            name: s.name,
            retry,
          };
          const message: OutboxMessage = { kind: 'startChild', instanceId: childId, name, input, parent };
          outbox.push({ instanceId: s.instanceId, rowKey: outboxKey(), message });
          break;
        }
        case 4:
          continueAsNew = toJsonPayload(typeof a.input === 'string' ? JSON.parse(a.input) : a.input);
          break;
        case 5: {
          id = s.nextSeq++;
          if (!a.isCanceled) addTimer(s, id, new Date(a.fireAt as Date).getTime(), now, events, timers);
          break;
        }
        case 6:
          break; // waiting for an external event takes no id
        default:
          return {
            unsupported: `The devhost does not support durable action type ${a.actionType} (entities and durable HTTP).`,
          };
      }
      s.actionIds.push(id);
    }
    s.processedActions = unique.length;
    return { continueAsNew };
  }
}

/** Depth-first through WhenAny/WhenAll, each action object once: the library's id order. */
function uniqueActions(actions: LibraryAction[][]): LibraryAction[] {
  const seen = new Set<LibraryAction>();
  const out: LibraryAction[] = [];
  const walk = (list: LibraryAction[]) => {
    for (const a of list) {
      if (a.actionType === 11 || a.actionType === 12) {
        walk(a.compoundActions ?? []);
        continue;
      }
      if (seen.has(a)) continue;
      seen.add(a);
      out.push(a);
    }
  };
  for (const group of actions) walk(group);
  return out;
}

function retryPlan(
  kind: RetryPlan['kind'],
  name: string,
  input: string,
  instanceId: string | undefined,
  o: Record<string, number>,
): RetryPlan {
  return {
    kind,
    name,
    input,
    instanceId,
    attempt: 1,
    firstRetryIntervalInMilliseconds: o.firstRetryIntervalInMilliseconds ?? 1000,
    maxNumberOfAttempts: o.maxNumberOfAttempts ?? 1,
    backoffCoefficient: o.backoffCoefficient ?? 1,
    maxRetryIntervalInMilliseconds: o.maxRetryIntervalInMilliseconds ?? Number.MAX_SAFE_INTEGER,
  };
}

function isTriggerOf(fn: RegisteredFunction, type: string): boolean {
  return fn.trigger.type.toLowerCase() === type;
}

/** A durable timer: its TimerCreated event and its pending row. */
function addTimer(
  s: InstanceState,
  id: number,
  fireAt: number,
  now: number,
  events: HistoryEvent[],
  timers: TimerWork[],
  retry?: RetryPlan,
): void {
  events.push(event(EventType.TimerCreated, now, { FireAt: new Date(fireAt).toISOString() }, id));
  timers.push({
    instanceId: s.instanceId,
    rowKey: timerKey(s.executionId, id),
    executionId: s.executionId,
    timerId: id,
    fireAt,
    retry,
  });
}
