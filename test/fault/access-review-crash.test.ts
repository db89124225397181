// An access review's removals survive a kill -9 in the middle: the host dies right after the first
// denied assignment is removed and before the removal is recorded on its decision item; the next
// host on the same storage finishes the apply. Each denied assignment is removed exactly once (one
// audit row each), every decision item records success, and the instance ends Applied.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '../../shared/auth/demo-users';
import { BuiltInRoleId } from '../../shared/domain/roles';
import { CrashHost, newPerson, type Person } from '../helpers/crash-host';
import { eventually } from '../helpers/devhost';

const V1 = '/api/v1.0';
const DEFINITIONS = `${V1}/identityGovernance/accessReviews/definitions`;
const ELIGIBILITY_REQUESTS = `${V1}/roleManagement/directory/roleEligibilityScheduleRequests`;
const SR = BuiltInRoleId.securityReader;
const POINT = 'review:afterRemoval';

let h: CrashHost;

beforeAll(async () => {
  h = new CrashHost('ReviewCrash');
  await h.start();
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

async function makeEligible(p: Person): Promise<void> {
  await h.expect(201, 'megan', 'POST', ELIGIBILITY_REQUESTS, {
    body: {
      action: 'adminAssign',
      principalId: p.id,
      roleDefinitionId: SR,
      directoryScopeId: '/',
      justification: 'review crash test',
      scheduleInfo: { expiration: { type: 'noExpiration' } },
    },
  });
}

async function eligibilityOf(p: Person): Promise<unknown[]> {
  const filter = encodeURIComponent(`principalId eq '${p.id}'`);
  const page = await h.expect(
    200,
    'megan',
    'GET',
    `${V1}/roleManagement/directory/roleEligibilitySchedules?$filter=${filter}`,
  );
  return page.value;
}

describe('access review apply under a crash', () => {
  it('removes each denied assignment once after a kill -9 between a removal and its record', async () => {
    const people = [newPerson('Reviewed'), newPerson('Reviewed'), newPerson('Reviewed')];
    for (const p of people) await makeEligible(p);
    const definition = await h.expect(201, 'megan', 'POST', DEFINITIONS, {
      body: {
        displayName: 'Crash review',
        scope: {
          query: `/roleManagement/directory/roleEligibilityScheduleInstances?$filter=(roleDefinitionId eq '${SR}')`,
          queryType: 'MicrosoftGraph',
        },
        reviewers: [{ query: `/users/${DEMO_USERS.adele.id}` }],
        settings: { instanceDurationInDays: 1, autoApplyDecisionsEnabled: true },
      },
    });
    const instances = `${DEFINITIONS}/${definition.id}/instances`;
    const instance = await eventually(async () => {
      const list = await h.expect(200, 'megan', 'GET', instances);
      return list.value[0]?.status === 'InProgress' ? list.value[0] : undefined;
    }, 20_000);
    const base = `${instances}/${instance.id}`;
    for (const p of people) {
      await h.expect(204, 'adele', 'POST', `${base}/batchRecordDecisions`, {
        body: { decision: 'Deny', justification: 'left the team', principalId: p.id },
      });
    }

    await h.arm(POINT);
    await h.advance('P1DT1H');
    await h.restartAfterDeath(POINT);

    const applied = await eventually(async () => {
      const i = await h.expect(200, 'megan', 'GET', base);
      return i.status === 'Applied' ? i : undefined;
    }, 30_000);
    expect(applied.status).toBe('Applied');
    const items = (await h.expect(200, 'megan', 'GET', `${base}/decisions`)).value as {
      principal: { id: string };
      decision: string;
      applyResult: string;
    }[];
    for (const p of people) {
      const item = items.find((x) => x.principal.id === p.id);
      expect(item).toMatchObject({ decision: 'Deny', applyResult: 'AppliedSuccessfully' });
      expect(await eligibilityOf(p)).toEqual([]);
    }
    // One removal row per person, no more.
    const audits = await h.expect(
      200,
      'megan',
      'GET',
      `${V1}/auditLogs/directoryAudits?$top=999&$filter=${encodeURIComponent("category eq 'RoleManagement'")}`,
    );
    for (const p of people) {
      const removals = audits.value.filter(
        (a: { activityDisplayName: string; targetResources: { id: string }[] }) =>
          a.activityDisplayName.startsWith('Remove eligible member from role') &&
          a.targetResources.some((t) => t.id === p.id),
      );
      expect(removals, p.displayName).toHaveLength(1);
    }
  });
});
