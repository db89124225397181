// The activation lifecycle's clock, one orchestration per request (instance id = request id).
// Every decision is a command of the activation service, committed with its audit rows before the
// orchestration hears of it (shared/services/activation.ts): the grant, an approver's yes or no,
// MFA, a cancel, a deactivation, an extension. What only time can decide happens here:
//
//   1. pending  - waiting for MFA or an approver: until the request moves on (StateChanged), or the
//                 step's deadline passes and the request times out
//   2. granted  - until the window's end, which extensions move and a deactivation or an admin's
//                 removal cuts short; an "expiring soon" reminder goes out before it
//   3. the end  - access is revoked (and the grant connectors and notices follow from the commit)
//
// A lost or late event loses nothing: when a deadline passes, the service acts only if the request
// has not moved on, and answers with the state as stored. Deterministic: time comes from
// context.df.currentUtcDateTime, I/O only from activities.
import type { OrchestrationContext, Task, TimerTask } from 'durable-functions';
import * as df from 'durable-functions';
import { type ActivationState, isPending } from '../shared/domain/activation';
import {
  ACTIVATION_ORCHESTRATOR,
  ActivationEvent,
  type ActivationInput,
  ActivationStep,
  type ActivationStepName,
  type ActivationSteps,
} from '../shared/domain/activation-contract';

const RETRY = new df.RetryOptions(2_000, 8);
RETRY.backoffCoefficient = 2;
RETRY.maxRetryIntervalInMilliseconds = 60_000;

/** A pending step without a deadline (never written so) still ends. */
const FALLBACK_WAIT_MS = 24 * 3_600_000;

df.app.orchestration(ACTIVATION_ORCHESTRATOR, function* (context: OrchestrationContext) {
  const input = context.df.getInput<ActivationInput>();
  const now = () => context.df.currentUtcDateTime.getTime();
  const step = <K extends ActivationStepName>(
    name: K,
    extra: Omit<ActivationSteps[K]['input'], 'requestId' | 'principalId'>,
  ) =>
    context.df.callActivityWithRetry(ActivationStep[name], RETRY, {
      requestId: input.requestId,
      principalId: input.principalId,
      ...extra,
    });
  let state = input.state;

  // 1. Waiting for MFA or an approver.
  while (isPending(state.status)) {
    const deadline = state.deadline ? Date.parse(state.deadline) : now() + FALLBACK_WAIT_MS;
    state = (yield* nextChange(state, deadline)) ?? ((yield step('timeOut', {})) as ActivationState);
  }

  // 2. Granted, until the end of the window.
  let remindedFor: string | null = null;
  while (state.status === 'Provisioned' && state.endDateTime) {
    const end = Date.parse(state.endDateTime);
    const reminderAt = end - input.reminderBeforeEndMs;
    if (remindedFor !== state.endDateTime && reminderAt > now()) {
      const early = yield* nextChange(state, reminderAt);
      if (early) state = early;
      else {
        yield step('remind', { endDateTime: state.endDateTime });
        remindedFor = state.endDateTime;
      }
      continue;
    }
    // 3. The end: revoked now, unless an extension or a deactivation got there first.
    state = (yield* nextChange(state, end)) ?? ((yield step('expire', {})) as ActivationState);
  }
  return state.status;

  /** The request's next state, or undefined when `until` comes first. Older states are ignored. */
  function* nextChange(
    current: ActivationState,
    until: number,
  ): Generator<Task, ActivationState | undefined, unknown> {
    const timer: TimerTask = context.df.createTimer(new Date(until));
    for (;;) {
      const changed = context.df.waitForExternalEvent(ActivationEvent.StateChanged);
      const first = yield* firstOf([changed, timer]);
      if (first === timer) return undefined;
      const next = changed.result as ActivationState;
      if (next.revision > current.revision) {
        timer.cancel();
        return next;
      }
    }
  }

  /**
   * The first of `tasks` to finish. An event that arrived while we were busy in an activity has
   * completed its task already, and the library's Task.any only notices completions that happen
   * while it waits, so such a task wins at once here.
   */
  function* firstOf(tasks: Task[]): Generator<Task, Task, unknown> {
    const done = tasks.find((t) => t.isCompleted || t.isFaulted);
    if (done) return done;
    return (yield context.df.Task.any(tasks)) as Task;
  }
});
