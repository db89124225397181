// Activation lifecycles with the host killed (kill -9) at random moments while requests are in
// flight, then restarted; at the end virtual time moves past every window. Nothing may outlive its
// window, no principal may hold two grants, and every request that was accepted has its audit trail.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stepOf } from '../../shared/activation/audit-steps';
import { getRequest } from '../../shared/activation/requests-repo';
import { DEMO_USERS } from '../../shared/auth/demo-users';
import { mintDevToken } from '../../shared/auth/dev-issuer';
import { services } from '../../shared/services';
import { type DevhostProcess, eventually, readJson, startDevhost } from '../helpers/devhost';
import { ACTIONS, ROLE_IDS } from '../helpers/seeds';

/** A principal's live activations of Security Reader, read from the store the access check uses. */
async function activations(principalId: string) {
  const rows = await services().stores.roleManagement.schedules(
    { kind: 'role', id: ROLE_IDS.securityReader },
    'assignment',
    { principalId },
  );
  return rows.filter((r) => r.value.assignmentType === 'Activated');
}

/** A request's audit steps (Step detail, or Grant/Revoke for the store's own rows), as stored. */
async function auditSteps(requestId: string): Promise<string[]> {
  const page = await services().stores.audit.query({ criteria: { correlationId: requestId }, top: 999 });
  return page.items.map(
    (a) =>
      stepOf(a) ?? (a.operationType === 'Assign' ? 'Grant' : a.operationType === 'Unassign' ? 'Revoke' : '?'),
  );
}

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
    BOOTSTRAP_ADMIN_IDS: DEMO_USERS.megan.id,
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
    const accepted = new Map<string, string[]>(); // principal -> request ids answered 201
    let host: DevhostProcess = await startDevhost({ quiet: true, env: env() });
    const hostNow = async () =>
      new Date((await readJson(await fetch(`${host.baseUrl}/admin/devhost/clock`))).now);
    // An admin makes every principal permanently eligible, as a person would.
    const admin = await mintDevToken('megan', { mfa: true, keyDir, at: await hostNow() });
    for (const u of users) {
      const res = await fetch(
        `${host.baseUrl}/api/v1.0/roleManagement/directory/roleEligibilityScheduleRequests`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            action: 'adminAssign',
            principalId: u.id,
            roleDefinitionId: ROLE_IDS.securityReader,
            directoryScopeId: '/',
            justification: 'crash test',
            scheduleInfo: { expiration: { type: 'noExpiration' } },
          }),
        },
      );
      expect(res.status).toBe(201);
    }
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
      const live = await activations(u.id);
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
    // A request whose answer a crash swallowed may still have started one: list them all.
    const orchestrated: string[] = [];
    let continuation = '';
    do {
      const res = await fetch(`${host.baseUrl}/runtime/webhooks/durabletask/instances?top=100`, {
        headers: continuation ? { 'x-ms-continuation-token': continuation } : {},
      });
      orchestrated.push(...(await readJson(res)).map((s: { instanceId: string }) => s.instanceId));
      continuation = res.headers.get('x-ms-continuation-token') ?? '';
    } while (continuation);
    console.log(`crash test: ${ids.length} requests answered 201, ${orchestrated.length} orchestrations`);
    await eventually(async () => {
      const rows = await Promise.all(orchestrated.map(getRequest));
      const stillGranted = await Promise.all(users.map(async (u) => (await activations(u.id)).length > 0));
      return rows.every((r) => r?.status === 'Expired') && stillGranted.every((g) => !g) ? true : undefined;
    }, 60_000);
    // Each orchestrated request has its whole audit trail, each step once.
    let trails = 0;
    for (const id of orchestrated) {
      const steps = await auditSteps(id);
      for (const step of ['Requested', 'Provisioned', 'Grant', 'Revoke', 'Expired']) {
        expect(
          steps.filter((x) => x === step),
          `${id} ${step}`,
        ).toHaveLength(1);
      }
      trails++;
    }
    expect(trails).toBeGreaterThanOrEqual(PRINCIPALS * 0.8);
    await host.stop();
  }, 240_000); // 50 lifecycles and 6 host starts: ~25 s alone, far more on 2 busy cores
});
