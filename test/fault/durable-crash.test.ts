// kill -9 of the host at any point, then a restart: every unfinished instance resumes and ends
// exactly as it would have without the crash. Activities may run twice; results are recorded once.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type DevhostProcess, eventually, readJson } from '../helpers/devhost';
import { advance, countEvents, getStatus, raise, start, startDurableHost, waitFor } from '../helpers/durable';

const uid = () => randomUUID().slice(0, 8);

async function runs(base: string, key: string): Promise<number> {
  return (await readJson(await fetch(`${base}/api/runs/${key}`))).runs;
}

async function release(base: string, key: string): Promise<void> {
  await fetch(`${base}/api/runs/${key}`, { method: 'POST' });
}

async function withHost<T>(
  env: Record<string, string>,
  fn: (host: DevhostProcess) => Promise<T>,
): Promise<T> {
  const host = await startDurableHost(env, 'DurableCrashTest');
  try {
    return await fn(host);
  } finally {
    await host.kill9();
  }
}

describe('durable engine after kill -9', () => {
  it('resumes an instance killed during an activity; the result is recorded once', async () => {
    const key = `act-${uid()}`;
    let id = '';
    await withHost({}, async (host) => {
      id = await start(host.baseUrl, 'crashable', key, key);
      await eventually(async () => ((await runs(host.baseUrl, key)) >= 1 ? true : undefined));
    }); // killed while slowStep waits
    await withHost({}, async (host) => {
      await release(host.baseUrl, key);
      await waitFor(host.baseUrl, id, (s) => s.customStatus === 'waiting for Go');
      await raise(host.baseUrl, id, 'Go', 'after crash');
      await waitFor(host.baseUrl, id, (s) => s.customStatus === 'sleeping');
      await advance(host.baseUrl, 'PT3H');
      const done = await waitFor(host.baseUrl, id);
      expect(done.output).toEqual({ result: `done:${key}`, go: 'after crash' });
      const history = (await getStatus(host.baseUrl, id, true))?.historyEvents;
      expect(countEvents(history, 'TaskScheduled', 'slowStep')).toBe(1);
      expect(countEvents(history, 'TaskCompleted')).toBe(1);
      expect(await runs(host.baseUrl, key)).toBeGreaterThanOrEqual(2); // it ran again after the crash
    });
  });

  it('resumes an instance killed during a timer wait; a timer due while down fires at start', async () => {
    const key = `timer-${uid()}`;
    let id = '';
    await withHost({}, async (host) => {
      await release(host.baseUrl, key);
      id = await start(host.baseUrl, 'crashable', key, key);
      await waitFor(host.baseUrl, id, (s) => s.customStatus === 'waiting for Go');
      await raise(host.baseUrl, id, 'Go', 'before crash');
      await waitFor(host.baseUrl, id, (s) => s.customStatus === 'sleeping');
    });
    // The restarted host's clock starts 3 hours on: the 2-hour timer came due while it was down.
    await withHost({ DEVHOST_CLOCK_OFFSET: 'PT3H' }, async (host) => {
      const done = await waitFor(host.baseUrl, id);
      expect(done.output).toEqual({ result: `done:${key}`, go: 'before crash' });
      expect(await runs(host.baseUrl, key)).toBe(1);
    });
  });

  it('processes an event accepted just before the crash', async () => {
    let id = '';
    await withHost({}, async (host) => {
      id = await start(host.baseUrl, 'eventBeforeWait', `ev-${uid()}`);
      await waitFor(host.baseUrl, id, (s) => s.output === null && s.runtimeStatus === 'Running');
    });
    await withHost({ DEVHOST_DURABLE_FAULT: 'afterEventAccepted' }, async (host) => {
      // The host dies right after storing the event, before any episode sees it.
      await fetch(`${host.baseUrl}/runtime/webhooks/durabletask/instances/${id}/raiseEvent/Go`, {
        method: 'POST',
        body: JSON.stringify('stored, then crash'),
      }).catch(() => undefined);
      await eventually(async () => (host.child.signalCode === 'SIGKILL' ? true : undefined));
    });
    await withHost({}, async (host) => {
      const done = await waitFor(host.baseUrl, id);
      expect(done.output).toEqual({ first: 'Hello first', go: 'stored, then crash' });
    });
  });

  for (const fault of ['beforeCheckpoint', 'afterCheckpoint', 'afterActivityRun']) {
    it(`finishes a 3-activity orchestration exactly once after a crash ${fault}`, async () => {
      const id = `seq-${fault}-${uid()}`;
      await withHost({ DEVHOST_DURABLE_FAULT: fault }, async (host) => {
        await fetch(`${host.baseUrl}/runtime/webhooks/durabletask/orchestrators/sequence/${id}`, {
          method: 'POST',
        }).catch(() => undefined);
        await eventually(async () => (host.child.signalCode === 'SIGKILL' ? true : undefined));
      });
      await withHost({}, async (host) => {
        const done = await waitFor(host.baseUrl, id);
        expect(done.output).toEqual(['Hello Tokyo', 'Hello Seattle', 'Hello London']);
        const history = (await getStatus(host.baseUrl, id, true))?.historyEvents;
        expect(countEvents(history, 'TaskScheduled')).toBe(3);
        expect(countEvents(history, 'TaskCompleted')).toBe(3);
        expect(countEvents(history, 'ExecutionCompleted')).toBe(1);
      });
    });
  }

  it('resumes at the virtual time it had reached; DEVHOST_CLOCK_OFFSET moves it further on', async () => {
    const hub = `ClockTest${uid().replace(/-/g, '')}`;
    const clockOf = async (host: DevhostProcess) =>
      Date.parse((await readJson(await fetch(`${host.baseUrl}/admin/devhost/clock`))).now);
    const HOUR = 3_600_000;
    let first = await startDurableHost({}, hub);
    await advance(first.baseUrl, 'PT5H');
    const reached = await clockOf(first);
    await first.kill9();
    first = await startDurableHost({}, hub);
    const resumed = await clockOf(first);
    expect(resumed).toBeGreaterThanOrEqual(reached);
    expect(resumed - Date.now()).toBeGreaterThan(5 * HOUR - 60_000);
    await first.kill9();
    const later = await startDurableHost({ DEVHOST_CLOCK_OFFSET: 'PT2H' }, hub);
    try {
      expect((await clockOf(later)) - Date.now()).toBeGreaterThan(7 * HOUR - 60_000);
    } finally {
      await later.kill9();
    }
  });

  it('fires a timer exactly once after a crash right after it fired', async () => {
    const id = `tf-${uid()}`;
    await withHost({ DEVHOST_DURABLE_FAULT: 'afterTimerFired' }, async (host) => {
      await start(host.baseUrl, 'sleeper', id, { hours: 1 });
      await waitFor(host.baseUrl, id, (s) => s.customStatus === 'sleeping');
      await advance(host.baseUrl, 'PT2H').catch(() => undefined);
      await eventually(async () => (host.child.signalCode === 'SIGKILL' ? true : undefined));
    });
    // The firing died with the host; the timer row did not, so it fires again once due.
    await withHost({ DEVHOST_CLOCK_OFFSET: 'PT2H' }, async (host) => {
      const done = await waitFor(host.baseUrl, id);
      expect(done.runtimeStatus).toBe('Completed');
      const history = (await getStatus(host.baseUrl, id, true))?.historyEvents;
      expect(countEvents(history, 'TimerFired')).toBe(1);
    });
  });
});
