// Grants that reach Entra ID and Azure RBAC: the grant connectors against a local Microsoft Graph,
// Azure Resource Manager and managed-identity endpoint (test/helpers/fake-cloud.ts), which check
// every request's shape and token and hold what was granted.
//   - the seeds' scenario: Alex's Security Reader activation becomes an Entra directory role
//     assignment and an Azure role assignment; his "Search and Purge PIM" activation makes him a
//     member of the Entra group; his deactivation and the expiry take each away again
//   - throttling: a 429 with Retry-After is waited out (a durable timer), not hammered
//   - a kill -9 after Graph made the change but before the service recorded it: the retried call
//     finds the change made and counts it done; a kill -9 between grant and revoke: the revoke
//     still happens on time after the restart
//   - a permission Graph refuses (403) raises the alert at once instead of retrying
//   - a revoke leaves the membership alone while a standing assignment still holds it
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_USERS } from '../../shared/auth/demo-users';
import { BuiltInRoleId } from '../../shared/domain/roles';
import { DEMO_GROUP_ID } from '../../shared/services/demo-data';
import { CrashHost } from '../helpers/crash-host';
import { eventually } from '../helpers/devhost';
import { addGroup, type FakeCloud, startFakeCloud } from '../helpers/fake-cloud';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink';

