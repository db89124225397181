// Every activation command survives a kill -9 between any two of its steps. For each command
// (activate, the three ways of deciding an approval, verifyMfa, cancel, deactivate, extend, an
// admin's removal, and the orchestration's expiry and timeout) and each step of its commit and
// publication (shared/audit/outbox.ts), the test arms that point, makes the call, lets the host die
// there, restarts it on the same storage, retries the call as a client would when it got no answer
// (same client-request-id), and asserts: the command took effect (a decision is not lost, a
// deactivation is not a ghost), each of its audit rows is there exactly once, and the orchestration
// ends as the stored request says.
//
// CRASH_LIFECYCLES=200 (not in npm test) runs that many seeded random (command, point) lifecycles
// instead of the matrix once, counts lost decisions, ghost requests and missing audit rows, and
// prints the figures. CRASH_SEED picks the sequence.
import { randomUUID } from 'node:crypto';
import * as OTPAuth from 'otpauth';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_USERS } from '../../shared/auth/demo-users';
import { resetSettings } from '../../shared/config';
import { BuiltInRoleId } from '../../shared/domain/roles';
import { mintLinkToken } from '../../shared/notify/approval-links';
import { signedHeaders } from '../../shared/notify/signing';
import { type Answer, CrashHost, newPerson, type Person, type Seen } from '../helpers/crash-host';
import { eventually } from '../helpers/devhost';
import { ACTIONS } from '../helpers/seeds';

const V1 = '/api/v1.0';
const REQUESTS = `${V1}/roleManagement/directory/roleAssignmentScheduleRequests`;
const APPROVALS = `${V1}/roleManagement/directory/roleAssignmentApprovals`;
const SR = BuiltInRoleId.securityReader;
const CUSTOM_ACTION = 'microsoft.directory/crashTest/read';
const LINK_KEY = Buffer.alloc(32, 9).toString('base64');
const CHAT_SECRET = 'crash-test-chat-secret-0123456789';

type Point =
  | 'afterMarker'
  | 'afterCommit'
  | 'afterAuditWritten'
  | 'afterProjected'
  | 'afterSignalled'
  | 'afterOutboxDeleted';
const PUBLICATION: Point[] = ['afterAuditWritten', 'afterProjected', 'afterSignalled', 'afterOutboxDeleted'];
const EVERY: Point[] = ['afterMarker', 'afterCommit', ...PUBLICATION];

/** Why a lifecycle failed, for the long run's figures. */
type Failure = 'lostDecision' | 'ghostRequest' | 'missingAudit' | 'orchestration' | 'other';
class LifecycleError extends Error {
  constructor(
    readonly kind: Failure,
    message: string,
  ) {
    super(`${kind}: ${message}`);
  }
}
function check(ok: boolean, kind: Failure, message: string): void {
  if (!ok) throw new LifecycleError(kind, message);
}

let h: CrashHost;
let approvalRole = '';

// ---- calls ---------------------------------------------------------------------------------------

const answered = (seen: Seen, what: string): Answer => {
  if (seen === 'died') throw new LifecycleError('other', `${what}: no answer`);
  return seen;
};

async function makeEligible(p: Person, roleDefinitionId: string): Promise<void> {
  await h.expect(201, 'megan', 'POST', `${V1}/roleManagement/directory/roleEligibilityScheduleRequests`, {
    body: {
      action: 'adminAssign',
      principalId: p.id,
      roleDefinitionId,
      directoryScopeId: '/',
      justification: 'crash test',
      scheduleInfo: { expiration: { type: 'noExpiration' } },
    },
  });
}

const activation = (p: Person, roleDefinitionId: string, duration = 'PT2H') => ({
  action: 'selfActivate',
  principalId: p.id,
  roleDefinitionId,
  directoryScopeId: '/',
  justification: 'crash test',
  scheduleInfo: { expiration: { type: 'afterDuration', duration } },
});

