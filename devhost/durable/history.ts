// DTFx history events as the durable-functions library reads them: PascalCase fields, numeric
// EventType, JSON-string payloads (never undefined: the replay JSON.parses them).

export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventRaised: 15,
  ContinueAsNew: 16,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
} as const;

export interface HistoryEvent {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  [field: string]: unknown;
}

export function event(
  type: number,
  at: number,
  fields: Record<string, unknown> = {},
  eventId = -1,
): HistoryEvent {
  return {
    EventType: type,
    EventId: eventId,
    IsPlayed: false,
    Timestamp: new Date(at).toISOString(),
    ...fields,
  };
}

/** A value as the JSON string the history carries; `undefined` becomes "null". */
export function toJsonPayload(value: unknown): string {
  return value === undefined ? 'null' : JSON.stringify(value);
}

/** Completion events name the task they complete by one of these keys. */
export function completedTaskId(e: HistoryEvent): number | undefined {
  switch (e.EventType) {
    case EventType.TaskCompleted:
    case EventType.TaskFailed:
    case EventType.SubOrchestrationInstanceCompleted:
    case EventType.SubOrchestrationInstanceFailed:
      return e.TaskScheduledId as number;
    case EventType.TimerFired:
      return e.TimerId as number;
    default:
      return undefined;
  }
}

/** Events that open a task, by the id they open. */
export function scheduledTaskId(e: HistoryEvent): number | undefined {
  switch (e.EventType) {
    case EventType.TaskScheduled:
    case EventType.SubOrchestrationInstanceCreated:
    case EventType.TimerCreated:
      return e.EventId;
    default:
      return undefined;
  }
}

export type RuntimeStatus =
  | 'Pending'
  | 'Running'
  | 'Completed'
  | 'Failed'
  | 'Terminated'
  | 'Suspended'
  | 'ContinuedAsNew';

export const TERMINAL: ReadonlySet<string> = new Set(['Completed', 'Failed', 'Terminated']);
