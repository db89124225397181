// The activation orchestration's clock on the real durable engine, with a virtual clock and steps
// that act on a scripted store (test/fixtures/activation-app): when it asks for a timeout, a
// reminder or the end of the window, how it follows a request's changes, and that a lost or stale
// event never changes the outcome.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivationState } from '../../shared/domain/activation';
import { timeOrderedId } from '../../shared/time-ordered-id';
import { type DevhostProcess, eventually, readJson, repoRoot, startDevhost } from '../helpers/devhost';
import { advance, getStatus, waitFor } from '../helpers/durable';

const HOUR = 3600_000;

interface Call {
  step: string;
  at: string;
  endDateTime?: string;
}

describe('activation orchestration', () => {
  let host: DevhostProcess;
  let base: string;

  beforeAll(async () => {
    host = await startDevhost({
      appRoot: path.join(repoRoot, 'test', 'fixtures', 'activation-app'),
      entry: path.join(repoRoot, 'dist', 'test', 'fixtures', 'activation-app', 'index.js'),
      quiet: true,
      env: { DEVHOST_VIRTUAL_CLOCK: 'true', DEVHOST_TASK_HUB: `ActivationOrch${Date.now() % 100000}` },
    });
    base = host.baseUrl;
  });
  afterAll(async () => {
    await host?.stop();
  });

  const hostNow = async () => Date.parse((await readJson(await fetch(`${base}/admin/devhost/clock`))).now);
  const iso = (ms: number) => new Date(ms).toISOString();

  async function start(state: Omit<ActivationState, 'requestId'>): Promise<ActivationState> {
    const requestId = timeOrderedId(Date.now());
    const full = { ...state, requestId };
    const res = await fetch(`${base}/api/activations/${requestId}`, {
      method: 'POST',
      body: JSON.stringify(full),
    });
    expect(res.status).toBe(202);
    return full;
  }
  const granted = async (hours: number) =>
    start({
      status: 'Provisioned',
      revision: 1,
      endDateTime: iso((await hostNow()) + hours * HOUR),
      deadline: null,
    });
  const pending = async (status: 'PendingMfa' | 'PendingApproval', hours: number) =>
    start({ status, revision: 0, endDateTime: null, deadline: iso((await hostNow()) + hours * HOUR) });

  /** A command changed the request; `tell: false` loses the event on the way. */
  const change = (s: ActivationState, tell = true) =>
    fetch(`${base}/api/activations/${s.requestId}${tell ? '' : '?tell=false'}`, {
      method: 'PUT',
      body: JSON.stringify(s),
    });
  const event = (s: ActivationState) =>
    fetch(`${base}/api/activations/${s.requestId}/events`, { method: 'POST', body: JSON.stringify(s) });
  const calls = async (id: string): Promise<Call[]> => readJson(await fetch(`${base}/api/calls/${id}`));
  const steps = async (id: string) => (await calls(id)).map((c) => c.step);
  const running = (id: string) => waitFor(base, id, (s) => s.runtimeStatus === 'Running');
  const finished = async (id: string) => (await waitFor(base, id)).output;

  it('keeps a granted window: reminds before the end, and ends it on time', async () => {
    const s = await granted(8);
    await running(s.requestId);
    await advance(base, 'PT7H50M');
    await eventually(async () => ((await steps(s.requestId)).includes('remind') ? true : undefined));
    expect(await steps(s.requestId)).toEqual(['remind']);
    await advance(base, 'PT11M');
    expect(await finished(s.requestId)).toBe('Expired');
    const [remind, expire] = await calls(s.requestId);
    expect(remind?.endDateTime).toBe(s.endDateTime);
    expect(Date.parse(expire!.at)).toBeGreaterThanOrEqual(Date.parse(s.endDateTime!));
  });

  it('ends at once when the request is deactivated, without asking for the end', async () => {
    const s = await granted(8);
    await running(s.requestId);
    await change({ ...s, status: 'Revoked', revision: 2 });
    expect(await finished(s.requestId)).toBe('Revoked');
    expect(await steps(s.requestId)).toEqual([]);
  });

  it('follows an extension: the end comes at the new end; a stale event changes nothing', async () => {
    const s = await granted(2);
    await running(s.requestId);
    await advance(base, 'PT1H');
    const extended = { ...s, revision: 2, endDateTime: iso(Date.parse(s.endDateTime!) + 3 * HOUR) };
    await change(extended);
    await event({ ...s, status: 'Revoked', revision: 1 }); // older than what it knows: ignored
    await advance(base, 'PT2H');
    expect(await steps(s.requestId)).not.toContain('expire');
    await advance(base, 'PT3H');
    expect(await finished(s.requestId)).toBe('Expired');
    expect((await calls(s.requestId)).filter((c) => c.step === 'expire')).toHaveLength(1);
  });

  it('loses nothing when an extension event is lost: at the old end it finds the new one', async () => {
    const s = await granted(2);
    await running(s.requestId);
    const extended = { ...s, revision: 2, endDateTime: iso(Date.parse(s.endDateTime!) + 4 * HOUR) };
    await change(extended, false);
    await advance(base, 'PT2H1M');
    await eventually(async () => ((await steps(s.requestId)).includes('expire') ? true : undefined));
    expect((await getStatus(base, s.requestId))?.runtimeStatus).toBe('Running');
    await advance(base, 'PT4H');
    expect(await finished(s.requestId)).toBe('Expired');
    expect((await calls(s.requestId)).filter((c) => c.step === 'expire')).toHaveLength(2);
  });

  it('times a pending request out at its deadline, unless it moved on', async () => {
    const waiting = await pending('PendingApproval', 24);
    const approved = await pending('PendingApproval', 24);
    await running(waiting.requestId);
    await running(approved.requestId);
    const end = iso((await hostNow()) + 8 * HOUR);
    await change({ ...approved, status: 'Provisioned', revision: 1, endDateTime: end, deadline: null });
    await advance(base, 'PT25H');
    expect(await finished(waiting.requestId)).toBe('TimedOut');
    expect(await steps(waiting.requestId)).toEqual(['timeOut']);
    // The approved one went on to its window, and past its end.
    expect(await finished(approved.requestId)).toBe('Expired');
    expect(await steps(approved.requestId)).not.toContain('timeOut');
  });

  it('goes from MFA to approval to the window, and ends on a denial or cancel while pending', async () => {
    const s = await pending('PendingMfa', 0.25);
    await running(s.requestId);
    const approval = {
      ...s,
      status: 'PendingApproval' as const,
      revision: 1,
      deadline: iso((await hostNow()) + 24 * HOUR),
    };
    await change(approval);
    await advance(base, 'PT1H'); // past the MFA deadline: no timeout, the request moved on
    expect(await steps(s.requestId)).toEqual([]);
    await change({ ...approval, status: 'Denied', revision: 2, deadline: null });
    expect(await finished(s.requestId)).toBe('Denied');

    const canceled = await pending('PendingApproval', 24);
    await running(canceled.requestId);
    await change({ ...canceled, status: 'Canceled', revision: 1, deadline: null });
    expect(await finished(canceled.requestId)).toBe('Canceled');
    expect(await steps(canceled.requestId)).toEqual([]);
  });
});