async function activated(p: Person, roleDefinitionId: string, duration = 'PT2H', mfa = true) {
  return h.expect(201, p, 'POST', REQUESTS, { body: activation(p, roleDefinitionId, duration), mfa });
}

async function request(p: Person, id: string) {
  return h.expect(200, p, 'GET', `${REQUESTS}/${id}`);
}

async function allowed(p: Person, action: string): Promise<boolean> {
  return (await h.expect(200, p, 'POST', `${V1}/access/check`, { body: { action } })).allowed;
}

/** The Step names of a request's audit rows, sorted, once publication has caught up with `want`. */
async function steps(id: string, want: string[]): Promise<string[]> {
  const read = async () => {
    const filter = encodeURIComponent(`correlationId eq '${id}'`);
    const page = await h.expect(
      200,
      'megan',
      'GET',
      `${V1}/auditLogs/directoryAudits?$filter=${filter}&$top=999`,
    );
    return page.value
      .map(
        (r: { additionalDetails: { key: string; value: string }[] }) =>
          r.additionalDetails.find((d) => d.key === 'Step')?.value,
      )
      .filter((s: string | undefined): s is string => s !== undefined)
      .sort();
  };
  return eventually(async () => {
    const found = await read();
    return found.length >= want.length ? found : undefined;
  }, 15_000).catch(() => read());
}

async function expectSteps(id: string, want: string[]): Promise<void> {
  const found = await steps(id, want);
  check(
    JSON.stringify(found) === JSON.stringify([...want].sort()),
    'missingAudit',
    `${id}: steps ${JSON.stringify(found)}, expected ${JSON.stringify(want)}`,
  );
}

interface Instance {
  runtimeStatus: string;
  output: unknown;
}

async function orchestration(id: string): Promise<Instance | undefined> {
  const res = await fetch(`${h.host.baseUrl}/runtime/webhooks/durabletask/instances/${id}`);
  return res.status === 404 ? undefined : ((await res.json()) as Instance);
}

/** The orchestration finished, and with the status the request has stored. */
async function endsAs(p: Person, id: string, status: string): Promise<void> {
  const done = await eventually(async () => {
    const s = await orchestration(id);
    return s && ['Completed', 'Failed', 'Terminated'].includes(s.runtimeStatus) ? s : undefined;
  }, 20_000).catch(() => undefined);
  check(
    done?.runtimeStatus === 'Completed' && done.output === status,
    'orchestration',
    `${id}: ended ${JSON.stringify(done && { status: done.runtimeStatus, output: done.output })}, expected ${status}`,
  );
  const stored = (await request(p, id)).status;
  check(stored === status, 'ghostRequest', `${id}: stored ${stored}, orchestration ended ${status}`);
}

/** Running (a granted window); it is started by the request's publication, just after the answer. */
async function runs(id: string): Promise<void> {
  const s = await eventually(async () => {
    const found = await orchestration(id);
    return found?.runtimeStatus === 'Running' ? found : undefined;
  }, 10_000).catch(() => orchestration(id));
  check(
    s?.runtimeStatus === 'Running',
    'orchestration',
    `${id}: ${s?.runtimeStatus ?? 'no instance'}, expected Running`,
  );
}

async function pendingApproval(p: Person): Promise<{ id: string; stageId: string }> {
  await makeEligible(p, approvalRole);
  const r = await activated(p, approvalRole);
  expect(r.status).toBe('PendingApproval');
  // Adele finds it once its publication has indexed it.
  await eventually(async () => {
    const seen = await h.call('adele', 'GET', `${APPROVALS}/${r.id}`);
    return seen !== 'died' && seen.status === 200 ? true : undefined;
  });
  return { id: r.id, stageId: `${r.id}-1` };
}

async function grantedReader(p: Person, duration = 'PT2H'): Promise<string> {
  await makeEligible(p, SR);
  const r = await activated(p, SR, duration);
  expect(r.status).toBe('Provisioned');
  return r.id;
}

