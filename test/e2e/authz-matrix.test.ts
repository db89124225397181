// Who may do what, checked: every HTTP endpoint the app registers, called as every persona
// (test/helpers/authz-matrix.ts), against the seeds' demo data plus a few objects made here. An
// endpoint without a row fails, and so does a README table that differs from the one the test runs.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import * as OTPAuth from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '../../shared/auth/demo-users';
import { apiRoute } from '../../shared/http/api-route';
import {
  type Fixture,
  MATRIX,
  type MatrixContext,
  PERSONAS,
  registeredRoute,
  renderMatrix,
  rowLabel,
  USER_OF,
} from '../helpers/authz-matrix';
import { eventually, repoRoot } from '../helpers/devhost';
import {
  type ApiResponse,
  type CallOptions,
  type DirectoryHost,
  GROUP_BASE,
  ROLE_BASE,
  startDirectoryHost,
  V1,
} from '../helpers/directory-client';
import { schemaProblems } from '../helpers/json-schema-check';

const alexId = DEMO_USERS.alex.id;
let api: DirectoryHost;

function ok(res: ApiResponse, status: number, what: string): ApiResponse {
  if (res.status !== status) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res;
}

const asMegan = (method: string, url: string, options?: CallOptions) =>
  api.call('megan', method, url, options);
const asAlex = (method: string, url: string, options?: CallOptions) => api.call('alex', method, url, options);

async function newRole(name: string): Promise<string> {
  const res = await asMegan('POST', `${ROLE_BASE}/roleDefinitions`, {
    body: {
      displayName: `${name} ${Math.random().toString(36).slice(2, 10)}`,
      rolePermissions: [{ allowedResourceActions: ['microsoft.directory/matrix/read'] }],
    },
  });
  return ok(res, 201, 'create role').body.id;
}

async function newGroup(name: string): Promise<string> {
  const res = await asMegan('POST', `${V1}/groups`, { body: { displayName: name } });
  return ok(res, 201, 'create group').body.id;
}

type Target = { roleDefinitionId: string; directoryScopeId: '/' } | { groupId: string; accessId: string };
const role = (roleDefinitionId: string): Target => ({ roleDefinitionId, directoryScopeId: '/' });
const isRole = (t: Target) => 'roleDefinitionId' in t;

/** Megan makes Alex eligible; returns the request id. */
async function makeEligible(target: Target): Promise<string> {
  const url = isRole(target)
    ? `${ROLE_BASE}/roleEligibilityScheduleRequests`
    : `${GROUP_BASE}/eligibilityScheduleRequests`;
  const res = await asMegan('POST', url, {
    body: {
      action: 'adminAssign',
      principalId: alexId,
      ...target,
      scheduleInfo: { expiration: { type: 'noExpiration' } },
    },
  });
  return ok(res, 201, 'eligibility').body.id;
}

/** Approval of activation by Adele on the policy of `policyId`. */
async function requireApproval(policyId: string): Promise<void> {
  const url = `${V1}/policies/roleManagementPolicies/${policyId}`;
  const policy = ok(await asMegan('GET', url), 200, 'policy').body;
  const rule = policy.rules.find((r: { id: string }) => r.id === 'Approval_EndUser_Assignment');
  const stage = rule.setting.approvalStages[0];
  const setting = {
    ...rule.setting,
    isApprovalRequired: true,
    approvalStages: [
      {
        ...stage,
        primaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: DEMO_USERS.adele.id }],
      },
    ],
  };
  ok(
    await asMegan('PATCH', `${url}/rules/Approval_EndUser_Assignment`, { body: { setting } }),
    200,
    'approval rule',
  );
}

/** Alex activates `target`; waits until the request shows `status`; returns its id. */
async function activate(target: Target, status: string, mfa = true): Promise<string> {
  const url = isRole(target)
    ? `${ROLE_BASE}/roleAssignmentScheduleRequests`
    : `${GROUP_BASE}/assignmentScheduleRequests`;
  const res = await asAlex('POST', url, {
    mfa,
    body: {
      action: 'selfActivate',
      principalId: alexId,
      ...target,
      justification: 'authz matrix',
      scheduleInfo: { expiration: { type: 'afterDuration', duration: 'PT1H' } },
    },
  });
  const id = ok(res, 201, 'activation').body.id;
  // The orchestration moves it on; generous, as the test machines are shared.
  await eventually(
    async () => ((await asAlex('GET', `${url}/${id}`)).body.status === status ? true : undefined),
    30_000,
  );
  return id;
}

