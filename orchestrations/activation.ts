// The activation lifecycle, one orchestration per request (instance id = request id):
//   1. MFA      - skipped when the token proved a fresh MFA; else wait for MfaVerified or time out
//   2. approval - when the policy requires it: wait for the first decision or the approval's expiry
//   3. grant    - write the active assignment (start, end), start the grant connectors (which then
//                 sync the target systems on their own), notify; an approved extension instead
//                 hands its new end to the activation it extends, and is done
//   4. window   - wait for the first of: the end of the window, Deactivate, Revoke, Extend
//                 (an "expiring soon" reminder goes out before the end)
//   5. revoke   - remove the assignment, tell the grant connectors, notify
// Deterministic: time only from context.df.currentUtcDateTime, I/O only in activities, which are
// idempotent (keyed by request id) because the host may run them twice after a crash.

import type { OrchestrationContext, Task, TimerTask } from 'durable-functions';
import * as df from 'durable-functions';
import {
  ACTIVATION_ORCHESTRATOR,
  ActivationEvent,
  type ActivationInput,
  Activity,
  type ApprovalDecision,
  type ExtendRequest,
  type GrantInput,
  type HandOverExtension,
  type LifecycleNotice,
  type RevokeInput,
  type RevokeRequest,
  type StatusUpdate,
} from './activation-contract';

const RETRY = new df.RetryOptions(2_000, 5);
RETRY.backoffCoefficient = 2;
RETRY.maxRetryIntervalInMilliseconds = 60_000;