async function enrolTotp(p: Person): Promise<OTPAuth.TOTP> {
  const { secret } = await h.expect(201, p, 'POST', `${V1}/me/authenticators/totp`);
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 });
  await h.expect(204, p, 'POST', `${V1}/me/authenticators/totp/confirm`, {
    body: { otp: totp.generate({ timestamp: (await h.now()).getTime() }) },
  });
  return totp;
}

// ---- the commands --------------------------------------------------------------------------------

interface Lifecycle {
  /** The call under test, as its caller makes it; `retry` is the caller's second try. */
  act(retry: boolean): Promise<Seen>;
  /** After the crash and restart: what must be true. */
  verify(answer: Answer | undefined): Promise<void>;
}

interface Command {
  name: string;
  points: Point[];
  prepare(): Promise<Lifecycle>;
}

/** Approval of a pending request by Adele through `decide`, then the granted window and its end. */
function decision(
  name: string,
  decide: (r: { id: string; stageId: string }) => (retry: boolean) => Promise<Seen>,
): Command {
  return {
    name,
    points: EVERY,
    async prepare() {
      const p = newPerson('Approved');
      const r = await pendingApproval(p);
      return {
        act: decide(r),
        async verify() {
          const stored = await request(p, r.id);
          check(
            stored.status === 'Provisioned',
            'lostDecision',
            `${r.id}: ${stored.status} after Adele approved`,
          );
          check(await allowed(p, CUSTOM_ACTION), 'lostDecision', `${r.id}: approved, but no access`);
          await expectSteps(r.id, ['Approved', 'Granted', 'Requested']);
          await runs(r.id);
          await h.advance('PT2H1M');
          await endsAs(p, r.id, 'Expired');
          check(!(await allowed(p, CUSTOM_ACTION)), 'ghostRequest', `${r.id}: access after the end`);
          await expectSteps(r.id, ['Approved', 'Expired', 'Granted', 'Requested']);
        },
      };
    },
  };
}

