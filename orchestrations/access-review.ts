// One access review instance, as one orchestration (instance id `review-{instanceId}`):
//
//   1. wait for its start
//   2. open it: one decision item per assignment in scope; mail the reviewers
//   3. halfway: remind the reviewers who have not decided
//   4. wait for its end, or an admin's stop
//   5. close it: undecided items get the default decision
//   6. when decisions apply themselves: remove what was denied
//   7. schedule the next instance, if the recurrence has one (its own orchestration)
//
// Each step is an activity of the review service that checks the stored state first, so a step
// re-run after a crash repeats nothing. Deterministic: time from context.df.currentUtcDateTime.
import type { InvocationContext } from '@azure/functions';
import type { OrchestrationContext, Task, TimerTask } from 'durable-functions';
import * as df from 'durable-functions';
import {
  REVIEW_APPLY_ORCHESTRATOR,
  REVIEW_ORCHESTRATOR,
  REVIEW_STOP_EVENT,
  type ReviewRunInput,
} from '../shared/services/access-reviews';
import { useDurableClient } from './signals';

const RETRY = new df.RetryOptions(2_000, 8);
RETRY.backoffCoefficient = 2;
RETRY.maxRetryIntervalInMilliseconds = 60_000;

const Step = {
  open: 'accessReview-open',
  notify: 'accessReview-notify',
  close: 'accessReview-close',
  apply: 'accessReview-apply',
  next: 'accessReview-next',
} as const;

export const reviewOrchestrationId = (instanceId: string) => `review-${instanceId}`;
export const reviewApplyId = (instanceId: string) => `review-apply-${instanceId}`;

df.app.orchestration(REVIEW_ORCHESTRATOR, function* (context: OrchestrationContext) {
  const input = context.df.getInput<ReviewRunInput>();
  const step = (name: string, extra: object = {}) =>
    context.df.callActivityWithRetry(name, RETRY, { ...input, ...extra });
  const start = Date.parse(input.startDateTime);
  const end = Date.parse(input.endDateTime);

  let stopped = (yield* waitUntil(start)) === 'stopped';
  if (!stopped) {
    const opened = (yield step(Step.open)) as { open: boolean };
    if (!opened.open) return 'gone';
    yield step(Step.notify, { kind: 'started' });
    const halfway = start + (end - start) / 2;
    stopped = (yield* waitUntil(halfway)) === 'stopped';
    if (!stopped) yield step(Step.notify, { kind: 'reminder' });
    if (!stopped) yield* waitUntil(end);
  }
  const closed = (yield step(Step.close)) as { apply: boolean };
  if (closed.apply) yield step(Step.apply);
  yield step(Step.next);
  return 'done';

  /** Until `at`, or an admin's stop (an event that arrived during an activity counts at once). */
  function* waitUntil(at: number): Generator<Task, 'time' | 'stopped', unknown> {
    if (at <= context.df.currentUtcDateTime.getTime()) return 'time';
    const timer: TimerTask = context.df.createTimer(new Date(at));
    const stop = context.df.waitForExternalEvent(REVIEW_STOP_EVENT);
    const first = stop.isCompleted ? stop : ((yield context.df.Task.any([stop, timer])) as Task);
    if (first === timer) return 'time';
    timer.cancel();
    return 'stopped';
  }
});

// Applying an instance's decisions when an admin asks (auto-apply off): its own orchestration, so
// that the removals survive a crash of the process that took the request.
df.app.orchestration(REVIEW_APPLY_ORCHESTRATOR, function* (context: OrchestrationContext) {
  const input = context.df.getInput<{ definitionId: string; instanceId: string }>();
  return yield context.df.callActivityWithRetry(Step.apply, RETRY, input);
});

const client = df.input.durableClient();

df.app.activity(Step.open, {
  extraInputs: [client],
  handler: (i: ReviewRunInput, ctx: InvocationContext) => useDurableClient(ctx).reviews.openInstance(i),
});
df.app.activity(Step.notify, {
  extraInputs: [client],
  handler: (i: ReviewRunInput & { kind: 'started' | 'reminder' }, ctx: InvocationContext) =>
    useDurableClient(ctx).reviews.notifyReviewers(i, i.kind),
});
df.app.activity(Step.close, {
  extraInputs: [client],
  handler: (i: ReviewRunInput, ctx: InvocationContext) => useDurableClient(ctx).reviews.closeInstance(i),
});
df.app.activity(Step.apply, {
  extraInputs: [client],
  handler: (i: { definitionId: string; instanceId: string }, ctx: InvocationContext) =>
    useDurableClient(ctx).reviews.applyInstance(i.definitionId, i.instanceId),
});
df.app.activity(Step.next, {
  extraInputs: [client],
  handler: async (i: ReviewRunInput, ctx: InvocationContext) => {
    await useDurableClient(ctx).reviews.startNext(i.definitionId, i.instanceId);
    return null;
  },
});
