// Delivers what committed changes owe (shared/services/activation-events.ts) through the durable
// client: start an activation's orchestration, tell it the request's new state, start the deliveries
// of a notice, tell the grant connectors. The outbox calls it after each commit, and again after a
// crash until it succeeds, so every delivery here is idempotent.
//
// The client comes from the first invocation that has the durableClient binding (an HTTP function,
// a timer, an activity): its binding data names the host's durable endpoint, the same for the whole
// process, so one registration serves every later delivery, including background publication.
import type { InvocationContext } from '@azure/functions';
import type { DurableClient } from 'durable-functions';
import * as df from 'durable-functions';
import type { OutboxSignal } from '../shared/audit/outbox';
import { ACTIVATION_ORCHESTRATOR, ActivationEvent } from '../shared/domain/activation-contract';
import { type Services, services } from '../shared/services';
import {
  REVIEW_APPLY_ORCHESTRATOR,
  REVIEW_ORCHESTRATOR,
  REVIEW_STOP_EVENT,
  type ReviewSignal,
} from '../shared/services/access-reviews';
import type { ActivationSignal } from '../shared/services/activation-events';
import { tellConnectors } from './connectors';
import { startNotices } from './notifications';
import { startOnce } from './start-once';

/** An event for an orchestration that does not exist yet is retried this long, then dropped. */
const RAISE_PATIENCE_MS = 60 * 60_000;

/** Registers the invocation's durable client as the outbox's signal sink (once); returns the services. */
export function useDurableClient(context: InvocationContext): Services {
  const s = services();
  if (!s.stores.outbox.hasSignalSink) {
    const client = df.getClient(context);
    s.stores.outbox.useSignalSink((signals, options) => deliver(client, signals, options.redelivery));
  }
  return s;
}

/** Signals about one request in order; different requests side by side. */
async function deliver(
  client: DurableClient,
  signals: readonly OutboxSignal[],
  redelivery: boolean,
): Promise<void> {
  const byRequest = new Map<string, ActivationSignal[]>();
  for (const signal of signals as readonly (ActivationSignal | ReviewSignal)[]) {
    if (isReviewSignal(signal)) {
      await deliverReview(client, signal);
      continue;
    }
    const key = requestOf(signal);
    byRequest.set(key, [...(byRequest.get(key) ?? []), signal]);
  }
  await Promise.all(
    [...byRequest.values()].map(async (list) => {
      for (const signal of list) await deliverOne(client, signal, redelivery);
    }),
  );
}

async function deliverOne(
  client: DurableClient,
  signal: ActivationSignal,
  redelivery: boolean,
): Promise<void> {
  switch (signal.kind) {
    case 'startActivation': {
      const { requestId } = signal.input;
      // Delivered before, its orchestration may have run to its end: never start it again then.
      if (redelivery) return startOnce(client, ACTIVATION_ORCHESTRATOR, requestId, signal.input);
      await client
        .startNew(ACTIVATION_ORCHESTRATOR, { instanceId: requestId, input: signal.input })
        .catch(ignoreExisting);
      return;
    }
    case 'stateChanged':
      // A finished orchestration (410) takes the event as delivered: it has nothing left to wait for.
      await client
        .raiseEvent(signal.state.requestId, ActivationEvent.StateChanged, signal.state)
        .catch((err: unknown) => {
          // Not started yet (its start is in an earlier commit's outbox): retried until it is.
          if (isNotFound(err) && Date.now() - Date.parse(signal.at) > RAISE_PATIENCE_MS) return;
          throw err;
        });
      return;
    case 'notice':
      await startNotices(client, signal.notice);
      return;
    case 'connectors':
      await tellConnectors(client, signal.call);
      return;
  }
}

const REVIEW_KINDS: readonly string[] = ['startReview', 'stopReview', 'applyReview'];

function isReviewSignal(signal: ActivationSignal | ReviewSignal): signal is ReviewSignal {
  return REVIEW_KINDS.includes(signal.kind);
}

/** Access reviews: start an instance's orchestration, tell it to stop, or start applying its decisions. */
async function deliverReview(client: DurableClient, signal: ReviewSignal): Promise<void> {
  switch (signal.kind) {
    case 'startReview':
      return startOnce(client, REVIEW_ORCHESTRATOR, `review-${signal.input.instanceId}`, signal.input);
    case 'stopReview':
      await client
        .raiseEvent(`review-${signal.instanceId}`, REVIEW_STOP_EVENT, { at: signal.at })
        .catch((err: unknown) => {
          // Finished (nothing left to stop) or never started (deleted before its start): delivered.
          if (isNotFound(err) || (err instanceof Error && /410|not running|completed/i.test(err.message)))
            return;
          throw err;
        });
      return;
    case 'applyReview':
      return startOnce(client, REVIEW_APPLY_ORCHESTRATOR, `review-apply-${signal.instanceId}`, {
        definitionId: signal.definitionId,
        instanceId: signal.instanceId,
      });
  }
}

function requestOf(signal: ActivationSignal): string {
  switch (signal.kind) {
    case 'startActivation':
      return signal.input.requestId;
    case 'stateChanged':
      return signal.state.requestId;
    case 'notice':
      return signal.notice.subjectId;
    case 'connectors':
      return signal.call.requestId;
  }
}

// The durable client's errors carry only messages.
function isNotFound(err: unknown): boolean {
  return err instanceof Error && /No instance with ID/.test(err.message);
}

function ignoreExisting(err: unknown): void {
  if (err instanceof Error && /status code: 409|already exists/i.test(err.message)) return;
  throw err;
}
