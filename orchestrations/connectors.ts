// Grant connectors follow each activation, one small orchestration per request and connector:
//   1. grant  - POST the grant to the target system, retried with back-off
//   2. wait   - for the activation's revoke (raised when it ends, however it ends); each extension
//               on the way is POSTed as the grant with its new end
//   3. revoke - POST the revoke, retried with back-off
// A step that still fails after the last retry raises an alert row and mails the admins; the
// activation never waits for any of it, and access itself is decided by the store, not the target.
// One instance per request and connector keeps grant and revoke in order at the target.

import type { DurableClient, OrchestrationContext } from 'durable-functions';
import * as df from 'durable-functions';
import { type ConnectorCall, callConnector, connectorGaveUp } from '../shared/notify/connector-calls';
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

df.app.orchestration(CONNECTOR_ORCHESTRATOR, function* (context: OrchestrationContext) {
  const run = context.df.getInput() as ConnectorRun;
  const retry = new df.RetryOptions(run.retry.firstMs, run.retry.attempts);
  retry.backoffCoefficient = 2;
  retry.maxRetryIntervalInMilliseconds = 10 * 60_000;

  function* callOrAlert(call: ConnectorCall): Generator<df.Task, string, unknown> {
    try {
      return (yield context.df.callActivityWithRetry(CALL, retry, call)) as string;
    } catch (err) {
      yield context.df.callActivityWithRetry(GAVE_UP, STORAGE_RETRY, { call, error: safeMessage(err) });
      return 'alerted';
    }
  }

  yield* callOrAlert(run.grant);
  const revoke = context.df.waitForExternalEvent(REVOKE_EVENT);
  for (;;) {
    // A revoke that came while an extension was being sent has completed its task already, and
    // Task.any only notices completions that happen while it waits.
    if (revoke.isCompleted) break;
    const extend = context.df.waitForExternalEvent(EXTEND_EVENT);
    if ((yield context.df.Task.any([revoke, extend])) === revoke) break;
    const e = extend.result as ExtendSignal;
    yield* callOrAlert({ ...run.grant, action: 'extend', at: e.at, endDateTime: e.endDateTime });
  }
  const r = revoke.result as RevokeSignal;
  yield* callOrAlert({ ...run.grant, action: 'revoke', at: r.at, reason: r.reason });
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
      const grant: ConnectorCall = {
        requestId: call.requestId,
        connectorId,
        action: 'grant',
        principalId: call.principalId,
        target: call.target,
        startDateTime: call.startDateTime,
        endDateTime: call.endDateTime,
        at: call.at,
      };
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
    // An instance that finished already (a re-run) takes it as delivered.
    await client.raiseEvent(instanceId, call.action === 'extend' ? EXTEND_EVENT : REVOKE_EVENT, signal);
  }
}
