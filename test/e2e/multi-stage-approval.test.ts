// Multi-stage, N-of-M approval over HTTP on the virtual clock (issue 19, items 1 and 4): a 2-of-3
// stage then a 1-of-2 stage; concurrent approvals in one stage count exactly N; one person decides
// once per request and never on their own request; a deny in stage 2 ends the request; a stage that
// waits past its timeout times the request out; a stage escalates to its escalation approvers.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_USERS, type DemoUserKey } from '../../shared/auth/demo-users';
import { eventually, readJson } from '../helpers/devhost';
import { ACTIONS, ROLE_IDS } from '../helpers/seeds';
import { type SeedsHost, startSeedsHost } from '../helpers/seeds-host';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink';

const ROLE_REQUESTS = '/api/v1.0/roleManagement/directory/roleAssignmentScheduleRequests';
const APPROVALS = '/api/v1.0/roleManagement/directory/roleAssignmentApprovals';
const POLICY = `/api/v1.0/policies/roleManagementPolicies/DirectoryRole_${ROLE_IDS.securityReader}`;
const RULE = `${POLICY}/rules/Approval_EndUser_Assignment`;
const id = (u: DemoUserKey) => DEMO_USERS[u].id;
const user = (u: DemoUserKey) => ({ '@odata.type': '#microsoft.graph.singleUser', userId: id(u) });

interface StageView {
  id: string;
  status: string;
  reviewResult: string;
  reviewedBy: { id: string } | null;
  assignedToMe: boolean;
  approverCountRequired: number;
  approvalCount: number;
  waitingOn: string[];
  decisions: { reviewedBy: { id: string }; reviewResult: string }[];
  isEscalated: boolean;
}

function stage(over: Record<string, unknown>) {
  return {
    approvalStageTimeOutInDays: 1,
    isApproverJustificationRequired: false,
    escalationTimeInMinutes: 0,
    isEscalationEnabled: false,
    primaryApprovers: [],
    escalationApprovers: [],
    ...over,
  };
}

