// Multi-stage approval survives a kill -9 at every step of its commits (issue 19): the N-th approval
// of a stage pressed in Teams (which completes the stage and starts the next), and the
// orchestration's escalation of a stage. For each step of the commit and its publication the test
// arms that point, sets the change off, lets the host die there, restarts it on the same storage,
// retries as Teams would (the same action again), and asserts: the decision counted exactly once,
// the next stage asks its approvers, each audit row is there once, and the request goes on.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_USERS, type DemoUserKey } from '../../shared/auth/demo-users';
import { resetSettings } from '../../shared/config';
import { mintLinkToken } from '../../shared/notify/approval-links';
import { type Answer, CrashHost, newPerson, type Person, type Seen } from '../helpers/crash-host';
import { eventually } from '../helpers/devhost';

const V1 = '/api/v1.0';
const REQUESTS = `${V1}/roleManagement/directory/roleAssignmentScheduleRequests`;
const APPROVALS = `${V1}/roleManagement/directory/roleAssignmentApprovals`;
const ACTION = 'microsoft.directory/stagesCrashTest/read';
const LINK_KEY = Buffer.alloc(32, 11).toString('base64');
const POINTS = [
  'afterMarker',
  'afterCommit',
  'afterAuditWritten',
  'afterProjected',
  'afterSignalled',
  'afterOutboxDeleted',
] as const;
type Point = (typeof POINTS)[number];
const user = (u: DemoUserKey) => ({ '@odata.type': '#microsoft.graph.singleUser', userId: DEMO_USERS[u].id });

let h: CrashHost;
let role = '';

interface StageView {
  status: string;
  approvalCount: number;
  waitingOn: string[];
  isEscalated: boolean;
}

async function pending(p: Person): Promise<string> {
  await h.expect(201, 'megan', 'POST', `${V1}/roleManagement/directory/roleEligibilityScheduleRequests`, {
    body: {
      action: 'adminAssign',
      principalId: p.id,
      roleDefinitionId: role,
      directoryScopeId: '/',
      justification: 'crash test',
      scheduleInfo: { expiration: { type: 'noExpiration' } },
    },
  });
  const r = await h.expect(201, p, 'POST', REQUESTS, {
    body: {
      action: 'selfActivate',
      principalId: p.id,
      roleDefinitionId: role,
      directoryScopeId: '/',
      justification: 'crash test',
      scheduleInfo: { expiration: { type: 'afterDuration', duration: 'PT1H' } },
    },
  });
  expect(r.status).toBe('PendingApproval');
  await eventually(async () => {
    const seen = await h.call('adele', 'GET', `${APPROVALS}/${r.id}`);
    return seen !== 'died' && seen.status === 200 ? true : undefined;
  });
  return r.id;
}

const stages = async (p: Person, id: string): Promise<StageView[]> =>
  (await h.expect(200, p, 'GET', `${APPROVALS}/${id}`)).stages;

/** The Step names of a request's audit rows, sorted, once publication has caught up with `want`. */
async function expectSteps(id: string, want: string[]): Promise<void> {
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
  const found = await eventually(async () => {
    const steps = await read();
    return steps.length >= want.length ? steps : undefined;
  }, 15_000).catch(() => read());
  expect(found, id).toEqual([...want].sort());
}

interface Lifecycle {
  act(retry: boolean): Promise<Seen>;
  verify(answer: Answer | undefined): Promise<void>;
}

