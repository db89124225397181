// Storage goes away under load and comes back: the host stays up; while storage is unreachable
// every call answers 503 with Retry-After in Graph's envelope (never 500, never a stack trace);
// nothing accepted is lost; a command that got no answer or a 503 is retried with the same
// client-request-id and answers with the first attempt's request if that one had committed, so no
// one gets two activations; durable work resumes by itself; an extension ends with its activation.
// Its own Azurite, persisted in a temporary folder so that a restart keeps the data.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AzuriteHandle, freePort, startAzurite } from '../../devhost/azurite';
import { DEMO_USERS } from '../../shared/auth/demo-users';
import { mintDevToken } from '../../shared/auth/dev-issuer';
import { BuiltInRoleId } from '../../shared/domain/roles';
import { newPerson, type Person } from '../helpers/crash-host';
import { type DevhostProcess, eventually, readJson, startDevhost } from '../helpers/devhost';
import { ACTIONS } from '../helpers/seeds';

const V1 = '/api/v1.0';
const REQUESTS = `${V1}/roleManagement/directory/roleAssignmentScheduleRequests`;
const SR = BuiltInRoleId.securityReader;
const USERS = 6;

describe('a storage outage under load', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jit-outage-azurite-'));
  const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jit-outage-keys-'));
  let ports: { blob: number; queue: number; table: number };
  let azurite: AzuriteHandle;
  let host: DevhostProcess;

  beforeAll(async () => {
    ports = { blob: await freePort(), queue: await freePort(), table: await freePort() };
    azurite = await startAzurite({ location: dataDir, ports });
    host = await startDevhost({
      quiet: true,
      env: {
        AzureWebJobsStorage: azurite.connectionString,
        DEV_ISSUER_ENABLED: 'true',
        DEV_ISSUER_KEY_DIR: keyDir,
        DEMO_DATA: 'true',
        BOOTSTRAP_ADMIN_IDS: DEMO_USERS.megan.id,
        TABLE_PREFIX: 'Outage',
        DEVHOST_TASK_HUB: 'OutageHub',
        DEVHOST_VIRTUAL_CLOCK: 'true',
      },
    });
  }, 60_000);
  afterAll(async () => {
    await host?.stop();
    await azurite?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(keyDir, { recursive: true, force: true });
  });

  const hostNow = async () =>
    new Date((await readJson(await fetch(`${host.baseUrl}/admin/devhost/clock`))).now);
  async function call(
    who: Person | 'megan' | 'reader',
    method: string,
    url: string,
    body?: unknown,
    clientRequestId?: string,
  ) {
    const token = await mintDevToken(who, { mfa: true, keyDir, at: await hostNow() });
    const res = await fetch(`${host.baseUrl}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        ...(clientRequestId ? { 'client-request-id': clientRequestId } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  }

  const activation = (p: Person, duration = 'PT1H') => ({
    action: 'selfActivate',
    principalId: p.id,
    roleDefinitionId: SR,
    directoryScopeId: '/',
    scheduleInfo: { expiration: { type: 'afterDuration', duration } },
  });

  it('answers 503 while it lasts, loses nothing accepted, doubles nothing retried, and resumes by itself', async () => {
    const users = Array.from({ length: USERS }, (_, i) => newPerson(`Outage ${i}`));
    for (const u of users) {
      const res = await call(
        'megan',
        'POST',
        `${V1}/roleManagement/directory/roleEligibilityScheduleRequests`,
        {
          action: 'adminAssign',
          principalId: u.id,
          roleDefinitionId: SR,
          directoryScopeId: '/',
          scheduleInfo: { expiration: { type: 'noExpiration' } },
        },
      );
      expect(res.status).toBe(201);
    }
    // Before the outage: the first user holds an activation, and extends it (an extension to follow).
    const holder = await call(users[0]!, 'POST', REQUESTS, activation(users[0]!), randomUUID());
    expect(holder.status).toBe(201);
    const extension = await call(users[0]!, 'POST', REQUESTS, activation(users[0]!, 'PT2H'), randomUUID());
    expect(extension.body).toMatchObject({ status: 'Provisioned', targetScheduleId: holder.body.id });

    // Load: every other user activates (each with one client-request-id, kept for retries) and
    // checks access, over and over, while storage goes away and comes back.
    const keys = new Map(users.map((u) => [u.id, randomUUID()]));
    const accepted = new Map<string, string>(); // user -> request id answered 201
    const seen: {
      status: number;
      retryAfter: string | null;
      code?: string;
      stack: boolean;
      activation: boolean;
    }[] = [];
    let loading = true;
    const client = async (u: Person) => {
      while (loading) {
        const res = accepted.has(u.id)
          ? await call(u, 'POST', `${V1}/access/check`, { action: ACTIONS.readSecurity })
          : await call(u, 'POST', REQUESTS, activation(u), keys.get(u.id));
        seen.push({
          status: res.status,
          retryAfter: res.headers.get('retry-after'),
          code: res.body?.error?.code,
          stack: /\bat .+\.js:\d+/.test(JSON.stringify(res.body ?? '')),
          activation: !accepted.has(u.id),
        });
        if (res.status === 201) accepted.set(u.id, res.body.id);
      }
    };
    // Two users start before the outage, three once storage is gone (their activations meet it).
    const clients = users.slice(1, 3).map(client);
    await eventually(async () => (seen.length >= USERS ? true : undefined));
    await azurite.stop();
    clients.push(...users.slice(3).map(client));
    const downAt = seen.length;
    const health = await fetch(`${host.baseUrl}/api/health`);
    expect(health.status).toBe(503);
    expect((await readJson(health)).storage).toBe('unreachable');
    const audit = await call('megan', 'GET', `${V1}/auditLogs/directoryAudits?$top=5`);
    expect(audit.status).toBe(503);
    expect(audit.body.error.code).toBe('ServiceUnavailable');
    await eventually(async () => (seen.length >= downAt + USERS * 2 ? true : undefined), 60_000);
    azurite = await startAzurite({ location: dataDir, ports });
    await eventually(
      async () => ((await fetch(`${host.baseUrl}/api/health`)).status === 200 ? true : undefined),
      30_000,
    );
    await eventually(async () => (seen.length >= downAt + USERS * 4 ? true : undefined), 60_000);
    loading = false;
    await Promise.all(clients);

    // While it lasted: 503s with Retry-After in Graph's envelope; never a 500, never a stack trace.
    const failures = seen.filter((s) => s.status >= 400);
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures)
      expect(f).toMatchObject({ status: 503, code: 'ServiceUnavailable', stack: false });
    expect(failures.every((f) => Number(f.retryAfter) > 0)).toBe(true);
    expect(failures.some((f) => f.activation)).toBe(true); // activations met the outage too

    // A user whose activation never got a 201 retries it with the same client-request-id.
    for (const u of users.slice(1)) {
      if (accepted.has(u.id)) continue;
      const retried = await call(u, 'POST', REQUESTS, activation(u), keys.get(u.id));
      expect(retried.status).toBe(201);
      accepted.set(u.id, retried.body.id);
    }
    // Nothing accepted is lost, nothing is doubled: one activation each, granted, audited.
    for (const u of users.slice(1)) {
      const mine = await call(u, 'GET', `${REQUESTS}/filterByCurrentUser(on='principal')`);
      expect(mine.body.value.map((r: { id: string }) => r.id)).toEqual([accepted.get(u.id)]);
      expect(mine.body.value[0].status).toBe('Provisioned');
      expect(
        (await call(u, 'POST', `${V1}/access/check`, { action: ACTIONS.readSecurity })).body.allowed,
      ).toBe(true);
    }
    for (const id of [...accepted.values(), holder.body.id]) {
      await eventually(async () => {
        const filter = encodeURIComponent(`correlationId eq '${id}'`);
        const rows = (await call('megan', 'GET', `${V1}/auditLogs/directoryAudits?$filter=${filter}`)).body
          .value;
        const steps = rows.map(
          (r: { additionalDetails: { key: string; value: string }[] }) =>
            r.additionalDetails.find((d) => d.key === 'Step')?.value,
        );
        return steps.includes('Requested') && steps.includes('Granted') ? true : undefined;
      }, 90_000);
    }

    // Durable work resumes by itself: past the windows every activation ends, and the extension
    // ends with the activation it extended.
    await fetch(`${host.baseUrl}/admin/devhost/clock`, {
      method: 'POST',
      body: JSON.stringify({ advanceBy: 'PT3H' }),
    });
    for (const u of users) {
      await eventually(async () => {
        const mine = (await call(u, 'GET', `${REQUESTS}/filterByCurrentUser(on='principal')`)).body.value;
        return mine.every((r: { status: string }) => r.status === 'Expired') ? true : undefined;
      }, 90_000);
      expect(
        (await call(u, 'POST', `${V1}/access/check`, { action: ACTIONS.readSecurity })).body.allowed,
      ).toBe(false);
    }
    expect((await call(users[0]!, 'GET', `${REQUESTS}/${extension.body.id}`)).body.status).toBe('Expired');
  }, 300_000);
});
