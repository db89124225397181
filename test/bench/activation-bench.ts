// Activation figures (issue "Hot paths at the storage floor"), on the devhost with the app as it
// runs. Counts come from an in-memory Azurite that logs every request it answers (its access log);
// latencies and rates from a silent one (logging costs Azurite time), on the same 2 cores:
//   - storage requests per access check, per lifecycle (activate + deactivate, everything: the
//     commits, publication in the background, the orchestration) and before the activation's 201
//   - the floor: raw SDK point reads against the same Azurite, 50 in flight; access checks at 50
//     connections beside it, and the ratios
//   - activation POST -> access allowed at 20 concurrent and one at a time; approval decision ->
//     access allowed
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import autocannon from 'autocannon';
import { type AzuriteHandle, startAzurite } from '../../devhost/azurite';
import { DEMO_USERS } from '../../shared/auth/demo-users';
import { mintDevToken } from '../../shared/auth/dev-issuer';
import { BuiltInRoleId } from '../../shared/domain/roles';
import { ACTIONS } from '../helpers/seeds';
import { type BenchHost, percentile, type Row, repoRoot, startBenchHost } from './bench-util';

const READ_SECURITY = ACTIONS.readSecurity;

const V1 = '/api/v1.0';
const REQUESTS = `${V1}/roleManagement/directory/roleAssignmentScheduleRequests`;
const APPROVALS = `${V1}/roleManagement/directory/roleAssignmentApprovals`;
const READ_DIRECTORY = 'microsoft.directory/users/read';
const USERS = 20;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

interface Person {
  id: string;
  displayName: string;
  userPrincipalName: string;
}

// biome-ignore lint/suspicious/noExplicitAny: JSON answers
type Json = any;

export async function activationBench(silent: AzuriteHandle): Promise<Row[]> {
  const counting = await startAzurite({ countRequests: true });
  try {
    const counts = await withHost(counting, (b) => b.counts());
    const timings = await withHost(silent, (b) => b.timings());
    return [...counts, ...timings];
  } finally {
    await counting.stop();
  }
}

interface Bench {
  counts(): Promise<Row[]>;
  timings(): Promise<Row[]>;
}

