// Activation figures (issue 6): selfActivate POST -> Provisioned and the access check allowed, at 20
// concurrent requesters (MFA in the token, no approval); approval decision -> access granted; access
// checks at 50 connections with autocannon; durable table operations per activation lifecycle.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { DEMO_USERS } from '../../shared/auth/demo-users';
import { mintDevToken } from '../../shared/auth/dev-issuer';
import { ApprovalRule, findRule } from '../../shared/domain/policy';
import { services, systemContext } from '../../shared/services';
import { ACTIONS, ROLE_IDS } from '../helpers/seeds';
import { type BenchHost, percentile, type Row, repoRoot, startBenchHost } from './bench-util';

const REQUESTS = '/api/v1.0/roleManagement/directory/roleAssignmentScheduleRequests';
const ADMIN = systemContext('activation bench');

// biome-ignore lint/suspicious/noExplicitAny: JSON answers
const body = async (res: Response): Promise<any> => res.json();

export async function activationBench(connectionString: string): Promise<Row[]> {
  const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jit-bench-keys-'));
  const prefix = `Bench${Date.now()}`;
  process.env.AzureWebJobsStorage = connectionString;
  process.env.TABLE_PREFIX = prefix;
  const host: BenchHost = await startBenchHost({
    appRoot: repoRoot,
    env: {
      AzureWebJobsStorage: connectionString,
      DEV_ISSUER_ENABLED: 'true',
      DEV_ISSUER_KEY_DIR: keyDir,
      DEMO_DATA: 'true',
      TABLE_PREFIX: prefix,
      DEVHOST_TASK_HUB: `${prefix}Hub`,
      DEVHOST_QUIET: '1',
    },
  });
  try {
    const users = Array.from({ length: 20 }, (_, i) => ({
      id: randomUUID(),
      displayName: `Bench ${i}`,
      userPrincipalName: `bench${i}@contoso.example`,
    }));
    for (const u of users) {
      for (const roleDefinitionId of [ROLE_IDS.securityReader, ROLE_IDS.globalReader]) {
        await services().requests.submitRoleRequest(ADMIN, 'eligibility', {
          action: 'adminAssign',
          principalId: u.id,
          roleDefinitionId,
          directoryScopeId: '/',
          justification: 'bench',
          scheduleInfo: { expiration: { type: 'afterDuration', duration: 'P30D' } },
        });
      }
    }
    const tokens = new Map<string, string>();
    for (const u of users) tokens.set(u.id, await mintDevToken(u, { mfa: true, keyDir, minutes: 120 }));
    const call = (token: string, method: string, url: string, payload?: unknown) =>
      fetch(`${host.baseUrl}${url}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: payload === undefined ? undefined : JSON.stringify(payload),
      });
    const request = (userId: string, action: string, roleDefinitionId: string) =>
      call(tokens.get(userId) as string, 'POST', REQUESTS, {
        action,
        principalId: userId,
        roleDefinitionId,
        directoryScopeId: '/',
        justification: 'bench',
      });
    const until = async (probe: () => Promise<boolean>) => {
      const deadline = performance.now() + 30_000;
      while (!(await probe())) {
        if (performance.now() > deadline) throw new Error('bench step timed out');
        await new Promise((r) => setTimeout(r, 2));
      }
    };
    const allowed = async (userId: string, action: string) =>
      (await body(await call(tokens.get(userId) as string, 'POST', '/api/v1.0/access/check', { action })))
        .allowed === true;

    // 1. Activation -> Provisioned -> check allowed, 20 requesters at once, 5 rounds.
    const opsBefore = (await body(await fetch(`${host.baseUrl}/admin/devhost/stats`))).tableOperations;
    const activation: number[] = [];
    for (let round = 0; round < 5; round++) {
      await Promise.all(
        users.map(async (u) => {
          const t0 = performance.now();
          const res = await request(u.id, 'selfActivate', ROLE_IDS.securityReader);
          if (res.status !== 201) throw new Error(`activation answered ${res.status}: ${await res.text()}`);
          const { id } = await body(res);
          await until(
            async () =>
              (await body(await call(tokens.get(u.id) as string, 'GET', `${REQUESTS}/${id}`))).status ===
              'Provisioned',
          );
          await until(() => allowed(u.id, ACTIONS.readSecurity));
          activation.push(performance.now() - t0);
        }),
      );
      await Promise.all(
        users.map(async (u) => {
          await request(u.id, 'selfDeactivate', ROLE_IDS.securityReader);
          await until(async () => !(await allowed(u.id, ACTIONS.readSecurity)));
        }),
      );
    }
    const lifecycles = users.length * 5;
    const opsPer =
      ((await body(await fetch(`${host.baseUrl}/admin/devhost/stats`))).tableOperations - opsBefore) /
      lifecycles;

    // 2. Approval decision -> access granted (Global Reader needs Adele's approval).
    const policyId = `DirectoryRole_${ROLE_IDS.globalReader}`;
    const rule = findRule(
      (await services().policies.get(ADMIN, policyId)).value,
      'Approval_EndUser_Assignment',
      ApprovalRule,
    );
    if (!rule) throw new Error('no approval rule');
    await services().policies.patchRule(ADMIN, policyId, 'Approval_EndUser_Assignment', {
      setting: {
        ...rule.setting,
        isApprovalRequired: true,
        approvalStages: [
          {
            ...rule.setting.approvalStages[0],
            isApproverJustificationRequired: false,
            primaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: DEMO_USERS.adele.id }],
          },
        ],
      },
    });
    const adele = await mintDevToken('adele', { mfa: true, keyDir, minutes: 120 });
    const approvalLatency: number[] = [];
    await Promise.all(
      users.map(async (u) => {
        const { id, approvalId } = await body(await request(u.id, 'selfActivate', ROLE_IDS.globalReader));
        await until(
          async () =>
            (await body(await call(tokens.get(u.id) as string, 'GET', `${REQUESTS}/${id}`))).status ===
            'PendingApproval',
        );
        const approval = await body(
          await call(
            adele,
            'GET',
            `/api/v1.0/roleManagement/directory/roleAssignmentApprovals/${approvalId}`,
          ),
        );
        const t0 = performance.now();
        const decided = await call(
          adele,
          'PATCH',
          `/api/v1.0/roleManagement/directory/roleAssignmentApprovals/${approvalId}/steps/${approval.steps[0].id}`,
          { reviewResult: 'Approve' },
        );
        if (decided.status !== 204) throw new Error(`decision answered ${decided.status}`);
        await until(() => allowed(u.id, 'microsoft.directory/users/read'));
        approvalLatency.push(performance.now() - t0);
      }),
    );

    // 3. Access checks at 50 connections for 10 s.
    const checker = users[0];
    const result = await autocannon({
      url: `${host.baseUrl}/api/v1.0/access/check`,
      method: 'POST',
      connections: 50,
      duration: 10,
      headers: { authorization: `Bearer ${tokens.get(checker.id)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'microsoft.directory/users/read', scope: '/' }),
    });

    return [
      {
        metric: 'activation POST -> Provisioned + check allowed, 20 concurrent: p50 / p99',
        value: `${percentile(activation, 50).toFixed(0)} / ${percentile(activation, 99).toFixed(0)} ms`,
        target: 'p50 <= 50 ms, p99 <= 200 ms',
      },
      {
        metric: 'approval decision -> access granted, 20 concurrent: p50 / p99',
        value: `${percentile(approvalLatency, 50).toFixed(0)} / ${percentile(approvalLatency, 99).toFixed(0)} ms`,
        target: 'p99 <= 100 ms',
      },
      {
        metric: 'access checks, 50 connections, 10 s: requests/s',
        value: `${result.requests.average.toFixed(0)} (errors ${result.errors + result.non2xx})`,
        target: '>= 1,000/s',
      },
      {
        metric: 'access checks, 50 connections: p50 / p99 latency',
        value: `${result.latency.p50} / ${result.latency.p99} ms`,
        target: 'p99 <= 25 ms',
      },
      {
        metric: 'durable table operations per activation lifecycle (activate + deactivate)',
        value: opsPer.toFixed(1),
        target: '',
      },
    ];
  } finally {
    await host.stop();
    fs.rmSync(keyDir, { recursive: true, force: true });
  }
}
