// The devhost's durable engine runs the real durable-functions library: every feature the
// activation workflow relies on, driven over HTTP through a sample app and its durable client.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevhostProcess, readJson } from '../helpers/devhost';
import { advance, countEvents, getStatus, raise, start, startDurableHost, waitFor } from '../helpers/durable';

const uid = () => randomUUID().slice(0, 8);

describe('durable engine', () => {
  let host: DevhostProcess;
  let base: string;

  beforeAll(async () => {
    host = await startDurableHost({}, 'DurableEngineTest');
    base = host.baseUrl;
  });
  afterAll(async () => {
    await host?.stop();
  });

  it('runs activities in sequence and links the check-status URLs to this host', async () => {
    const res = await fetch(`${base}/api/start/sequence`, { method: 'POST' });
    expect(res.status).toBe(202);
    const links = await readJson(res);
    expect(links.statusQueryGetUri).toContain(`/runtime/webhooks/durabletask/instances/${links.id}`);
    const done = await waitFor(base, links.id);
    expect(done.runtimeStatus).toBe('Completed');
    expect(done.output).toEqual(['Hello Tokyo', 'Hello Seattle', 'Hello London']);
    const viaLink = await readJson(await fetch(links.statusQueryGetUri.replace(/^http:\/\/[^/]+/, base)));
    expect(viaLink.output).toEqual(done.output);
    const withHistory = await getStatus(base, links.id, true);
    expect(countEvents(withHistory?.historyEvents, 'TaskScheduled', 'hello')).toBe(3);
    expect(countEvents(withHistory?.historyEvents, 'TaskCompleted')).toBe(3);
  });

  it('fans out and in with Task.all', async () => {
    const id = await start(base, 'fanOut', `fan-${uid()}`);
    expect((await waitFor(base, id)).output).toBe(30);
  });

  it('keeps an event raised before the orchestration waits for it', async () => {
    const id = await start(base, 'eventBeforeWait', `early-${uid()}`);
    expect(await raise(base, id, 'Go', 'early bird')).toBe(202);
    const done = await waitFor(base, id);
    expect(done.output).toEqual({ first: 'Hello first', go: 'early bird' });
  });

  it('lets the first of an event and a timer win with Task.any, and shows custom status', async () => {
    const approved = await start(base, 'approvalOrTimeout', `any-a-${uid()}`);
    await waitFor(base, approved, (s) => s.customStatus === 'waiting');
    await raise(base, approved, 'Approval', { approver: 'adele' });
    expect((await waitFor(base, approved)).output).toEqual({
      outcome: 'approved',
      by: { approver: 'adele' },
    });

    const timedOut = await start(base, 'approvalOrTimeout', `any-t-${uid()}`);
    await waitFor(base, timedOut, (s) => s.customStatus === 'waiting');
    await advance(base, 'PT2H');
    expect((await waitFor(base, timedOut)).output).toEqual({ outcome: 'timedOut' });
  });

  it('sleeps 8 hours of virtual time on a durable timer and wakes when the clock moves', async () => {
    const id = await start(base, 'sleeper', `sleep-${uid()}`, { hours: 8 });
    await waitFor(base, id, (s) => s.customStatus === 'sleeping');
    await advance(base, 'PT7H');
    expect((await getStatus(base, id))?.runtimeStatus).toBe('Running');
    await advance(base, 'PT1H1M');
    const done = await waitFor(base, id, undefined, 5_000);
    const slept = Date.parse(done.output.wokeAt) - Date.parse(done.output.sleptFrom);
    expect(slept).toBeGreaterThanOrEqual(8 * 3600_000);
  });

  it('retries a failing activity with back-off, and fails the task when attempts run out', async () => {
    const ok = await start(base, 'retrying', `retry-${uid()}`, { key: `k-${uid()}`, failures: 2 });
    expect((await waitFor(base, ok)).output).toEqual({ attempts: 3, after: 'Hello after retry' });
    const history = (await getStatus(base, ok, true))?.historyEvents;
    expect(countEvents(history, 'TaskFailed')).toBe(2);
    expect(countEvents(history, 'TimerFired')).toBe(2);

    const exhausted = await start(base, 'retrying', `retry-x-${uid()}`, { key: `k-${uid()}`, failures: 5 });
    const out = (await waitFor(base, exhausted)).output;
    expect(out.failed).toContain('flaky failure 3');
  });

  it('runs sub-orchestrations and hands their results to the parent', async () => {
    const id = `parent-${uid()}`;
    await start(base, 'parent', id);
    const done = await waitFor(base, id);
    expect(done.output).toEqual({ child: ['Hello Tokyo', 'Hello Seattle', 'Hello London'], sum: 30 });
    expect((await getStatus(base, `${id}-child`))?.runtimeStatus).toBe('Completed');
  });

  it('restarts with continueAsNew until done', async () => {
    const id = await start(base, 'counter', `counter-${uid()}`);
    expect((await waitFor(base, id)).output).toBe('counted to 3');
  });

  it('reports a throwing orchestrator as Failed with its message (200, not 500)', async () => {
    const id = await start(base, 'failing', `fail-${uid()}`);
    const done = await waitFor(base, id);
    expect(done.runtimeStatus).toBe('Failed');
    expect(String(done.output)).toContain('orchestrator gave up');
    const res = await fetch(`${base}/runtime/webhooks/durabletask/instances/${id}`);
    expect(res.status).toBe(200);
    const viaClient = await fetch(`${base}/api/status/${id}`);
    expect(viaClient.status).toBe(200);
  });

  it('terminates, and answers 410 for events to finished and 404 to unknown instances', async () => {
    const id = await start(base, 'waitForever', `term-${uid()}`);
    await waitFor(base, id, (s) => s.runtimeStatus === 'Running');
    expect((await fetch(`${base}/api/control/${id}/terminate`, { method: 'POST' })).status).toBe(202);
    const done = await waitFor(base, id);
    expect(done.runtimeStatus).toBe('Terminated');
    expect(done.output).toBe('stopped by test');
    const late = await fetch(`${base}/runtime/webhooks/durabletask/instances/${id}/raiseEvent/Never`, {
      method: 'POST',
      body: '1',
    });
    expect(late.status).toBe(410);
    const unknown = await fetch(`${base}/runtime/webhooks/durabletask/instances/nope-${uid()}/raiseEvent/X`, {
      method: 'POST',
      body: '1',
    });
    expect(unknown.status).toBe(404);
  });

  it('suspends (events wait) and resumes', async () => {
    const id = await start(base, 'approvalOrTimeout', `susp-${uid()}`);
    await waitFor(base, id, (s) => s.customStatus === 'waiting');
    await fetch(`${base}/api/control/${id}/suspend`, { method: 'POST' });
    await waitFor(base, id, (s) => s.runtimeStatus === 'Suspended');
    await raise(base, id, 'Approval', 'while suspended');
    // The event is stored but not processed while suspended.
    expect((await getStatus(base, id))?.runtimeStatus).toBe('Suspended');
    await fetch(`${base}/api/control/${id}/resume`, { method: 'POST' });
    expect((await waitFor(base, id)).output).toEqual({ outcome: 'approved', by: 'while suspended' });
  });

  it('refuses to start a running instance id again, but restarts a finished one', async () => {
    const id = `dup-${uid()}`;
    await start(base, 'waitForever', id);
    const again = await fetch(`${base}/runtime/webhooks/durabletask/orchestrators/waitForever/${id}`, {
      method: 'POST',
    });
    expect(again.status).toBe(409);
    await fetch(`${base}/api/control/${id}/terminate`, { method: 'POST' });
    await waitFor(base, id);
    await start(base, 'fanOut', id);
    const rerun = await waitFor(base, id);
    expect(rerun.output).toBe(30);
  });

  it('queries by runtime status with continuation, and purges finished instances', async () => {
    const ids = [`q-${uid()}`, `q-${uid()}`, `q-${uid()}`];
    for (const id of ids) await start(base, 'waitForever', id);
    for (const id of ids) await waitFor(base, id, (s) => s.runtimeStatus === 'Running');
    const first = await fetch(`${base}/runtime/webhooks/durabletask/instances/?runtimeStatus=Running&top=2`);
    const token = first.headers.get('x-ms-continuation-token');
    expect((await readJson(first)).length).toBeLessThanOrEqual(2);
    expect(token).toBeTruthy();
    const viaClient = await readJson(await fetch(`${base}/api/instances?status=Running`));
    const running = viaClient.map((s: { instanceId: string }) => s.instanceId);
    for (const id of ids) expect(running).toContain(id);

    for (const id of ids) await fetch(`${base}/api/control/${id}/terminate`, { method: 'POST' });
    for (const id of ids) await waitFor(base, id);
    const purged = await readJson(await fetch(`${base}/api/control/${ids[0]}/purge`, { method: 'POST' }));
    expect(purged.instancesDeleted).toBe(1);
    expect(await getStatus(base, ids[0])).toBeUndefined();
  });
});

describe('durable start-and-wait', () => {
  it('answers 200 with the final status when the instance finishes within ?timeout', async () => {
    const host = await startDurableHost({}, 'DurableEngineTest');
    try {
      const res = await fetch(
        `${host.baseUrl}/runtime/webhooks/durabletask/orchestrators/fanOut/wait-${uid()}?timeout=30`,
        {
          method: 'POST',
        },
      );
      expect(res.status).toBe(200);
      const body = await readJson(res);
      expect(body.runtimeStatus).toBe('Completed');
      expect(body.output).toBe(30);
      const slow = await fetch(
        `${host.baseUrl}/runtime/webhooks/durabletask/orchestrators/waitForever/wait-${uid()}?timeout=1`,
        {
          method: 'POST',
        },
      );
      expect(slow.status).toBe(202);
    } finally {
      await host.stop();
    }
  });
});