async function withHost(azurite: AzuriteHandle, run: (b: Bench) => Promise<Row[]>): Promise<Row[]> {
  const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jit-bench-keys-'));
  const prefix = `Bench${Date.now() % 1_000_000}`;
  const host: BenchHost = await startBenchHost({
    appRoot: repoRoot,
    env: {
      AzureWebJobsStorage: azurite.connectionString,
      DEV_ISSUER_ENABLED: 'true',
      DEV_ISSUER_KEY_DIR: keyDir,
      DEMO_DATA: 'true',
      BOOTSTRAP_ADMIN_IDS: DEMO_USERS.megan.id,
      TABLE_PREFIX: prefix,
      DEVHOST_TASK_HUB: `${prefix}Hub`,
      DEVHOST_QUIET: '1',
      STORAGE_DIAGNOSTICS: 'true',
      FAULT_INJECTION_ENABLED: 'true',
    },
  });
  const tokens = new Map<string, string>();
  const token = async (who: Person | 'megan' | 'adele') => {
    const key = typeof who === 'string' ? who : who.id;
    let t = tokens.get(key);
    if (!t) {
      t = await mintDevToken(who, { mfa: true, keyDir, minutes: 240 });
      tokens.set(key, t);
    }
    return t;
  };
  const call = async (who: Person | 'megan' | 'adele', method: string, url: string, body?: unknown) => {
    const res = await fetch(`${host.baseUrl}${url}`, {
      method,
      headers: { authorization: `Bearer ${await token(who)}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: (text ? JSON.parse(text) : undefined) as Json,
      storage: Number(res.headers.get('x-storage-requests') ?? Number.NaN),
    };
  };
  const must = async (status: number, ...args: Parameters<typeof call>) => {
    const res = await call(...args);
    if (res.status !== status)
      throw new Error(`${args[1]} ${args[2]}: ${res.status} ${JSON.stringify(res.body)}`);
    return res;
  };
  /** Everything the calls so far set off has finished: publication, orchestrations, Azurite's count. */
  const quiet = async () => {
    let last = -1;
    for (;;) {
      await fetch(`${host.baseUrl}/api/test/idle`);
      await fetch(`${host.baseUrl}/admin/devhost/idle`);
      await new Promise((r) => setTimeout(r, 150));
      if (azurite.requests() === last) return last;
      last = azurite.requests();
    }
  };
  const activation = (u: Person, roleDefinitionId: string) => ({
    action: 'selfActivate',
    principalId: u.id,
    roleDefinitionId,
    directoryScopeId: '/',
    justification: 'bench',
    scheduleInfo: { expiration: { type: 'afterDuration', duration: 'PT1H' } },
  });
  const deactivation = (u: Person, roleDefinitionId: string) => ({
    action: 'selfDeactivate',
    principalId: u.id,
    roleDefinitionId,
    directoryScopeId: '/',
  });
  const allowed = async (u: Person, action: string) =>
    (await must(200, u, 'POST', `${V1}/access/check`, { action })).body.allowed === true;
  const until = async (probe: () => Promise<boolean>) => {
    const deadline = performance.now() + 30_000;
    while (!(await probe())) {
      if (performance.now() > deadline) throw new Error('bench step timed out');
    }
  };

  try {
    const users: Person[] = Array.from({ length: USERS }, (_, i) => ({
      id: randomUUID(),
      displayName: `Bench ${i}`,
      userPrincipalName: `bench${i}@contoso.example`,
    }));
    for (const u of users) {
      for (const roleDefinitionId of [BuiltInRoleId.securityReader, BuiltInRoleId.globalReader]) {
        await must(201, 'megan', 'POST', `${V1}/roleManagement/directory/roleEligibilityScheduleRequests`, {
          action: 'adminAssign',
          principalId: u.id,
          roleDefinitionId,
          directoryScopeId: '/',
          scheduleInfo: { expiration: { type: 'noExpiration' } },
        });
      }
      // A first lifecycle each: a person's first call records them as a user (once, ever).
      await must(201, u, 'POST', REQUESTS, activation(u, BuiltInRoleId.securityReader));
      await must(201, u, 'POST', REQUESTS, deactivation(u, BuiltInRoleId.securityReader));
    }

    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const ms = (x: number) => `${x.toFixed(0)} ms`;
    const checker = users[0] as Person;
    return await run({
      async counts() {
        // 1. Storage requests: per check, per lifecycle, before the activation's 201.
        await quiet();
        let c0 = await quiet();
        let appPerCheck = 0;
        for (let i = 0; i < 100; i++)
          appPerCheck += (await must(200, checker, 'POST', `${V1}/access/check`, { action: READ_SECURITY }))
            .storage;
        const perCheck = ((await quiet()) - c0) / 100;
        const activate: number[] = [];
        const deactivate: number[] = [];
        const before201: number[] = [];
        for (const u of users) {
          c0 = await quiet();
          const res = await must(201, u, 'POST', REQUESTS, activation(u, BuiltInRoleId.securityReader));
          if (res.body.status !== 'Provisioned') throw new Error(`activation ${res.body.status}`);
          before201.push(res.storage);
          const c1 = await quiet();
          await must(201, u, 'POST', REQUESTS, deactivation(u, BuiltInRoleId.securityReader));
          const c2 = await quiet();
          activate.push(c1 - c0);
          deactivate.push(c2 - c1);
        }

        return [
          {
            metric: 'storage requests per access check (Azurite log; app count)',
            value: `${perCheck.toFixed(2)}; ${(appPerCheck / 100).toFixed(2)}`,
            target: '<= 1',
          },
          {
            metric: 'storage requests per lifecycle: activate + deactivate (all, Azurite log)',
            value: `${(mean(activate) + mean(deactivate)).toFixed(1)} = ${mean(activate).toFixed(1)} + ${mean(deactivate).toFixed(1)}`,
            target: '<= 40',
          },
          {
            metric: "storage requests before the activation's 201 (app count)",
            value: mean(before201).toFixed(1),
            target: '<= 8',
          },
        ];
      },
      async timings() {
        // 2. Activation POST -> access allowed: one at a time, then 20 at once (5 rounds).
        const grantLatency = async (u: Person) => {
          const t0 = performance.now();
          const res = await must(201, u, 'POST', REQUESTS, activation(u, BuiltInRoleId.securityReader));
          await until(() => allowed(u, READ_SECURITY));
          const ms = performance.now() - t0;
          if (res.body.status !== 'Provisioned') throw new Error(`activation ${res.body.status}`);
          return ms;
        };
        const off = (u: Person) =>
          must(201, u, 'POST', REQUESTS, deactivation(u, BuiltInRoleId.securityReader));
        const single: number[] = [];
        for (const u of users) {
          single.push(await grantLatency(u));
          await off(u);
        }
        await quiet();
        const concurrent: number[] = [];
        for (let round = 0; round < 5; round++) {
          concurrent.push(...(await Promise.all(users.map(grantLatency))));
          await Promise.all(users.map(off));
          await quiet();
        }

        // 3. Approval decision -> access allowed (Global Reader needs Adele's approval).
        const policyUrl = `${V1}/policies/roleManagementPolicies/DirectoryRole_${BuiltInRoleId.globalReader}`;
        const rule = (await must(200, 'megan', 'GET', policyUrl)).body.rules.find(
          (r: { id: string }) => r.id === 'Approval_EndUser_Assignment',
        );
        await must(200, 'megan', 'PATCH', `${policyUrl}/rules/Approval_EndUser_Assignment`, {
          setting: {
            ...rule.setting,
            isApprovalRequired: true,
            isRequestorJustificationRequired: false,
            approvalStages: [
              {
                ...rule.setting.approvalStages[0],
                isApproverJustificationRequired: false,
                primaryApprovers: [
                  { '@odata.type': '#microsoft.graph.singleUser', userId: DEMO_USERS.adele.id },
                ],
              },
            ],
          },
        });
        const pending = await Promise.all(
          users.map(
            async (u) =>
              (await must(201, u, 'POST', REQUESTS, activation(u, BuiltInRoleId.globalReader))).body,
          ),
        );
        await quiet();
        const approval: number[] = await Promise.all(
          users.map(async (u, i) => {
            const id = pending[i].id;
            const t0 = performance.now();
            await must(204, 'adele', 'PATCH', `${APPROVALS}/${id}/stages/${id}-1`, {
              reviewResult: 'Approve',
            });
            await until(() => allowed(u, READ_DIRECTORY));
            return performance.now() - t0;
          }),
        );
        await quiet();

        // 4. The floor (raw SDK point reads, 50 in flight) and access checks at 50 connections.
        const floor = await pointReadFloor(azurite.connectionString, `${prefix}RoleManagement`, SECONDS);
        const checks = await autocannon({
          url: `${host.baseUrl}${V1}/access/check`,
          method: 'POST',
          connections: 50,
          duration: SECONDS,
          headers: { authorization: `Bearer ${await token(checker)}`, 'content-type': 'application/json' },
          body: JSON.stringify({ action: READ_SECURITY }),
        });
        const checkRate = checks.requests.average;
        return [
          {
            metric: 'floor: SDK point reads, 50 in flight: req/s, p50 / p99',
            value: `${floor.rate.toFixed(0)}/s, ${floor.p50.toFixed(1)} / ${floor.p99.toFixed(1)} ms`,
            target: '',
          },
          {
            metric: 'access checks, 50 connections: req/s, p50 / p99',
            value: `${checkRate.toFixed(0)}/s, ${checks.latency.p50} / ${checks.latency.p99} ms (errors ${checks.errors + checks.non2xx})`,
            target: '',
          },
          {
            metric: 'access checks vs floor: rate ratio, p99 ratio',
            value: `${(checkRate / floor.rate).toFixed(2)}, ${(checks.latency.p99 / floor.p99).toFixed(2)}`,
            target: '>= 0.5, <= 2',
          },
          {
            metric: 'activation POST -> access allowed, one at a time: p50 / p99',
            value: `${ms(percentile(single, 50))} / ${ms(percentile(single, 99))}`,
            target: 'p50 <= 50 ms',
          },
          {
            metric: 'activation POST -> access allowed, 20 concurrent: p50 / p99',
            value: `${ms(percentile(concurrent, 50))} / ${ms(percentile(concurrent, 99))}`,
            target: 'p50 <= 300 ms, p99 <= 1 s',
          },
          {
            metric: 'approval decision -> access allowed, 20 concurrent: p50 / p99',
            value: `${ms(percentile(approval, 50))} / ${ms(percentile(approval, 99))}`,
            target: 'p99 <= 300 ms',
          },
        ];
      },
    });
  } finally {
    await host.stop();
    fs.rmSync(keyDir, { recursive: true, force: true });
  }
}

/** Point reads straight from the SDK, `inFlight` at a time, for `seconds`: what storage itself allows. */
async function pointReadFloor(
  connectionString: string,
  tableName: string,
  seconds: number,
  inFlight = 50,
): Promise<{ rate: number; p50: number; p99: number }> {
  const table = TableClient.fromConnectionString(connectionString, tableName, {
    allowInsecureConnection: true,
  });
  await table.upsertEntity({ partitionKey: 'bench-floor', rowKey: 'row', data: 'x'.repeat(400) }, 'Replace');
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await table.getEntity('bench-floor', 'row');
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { rate: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}