/** Alex's TOTP authenticator (a request without an MFA token then waits for his MFA). */
async function ensureAlexTotp(): Promise<void> {
  const totp = `${V1}/me/authenticators/totp`;
  if ((await asAlex('GET', totp)).body.isEnabled) return;
  const { secret } = ok(await asAlex('POST', totp), 201, 'enrol').body;
  const otp = new OTPAuth.TOTP({
    secret: OTPAuth.Secret.fromBase32(secret),
    digits: 6,
    period: 30,
  }).generate();
  ok(await asAlex('POST', `${totp}/confirm`, { body: { otp } }), 204, 'confirm');
}

async function approvalOf(kind: 'role' | 'group', requestId: string) {
  const base = kind === 'role' ? `${ROLE_BASE}/roleAssignmentApprovals` : `${GROUP_BASE}/assignmentApprovals`;
  // The approver finds it once the request's publication (just after its answer) has indexed it.
  const approval = await eventually(async () => {
    const res = await api.call('adele', 'GET', `${base}/${requestId}`);
    return res.status === 200 ? res.body : undefined;
  });
  return { id: approval.id as string, stepId: approval.stages[0].id as string };
}

/** The demo data's running review (Adele reviews Security Reader eligibility) and Alex's item in it. */
async function demoReview(): Promise<Fixture['review']> {
  const defs = `${V1}/identityGovernance/accessReviews/definitions`;
  return eventually(async () => {
    const demo = ok(await asMegan('GET', defs), 200, 'reviews').body.value[0];
    const instance = ok(await asMegan('GET', `${defs}/${demo.id}/instances`), 200, 'instances').body.value[0];
    if (instance?.status !== 'InProgress') return undefined;
    const items = ok(
      await asMegan('GET', `${defs}/${demo.id}/instances/${instance.id}/decisions`),
      200,
      'items',
    ).body.value;
    const item = items.find((x: { principal: { id: string } }) => x.principal.id === alexId);
    return item ? { definitionId: demo.id, instanceId: instance.id, decisionId: item.id } : undefined;
  }, 30_000);
}

async function buildFixture(): Promise<{ fx: Fixture; mfaTargets: Record<'role' | 'group', Target> }> {
  const [eligibleRole, cancelRole, approvalRole, mfaRole] = await Promise.all(
    ['Matrix Activation', 'Matrix Cancel', 'Matrix Approval', 'Matrix MFA'].map(newRole),
  );
  const [group, group2] = await Promise.all(['Matrix Group', 'Matrix Group 2'].map(newGroup));
  const targets = {
    activation: role(eligibleRole),
    cancel: role(cancelRole),
    approval: role(approvalRole),
    mfa: role(mfaRole),
    groupActivation: { groupId: group, accessId: 'member' },
    groupApproval: { groupId: group, accessId: 'owner' },
    groupCancel: { groupId: group2, accessId: 'member' },
    groupMfa: { groupId: group2, accessId: 'owner' },
  };
  const requests = Object.fromEntries(
    await Promise.all(Object.entries(targets).map(async ([k, t]) => [k, await makeEligible(t)] as const)),
  );
  await Promise.all([
    requireApproval(`DirectoryRole_${cancelRole}`),
    requireApproval(`DirectoryRole_${approvalRole}`),
    requireApproval(`Group_${group}_owner`),
    requireApproval(`Group_${group2}_member`),
  ]);
  const [
    roleActivation,
    rolePendingApproval,
    roleApprovalRequest,
    groupActivation,
    groupApprovalRequest,
    groupPendingApproval,
  ] = await Promise.all([
    activate(targets.activation, 'Provisioned'),
    activate(targets.cancel, 'PendingApproval'),
    activate(targets.approval, 'PendingApproval'),
    activate(targets.groupActivation, 'Provisioned'),
    activate(targets.groupApproval, 'PendingApproval'),
    activate(targets.groupCancel, 'PendingApproval'),
  ]);
  const audit = ok(await asMegan('GET', `${V1}/auditLogs/directoryAudits?$top=1`), 200, 'audit').body;
  const review = await demoReview();
  return {
    fx: {
      eligibleRole,
      roleEligibilityRequest: requests.activation!,
      roleActivation,
      rolePendingApproval,
      group,
      groupEligibilityRequest: requests.groupActivation!,
      groupActivation,
      groupPendingApproval,
      roleApproval: await approvalOf('role', roleApprovalRequest),
      groupApproval: await approvalOf('group', groupApprovalRequest),
      auditId: audit.value[0].id,
      review,
    },
    mfaTargets: { role: targets.mfa, group: targets.groupMfa },
  };
}

