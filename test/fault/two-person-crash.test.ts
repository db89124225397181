// The two-person rule's approval survives a kill -9: approving a proposal and applying it is never
// lost and never applied twice. The host dies right after the approval committed (before the
// change is applied: `proposal:afterApproved`), and right after the approval's own transaction
// (`outbox:afterCommit`, before its audit row is published). After the restart the outbox sweep
// finishes the approval (or the approver's retry does): the change is there once, with one audit row.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_USERS } from '../../shared/auth/demo-users';
import { BuiltInRoleId } from '../../shared/domain/roles';
import { CrashHost } from '../helpers/crash-host';
import { eventually } from '../helpers/devhost';

const V1 = '/api/v1.0';
const ELIGIBILITY_REQUESTS = `${V1}/roleManagement/directory/roleEligibilityScheduleRequests`;
const ASSIGNMENT_REQUESTS = `${V1}/roleManagement/directory/roleAssignmentScheduleRequests`;
const ELIGIBILITY_SCHEDULES = `${V1}/roleManagement/directory/roleEligibilitySchedules`;
const PROPOSALS = `${V1}/jit/adminChangeProposals`;
const PRA = BuiltInRoleId.privilegedRoleAdministrator;

let h: CrashHost;

beforeAll(async () => {
  process.env.AzureWebJobsStorage = inject('storageConnectionString');
  h = new CrashHost(`TwoPersonCrash${Date.now() % 100000}`);
  await h.start();
  // Adele is the second admin; then the rule goes on.
  await h.expect(201, 'megan', 'POST', ASSIGNMENT_REQUESTS, {
    body: {
      action: 'adminAssign',
      principalId: DEMO_USERS.adele.id,
      roleDefinitionId: PRA,
      directoryScopeId: '/',
      justification: 'second admin',
      scheduleInfo: { startDateTime: null, expiration: { type: 'noExpiration' } },
    },
  });
  await h.expect(200, 'megan', 'PATCH', `${V1}/jit/adminChangeSettings`, {
    body: { twoPersonRuleEnabled: true },
  });
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

async function schedulesOf(principalId: string): Promise<unknown[]> {
  const filter = encodeURIComponent(`principalId eq '${principalId}'`);
  const page = await h.expect(200, 'megan', 'GET', `${ELIGIBILITY_SCHEDULES}?$filter=${filter}`);
  return page.value.filter((s: { roleDefinitionId: string }) => s.roleDefinitionId === PRA);
}

async function activities(correlationId: string): Promise<string[]> {
  const filter = encodeURIComponent(`correlationId eq '${correlationId}'`);
  const page = await h.expect(
    200,
    'megan',
    'GET',
    `${V1}/auditLogs/directoryAudits?$filter=${filter}&$top=999`,
  );
  return page.value.map((r: { activityDisplayName: string }) => r.activityDisplayName);
}

describe('approving a proposal across a crash', () => {
  for (const point of ['proposal:afterApproved', 'outbox:afterCommit'] as const) {
    it(`dies at ${point}: after the restart the change is applied exactly once`, async () => {
      const person = point === 'proposal:afterApproved' ? DEMO_USERS.other : DEMO_USERS.reader;
      const proposal = await h.expect(202, 'megan', 'POST', ELIGIBILITY_REQUESTS, {
        body: {
          action: 'adminAssign',
          principalId: person.id,
          roleDefinitionId: PRA,
          directoryScopeId: '/',
          justification: 'crash test',
          scheduleInfo: { startDateTime: null, expiration: { type: 'afterDuration', duration: 'P30D' } },
        },
      });
      await h.arm(point);
      expect(await h.call('adele', 'POST', `${PROPOSALS}/${proposal.id}/approve`, { body: {} })).toBe('died');
      await h.restartAfterDeath(point);

      // The sweep at start finishes it; a retry by the approver answers with the outcome either way.
      const retried = await h.call('adele', 'POST', `${PROPOSALS}/${proposal.id}/approve`, { body: {} });
      expect(retried === 'died' ? 0 : retried.status).toSatisfy((s: number) => s === 200 || s === 409);
      const done = await eventually(async () => {
        const p = await h.expect(200, 'megan', 'GET', `${PROPOSALS}/${proposal.id}`);
        return p.status === 'Applied' ? p : undefined;
      }, 20_000);
      expect(done.decidedBy.id).toBe(DEMO_USERS.adele.id);
      expect(await schedulesOf(person.id)).toHaveLength(1);
      const rows = await eventually(async () => {
        const found = await activities(proposal.id);
        return found.some((a) => /^Apply admin change/.test(a)) ? found : undefined;
      }, 15_000);
      expect(rows.filter((a) => /^Add eligible member to role/.test(a))).toHaveLength(1);
      expect(rows.filter((a) => /^Apply admin change/.test(a))).toHaveLength(1);
    }, 90_000);
  }
});