df.app.orchestration(ACTIVATION_ORCHESTRATOR, function* (context: OrchestrationContext) {
  const input = context.df.getInput() as ActivationInput;
  const now = () => context.df.currentUtcDateTime.getTime();
  const at = () => new Date(now()).toISOString();
  const setStatus = (update: Omit<StatusUpdate, 'requestId' | 'at'>) => {
    context.df.setCustomStatus(update.status);
    return context.df.callActivityWithRetry(Activity.setStatus, RETRY, {
      requestId: input.requestId,
      at: at(),
      ...update,
    } satisfies StatusUpdate);
  };
  const notify = (event: LifecycleNotice['event'], extra: Partial<LifecycleNotice> = {}) =>
    context.df.callActivityWithRetry(Activity.notify, RETRY, {
      requestId: input.requestId,
      at: at(),
      event,
      principalId: input.principalId,
      target: input.target,
      ...extra,
    } satisfies LifecycleNotice);

  /**
   * The first of `tasks` to finish. An event that arrived while we were busy in an activity has
   * already completed its task, and the library's Task.any only notices completions that happen
   * while it waits, so such a task wins at once here.
   */
  function* firstOf(tasks: Task[]): Generator<Task, Task, unknown> {
    const done = tasks.find((t) => t.isCompleted || t.isFaulted);
    if (done) return done;
    return (yield context.df.Task.any(tasks)) as Task;
  }

  // 0. The request's own rows, in case whoever started us died before writing them.
  if (input.record) yield context.df.callActivityWithRetry(Activity.record, RETRY, input.record);

  // A cancel from the requester ends any wait before the grant.
  const cancel = context.df.waitForExternalEvent(ActivationEvent.Cancel);

  // 1. MFA
  if (!input.mfaSatisfied) {
    yield setStatus({ status: 'PendingMfa' });
    const verified = context.df.waitForExternalEvent(ActivationEvent.MfaVerified);
    const timeout = context.df.createTimer(new Date(now() + input.mfaTimeoutMs));
    const first = yield* firstOf([verified, timeout, cancel]);
    if (first !== timeout) timeout.cancel();
    if (first === timeout) {
      yield setStatus({ status: 'TimedOut', detail: 'MFA was not completed in time.' });
      return { status: 'TimedOut' };
    }
    if (first === cancel) {
      yield setStatus({ status: 'Canceled', by: input.principalId });
      return { status: 'Canceled' };
    }
  }

  // 2. Approval
  if (input.approval) {
    yield setStatus({ status: 'PendingApproval' });
    yield notify('activationRequested');
    const outcome = yield* waitForApproval(input.approval.timeoutMs);
    if (outcome !== 'Approved') return { status: outcome };
  }

  // 3. Grant (or, for an approved extension, hand the new end to the live activation)
  if (input.extendsRequestId) {
    const handed: boolean = yield context.df.callActivityWithRetry(Activity.handOverExtension, RETRY, {
      holderRequestId: input.extendsRequestId,
      extension: { requestId: input.requestId, durationMs: input.durationMs },
    } satisfies HandOverExtension);
    if (!handed) {
      yield setStatus({ status: 'Failed', detail: 'The activation it extends has already ended.' });
      return { status: 'Failed' };
    }
    yield setStatus({ status: 'Provisioned' });
    return { status: 'Provisioned' };
  }
  let end = now() + input.durationMs;
  const grant: GrantInput = {
    requestId: input.requestId,
    principalId: input.principalId,
    target: input.target,
    startDateTime: new Date(now()).toISOString(),
    endDateTime: new Date(end).toISOString(),
    justification: input.justification,
    ticket: input.ticket,
  };
  yield context.df.callActivityWithRetry(Activity.grant, RETRY, grant);
  yield context.df.callActivityWithRetry(Activity.connectorsGrant, RETRY, grant);
  yield setStatus({ status: 'Provisioned' });
  yield notify('activated', { endDateTime: grant.endDateTime });

  // 4. The window: wait for its end, an early end, or an extension.
  const deactivate = context.df.waitForExternalEvent(ActivationEvent.Deactivate);
  const revoke = context.df.waitForExternalEvent(ActivationEvent.Revoke);
  let reason: RevokeInput['reason'] = 'expired';
  let revokedBy: string | undefined;
  let reminded = false;
  const extensions = new Set<string>();
  for (;;) {
    const extend = context.df.waitForExternalEvent(ActivationEvent.Extend);
    const reminderAt = end - input.reminderBeforeEndMs;
    const wakeAt = !reminded && reminderAt > now() ? reminderAt : end;
    const timer: TimerTask = context.df.createTimer(new Date(wakeAt));
    const first = yield* firstOf([timer, deactivate, revoke, extend]);
    if (first !== timer) timer.cancel();
    if (first === timer && wakeAt !== end) {
      reminded = true;
      yield notify('expiringSoon', { endDateTime: new Date(end).toISOString() });
      continue;
    }
    if (first === timer) break;
    if (first === deactivate) {
      reason = 'selfDeactivate';
      revokedBy = input.principalId;
      break;
    }
    if (first === revoke) {
      const r = revoke.result as RevokeRequest;
      reason = r.reason;
      revokedBy = r.by;
      break;
    }
    const ext = extend.result as ExtendRequest;
    if (extensions.has(ext.requestId)) continue; // raised twice by a retried hand-over
    extensions.add(ext.requestId);
    end = Math.max(end, now() + ext.durationMs);
    reminded = false;
    const extended: GrantInput = { ...grant, endDateTime: new Date(end).toISOString() };
    yield context.df.callActivityWithRetry(Activity.grant, RETRY, extended);
    yield context.df.callActivityWithRetry(Activity.connectorsExtend, RETRY, { ...extended, at: at() });
  }

  // 5. Revoke
  const revokeInput: RevokeInput = {
    requestId: input.requestId,
    at: at(),
    principalId: input.principalId,
    target: input.target,
    reason,
    by: revokedBy,
  };
  yield context.df.callActivityWithRetry(Activity.revoke, RETRY, revokeInput);
  yield context.df.callActivityWithRetry(Activity.connectorsRevoke, RETRY, revokeInput);
  yield setStatus({ status: reason === 'expired' ? 'Expired' : 'Revoked', by: revokedBy });
  yield notify(reason === 'expired' ? 'expired' : reason === 'selfDeactivate' ? 'deactivated' : 'revoked', {
    by: revokedBy,
  });
  return { status: reason === 'expired' ? 'Expired' : 'Revoked' };

  /** Waits for the first decision, the approval's expiry or a cancel; records the outcome. */
  function* waitForApproval(
    timeoutMs: number,
  ): Generator<Task, 'Approved' | 'Denied' | 'TimedOut' | 'Canceled', unknown> {
    const decided = context.df.waitForExternalEvent(ActivationEvent.ApprovalDecided);
    const expiry = context.df.createTimer(new Date(now() + timeoutMs));
    const first = yield* firstOf([decided, expiry, cancel]);
    if (first !== expiry) expiry.cancel();
    if (first === expiry) {
      yield setStatus({ status: 'TimedOut', detail: 'No approver decided before the approval expired.' });
      return 'TimedOut';
    }
    if (first === cancel) {
      yield setStatus({ status: 'Canceled', by: input.principalId });
      return 'Canceled';
    }
    const decision = decided.result as ApprovalDecision;
    if (decision.reviewResult === 'Deny') {
      yield setStatus({ status: 'Denied', by: decision.approverId, detail: decision.justification });
      yield notify('denied', { by: decision.approverId });
      return 'Denied';
    }
    yield setStatus({ status: 'Granted', by: decision.approverId });
    yield notify('approved', { by: decision.approverId });
    return 'Approved';
  }
});