const COMMANDS: Command[] = [
  {
    name: 'activate',
    points: EVERY,
    async prepare() {
      const p = newPerson('Activator');
      await makeEligible(p, SR);
      const key = randomUUID();
      return {
        act: () => h.call(p, 'POST', REQUESTS, { body: activation(p, SR), clientRequestId: key }),
        async verify(answer) {
          check(answer?.status === 201, 'other', `activation answered ${JSON.stringify(answer)}`);
          const id = answer!.body.id;
          check((await request(p, id)).status === 'Provisioned', 'lostDecision', `${id} not granted`);
          check(await allowed(p, ACTIONS.readSecurity), 'lostDecision', `${id}: no access`);
          // One activation, whatever the retries: the principal's list holds just it.
          const mine = await h.expect(200, p, 'GET', `${REQUESTS}/filterByCurrentUser(on='principal')`);
          check(mine.value.length === 1, 'ghostRequest', `${mine.value.length} requests for one activation`);
          await expectSteps(id, ['Granted', 'Requested']);
          await runs(id);
          await h.advance('PT2H1M');
          await endsAs(p, id, 'Expired');
          check(!(await allowed(p, ACTIONS.readSecurity)), 'ghostRequest', `${id}: access after the end`);
          await expectSteps(id, ['Expired', 'Granted', 'Requested']);
        },
      };
    },
  },
  decision(
    'decide in the portal',
    (r) => (retry) =>
      h.call('adele', 'PATCH', `${APPROVALS}/${r.id}/stages/${r.stageId}`, {
        body: { reviewResult: 'Approve', justification: retry ? 'again' : 'crash test' },
      }),
  ),
  decision('decide with a mail link', (r) => {
    let token: string | undefined;
    return async () => {
      token ??= await mintLinkToken(
        { approverId: DEMO_USERS.adele.id, approvalId: r.id, stepId: r.stageId, decision: 'Approve' },
        await h.now(),
        new Date((await h.now()).getTime() + 86_400_000),
      );
      return h.call(undefined, 'POST', `${V1}/approvalLinks/${token}`, { body: {} });
    };
  }),
  decision('decide from a chat tool', (r) => {
    let signed: { body: unknown; headers: Record<string, string> } | undefined;
    return async () => {
      if (!signed) {
        const body = {
          approvalId: r.id,
          stepId: r.stageId,
          approverId: DEMO_USERS.adele.id,
          reviewResult: 'Approve',
        };
        signed = {
          body,
          headers: {
            'x-jit-integration': 'crashbot',
            ...signedHeaders(CHAT_SECRET, JSON.stringify(body), await h.now()),
          },
        };
      }
      return h.call(undefined, 'POST', `${V1}/approvals/webhook`, signed);
    };
  }),
  {
    name: 'verifyMfa',
    points: EVERY,
    async prepare() {
      const p = newPerson('Mfa');
      await makeEligible(p, SR);
      const totp = await enrolTotp(p);
      await h.advance('PT31S'); // the enrolment's code is spent
      const r = await activated(p, SR, 'PT2H', false);
      expect(r.status).toBe('PendingMfa');
      return {
        async act(retry) {
          if (retry) await h.advance('PT31S'); // a code counts once: the retry types the next one
          const otp = totp.generate({ timestamp: (await h.now()).getTime() });
          return h.call(p, 'POST', `${REQUESTS}/${r.id}/verifyMfa`, { body: { otp }, mfa: false });
        },
        async verify(answer) {
          check(answer?.status === 204, 'other', `verifyMfa answered ${JSON.stringify(answer)}`);
          check(
            (await request(p, r.id)).status === 'Provisioned',
            'lostDecision',
            `${r.id}: MFA verified but not granted`,
          );
          await expectSteps(r.id, ['Granted', 'MfaVerified', 'Requested']);
          await runs(r.id);
          await h.advance('PT2H1M');
          await endsAs(p, r.id, 'Expired');
        },
      };
    },
  },
  {
    name: 'cancel',
    points: EVERY,
    async prepare() {
      const p = newPerson('Canceler');
      const r = await pendingApproval(p);
      return {
        act: () => h.call(p, 'POST', `${REQUESTS}/${r.id}/cancel`),
        async verify(answer) {
          check(answer?.status === 204, 'other', `cancel answered ${JSON.stringify(answer)}`);
          await endsAs(p, r.id, 'Canceled');
          await expectSteps(r.id, ['Canceled', 'Requested']);
          const late = answered(
            await h.call('adele', 'PATCH', `${APPROVALS}/${r.id}/stages/${r.stageId}`, {
              body: { reviewResult: 'Approve' },
            }),
            'late decision',
          );
          check(late.status === 409, 'ghostRequest', `a canceled request took a decision: ${late.status}`);
          const inbox = await h.expect(
            200,
            'adele',
            'GET',
            `${APPROVALS}/filterByCurrentUser(on='approver')`,
          );
          check(
            !inbox.value.some((a: { id: string }) => a.id === r.id),
            'ghostRequest',
            `${r.id} still in the inbox`,
          );
        },
      };
    },
  },
  {
    name: 'deactivate',
    points: EVERY,
    async prepare() {
      const p = newPerson('Deactivator');
      const holder = await grantedReader(p);
      const key = randomUUID();
      return {
        act: () =>
          h.call(p, 'POST', REQUESTS, {
            body: {
              action: 'selfDeactivate',
              principalId: p.id,
              roleDefinitionId: SR,
              directoryScopeId: '/',
            },
            clientRequestId: key,
          }),
        async verify(answer) {
          check(answer?.status === 201, 'other', `deactivation answered ${JSON.stringify(answer)}`);
          check(
            !(await allowed(p, ACTIONS.readSecurity)),
            'ghostRequest',
            `${holder}: access after deactivation`,
          );
          await endsAs(p, holder, 'Revoked');
          await expectSteps(holder, ['Deactivated', 'Granted', 'Requested']);
          await expectSteps(answer!.body.id, ['DeactivationRequested']);
        },
      };
    },
  },
  {
    name: 'extend',
    points: EVERY,
    async prepare() {
      const p = newPerson('Extender');
      const holder = await grantedReader(p, 'PT1H');
      const key = randomUUID();
      return {
        act: () => h.call(p, 'POST', REQUESTS, { body: activation(p, SR, 'PT2H'), clientRequestId: key }),
        async verify(answer) {
          check(answer?.status === 201, 'other', `extension answered ${JSON.stringify(answer)}`);
          const extension = answer!.body;
          check(
            extension.targetScheduleId === holder && extension.status === 'Provisioned',
            'ghostRequest',
            `extension ${JSON.stringify(extension)}`,
          );
          await expectSteps(extension.id, ['Extended']);
          await h.advance('PT1H30M'); // past the old end: the extension holds
          check(
            await allowed(p, ACTIONS.readSecurity),
            'ghostRequest',
            `${holder}: the extension did not take`,
          );
          await runs(holder);
          await h.advance('PT1H');
          await endsAs(p, holder, 'Expired');
          check(
            (await request(p, extension.id)).status === 'Expired',
            'ghostRequest',
            `extension ${extension.id} outlived its activation`,
          );
          await expectSteps(holder, ['Expired', 'Granted', 'Requested']);
        },
      };
    },
  },
  {
    name: 'adminRemove',
    points: EVERY,
    async prepare() {
      const p = newPerson('Removed');
      const holder = await grantedReader(p);
      const key = randomUUID();
      return {
        act: () =>
          h.call('megan', 'POST', REQUESTS, {
            body: { action: 'adminRemove', principalId: p.id, roleDefinitionId: SR, directoryScopeId: '/' },
            clientRequestId: key,
          }),
        async verify(answer) {
          check(answer?.status === 201, 'other', `removal answered ${JSON.stringify(answer)}`);
          check(!(await allowed(p, ACTIONS.readSecurity)), 'ghostRequest', `${holder}: access after removal`);
          await endsAs(p, holder, 'Revoked');
          await expectSteps(holder, ['Granted', 'Requested', 'Revoked']);
          await expectSteps(answer!.body.id, ['RemovalRequested']);
        },
      };
    },
  },
  {
    name: 'expire (the orchestration at the end)',
    points: EVERY,
    async prepare() {
      const p = newPerson('Expiring');
      const holder = await grantedReader(p, 'PT1H');
      await runs(holder);
      return {
        // The call that sets it off: time passes, the orchestration's timer fires, the step commits.
        act: async (retry) =>
          retry
            ? { status: 200, body: undefined }
            : h.call(undefined, 'POST', '/admin/devhost/clock', { body: { advanceBy: 'PT1H1M' } }),
        async verify() {
          await endsAs(p, holder, 'Expired');
          check(!(await allowed(p, ACTIONS.readSecurity)), 'ghostRequest', `${holder}: access after the end`);
          await expectSteps(holder, ['Expired', 'Granted', 'Requested']);
        },
      };
    },
  },
  {
    name: 'timeOut (the orchestration at the approval deadline)',
    points: EVERY,
    async prepare() {
      const p = newPerson('Waiting');
      const r = await pendingApproval(p);
      await runs(r.id);
      return {
        act: async (retry) =>
          retry
            ? { status: 200, body: undefined }
            : h.call(undefined, 'POST', '/admin/devhost/clock', { body: { advanceBy: 'P2D' } }),
        async verify() {
          await endsAs(p, r.id, 'TimedOut');
          await expectSteps(r.id, ['Requested', 'TimedOut']);
          const late = answered(
            await h.call('adele', 'PATCH', `${APPROVALS}/${r.id}/stages/${r.stageId}`, {
              body: { reviewResult: 'Approve' },
            }),
            'late decision',
          );
          check(late.status === 409, 'ghostRequest', `a timed-out request took a decision: ${late.status}`);
        },
      };
    },
  },
];

