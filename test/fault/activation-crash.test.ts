// Activation lifecycles with the host killed (kill -9) at random moments while requests are in
// flight, then restarted; at the end virtual time moves past every window. Nothing may outlive its
// window, no principal may hold two grants, and every request that was accepted has its audit trail.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ACTIONS, ROLE_IDS } from '../../shared/access/catalog';
import { listAssignments, putEligibility } from '../../shared/activation/assignments-repo';
import { auditByCorrelation } from '../../shared/activation/audit-repo';
import { getRequest } from '../../shared/activation/requests-repo';
import { mintDevToken } from '../../shared/auth/dev-issuer';
import { type DevhostProcess, eventually, readJson, startDevhost } from '../helpers/devhost';

const REQUESTS = '/api/v1.0/roleManagement/directory/roleAssignmentScheduleRequests';
const PRINCIPALS = 50;
const WAVES = 5;

/** A small seeded generator, so a failing run can be replayed. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('activation lifecycles across host crashes', () => {
  let keyDir: string;
  let offsetIso = 'PT0S';
  const prefix = `Crash${Date.now() % 100000}`;
  const env = () => ({
    DEV_ISSUER_ENABLED: 'true',
    DEV_ISSUER_KEY_DIR: keyDir,
    DEMO_DATA: 'true',
    TABLE_PREFIX: prefix,
    DEVHOST_TASK_HUB: `${prefix}Hub`,
    DEVHOST_VIRTUAL_CLOCK: 'true',
    DEVHOST_CLOCK_OFFSET: offsetIso,
  });

  beforeAll(() => {
    keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jit-crash-keys-'));
    process.env.AzureWebJobsStorage = inject('storageConnectionString');
    process.env.TABLE_PREFIX = prefix;
  });
  afterAll(() => fs.rmSync(keyDir, { recursive: true, force: true }));

  it('never lets a grant outlive its window, never grants twice, never loses an audit row', async () => {
    const seed = Number(process.env.CRASH_SEED ?? 20261123);
    const rand = random(seed);
    const users = Array.from({ length: PRINCIPALS }, (_, i) => ({
      id: randomUUID(),
      displayName: `Crash ${i}`,
      userPrincipalName: `crash${i}@contoso.example`,
    }));
    for (const u of users) {
      await putEligibility({
        principalId: u.id,
        target: { kind: 'role', roleDefinitionId: ROLE_IDS.securityReader, directoryScopeId: '/' },
        startDateTime: '2026-01-01T00:00:00.000Z',
        endDateTime: null,
      });
    }
    const accepted = new Map<string, string[]>(); // principal -> request ids answered 201
    let host: DevhostProcess = await startDevhost({ quiet: true, env: env() });
    const hostNow = async () =>
      new Date((await readJson(await fetch(`${host.baseUrl}/admin/devhost/clock`))).now);
    const activate = async (u: (typeof users)[number]) => {
      const token = await mintDevToken(u, { mfa: true, keyDir, at: await hostNow() });
      const res = await fetch(`${host.baseUrl}${REQUESTS}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          action: 'selfActivate',
          principalId: u.id,
          roleDefinitionId: ROLE_IDS.securityReader,
          directoryScopeId: '/',
        }),
      });
      if (res.status === 201) accepted.set(u.id, [...(accepted.get(u.id) ?? []), (await readJson(res)).id]);
      return res.status;
    };

    let kills = 0;
    for (let wave = 0; wave < WAVES; wave++) {
      const batch = users.slice(wave * (PRINCIPALS / WAVES), (wave + 1) * (PRINCIPALS / WAVES));
      const inFlight = batch.map((u) => activate(u).catch(() => 0));
      await new Promise((r) => setTimeout(r, 20 + Math.floor(rand() * 300))); // the crash lands anywhere
      await host.kill9();
      kills++;
      await Promise.all(inFlight);
      host = await startDevhost({ quiet: true, env: env() });
      // A requester whose call died asks again: a request that did start is extended, not doubled.
      for (const u of batch) if (!accepted.has(u.id)) await activate(u).catch(() => 0);
    }
    expect(kills).toBe(WAVES);

    // Every accepted request reaches its grant (or is an extension of one).
    const ids = [...accepted.values()].flat();
    await eventually(async () => {
      const rows = await Promise.all(ids.map(getRequest));
      return rows.every((r) => r?.status === 'Provisioned') ? true : undefined;
    }, 60_000);
    for (const u of users) {
      const live = (await listAssignments(u.id)).filter((a) => a.assignmentType === 'Activated');
      expect(live.length).toBeLessThanOrEqual(1); // one grant per principal and role, whatever happened
    }

    // Past every window (8 hours): the host restarts with its clock 9 hours on.
    await host.stop();
    offsetIso = 'PT9H';
    host = await startDevhost({ quiet: true, env: env() });
    const reader = await mintDevToken('reader', { mfa: true, keyDir, at: await hostNow() });
    for (const u of users) {
      const res = await fetch(`${host.baseUrl}/api/v1.0/access/check`, {
        method: 'POST',
        headers: { authorization: `Bearer ${reader}`, 'content-type': 'application/json' },
        body: JSON.stringify({ principalId: u.id, action: ACTIONS.readSecurity }),
      });
      expect((await readJson(res)).allowed).toBe(false); // exact even before any revoke ran
    }
    // Requests with an orchestration (instance id = request id) end Expired; extensions have none.
    const orchestrated: string[] = [];
    for (const id of ids) {
      const res = await fetch(`${host.baseUrl}/runtime/webhooks/durabletask/instances/${id}`);
      if (res.status !== 404) orchestrated.push(id);
    }
    await eventually(async () => {
      const rows = await Promise.all(orchestrated.map(getRequest));
      const stillGranted = await Promise.all(
        users.map(async (u) => (await listAssignments(u.id)).some((a) => a.assignmentType === 'Activated')),
      );
      return rows.every((r) => r?.status === 'Expired') && stillGranted.every((g) => !g) ? true : undefined;
    }, 60_000);
    // Each orchestrated request has its whole audit trail, each step once.
    let trails = 0;
    for (const id of orchestrated) {
      const steps = (await auditByCorrelation(id)).map((a) => a.operationType);
      for (const step of ['Requested', 'Provisioned', 'Revoke-expired', 'Expired']) {
        expect(
          steps.filter((x) => x === step),
          `${id} ${step}`,
        ).toHaveLength(1);
      }
      trails++;
    }
    expect(trails).toBeGreaterThanOrEqual(PRINCIPALS * 0.8);
    await host.stop();
  });
});