describe('multi-stage N-of-M approval', () => {
  let seeds: SeedsHost;
  let smtp: SmtpSink;
  let rule: Record<string, unknown> & { setting: Record<string, unknown> };

  beforeAll(async () => {
    process.env.AzureWebJobsStorage = inject('storageConnectionString');
    smtp = await startSmtpSink();
    seeds = await startSeedsHost('Stages', {
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      MAIL_FROM: 'PIM <pim@contoso.example>',
    });
    rule = await readJson(await seeds.call('megan', 'GET', RULE));
  });
  afterAll(async () => {
    await seeds?.stop();
    await smtp?.stop();
  });

  /** The "approval needed" mail to `u` about the request, once it arrives. */
  const askedByMail = (u: DemoUserKey, requestId: string) =>
    smtp.waitFor(
      (m) =>
        m.to.includes(DEMO_USERS[u].userPrincipalName) &&
        m.subject.startsWith('PIM: Approval needed') &&
        m.text.includes(requestId),
    );

  const call = (u: DemoUserKey, method: string, url: string, body?: unknown) =>
    seeds.call(u, method, url, body);

  const setStages = (stages: unknown[]) =>
    call('megan', 'PATCH', RULE, {
      ...rule,
      setting: { ...rule.setting, isApprovalRequired: true, approvalStages: stages },
    });

  async function advance(by: string) {
    const res = await fetch(`${seeds.host.baseUrl}/admin/devhost/clock`, {
      method: 'POST',
      body: JSON.stringify({ advanceBy: by }),
    });
    expect(res.status).toBe(200);
  }

  async function activate(): Promise<string> {
    const res = await call('alex', 'POST', ROLE_REQUESTS, {
      action: 'selfActivate',
      principalId: id('alex'),
      roleDefinitionId: ROLE_IDS.securityReader,
      directoryScopeId: '/',
      justification: 'Incident 19',
      scheduleInfo: { expiration: { type: 'afterDuration', duration: 'PT1H' } },
    });
    expect(res.status).toBe(201);
    const request = await readJson(res);
    expect(request.status).toBe('PendingApproval');
    return request.id;
  }

  const stages = async (approvalId: string, as: DemoUserKey = 'alex'): Promise<StageView[]> => {
    const res = await call(as, 'GET', `${APPROVALS}/${approvalId}`);
    expect(res.status).toBe(200);
    return (await readJson(res)).stages;
  };

  const decide = (as: DemoUserKey, approvalId: string, stageId: string, reviewResult: string) =>
    call(as, 'PATCH', `${APPROVALS}/${approvalId}/stages/${stageId}`, { reviewResult, justification: 'ok' });

  const statusOf = (requestId: string, wanted: string) =>
    eventually(async () => {
      const r = await readJson(await call('alex', 'GET', `${ROLE_REQUESTS}/${requestId}`));
      return r.status === wanted ? r : undefined;
    });

  async function allowed(): Promise<boolean> {
    const res = await call('alex', 'POST', '/api/v1.0/access/check', {
      action: ACTIONS.readSecurity,
      scope: '/',
    });
    return (await readJson(res)).allowed;
  }

  it('refuses more than 3 stages, a count of 0, and a count above the people a stage names', async () => {
    const four = Array.from({ length: 4 }, () => stage({ primaryApprovers: [user('adele')] }));
    expect((await setStages(four)).status).toBe(400);
    expect(
      (await setStages([stage({ primaryApprovers: [user('adele')], approverCountRequired: 0 })])).status,
    ).toBe(400);
    const tooMany = await setStages([
      stage({ primaryApprovers: [user('adele'), user('reader')], approverCountRequired: 3 }),
    ]);
    expect(tooMany.status).toBe(400);
    expect(JSON.stringify(await readJson(tooMany))).toContain('approverCountRequired');
  });

  it('walks a 2-of-3 stage then a 1-of-2 stage; concurrent approvals count exactly N', async () => {
    const set = await setStages([
      stage({ primaryApprovers: [user('adele'), user('reader'), user('other')], approverCountRequired: 2 }),
      stage({ primaryApprovers: [user('megan'), user('adele')] }),
    ]);
    expect(set.status).toBe(200);
    const saved = await readJson(await call('megan', 'GET', RULE));
    expect(
      saved.setting.approvalStages.map((s: { approverCountRequired?: number }) => s.approverCountRequired),
    ).toEqual([2, undefined]);

    const requestId = await activate();
    let [first, second] = await stages(requestId);
    expect(first).toMatchObject({ status: 'InProgress', approverCountRequired: 2, approvalCount: 0 });
    expect(new Set(first!.waitingOn)).toEqual(new Set([id('adele'), id('reader'), id('other')]));
    expect(second).toMatchObject({ status: 'NotStarted', waitingOn: [] });

    // Stage 2 waits its turn; the requester never decides.
    expect((await decide('megan', requestId, second!.id, 'Approve')).status).toBe(409);
    expect((await decide('alex', requestId, first!.id, 'Approve')).status).toBe(403);

    // One approval of two: the stage still waits, on the two others.
    expect((await decide('adele', requestId, first!.id, 'Approve')).status).toBe(204);
    expect((await decide('adele', requestId, first!.id, 'Approve')).status).toBe(204); // a retry
    expect((await decide('adele', requestId, first!.id, 'Deny')).status).toBe(409); // once per request
    [first] = await stages(requestId);
    expect(first).toMatchObject({ status: 'InProgress', approvalCount: 1, reviewResult: 'NotReviewed' });
    expect(new Set(first!.waitingOn)).toEqual(new Set([id('reader'), id('other')]));
    expect(await allowed()).toBe(false);

    // The last slot, taken by two approvers at once: exactly one fills it.
    const racing = await Promise.all([
      decide('reader', requestId, first!.id, 'Approve'),
      decide('other', requestId, first!.id, 'Approve'),
    ]);
    expect(racing.map((r) => r.status).sort()).toEqual([204, 409]);
    [first, second] = await stages(requestId);
    expect(first).toMatchObject({ status: 'Completed', reviewResult: 'Approve', approvalCount: 2 });
    expect(first!.decisions).toHaveLength(2);
    expect(second).toMatchObject({ status: 'InProgress', approvalCount: 0 });
    expect(new Set(second!.waitingOn)).toEqual(new Set([id('megan'), id('adele')]));
    expect(await allowed()).toBe(false);
    // Stage 1's approvers were asked at the request, stage 2's only now.
    await askedByMail('reader', requestId);
    await askedByMail('megan', requestId);

    // Adele decided in stage 1: she cannot fill stage 2 too. Megan's approval grants.
    expect((await decide('adele', requestId, second!.id, 'Approve')).status).toBe(409);
    const inbox = await eventually(async () => {
      const list = await readJson(
        await call('megan', 'GET', `${APPROVALS}/filterByCurrentUser(on='approver')`),
      );
      return list.value.find((a: { id: string }) => a.id === requestId);
    });
    expect(inbox.stages[1].assignedToMe).toBe(true);
    expect((await decide('megan', requestId, second!.id, 'Approve')).status).toBe(204);
    expect(await allowed()).toBe(true);
    await statusOf(requestId, 'Provisioned');

    const off = await call('alex', 'POST', ROLE_REQUESTS, {
      action: 'selfDeactivate',
      principalId: id('alex'),
      roleDefinitionId: ROLE_IDS.securityReader,
      directoryScopeId: '/',
    });
    expect(off.status).toBe(201);
    await statusOf(requestId, 'Revoked');
  });

  it('ends the request on a deny in stage 2', async () => {
    const requestId = await activate();
    const [first, second] = await stages(requestId);
    expect((await decide('adele', requestId, first!.id, 'Approve')).status).toBe(204);
    expect((await decide('reader', requestId, first!.id, 'Approve')).status).toBe(204);
    expect((await decide('megan', requestId, second!.id, 'Deny')).status).toBe(204);
    await statusOf(requestId, 'Denied');
    const [, denied] = await stages(requestId);
    expect(denied).toMatchObject({
      status: 'Completed',
      reviewResult: 'Deny',
      reviewedBy: { id: id('megan') },
    });
    expect(await allowed()).toBe(false);
    expect((await decide('adele', requestId, second!.id, 'Approve')).status).toBe(409);
  });

  it('times out when a stage waits past its approvalStageTimeOutInDays', async () => {
    const requestId = await activate();
    const [first] = await stages(requestId);
    expect((await decide('adele', requestId, first!.id, 'Approve')).status).toBe(204);
    await advance('P1DT1M');
    await statusOf(requestId, 'TimedOut');
    const [expired, notStarted] = await stages(requestId);
    expect(expired!.status).toBe('Expired');
    expect(notStarted!.status).toBe('Expired');
    expect((await decide('reader', requestId, first!.id, 'Approve')).status).toBe(409);
  });

  it('asks the escalation approvers too after escalationTimeInMinutes', async () => {
    expect(
      (
        await setStages([
          stage({
            primaryApprovers: [user('adele')],
            isEscalationEnabled: true,
            escalationTimeInMinutes: 60,
            escalationApprovers: [user('other')],
          }),
        ])
      ).status,
    ).toBe(200);
    const requestId = await activate();
    let [only] = await stages(requestId);
    expect(only).toMatchObject({ isEscalated: false, waitingOn: [id('adele')] });
    // Not asked yet: Lee may not decide.
    expect((await decide('other', requestId, only!.id, 'Approve')).status).toBe(404);

    await advance('PT61M');
    only = await eventually(async () => {
      const [s] = await stages(requestId);
      return s?.isEscalated ? s : undefined;
    });
    expect(new Set(only.waitingOn)).toEqual(new Set([id('adele'), id('other')]));
    await askedByMail('other', requestId); // the escalation approver is told
    expect((await decide('other', requestId, only.id, 'Approve')).status).toBe(204);
    await statusOf(requestId, 'Provisioned');
    expect(await allowed()).toBe(true);

    const filter = encodeURIComponent(`correlationId eq '${requestId}'`);
    const audit = await eventually(async () => {
      const rows = (
        await readJson(await call('megan', 'GET', `/api/v1.0/auditLogs/directoryAudits?$filter=${filter}`))
      ).value as { activityDisplayName: string }[];
      return rows.some((r) => r.activityDisplayName.includes('escalated')) ? rows : undefined;
    });
    expect(audit.length).toBeGreaterThan(0);
  });
});