/** One lifecycle: prepare, arm, break the call at `point`, restart, retry as a client would, verify. */
async function lifecycle(command: Command, point: Point): Promise<void> {
  const life = await command.prepare();
  await h.arm(`outbox:${point}`);
  const first = await life.act(false);
  await h.restartAfterDeath(point);
  const answer = first === 'died' ? await life.act(true) : first;
  await life.verify(answer === 'died' ? undefined : answer);
}

async function setUp(): Promise<void> {
  process.env.AzureWebJobsStorage = inject('storageConnectionString');
  process.env.APPROVAL_LINK_KEY = LINK_KEY;
  resetSettings();
  h = new CrashHost(`Crash${Date.now() % 100000}`, {
    APPROVAL_LINK_KEY: LINK_KEY,
    APPROVAL_WEBHOOK_SECRETS: `crashbot:${CHAT_SECRET}`,
  });
  await h.start();
  // A role whose activation Adele approves (no justification needed from her).
  const role = await h.expect(201, 'megan', 'POST', `${V1}/roleManagement/directory/roleDefinitions`, {
    body: {
      displayName: `Crash approval ${randomUUID().slice(0, 8)}`,
      rolePermissions: [{ allowedResourceActions: [CUSTOM_ACTION] }],
    },
  });
  approvalRole = role.id;
  const policyUrl = `${V1}/policies/roleManagementPolicies/DirectoryRole_${approvalRole}`;
  const policy = await h.expect(200, 'megan', 'GET', policyUrl);
  const rule = policy.rules.find((r: { id: string }) => r.id === 'Approval_EndUser_Assignment');
  await h.expect(200, 'megan', 'PATCH', `${policyUrl}/rules/Approval_EndUser_Assignment`, {
    body: {
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
    },
  });
}

