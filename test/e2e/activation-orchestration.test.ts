// The activation lifecycle as the orchestrator runs it on the real durable engine, with a virtual
// clock: what it asks its activities to do, in which order, and when.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivationInput } from '../../orchestrations/activation-contract';
import { type DevhostProcess, eventually, readJson, repoRoot, startDevhost } from '../helpers/devhost';
import { advance, waitFor } from '../helpers/durable';

const HOUR = 3600_000;

interface Call {
  activity: string;
  // biome-ignore lint/suspicious/noExplicitAny: activity inputs differ per activity
  input: any;
  at: string;
}

describe('activation orchestration', () => {
  let host: DevhostProcess;
  let base: string;

  beforeAll(async () => {
    host = await startDevhost({
      appRoot: path.join(repoRoot, 'test', 'fixtures', 'activation-app'),
      entry: path.join(repoRoot, 'dist', 'test', 'fixtures', 'activation-app', 'index.js'),
      quiet: true,
      env: { DEVHOST_VIRTUAL_CLOCK: 'true' },
    });
    base = host.baseUrl;
  });
  afterAll(async () => {
    await host?.stop();
  });

  async function activate(overrides: Partial<ActivationInput> = {}): Promise<string> {
    const requestId = randomUUID();
    const input: ActivationInput = {
      requestId,
      principalId: 'alex',
      target: { kind: 'role', roleDefinitionId: 'security-reader', directoryScopeId: '/' },
      durationMs: 8 * HOUR,
      mfaSatisfied: true,
      mfaTimeoutMs: 0.25 * HOUR,
      reminderBeforeEndMs: 0.25 * HOUR,
      ...overrides,
    };
    const res = await fetch(`${base}/api/activations/${requestId}`, {
      method: 'POST',
      body: JSON.stringify(input),
    });
    expect(res.status).toBe(202);
    return requestId;
  }

  const raise = (id: string, name: string, data: unknown = null) =>
    fetch(`${base}/api/activations/${id}/events/${name}`, { method: 'POST', body: JSON.stringify(data) });
  const calls = async (id: string): Promise<Call[]> => readJson(await fetch(`${base}/api/calls/${id}`));
  const statuses = async (id: string) =>
    (await calls(id)).filter((c) => c.activity === 'activation-setStatus').map((c) => c.input.status);
  const notices = async (id: string) =>
    (await calls(id)).filter((c) => c.activity === 'activation-notify').map((c) => c.input.event);
  const grants = async (id: string) => (await calls(id)).filter((c) => c.activity === 'activation-grant');
  const revokes = async (id: string) => (await calls(id)).filter((c) => c.activity === 'activation-revoke');
  const status = (id: string, wanted: string) => waitFor(base, id, (s) => s.customStatus === wanted);
  /** The custom status shows a step as soon as it is scheduled; its activity may run a moment later. */
  const recorded = <T>(probe: () => Promise<T>, expected: T) =>
    eventually(async () => {
      const value = await probe();
      return JSON.stringify(value) === JSON.stringify(expected) ? value : undefined;
    });

  it('grants at once with MFA in the token, reminds before the end, and revokes on time', async () => {
    const id = await activate();
    await status(id, 'Provisioned');
    const [grant] = await grants(id);
    expect(Date.parse(grant.input.endDateTime) - Date.parse(grant.input.startDateTime)).toBe(8 * HOUR);
    await advance(base, 'PT7H50M');
    await eventually(async () => ((await notices(id)).includes('expiringSoon') ? true : undefined));
    expect(await revokes(id)).toHaveLength(0);
    await advance(base, 'PT11M');
    const done = await waitFor(base, id);
    expect(done.output).toEqual({ status: 'Expired' });
    expect(await statuses(id)).toEqual(['Provisioned', 'Expired']);
    expect(await notices(id)).toEqual(['activated', 'expiringSoon', 'expired']);
    expect((await revokes(id))[0].input.reason).toBe('expired');
  });

  it('waits for MFA when the token lacks it, and grants after verification', async () => {
    const id = await activate({ mfaSatisfied: false });
    await status(id, 'PendingMfa');
    expect(await grants(id)).toHaveLength(0);
    await raise(id, 'MfaVerified', { method: 'totp' });
    await recorded(async () => (await grants(id)).length, 1);
  });

  it('times out when MFA never comes, without granting', async () => {
    const id = await activate({ mfaSatisfied: false });
    await status(id, 'PendingMfa');
    await advance(base, 'PT16M');
    expect((await waitFor(base, id)).output).toEqual({ status: 'TimedOut' });
    expect(await grants(id)).toHaveLength(0);
  });

  it('grants after an approval and not after a denial', async () => {
    const approved = await activate({ approval: { approvalId: 'ap-1', timeoutMs: 24 * HOUR } });
    await status(approved, 'PendingApproval');
    await recorded(() => notices(approved), ['activationRequested']);
    await raise(approved, 'ApprovalDecided', { reviewResult: 'Approve', approverId: 'adele' });
    await recorded(() => statuses(approved), ['PendingApproval', 'Granted', 'Provisioned']);

    const denied = await activate({ approval: { approvalId: 'ap-2', timeoutMs: 24 * HOUR } });
    await status(denied, 'PendingApproval');
    await raise(denied, 'ApprovalDecided', {
      reviewResult: 'Deny',
      approverId: 'adele',
      justification: 'not now',
    });
    expect((await waitFor(base, denied)).output).toEqual({ status: 'Denied' });
    expect(await grants(denied)).toHaveLength(0);
    expect(await notices(denied)).toEqual(['activationRequested', 'denied']);
  });

  it('expires an undecided approval and honours a cancel while pending', async () => {
    const expiring = await activate({ approval: { approvalId: 'ap-3', timeoutMs: 24 * HOUR } });
    await status(expiring, 'PendingApproval');
    const canceled = await activate({ approval: { approvalId: 'ap-4', timeoutMs: 24 * HOUR } });
    await status(canceled, 'PendingApproval');
    await raise(canceled, 'Cancel');
    expect((await waitFor(base, canceled)).output).toEqual({ status: 'Canceled' });
    await advance(base, 'PT25H');
    expect((await waitFor(base, expiring)).output).toEqual({ status: 'TimedOut' });
    expect(await grants(expiring)).toHaveLength(0);
    expect(await grants(canceled)).toHaveLength(0);
  });

  it('revokes early on deactivate, and on an admin removal', async () => {
    const self = await activate();
    await status(self, 'Provisioned');
    await raise(self, 'Deactivate');
    expect((await waitFor(base, self)).output).toEqual({ status: 'Revoked' });
    expect((await revokes(self))[0].input).toMatchObject({ reason: 'selfDeactivate', by: 'alex' });

    const admin = await activate();
    await status(admin, 'Provisioned');
    await raise(admin, 'Revoke', { by: 'megan', reason: 'adminRemove' });
    expect((await waitFor(base, admin)).output).toEqual({ status: 'Revoked' });
    expect((await revokes(admin))[0].input).toMatchObject({ reason: 'adminRemove', by: 'megan' });
    expect(await notices(admin)).toContain('revoked');
  });

  it('extends the window: the revoke comes at the new end, not the old one', async () => {
    const id = await activate({ durationMs: 2 * HOUR });
    await status(id, 'Provisioned');
    await advance(base, 'PT1H');
    await raise(id, 'Extend', { requestId: randomUUID(), durationMs: 4 * HOUR });
    await eventually(async () => ((await grants(id)).length === 2 ? true : undefined));
    const [first, second] = await grants(id);
    expect(Date.parse(second.input.endDateTime) - Date.parse(first.input.endDateTime)).toBeGreaterThanOrEqual(
      3 * HOUR - 60_000,
    );
    await advance(base, 'PT2H');
    expect(await revokes(id)).toHaveLength(0);
    await advance(base, 'PT3H');
    expect((await waitFor(base, id)).output).toEqual({ status: 'Expired' });
  });
});
