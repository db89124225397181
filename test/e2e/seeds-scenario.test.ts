// The seeds' scenario end to end over HTTP (PIM with Defender for Office 365): Alex cannot purge;
// activates Security Reader with an MFA token and can read but not purge; activates the "Search and
// Purge PIM" membership with justification and ticket and can purge; with approval switched on,
// Adele approves and access follows; 8 virtual hours later all access has ended, and every step is
// in the audit log.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_USERS, type DemoUserKey } from '../../shared/auth/demo-users';
import { DEMO_GROUP_ID } from '../../shared/services/demo-data';
import { type DevhostProcess, eventually, readJson } from '../helpers/devhost';
import { ACTIONS, ROLE_IDS } from '../helpers/seeds';
import { type SeedsHost, startSeedsHost } from '../helpers/seeds-host';

const ROLE_REQUESTS = '/api/v1.0/roleManagement/directory/roleAssignmentScheduleRequests';
const GROUP_REQUESTS = '/api/v1.0/identityGovernance/privilegedAccess/group/assignmentScheduleRequests';
const alex = DEMO_USERS.alex.id;

interface AuditRow {
  activityDisplayName: string;
  operationType: string;
  additionalDetails: { key: string; value: string }[];
}
/** Activation steps carry their name in `Step`. */
const stepName = (r: AuditRow) => r.additionalDetails.find((d) => d.key === 'Step')?.value ?? r.operationType;