const longRun = Number(process.env.CRASH_LIFECYCLES ?? 0);

describe('activation commands across kill -9 at every step', () => {
  beforeAll(setUp, 60_000);
  afterAll(async () => {
    await h?.stop();
  });

  if (longRun > 0) {
    it(`${longRun} seeded random lifecycles: no lost decision, no ghost request, no missing audit row`, async () => {
      let seed = Number(process.env.CRASH_SEED ?? 20261202) >>> 0;
      const next = () => {
        seed = (seed * 1664525 + 1013904223) >>> 0;
        return seed / 2 ** 32;
      };
      const counts: Record<Failure, number> = {
        lostDecision: 0,
        ghostRequest: 0,
        missingAudit: 0,
        orchestration: 0,
        other: 0,
      };
      const failures: string[] = [];
      const byCommand = new Map<string, number>();
      for (let i = 0; i < longRun; i++) {
        const command = COMMANDS[Math.floor(next() * COMMANDS.length)]!;
        const point = command.points[Math.floor(next() * command.points.length)]!;
        byCommand.set(command.name, (byCommand.get(command.name) ?? 0) + 1);
        try {
          await lifecycle(command, point);
        } catch (err) {
          const kind: Failure = err instanceof LifecycleError ? err.kind : 'other';
          counts[kind]++;
          failures.push(
            `${i} ${command.name} @ ${point}: ${err instanceof Error ? err.message : String(err)}`,
          );
          if (h.host.child.exitCode !== null || h.host.child.signalCode !== null) await h.start();
          await h.arm(null).catch(() => undefined);
        }
      }
      console.log(
        `crash run: ${longRun} lifecycles with kills (seed ${process.env.CRASH_SEED ?? 20261202}); ` +
          `lost decisions ${counts.lostDecision}, ghost requests ${counts.ghostRequest}, missing audit rows ${counts.missingAudit}, ` +
          `orchestrations not matching ${counts.orchestration}, other ${counts.other}\n` +
          `by command: ${JSON.stringify(Object.fromEntries(byCommand))}\n${failures.join('\n')}`,
      );
      expect(failures).toEqual([]);
    }, 3_600_000);
    return;
  }

  for (const command of COMMANDS) {
    it(`${command.name}: a kill at any step loses nothing`, async () => {
      for (const point of command.points) {
        try {
          await lifecycle(command, point);
        } catch (err) {
          throw new Error(`${command.name} @ ${point}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }, 300_000);
  }
});
