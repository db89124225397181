// Grant connectors follow each activation, one small orchestration per request and connector:
//   1. grant  - make the grant at the target system (a webhook POST, an Entra group membership or
//               role assignment, an Azure role assignment), retried with back-off
//   2. wait   - for the activation's revoke (raised when it ends, however it ends); each extension
//               on the way is passed on (webhooks hear the grant with its new end)
//   3. revoke - undo the grant at the target, retried with back-off
// Retries wait on durable timers, for the back-off or the target's Retry-After if longer, so a
// throttled Graph or ARM is waited out however the host restarts meanwhile. A step that fails for
// good (a 4xx retrying cannot fix) or after the last retry raises an alert row and mails the
// admins; the activation never waits for any of it, and access itself is decided by the store, not
// the target. One instance per request and connector keeps grant and revoke in order at the target.

import type { DurableClient, OrchestrationContext } from 'durable-functions';
import * as df from 'durable-functions';
import {
  type CallOutcome,
  type ConnectorCall,
  callConnector,
  connectorGaveUp,
} from '../shared/notify/connector-calls';
import { safeMessage } from '../shared/notify/http-post';
import type { ConnectorSignal } from '../shared/services/activation-events';
import { retryPlan, startNotices } from './notifications';
import { type RetryPlan, startOnce } from './start-once';

export const CONNECTOR_ORCHESTRATOR = 'connector-sync';
const CALL = 'connector-call';
const GAVE_UP = 'connector-gaveUp';
const REVOKE_EVENT = 'Revoke';
const EXTEND_EVENT = 'Extend';

interface ConnectorRun {
  grant: ConnectorCall;
  retry: RetryPlan;
}

interface RevokeSignal {
  at: string;
  reason: string;
}

interface ExtendSignal {
  at: string;
  endDateTime: string;
}

const STORAGE_RETRY = new df.RetryOptions(2_000, 5);
STORAGE_RETRY.backoffCoefficient = 2;
const MAX_BACKOFF_MS = 10 * 60_000;
const MAX_RETRY_AFTER_MS = 60 * 60_000;

df.app.orchestration(CONNECTOR_ORCHESTRATOR, function* (context: OrchestrationContext) {
  const run = context.df.getInput() as ConnectorRun;

  function* attempt(call: ConnectorCall): Generator<df.Task, CallOutcome, unknown> {
    try {
      return (yield context.df.callActivity(CALL, call)) as CallOutcome;
    } catch (err) {
      return { kind: 'retry', reason: safeMessage(err) }; // the attempt itself failed (storage, say)
    }
  }

  /**
   * The first of `tasks` to finish. An event that arrived while an activity ran has completed its
   * task already, and Task.any only notices completions that happen while it waits.
   */
  function* firstOf(tasks: df.Task[]): Generator<df.Task, df.Task, unknown> {
    const done = tasks.find((t) => t.isCompleted);
    if (done) return done;
    return (yield context.df.Task.any(tasks)) as df.Task;
  }

  function* callOrAlert(call: ConnectorCall): Generator<df.Task, string, unknown> {
    for (let tries = 1; ; tries++) {
      const outcome = yield* attempt(call);
      if (outcome.kind === 'done' || outcome.kind === 'skipped') return outcome.kind;
      if (outcome.kind === 'failed' || tries >= run.retry.attempts) {
        yield context.df.callActivityWithRetry(GAVE_UP, STORAGE_RETRY, { call, error: outcome.reason });
        return 'alerted';
      }
      const backoff = Math.min(run.retry.firstMs * 2 ** (tries - 1), MAX_BACKOFF_MS);
      const wait = Math.max(backoff, Math.min(outcome.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS));
      yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + wait));
    }
  }

  const revoke = context.df.waitForExternalEvent(REVOKE_EVENT);
  // An admin's assignment has no orchestration of its own: this one keeps its start and end.
  // (An activation's orchestration raises the revoke when it ends, however it ends.)
  const followsAssignment = run.grant.follow === 'assignment';
  const startsAt = followsAssignment && run.grant.startDateTime ? Date.parse(run.grant.startDateTime) : 0;
  if (startsAt > context.df.currentUtcDateTime.getTime()) {
    const start = context.df.createTimer(new Date(startsAt));
    if ((yield* firstOf([revoke, start])) === revoke) {
      start.cancel();
      return 'removed before its start';
    }
  }
  yield* callOrAlert(run.grant);
  let end = followsAssignment ? run.grant.endDateTime : undefined;
  let ending: RevokeSignal;
  for (;;) {
    const extend = context.df.waitForExternalEvent(EXTEND_EVENT);
    const timer = end ? context.df.createTimer(new Date(end)) : undefined;
    const first = yield* firstOf(timer ? [revoke, extend, timer] : [revoke, extend]);
    if (timer && first === timer) {
      ending = { at: end ?? '', reason: 'expired' };
      break;
    }
    timer?.cancel();
    if (first === revoke) {
      ending = revoke.result as RevokeSignal;
      break;
    }
    const e = extend.result as ExtendSignal;
    if (followsAssignment) end = e.endDateTime || undefined;
    yield* callOrAlert({ ...run.grant, action: 'extend', at: e.at, endDateTime: e.endDateTime || undefined });
  }
  yield* callOrAlert({ ...run.grant, action: 'revoke', at: ending.at, reason: ending.reason });
  return 'done';
});

df.app.activity(CALL, { handler: (call: ConnectorCall) => callConnector(call) });
df.app.activity(GAVE_UP, {
  extraInputs: [df.input.durableClient()],
  handler: async ({ call, error }: { call: ConnectorCall; error: string }, context) => {
    const notice = await connectorGaveUp(call, error);
    await startNotices(df.getClient(context), notice);
  },
});

const instanceOf = (requestId: string, connectorId: string) => `connector-${requestId}-${connectorId}`;

/**
 * A grant starts one sync orchestration per connector; an extension or a revoke is raised to
 * those. Starting or raising twice is harmless (a fixed instance id; a finished one is left alone).
 */
export async function tellConnectors(client: DurableClient, call: ConnectorSignal): Promise<void> {
  for (const connectorId of call.connectorIds) {
    const instanceId = instanceOf(call.requestId, connectorId);
    if (call.action === 'grant') {
      const { connectorIds: _all, ...signal } = call;
      const grant: ConnectorCall = { ...signal, connectorId };
      await startOnce(client, CONNECTOR_ORCHESTRATOR, instanceId, {
        grant,
        retry: retryPlan(),
      } satisfies ConnectorRun);
      continue;
    }
    const signal: RevokeSignal | ExtendSignal =
      call.action === 'extend'
        ? { at: call.at, endDateTime: call.endDateTime ?? '' }
        : { at: call.at, reason: call.reason ?? 'expired' };
    // An instance that finished already (a re-run) takes it as delivered. An assignment's connector
    // added after its grant has no instance: nothing was granted there, so nothing to tell.
    try {
      await client.raiseEvent(instanceId, call.action === 'extend' ? EXTEND_EVENT : REVOKE_EVENT, signal);
    } catch (err) {
      if (call.follow === 'assignment' && err instanceof Error && /No instance with ID/.test(err.message))
        continue;
      throw err;
    }
  }
}