describe("the seeds' scenario", () => {
  let seeds: SeedsHost;
  let host: DevhostProcess;

  beforeAll(async () => {
    process.env.AzureWebJobsStorage = inject('storageConnectionString');
    seeds = await startSeedsHost('Seeds', { MFA_ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64') });
    host = seeds.host;
  });
  afterAll(async () => {
    await seeds?.stop();
  });

  const call = (user: DemoUserKey, method: string, url: string, body?: unknown, mfa = true) =>
    seeds.call(user, method, url, body, mfa);

  async function allowed(user: DemoUserKey, action: string): Promise<boolean> {
    const res = await call(user, 'POST', '/api/v1.0/access/check', { action, scope: '/' });
    expect(res.status).toBe(200);
    return (await readJson(res)).allowed;
  }

  async function statusOf(url: string, id: string, wanted: string) {
    return eventually(async () => {
      const r = await readJson(await call('alex', 'GET', `${url}/${id}`));
      return r.status === wanted ? r : undefined;
    }, 10_000);
  }

  /** A request's audit rows, as an admin reads them: one correlation id for the whole story. */
  async function auditRows(requestId: string): Promise<AuditRow[]> {
    const filter = encodeURIComponent(`correlationId eq '${requestId}'`);
    const res = await call('megan', 'GET', `/api/v1.0/auditLogs/directoryAudits?$filter=${filter}&$top=999`);
    expect(res.status).toBe(200);
    return (await readJson(res)).value;
  }

  const activateReader = () =>
    call('alex', 'POST', ROLE_REQUESTS, {
      action: 'SelfActivate',
      principalId: alex,
      roleDefinitionId: ROLE_IDS.securityReader,
      directoryScopeId: '/',
      scheduleInfo: { expiration: { type: 'AfterDuration', duration: 'PT8H' } },
    });

  it('runs from no access, through both activations and an approval, to no access again', async () => {
    // Alex has no standing access.
    expect(await allowed('alex', ACTIONS.purgeEmail)).toBe(false);
    expect(await allowed('alex', ACTIONS.readSecurity)).toBe(false);
    const eligibilities = await readJson(
      await call(
        'alex',
        'GET',
        "/api/v1.0/roleManagement/directory/roleEligibilityScheduleInstances/filterByCurrentUser(on='principal')",
      ),
    );
    expect(eligibilities.value.map((e: { roleDefinitionId: string }) => e.roleDefinitionId)).toContain(
      ROLE_IDS.securityReader,
    );

    // Security Reader with an MFA token: the POST itself grants (no prompt, no justification needed),
    // so a check made right after its answer allows.
    const reader = await activateReader();
    expect(reader.status).toBe(201);
    const readerRequest = await readJson(reader);
    expect(readerRequest.status).toBe('Provisioned');
    expect(await allowed('alex', ACTIONS.readSecurity)).toBe(true);
    expect(await allowed('alex', ACTIONS.purgeEmail)).toBe(false);

    // The group's member policy wants justification and a ticket.
    const groupBody = {
      action: 'selfActivate',
      principalId: alex,
      groupId: DEMO_GROUP_ID,
      accessId: 'member',
    };
    const missing = await call('alex', 'POST', GROUP_REQUESTS, groupBody);
    expect(missing.status).toBe(400);
    const failure = await readJson(missing);
    expect(failure.error.code).toBe('RoleAssignmentRequestPolicyValidationFailed');
    expect(failure.error.message).toContain('JustificationRule');
    expect(failure.error.message).toContain('TicketingRule');
    const purge = await call('alex', 'POST', GROUP_REQUESTS, {
      ...groupBody,
      justification: 'Purge phishing campaign reported in INC-4711',
      ticketInfo: { ticketNumber: 'INC-4711', ticketSystem: 'ServiceNow' },
      scheduleInfo: { expiration: { type: 'afterDuration', duration: 'PT4H' } },
    });
    expect(purge.status).toBe(201);
    const purgeRequest = await readJson(purge);
    expect(purgeRequest.status).toBe('Provisioned');
    const check = await readJson(
      await call('alex', 'POST', '/api/v1.0/access/check', { action: ACTIONS.purgeEmail, scope: '/' }),
    );
    expect(check.allowed).toBe(true);
    expect(check.grants[0]).toMatchObject({
      roleDefinitionId: ROLE_IDS.searchAndPurge,
      memberType: 'Group',
      viaGroupId: groupBody.groupId,
    });

    // Megan switches approval on for Security Reader; Alex deactivates and asks again.
    const policyUrl = `/api/v1.0/policies/roleManagementPolicies/DirectoryRole_${ROLE_IDS.securityReader}`;
    const policy = await readJson(await call('megan', 'GET', policyUrl));
    const approvalRule = policy.rules.find((r: { id: string }) => r.id === 'Approval_EndUser_Assignment');
    expect(
      (await call('alex', 'PATCH', `${policyUrl}/rules/Approval_EndUser_Assignment`, approvalRule)).status,
    ).toBe(403);
    const switched = await call('megan', 'PATCH', `${policyUrl}/rules/Approval_EndUser_Assignment`, {
      ...approvalRule,
      setting: {
        ...approvalRule.setting,
        isApprovalRequired: true,
        approvalStages: [
          {
            ...approvalRule.setting.approvalStages[0],
            primaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: DEMO_USERS.adele.id }],
          },
        ],
      },
    });
    expect(switched.status).toBe(200);
    const off = await call('alex', 'POST', ROLE_REQUESTS, {
      action: 'selfDeactivate',
      principalId: alex,
      roleDefinitionId: ROLE_IDS.securityReader,
      directoryScopeId: '/',
    });
    expect(off.status).toBe(201);
    const offRequest = await readJson(off);
    expect(offRequest).toMatchObject({ status: 'Revoked', targetScheduleId: readerRequest.id });
    expect(await allowed('alex', ACTIONS.readSecurity)).toBe(false);
    await statusOf(ROLE_REQUESTS, readerRequest.id, 'Revoked');

    const again = await readJson(await activateReader());
    const pending = await statusOf(ROLE_REQUESTS, again.id, 'PendingApproval');
    expect(pending.approvalId).toBe(again.id);
    expect(await allowed('alex', ACTIONS.readSecurity)).toBe(false);
    const approvals = '/api/v1.0/roleManagement/directory/roleAssignmentApprovals';
    // The approver's inbox is an index publication writes a moment after the answer.
    const item = await eventually(async () => {
      const inbox = await readJson(
        await call('adele', 'GET', `${approvals}/filterByCurrentUser(on='approver')`),
      );
      return inbox.value.find((a: { id: string }) => a.id === again.approvalId);
    });
    expect(item.stages[0].assignedToMe).toBe(true);
    const stepUrl = `${approvals}/${again.approvalId}/steps/${item.stages[0].id}`;
    expect(
      (await call('alex', 'PATCH', stepUrl, { reviewResult: 'Approve', justification: 'me' })).status,
    ).toBe(403);
    expect((await call('adele', 'PATCH', stepUrl, { reviewResult: 'Approve' })).status).toBe(400); // justification required
    expect(
      (await call('adele', 'PATCH', stepUrl, { reviewResult: 'Approve', justification: 'Known incident' }))
        .status,
    ).toBe(204);
    // The decision itself grants: access right after its answer.
    expect(await allowed('alex', ACTIONS.readSecurity)).toBe(true);
    expect(
      (await call('adele', 'PATCH', stepUrl, { reviewResult: 'Deny', justification: 'too late' })).status,
    ).toBe(409);
    await statusOf(ROLE_REQUESTS, again.id, 'Provisioned');

    // Eight hours later all access has ended, to the second.
    const moved = await fetch(`${host.baseUrl}/admin/devhost/clock`, {
      method: 'POST',
      body: JSON.stringify({ advanceBy: 'PT8H1M' }),
    });
    expect(moved.status).toBe(200);
    expect(await allowed('alex', ACTIONS.readSecurity)).toBe(false);
    expect(await allowed('alex', ACTIONS.purgeEmail)).toBe(false);
    await statusOf(ROLE_REQUESTS, again.id, 'Expired');
    await statusOf(GROUP_REQUESTS, purgeRequest.id, 'Expired');

    // The audit log has every step of every request, each once (published just after the answers).
    const steps = async (id: string, expected: string[]) =>
      eventually(async () => {
        const found = (await auditRows(id)).map(stepName).sort();
        return found.length >= expected.length ? found : undefined;
      });
    const expected = {
      [readerRequest.id]: ['Deactivated', 'Granted', 'Requested'],
      [offRequest.id]: ['DeactivationRequested'],
      [purgeRequest.id]: ['Expired', 'Granted', 'Requested'],
      [again.id]: ['Approved', 'Expired', 'Granted', 'Requested'],
    };
    for (const [id, want] of Object.entries(expected)) expect(await steps(id, want)).toEqual(want);
    // Newest first, in the order things happened, also where one commit wrote two rows at one instant.
    expect((await auditRows(again.id)).map(stepName)).toEqual([
      'Expired',
      'Granted',
      'Approved',
      'Requested',
    ]);
    expect((await auditRows(readerRequest.id)).map(stepName)).toEqual([
      'Deactivated',
      'Granted',
      'Requested',
    ]);
    const requested = (await auditRows(purgeRequest.id)).find((r) => stepName(r) === 'Requested');
    expect(requested?.additionalDetails).toEqual(
      expect.arrayContaining([{ key: 'TicketNumber', value: 'INC-4711' }]),
    );

    // Alex lists his own requests; an admin lists his by filter; an approver may not list others'.
    const listed = async (user: DemoUserKey, url: string) => {
      const res = await call(user, 'GET', url);
      expect(res.status).toBe(200);
      return (await readJson(res)).value.map((r: { id: string }) => r.id);
    };
    expect(await listed('alex', `${ROLE_REQUESTS}/filterByCurrentUser(on='principal')`)).toEqual(
      expect.arrayContaining([readerRequest.id, again.id]),
    );
    expect(await listed('alex', `${GROUP_REQUESTS}/filterByCurrentUser(on='principal')`)).toContain(
      purgeRequest.id,
    );
    const byFilter = encodeURIComponent(`principalId eq '${alex}'`);
    expect(await listed('megan', `${ROLE_REQUESTS}?$filter=${byFilter}`)).toContain(again.id);
    expect((await call('adele', 'GET', `${ROLE_REQUESTS}?$filter=${byFilter}`)).status).toBe(403);
  });
});