let ctx: MatrixContext;

beforeAll(async () => {
  api = await startDirectoryHost('Authz', { DEMO_DATA: 'true' });
  const { fx, mfaTargets } = await buildFixture();
  ctx = {
    fx,
    newRole: () => newRole('Matrix Delete'),
    async newMember() {
      const memberId = crypto.randomUUID();
      ok(await asMegan('POST', `${V1}/groups/${fx.group}/members`, { body: { memberId } }), 201, 'member');
      return memberId;
    },
    async pendingMfa(kind) {
      await ensureAlexTotp();
      return activate(mfaTargets[kind], 'PendingMfa', false);
    },
  };
}, 120_000);

afterAll(async () => {
  await api?.stop();
});

const key = (method: string, route: string) => `${method} ${route}`;
const REGENERATE =
  'the output of `npm run build && node -e "console.log(require(\'./dist/test/helpers/authz-matrix.js\').renderMatrix())"`';

describe('authorization matrix', () => {
  it('has a row for every registered HTTP endpoint, and none for endpoints that do not exist', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      path.join(repoRoot, 'dist', 'test', 'helpers', 'list-http-routes.js'),
    ]);
    const registered = new Set(
      stdout
        .trim()
        .split('\n')
        .flatMap((line) => {
          const { route, methods } = JSON.parse(line) as { route: string; methods: string[] };
          return methods.map((m) => key(m, route));
        }),
    );
    // Rows name API routes without the `api/` every API function registers under (apiRoute); the
    // portal's catch-all is not under api/ and is named as registered.
    const inMatrix = new Set(MATRIX.map((r) => key(r.method, r.outsideApi ? r.route : apiRoute(r.route))));
    expect(MATRIX.filter((r) => apiRoute(r.route) !== registeredRoute(r) && !r.outsideApi)).toEqual([]);
    expect(
      [...registered].filter((k) => !inMatrix.has(k)),
      'endpoints without a row in test/helpers/authz-matrix.ts (add one per method, with its statuses)',
    ).toEqual([]);
    expect(
      [...inMatrix].filter((k) => !registered.has(k)),
      'rows in test/helpers/authz-matrix.ts for endpoints the app does not register',
    ).toEqual([]);
  });

  it('README.md "Who may do what" shows this table', () => {
    const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const section = /## Who may do what\n[\s\S]*?(\| endpoint \|[\s\S]*?)\n(?!\|)/.exec(readme)?.[1];
    expect(
      section,
      `README "Who may do what" differs from the matrix; replace its table with ${REGENERATE}`,
    ).toBe(renderMatrix());
  });

  it('every persona gets the documented status from every endpoint, and the OpenAPI document lists it and its body', async () => {
    const mismatches: string[] = [];
    const doc = (await api.call(undefined, 'GET', '/api/openapi.json')).body;
    const undocumented = new Set<string>();
    const misshapen = new Set<string>();
    for (const row of MATRIX) {
      await row.before?.(ctx);
      for (const persona of PERSONAS) {
        const request = await row.request(ctx, persona);
        const res = await api.call(
          persona === 'anonymous' ? undefined : USER_OF[persona],
          row.method,
          request.path,
          {
            body: request.body,
            headers: request.headers,
          },
        );
        if (res.status !== row.expect[persona]) {
          mismatches.push(
            `${rowLabel(row)} as ${persona}: expected ${row.expect[persona]}, got ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`,
          );
        }
        // The operation's entry in the OpenAPI document lists this status.
        const op = doc.paths[`/${row.route}`]?.[row.method.toLowerCase()];
        if (op && !(String(res.status) in op.responses))
          undocumented.add(`${row.method} /${row.route}: ${res.status}`);
        // ...and the body fits the schema it gives for that status.
        const schema = op?.responses[String(res.status)]?.content?.['application/json']?.schema;
        if (schema && res.body !== undefined)
          for (const problem of schemaProblems(res.body, schema, doc.components.schemas).slice(0, 3))
            misshapen.add(`${row.method} /${row.route} ${res.status}: ${problem}`);
        // Whatever the status, the answer is Graph's envelope and never a stack trace.
        if (res.status >= 400)
          expect(res.body?.error?.code, `${rowLabel(row)} as ${persona}`).toEqual(expect.any(String));
        if (res.status === 401)
          expect(res.headers.get('www-authenticate')).toMatch(row.challenge ?? /^Bearer/);
      }
    }
    expect(mismatches).toEqual([]);
    expect([...undocumented]).toEqual([]);
    expect([...misshapen]).toEqual([]);
  });
});