const V1 = '/api/v1.0';
const ROLE_REQUESTS = `${V1}/roleManagement/directory/roleAssignmentScheduleRequests`;
const GROUP_REQUESTS = `${V1}/identityGovernance/privilegedAccess/group/assignmentScheduleRequests`;
const CONNECTORS = `${V1}/grantConnectors`;
const SR = BuiltInRoleId.securityReader;
const alex = DEMO_USERS.alex.id;
const SUBSCRIPTION = '3f2a1b6c-0d4e-4f5a-9b8c-7d6e5f4a3b2c';
const SCOPE = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-defender`;
const READER_ROLE = '/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7';

let cloud: FakeCloud;
let smtp: SmtpSink;
const ADMINS = 'secops@contoso.example';
let h: CrashHost;
let entraGroup: string;

const groupBody = (action: string) => ({
  action,
  principalId: alex,
  groupId: DEMO_GROUP_ID,
  accessId: 'member',
  ...(action === 'selfActivate'
    ? {
        justification: 'Purge phishing campaign reported in INC-4711',
        ticketInfo: { ticketNumber: 'INC-4711', ticketSystem: 'ServiceNow' },
        scheduleInfo: { expiration: { type: 'afterDuration', duration: 'PT4H' } },
      }
    : {}),
});

type Who = Parameters<CrashHost['expect']>[1];
const send = (status: number, who: Who, method: string, url: string, body?: unknown) =>
  h.expect(status, who, method, url, { body });

const isMember = () => cloud.groups.get(entraGroup)?.members.has(alex) ?? false;
const until = (condition: () => boolean, what: string, ms = 20_000) =>
  eventually(async () => (condition() ? true : undefined), ms).catch(() => {
    throw new Error(`${what}; calls: ${JSON.stringify(cloud.calls.slice(-8))}; problems: ${cloud.problems}`);
  });
const groupCalls = (groupId: string) =>
  cloud.calls.filter((c) => c.api === 'graph' && c.path.startsWith(`/graph/v1.0/groups/${groupId}/`));

async function auditActivities(requestId: string): Promise<string[]> {
  const filter = encodeURIComponent(`correlationId eq '${requestId}'`);
  const page = await send(200, 'megan', 'GET', `${V1}/auditLogs/directoryAudits?$filter=${filter}&$top=999`);
  return page.value.map((r: { activityDisplayName: string }) => r.activityDisplayName);
}

beforeAll(async () => {
  process.env.AzureWebJobsStorage = inject('storageConnectionString');
  [cloud, smtp] = await Promise.all([startFakeCloud(), startSmtpSink()]);
  entraGroup = addGroup(cloud);
  h = new CrashHost(`Cloud${randomUUID().slice(0, 6)}`, {
    ...cloud.env,
    WEBHOOK_RETRY_FIRST_MS: '100',
    WEBHOOK_RETRY_ATTEMPTS: '5',
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    NOTIFY_ADMIN_EMAILS: ADMINS,
  });
  await h.start();
  await send(201, 'megan', 'POST', CONNECTORS, {
    kind: 'microsoftGraphGroup',
    displayName: 'Search and Purge (Entra group)',
    groupId: DEMO_GROUP_ID,
    entraGroupId: entraGroup.toUpperCase(),
  });
  await send(201, 'megan', 'POST', CONNECTORS, {
    kind: 'microsoftGraphDirectoryRole',
    displayName: 'Security Reader (Entra role)',
    roleDefinitionId: SR,
  });
  await send(201, 'megan', 'POST', CONNECTORS, {
    kind: 'azureRoleAssignment',
    displayName: 'Reader on rg-defender',
    roleDefinitionId: SR,
    scope: SCOPE,
    azureRoleDefinitionId: READER_ROLE,
  });
}, 60_000);

afterAll(async () => {
  await h?.stop();
  await cloud?.stop();
  await smtp?.stop();
});

describe('grant connectors to Microsoft Graph and Azure Resource Manager', () => {
  it("carry the seeds' scenario into Entra ID and Azure RBAC, and take it back", async () => {
    const reader = await send(201, 'alex', 'POST', ROLE_REQUESTS, {
      action: 'selfActivate',
      principalId: alex,
      roleDefinitionId: SR,
      directoryScopeId: '/',
      scheduleInfo: { expiration: { type: 'afterDuration', duration: 'PT8H' } },
    });
    expect(reader.status).toBe('Provisioned');
    const roleHeld = () =>
      cloud.directoryRoles.some(
        (r) => r.principalId === alex && r.roleDefinitionId === SR && r.directoryScopeId === '/',
      );
    const rbacHeld = () =>
      [...cloud.armAssignments.values()].some(
        (a) => a.principalId === alex && a.scope === SCOPE && a.roleDefinitionId === READER_ROLE,
      );
    await until(roleHeld, 'the Entra role assignment never appeared');
    await until(rbacHeld, 'the Azure role assignment never appeared');

    const purge = await send(201, 'alex', 'POST', GROUP_REQUESTS, groupBody('selfActivate'));
    expect(purge.status).toBe('Provisioned');
    await until(isMember, 'Alex never became a member of the Entra group');

    await send(201, 'alex', 'POST', GROUP_REQUESTS, groupBody('selfDeactivate'));
    await until(() => !isMember(), 'the deactivation never removed Alex from the Entra group');

    // Eight hours later the role has expired here and there.
    await h.advance('PT8H1M');
    await until(() => !roleHeld() && !rbacHeld(), 'the expiry never removed the role assignments');

    const steps = await eventually(async () => {
      const rows = await auditActivities(reader.id);
      return rows.filter((a) => a === 'Grant connector revoke delivered').length === 2 ? rows : undefined;
    });
    expect(steps.filter((a) => a === 'Grant connector grant delivered')).toHaveLength(2);
    // The token came from the managed identity, once per API (then cached), never per call.
    const tokenCalls = cloud.calls
      .filter((c) => c.api === 'msi')
      .map((c) => new URL(c.path, 'http://x').searchParams.get('resource'));
    expect(tokenCalls.sort()).toEqual(['https://graph.microsoft.com', 'https://management.azure.com']);
    expect(cloud.problems).toEqual([]);
    expect(await send(200, 'megan', 'GET', `${V1}/grantConnectorAlerts`)).toMatchObject({ value: [] });
    // Neither the tokens nor the identity endpoint's secret reach the log or the audit rows.
    const said = `${h.host.output()}${JSON.stringify(await auditActivities(reader.id))}`;
    expect(said).not.toMatch(/fake-[0-9a-f-]{36}/);
    expect(said).not.toContain(cloud.env.IDENTITY_HEADER);
  });

  it("waits out Graph's throttling for as long as its Retry-After says", async () => {
    cloud.throttle('graph', 2, 1);
    const before = groupCalls(entraGroup).length;
    await send(201, 'alex', 'POST', GROUP_REQUESTS, groupBody('selfActivate'));
    await until(isMember, 'the throttled grant never arrived');
    const attempts = groupCalls(entraGroup).slice(before);
    expect(attempts.map((c) => c.status)).toEqual([429, 429, 204]);
    // Back-off alone would retry after 100 and 200 ms; Retry-After says a second.
    expect(attempts[1].at - attempts[0].at).toBeGreaterThanOrEqual(1000);
    expect(attempts[2].at - attempts[1].at).toBeGreaterThanOrEqual(1000);
    await send(201, 'alex', 'POST', GROUP_REQUESTS, groupBody('selfDeactivate'));
    await until(() => !isMember(), 'the revoke never arrived');
    expect(cloud.problems).toEqual([]);
  });

  it('survives a kill -9 after Graph made the change, and between the grant and its revoke', async () => {
    const before = groupCalls(entraGroup).length;
    await h.arm('connector:afterTargetCall');
    const clientRequestId = randomUUID();
    let answer = await h.call('alex', 'POST', GROUP_REQUESTS, {
      body: groupBody('selfActivate'),
      clientRequestId,
    });
    await h.restartAfterDeath('connector:afterTargetCall');
    if (answer === 'died') {
      answer = await h.call('alex', 'POST', GROUP_REQUESTS, {
        body: groupBody('selfActivate'),
        clientRequestId,
      });
    }
    if (answer === 'died' || answer.status !== 201)
      throw new Error(`activation answered ${JSON.stringify(answer)}`);
    const requestId = answer.body.id as string;
    // The restarted host repeats the interrupted call; Graph answers "already exist", which is done.
    await until(
      () =>
        groupCalls(entraGroup)
          .slice(before)
          .filter((c) => c.method === 'POST').length >= 2,
      'no retry',
    );
    const posts = groupCalls(entraGroup)
      .slice(before)
      .filter((c) => c.method === 'POST');
    expect(posts.map((c) => c.status)).toEqual([204, 400]);
    expect(isMember()).toBe(true);
    const rows = await eventually(async () => {
      const r = await auditActivities(requestId);
      return r.includes('Grant connector grant delivered') ? r : undefined;
    });
    expect(rows.filter((a) => a === 'Grant connector grant delivered')).toHaveLength(1);

    // Killed while Alex holds the group; the revoke still comes when the activation ends.
    await h.host.kill9();
    await h.start();
    await h.advance('PT4H1M');
    await until(() => !isMember(), 'the revoke after the restart never arrived');
    expect(await send(200, 'megan', 'GET', `${V1}/grantConnectorAlerts`)).toMatchObject({ value: [] });
    expect(cloud.problems).toEqual([]);
  });

  it('leaves the membership in place while a standing assignment still holds it', async () => {
    const activation = await send(201, 'alex', 'POST', GROUP_REQUESTS, groupBody('selfActivate'));
    await until(isMember, 'the grant never arrived');
    // An admin makes Alex a standing (active) member while his activation runs.
    await send(201, 'megan', 'POST', GROUP_REQUESTS, {
      action: 'adminAssign',
      principalId: alex,
      groupId: DEMO_GROUP_ID,
      accessId: 'member',
      justification: 'Permanent member of the incident team',
      scheduleInfo: { expiration: { type: 'noExpiration' } },
    });
    await send(201, 'alex', 'POST', GROUP_REQUESTS, groupBody('selfDeactivate'));
    const rows = await eventually(async () => {
      const r = await auditActivities(activation.id);
      return r.includes('Grant connector revoke skipped (still held)') ? r : undefined;
    });
    expect(rows).not.toContain('Grant connector revoke delivered');
    expect(isMember()).toBe(true);
    // The standing assignment's own removal takes the membership away.
    await send(201, 'megan', 'POST', GROUP_REQUESTS, {
      action: 'adminRemove',
      principalId: alex,
      groupId: DEMO_GROUP_ID,
      accessId: 'member',
    });
    await until(() => !isMember(), "the standing assignment's removal never reached the Entra group");
  });

  it("follows an admin's active assignments: from their start, to their end or removal", async () => {
    const roleHeld = () =>
      cloud.directoryRoles.some((r) => r.principalId === alex && r.roleDefinitionId === SR);
    const now = await h.now();
    // Security Reader for Alex from an hour from now, for two hours.
    const assigned = await send(201, 'megan', 'POST', ROLE_REQUESTS, {
      action: 'adminAssign',
      principalId: alex,
      roleDefinitionId: SR,
      directoryScopeId: '/',
      justification: 'Covering the SOC rota',
      scheduleInfo: {
        startDateTime: new Date(now.getTime() + 3_600_000).toISOString(),
        expiration: { type: 'afterDuration', duration: 'PT2H' },
      },
    });
    expect(assigned.status).toBe('Provisioned');
    await h.advance('PT30M');
    expect(roleHeld()).toBe(false); // not before its start
    await h.advance('PT31M');
    await until(roleHeld, 'the assignment never reached Entra ID at its start');
    await h.advance('PT2H');
    await until(() => !roleHeld(), 'the assignment never left Entra ID at its end');

    // A permanent group membership, then its removal.
    await send(201, 'megan', 'POST', GROUP_REQUESTS, {
      action: 'adminAssign',
      principalId: alex,
      groupId: DEMO_GROUP_ID,
      accessId: 'member',
      justification: 'Incident responder',
      scheduleInfo: { expiration: { type: 'noExpiration' } },
    });
    await until(isMember, 'the membership never reached the Entra group');
    await send(201, 'megan', 'POST', GROUP_REQUESTS, {
      action: 'adminRemove',
      principalId: alex,
      groupId: DEMO_GROUP_ID,
      accessId: 'member',
    });
    await until(() => !isMember(), 'the removal never reached the Entra group');
    const steps = await eventually(async () => {
      const rows = await auditActivities(assigned.id);
      return rows.includes('Grant connector revoke delivered') ? rows : undefined;
    });
    expect(steps).toContain('Grant connector grant delivered');

    // A role-assignable group given the role is assigned as a group, in Entra ID and in Azure.
    const group = await send(201, 'megan', 'POST', `${V1}/groups`, {
      displayName: `SOC readers ${randomUUID().slice(0, 6)}`,
      isAssignableToRole: true,
    });
    const groupAssignment = {
      principalId: group.id,
      roleDefinitionId: SR,
      directoryScopeId: '/',
      justification: 'The SOC reads alerts',
    };
    await send(201, 'megan', 'POST', ROLE_REQUESTS, {
      ...groupAssignment,
      action: 'adminAssign',
      scheduleInfo: { expiration: { type: 'noExpiration' } },
    });
    const groupHeld = () =>
      cloud.directoryRoles.some((r) => r.principalId === group.id && r.roleDefinitionId === SR) &&
      [...cloud.armAssignments.values()].some(
        (a) => a.principalId === group.id && a.principalType === 'Group',
      );
    await until(groupHeld, "the group's role never reached Entra ID and Azure");
    await send(201, 'megan', 'POST', ROLE_REQUESTS, { ...groupAssignment, action: 'adminRemove' });
    await until(
      () =>
        !cloud.directoryRoles.some((r) => r.principalId === group.id) &&
        ![...cloud.armAssignments.values()].some((a) => a.principalId === group.id),
      "the group's removal never reached Entra ID and Azure",
    );
    expect(cloud.problems).toEqual([]);
  });

  it("keeps an Azure role assignment made outside the service, and waits out ARM's throttling", async () => {
    // Someone gave Alex Reader on the resource group by hand, under a name of their own.
    const manual = {
      scope: SCOPE,
      name: randomUUID(),
      roleDefinitionId: READER_ROLE,
      principalId: alex,
      principalType: 'User',
    };
    cloud.armAssignments.set(`${SCOPE.toLowerCase()}|${manual.name}`, manual);
    cloud.throttle('arm', 1, 1);
    const before = cloud.calls.filter((c) => c.api === 'arm').length;
    await send(201, 'alex', 'POST', ROLE_REQUESTS, {
      action: 'selfActivate',
      principalId: alex,
      roleDefinitionId: SR,
      directoryScopeId: '/',
      scheduleInfo: { expiration: { type: 'afterDuration', duration: 'PT1H' } },
    });
    const armCalls = () => cloud.calls.filter((c) => c.api === 'arm').slice(before);
    await until(() => armCalls().length >= 2, 'the throttled PUT was never retried');
    expect(armCalls().map((c) => [c.method, c.status])).toEqual([
      ['PUT', 429],
      ['PUT', 409], // RoleAssignmentExists: Alex holds the role, which is what the grant wants
    ]);
    await send(201, 'alex', 'POST', ROLE_REQUESTS, {
      action: 'selfDeactivate',
      principalId: alex,
      roleDefinitionId: SR,
      directoryScopeId: '/',
    });
    await until(() => armCalls().some((c) => c.method === 'DELETE'), 'the revoke never reached ARM');
    expect(armCalls().at(-1)).toMatchObject({ method: 'DELETE', status: 204 }); // ours was never made
    expect([...cloud.armAssignments.values()]).toEqual([manual]);
    expect(await send(200, 'megan', 'GET', `${V1}/grantConnectorAlerts`)).toMatchObject({ value: [] });
    cloud.armAssignments.clear();
  });

  it('raises the alert at once when Graph refuses for want of a permission', async () => {
    const denied = addGroup(cloud);
    cloud.deny(denied);
    const connector = await send(201, 'megan', 'POST', CONNECTORS, {
      kind: 'microsoftGraphGroup',
      displayName: 'Group without permission',
      groupId: DEMO_GROUP_ID,
      entraGroupId: denied,
    });
    const activation = await send(201, 'alex', 'POST', GROUP_REQUESTS, groupBody('selfActivate'));
    const alert = await eventually(async () => {
      const alerts = await send(200, 'megan', 'GET', `${V1}/grantConnectorAlerts`);
      return alerts.value.find((a: { connectorId: string }) => a.connectorId === connector.id);
    });
    expect(alert).toMatchObject({ alertType: 'ConnectorGrantFailed', requestId: activation.id });
    expect(alert.error).toContain('403 Authorization_RequestDenied');
    expect(groupCalls(denied).map((c) => c.status)).toEqual([403]); // no retries of a refusal
    const mail = await smtp.waitFor(
      (m) => m.to.includes(ADMINS) && m.subject.startsWith('PIM: Alert: connector'),
    );
    expect(mail.subject).toBe(
      'PIM: Alert: connector Group without permission could not grant Search and Purge PIM for Alex Wilber',
    );
    expect(mail.text).toContain('Authorization_RequestDenied');
    expect(mail.raw).not.toContain('Bearer');
    await until(isMember, 'the other connector still grants');
    await send(204, 'megan', 'DELETE', `${CONNECTORS}/${connector.id}`);
    await send(201, 'alex', 'POST', GROUP_REQUESTS, groupBody('selfDeactivate'));
    await until(() => !isMember(), 'the revoke never arrived');
  });

  it('refuses connectors that could not work, and changes nothing', async () => {
    const bad = [
      { kind: 'microsoftGraphGroup', displayName: 'x', roleDefinitionId: SR, entraGroupId: randomUUID() },
      { kind: 'microsoftGraphGroup', displayName: 'x', groupId: DEMO_GROUP_ID, entraGroupId: 'not-a-guid' },
      { kind: 'microsoftGraphDirectoryRole', displayName: 'x', groupId: DEMO_GROUP_ID },
      {
        kind: 'azureRoleAssignment',
        displayName: 'x',
        roleDefinitionId: SR,
        scope: '/subscriptions/x/../..',
        azureRoleDefinitionId: READER_ROLE,
      },
      {
        kind: 'azureRoleAssignment',
        displayName: 'x',
        roleDefinitionId: SR,
        scope: SCOPE,
        azureRoleDefinitionId: 'Reader',
      },
      {
        kind: 'azureRoleAssignment',
        displayName: 'x',
        roleDefinitionId: SR,
        scope: SCOPE,
        azureRoleDefinitionId: READER_ROLE,
        url: 'https://x',
      },
      { kind: 'somethingElse', displayName: 'x', roleDefinitionId: SR },
    ];
    const before = (await send(200, 'megan', 'GET', CONNECTORS)).value.length;
    for (const body of bad) {
      const answer = await send(400, 'megan', 'POST', CONNECTORS, body);
      expect(answer.error.code).toBeTruthy();
    }
    await send(403, 'alex', 'POST', CONNECTORS, {
      kind: 'microsoftGraphGroup',
      displayName: 'x',
      groupId: DEMO_GROUP_ID,
      entraGroupId: randomUUID(),
    });
    expect((await send(200, 'megan', 'GET', CONNECTORS)).value.length).toBe(before);
  });
});