// The escalation runs first: it moves the clock, which would otherwise end the other command's grants
// under an armed point.
const COMMANDS: { name: string; prepare(): Promise<Lifecycle> }[] = [
  {
    name: 'escalation (the orchestration at the stage’s escalation time)',
    async prepare() {
      const p = newPerson('Escalated');
      const id = await pending(p);
      // The orchestration is waiting (started by the request's publication).
      await eventually(async () => {
        const res = await fetch(`${h.host.baseUrl}/runtime/webhooks/durabletask/instances/${id}`);
        // A running instance's status answers 202.
        if (res.status === 404) return undefined;
        return ((await res.json()) as { runtimeStatus: string }).runtimeStatus === 'Running'
          ? true
          : undefined;
      });
      return {
        act: async (retry) =>
          retry
            ? { status: 200, body: undefined }
            : h.call(undefined, 'POST', '/admin/devhost/clock', { body: { advanceBy: 'PT61M' } }),
        async verify() {
          const escalated = await eventually(async () => {
            const [first] = await stages(p, id);
            return first?.isEscalated ? first : undefined;
          }, 20_000);
          expect(escalated.waitingOn).toContain(DEMO_USERS.other.id);
          await expectSteps(id, ['Escalated', 'Requested']);
          await h.expect(204, 'other', 'PATCH', `${APPROVALS}/${id}/stages/${id}-1`, {
            body: { reviewResult: 'Approve' },
          });
          const [first] = await stages(p, id);
          expect(first!.approvalCount).toBe(1);
        },
      };
    },
  },
  {
    name: 'the N-th approval of stage 1, pressed in Teams (starts stage 2)',
    async prepare() {
      const p = newPerson('Staged');
      const id = await pending(p);
      await h.expect(204, 'reader', 'PATCH', `${APPROVALS}/${id}/stages/${id}-1`, {
        body: { reviewResult: 'Approve' },
      });
      const token = await mintLinkToken(
        { approverId: DEMO_USERS.adele.id, approvalId: id, stepId: `${id}-1`, decision: 'Approve' },
        await h.now(),
        new Date((await h.now()).getTime() + 86_400_000),
      );
      return {
        act: () => h.call(undefined, 'POST', `${V1}/approvals/chat/teams/${token}`, { body: {} }),
        async verify(answer) {
          expect(answer?.status, JSON.stringify(answer)).toBe(200);
          const [first, second] = await stages(p, id);
          expect(first).toMatchObject({ status: 'Completed', approvalCount: 2 });
          expect(second).toMatchObject({ status: 'InProgress', waitingOn: [DEMO_USERS.megan.id] });
          await expectSteps(id, ['Approved', 'Approved', 'Requested']);
          await h.expect(204, 'megan', 'PATCH', `${APPROVALS}/${id}/stages/${id}-2`, {
            body: { reviewResult: 'Approve' },
          });
          const allowed = await h.expect(200, p, 'POST', `${V1}/access/check`, { body: { action: ACTION } });
          expect(allowed.allowed).toBe(true);
          await expectSteps(id, ['Approved', 'Approved', 'Approved', 'Granted', 'Requested']);
        },
      };
    },
  },
];

async function lifecycle(command: (typeof COMMANDS)[number], point: Point): Promise<void> {
  const life = await command.prepare();
  await h.arm(`outbox:${point}`);
  const first = await life.act(false);
  await h.restartAfterDeath(point);
  const answer = first === 'died' ? await life.act(true) : first;
  await life.verify(answer === 'died' ? undefined : answer);
}

describe('multi-stage approval across kill -9 at every step', () => {
  beforeAll(async () => {
    process.env.AzureWebJobsStorage = inject('storageConnectionString');
    process.env.APPROVAL_LINK_KEY = LINK_KEY;
    resetSettings();
    h = new CrashHost(`Stages${Date.now() % 100000}`, { APPROVAL_LINK_KEY: LINK_KEY });
    await h.start();
    const created = await h.expect(201, 'megan', 'POST', `${V1}/roleManagement/directory/roleDefinitions`, {
      body: {
        displayName: `Stages crash ${randomUUID().slice(0, 8)}`,
        rolePermissions: [{ allowedResourceActions: [ACTION] }],
      },
    });
    role = created.id;
    const url = `${V1}/policies/roleManagementPolicies/DirectoryRole_${role}/rules/Approval_EndUser_Assignment`;
    const rule = await h.expect(200, 'megan', 'GET', url);
    const stage = {
      approvalStageTimeOutInDays: 1,
      isApproverJustificationRequired: false,
      escalationTimeInMinutes: 0,
      isEscalationEnabled: false,
      escalationApprovers: [],
    };
    await h.expect(200, 'megan', 'PATCH', url, {
      body: {
        ...rule,
        setting: {
          ...rule.setting,
          isApprovalRequired: true,
          approvalStages: [
            {
              ...stage,
              primaryApprovers: [user('adele'), user('reader')],
              approverCountRequired: 2,
              isEscalationEnabled: true,
              escalationTimeInMinutes: 60,
              escalationApprovers: [user('other')],
            },
            { ...stage, primaryApprovers: [user('megan')] },
          ],
        },
      },
    });
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
  });

  for (const command of COMMANDS) {
    it(`${command.name}: a kill at any step loses nothing`, async () => {
      for (const point of POINTS) {
        try {
          await lifecycle(command, point);
        } catch (err) {
          throw new Error(`${command.name} @ ${point}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }, 300_000);
  }
});
