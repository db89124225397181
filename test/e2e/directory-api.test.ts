// The directory and policy API over HTTP through the devhost, as an administrator (Megan, the
// bootstrap admin), a requester (Alex), a plain user (Lee) and a Security Reader (Isaiah) see it:
// roles, groups, eligibility and assignments with the admin actions, policies, paging, audit rows.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '../../shared/auth/demo-users';
import { BuiltInRoleId } from '../../shared/domain/roles';
import { eventually } from '../helpers/devhost';
import {
  type ApiResponse,
  allPages,
  type CallOptions,
  type DirectoryHost,
  GROUP_BASE,
  ROLE_BASE,
  startDirectoryHost,
  V1,
} from '../helpers/directory-client';

const { alex, megan, reader } = DEMO_USERS;
let api: DirectoryHost;

beforeAll(async () => {
  api = await startDirectoryHost('DirApi');
});
afterAll(async () => {
  await api?.stop();
});

/** Megan's call with its own client-request-id, which becomes the audit rows' correlationId. */
async function asAdmin(method: string, path: string, options: CallOptions = {}) {
  const correlationId = randomUUID();
  const res = await api.call('megan', method, path, {
    ...options,
    headers: { 'client-request-id': correlationId, ...options.headers },
  });
  return { ...res, correlationId };
}

function expectError(res: ApiResponse, status: number, code?: string | RegExp): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.body.error.message).toEqual(expect.any(String));
  expect(JSON.stringify(res.body)).not.toMatch(/\bat .+\.js:\d+/); // no stack trace
  if (code) expect(res.body.error.code).toMatch(code);
}

/** The audit rows of one API call (by its correlation id), as an audit reader sees them. */
async function auditRowsOf(correlationId: string) {
  const res = await api.call(
    'reader',
    'GET',
    `${V1}/auditLogs/directoryAudits?$filter=${encodeURIComponent(`correlationId eq '${correlationId}'`)}`,
  );
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.value;
}

function detailsOf(row: { additionalDetails: { key: string; value: string }[] }): Record<string, string> {
  return Object.fromEntries(row.additionalDetails.map((d) => [d.key, d.value]));
}

function eligibilityRequest(body: Record<string, unknown>) {
  return asAdmin('POST', `${ROLE_BASE}/roleEligibilityScheduleRequests`, { body });
}

function assignmentRequest(body: Record<string, unknown>) {
  return asAdmin('POST', `${ROLE_BASE}/roleAssignmentScheduleRequests`, { body });
}

const inDays = (now: Date, days: number) => new Date(now.getTime() + days * 86_400_000).toISOString();

let customRoleId: string;

describe('setup: Megan makes Isaiah a Security Reader', () => {
  it('an active permanent Security Reader assignment lets Isaiah read schedules and audit rows', async () => {
    const before = await api.call('reader', 'GET', `${V1}/auditLogs/directoryAudits`);
    expectError(before, 403, 'Authorization_RequestDenied');
    const res = await assignmentRequest({
      action: 'adminAssign',
      principalId: reader.id,
      roleDefinitionId: BuiltInRoleId.securityReader,
      directoryScopeId: '/',
      justification: 'Security reader persona',
      scheduleInfo: { expiration: { type: 'noExpiration' } },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ action: 'adminAssign', status: 'Provisioned', principalId: reader.id });
    const after = await api.call('reader', 'GET', `${V1}/auditLogs/directoryAudits`);
    expect(after.status).toBe(200);
  });
});

describe('bodies in other formats, huge ids and huge bodies', () => {
  const body = JSON.stringify({
    displayName: 'Form Role',
    rolePermissions: [{ allowedResourceActions: ['a/b/read'] }],
  });
  const url = `${V1}/roleManagement/directory/roleDefinitions`;

  it('refuses a body that is not declared JSON with 415, and creates nothing', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', undefined]) {
      const headers: Record<string, string> = type ? { 'content-type': type } : {};
      const res = await asAdmin('POST', url, { rawBody: body, headers, omitContentType: type === undefined });
      expectError(res, 415, 'UnsupportedMediaType');
      expect(res.body.error.message).toContain('application/json');
    }
    const roles = await allPages(api, 'megan', `${url}?$top=50`);
    expect(roles.items.map((r: { displayName: string }) => r.displayName)).not.toContain('Form Role');
    const ok = await asAdmin('POST', url, {
      rawBody: body,
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
  });

  it('echoes at most 100 characters of an id it cannot find', async () => {
    const id = 'x'.repeat(10_000);
    const res = await api.call('alex', 'GET', `${V1}/users/${id}`);
    expectError(res, 404);
    expect(res.body.error.message.length).toBeLessThan(300);
    expect(res.body.error.message).toContain(`'${'x'.repeat(100)}…'`);
  });

  it('answers a 5 MB and a 20 MB body with the same 413 envelope', async () => {
    const answers = [];
    for (const mb of [5, 20]) {
      const res = await asAdmin('POST', url, {
        rawBody: `{"displayName":"${'y'.repeat(mb * 1024 * 1024)}"}`,
      });
      expect(res.status).toBe(413);
      answers.push(res.body);
    }
    const shape = (b: { error: Record<string, unknown> }) => ({
      keys: Object.keys(b.error).sort(),
      code: b.error.code,
      innerKeys: Object.keys(b.error.innerError as object).sort(),
      message: String(b.error.message).replace(/\d+/g, 'N'),
    });
    expect(shape(answers[0])).toEqual(shape(answers[1]));
  });
});

describe('$select', () => {
  it('returns only the selected properties (and id), keeps them across pages, and refuses unknown ones', async () => {
    const keys = (r: object) => Object.keys(r).sort();
    const first = await api.call(
      'alex',
      'GET',
      `${ROLE_BASE}/roleDefinitions?$select=displayName,isBuiltIn&$top=2`,
    );
    expect(first.status).toBe(200);
    for (const r of first.body.value) expect(keys(r)).toEqual(['displayName', 'id', 'isBuiltIn']);
    const link = new URL(first.body['@odata.nextLink']);
    const next = await api.call('alex', 'GET', `${link.pathname}${link.search}`);
    expect(next.status).toBe(200);
    for (const r of next.body.value) expect(keys(r)).toEqual(['displayName', 'id', 'isBuiltIn']);
    expectError(await api.call('alex', 'GET', `${ROLE_BASE}/roleDefinitions?$select=nope`), 400);
    expectError(
      await api.call('alex', 'GET', `${ROLE_BASE}/roleDefinitions?$select=${encodeURIComponent("a'b")}`),
      400,
    );
  });
});

describe('users', () => {
  it('an admin registers a person before their first sign-in, who can then be made eligible', async () => {
    const id = randomUUID();
    const body = {
      id,
      displayName: 'Nestor Wilke',
      userPrincipalName: 'nestorw@contoso.example',
      jobTitle: 'SOC',
    };
    expectError(await api.call('alex', 'POST', `${V1}/users`, { body }), 403);
    const created = await asAdmin('POST', `${V1}/users`, { body });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      id,
      displayName: 'Nestor Wilke',
      userPrincipalName: 'nestorw@contoso.example',
    });
    expectError(await asAdmin('POST', `${V1}/users`, { body }), 409);
    expectError(await asAdmin('POST', `${V1}/users`, { body: { ...body, id: 'not-a-guid', extra: 1 } }), 400);
    // Nobody else may take the address (any case): mail for one would reach the other.
    const twin = { ...body, id: randomUUID(), userPrincipalName: 'NestorW@Contoso.example' };
    const taken = await asAdmin('POST', `${V1}/users`, { body: twin });
    expectError(taken, 409);
    expect(taken.body.error.message).toContain(id);
    expectError(await api.call('alex', 'GET', `${V1}/users/${twin.id}`), 404);
    // An address is alias@domain.
    for (const upn of [
      'nestor',
      'nestor@',
      '@contoso.example',
      'a b@contoso.example',
      'x@contoso',
      'x@-bad.example',
    ]) {
      const bad = await asAdmin('POST', `${V1}/users`, { body: { ...twin, userPrincipalName: upn } });
      expectError(bad, 400);
      expect(bad.body.error.message).toContain('userPrincipalName');
    }
    expectError(await api.call('alex', 'GET', `${V1}/users/${twin.id}`), 404);

    // Anyone signed in reads users; the audit row names who added whom.
    const read = await api.call('alex', 'GET', `${V1}/users/${id}`);
    expect(read.status).toBe(200);
    expect(read.body.displayName).toBe('Nestor Wilke');
    expectError(await api.call('alex', 'GET', `${V1}/users/${randomUUID()}`), 404);
    expectError(await api.call('alex', 'GET', `${V1}/users/not%23a-guid`), 404);
    const listed = await allPages(api, 'alex', `${V1}/users?$top=2`);
    expect(listed.items.map((u: { id: string }) => u.id)).toContain(id);
    const [row] = await auditRowsOf(created.correlationId);
    expect(row).toMatchObject({
      activityDisplayName: 'Add user',
      initiatedBy: { user: { id: megan.id } },
      targetResources: [expect.objectContaining({ id, type: 'User', displayName: 'Nestor Wilke' })],
    });

    // Eligible before ever signing in, under the name the admin gave.
    const eligible = await eligibilityRequest({
      action: 'adminAssign',
      principalId: id,
      roleDefinitionId: BuiltInRoleId.securityReader,
      directoryScopeId: '/',
      justification: 'New SOC analyst',
      scheduleInfo: { expiration: { type: 'afterDuration', duration: 'P30D' } },
    });
    expect(eligible.status, JSON.stringify(eligible.body)).toBe(201);
  });
});

describe('role definitions', () => {
  it('lists the built-ins, Search and Purge included, to any signed-in caller', async () => {
    const res = await api.call('alex', 'GET', `${ROLE_BASE}/roleDefinitions`);
    expect(res.status).toBe(200);
    const names = res.body.value.map((r: { displayName: string }) => r.displayName);
    expect(names).toEqual(
      expect.arrayContaining([
        'Global Administrator',
        'Privileged Role Administrator',
        'Security Administrator',
        'Security Reader',
        'Global Reader',
        'Search and Purge',
      ]),
    );
    const purge = res.body.value.find((r: { id: string }) => r.id === BuiltInRoleId.searchAndPurge);
    expect(purge).toMatchObject({ isBuiltIn: true, isEnabled: true });
    expect(purge.rolePermissions[0].allowedResourceActions).toContain(
      'microsoft.office365.securityComplianceCenter/searchAndPurge/purge',
    );
    const one = await api.call('alex', 'GET', `${ROLE_BASE}/roleDefinitions/${BuiltInRoleId.globalReader}`);
    expect(one.status).toBe(200);
    expect(one.body.rolePermissions[0].allowedResourceActions).toEqual(['*/read']);
    expectError(await api.call('alex', 'GET', `${ROLE_BASE}/roleDefinitions/${randomUUID()}`), 404);
  });

  it('an admin creates a custom role with wildcard permissions; its audit row says who and what', async () => {
    const body = {
      displayName: `Mail Investigator ${randomUUID().slice(0, 8)}`,
      description: 'Reads any security center data and purges mail',
      rolePermissions: [
        {
          allowedResourceActions: [
            'microsoft.office365.securityComplianceCenter/*/read',
            'microsoft.office365.securityComplianceCenter/searchAndPurge/purge',
          ],
          excludedResourceActions: ['microsoft.office365.securityComplianceCenter/auditLogs/*'],
        },
      ],
    };
    expectError(
      await api.call('alex', 'POST', `${ROLE_BASE}/roleDefinitions`, { body }),
      403,
      'Authorization_RequestDenied',
    );
    const created = await asAdmin('POST', `${ROLE_BASE}/roleDefinitions`, { body });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      displayName: body.displayName,
      isBuiltIn: false,
      isEnabled: true,
      rolePermissions: body.rolePermissions,
    });
    expect(created.headers.get('etag')).toBeTruthy();
    customRoleId = created.body.id;

    const listed = await allPages(api, 'alex', `${ROLE_BASE}/roleDefinitions`);
    expect(listed.items.map((r) => r.id)).toContain(customRoleId);

    const [row] = await auditRowsOf(created.correlationId);
    expect(row).toMatchObject({
      category: 'RoleManagement',
      activityDisplayName: 'Add role definition',
      operationType: 'Add',
      result: 'success',
      loggedByService: 'PIM',
      correlationId: created.correlationId,
      initiatedBy: { user: { id: megan.id, displayName: megan.displayName } },
    });
    expect(row.targetResources[0]).toMatchObject({
      id: customRoleId,
      type: 'Role',
      displayName: body.displayName,
    });

    // The same name again (any letter case) is a conflict, not a second role.
    const again = await asAdmin('POST', `${ROLE_BASE}/roleDefinitions`, {
      body: { ...body, displayName: body.displayName.toUpperCase() },
    });
    expectError(again, 409, 'RoleDefinitionAlreadyExists');
  });

  it('refuses malformed permissions with every bad field named', async () => {
    const res = await asAdmin('POST', `${ROLE_BASE}/roleDefinitions`, {
      body: {
        displayName: '',
        rolePermissions: [{ allowedResourceActions: ['microsoft.directory/users/<script>'] }],
        isBuiltIn: true,
      },
    });
    expectError(res, 400);
    const targets = res.body.error.details.map((d: { target: string }) => d.target);
    expect(targets).toEqual(
      expect.arrayContaining(['displayName', 'rolePermissions.0.allowedResourceActions.0', 'isBuiltIn']),
    );
  });

  it('PATCH with a stale If-Match is refused (412); built-ins cannot change', async () => {
    const read = await api.call('megan', 'GET', `${ROLE_BASE}/roleDefinitions/${customRoleId}`);
    const etag = read.headers.get('etag') ?? '';
    const first = await asAdmin('PATCH', `${ROLE_BASE}/roleDefinitions/${customRoleId}`, {
      body: { description: 'First edit' },
      headers: { 'if-match': etag },
    });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.headers.get('etag')).not.toBe(etag);
    const stale = await asAdmin('PATCH', `${ROLE_BASE}/roleDefinitions/${customRoleId}`, {
      body: { description: 'Second edit, from the old read' },
      headers: { 'if-match': etag },
    });
    expectError(stale, 412, 'PreconditionFailed');
    const now = await api.call('alex', 'GET', `${ROLE_BASE}/roleDefinitions/${customRoleId}`);
    expect(now.body.description).toBe('First edit');

    const builtIn = await asAdmin('PATCH', `${ROLE_BASE}/roleDefinitions/${BuiltInRoleId.securityReader}`, {
      body: { description: 'mine now' },
    });
    expectError(builtIn, 400, 'BuiltInRoleDefinitionReadOnly');
  });

  it('deletes a custom role only while nobody holds it', async () => {
    const created = await asAdmin('POST', `${ROLE_BASE}/roleDefinitions`, {
      body: {
        displayName: `Short-lived ${randomUUID().slice(0, 8)}`,
        rolePermissions: [{ allowedResourceActions: ['microsoft.directory/users/*'] }],
      },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const principalId = randomUUID();
    const eligible = await eligibilityRequest({
      action: 'adminAssign',
      principalId,
      roleDefinitionId: id,
      directoryScopeId: '/',
      scheduleInfo: { expiration: { type: 'noExpiration' } },
    });
    expect(eligible.status, JSON.stringify(eligible.body)).toBe(201);
    expectError(await asAdmin('DELETE', `${ROLE_BASE}/roleDefinitions/${id}`), 409, 'RoleDefinitionInUse');
    const removed = await eligibilityRequest({
      action: 'adminRemove',
      principalId,
      roleDefinitionId: id,
      directoryScopeId: '/',
    });
    expect(removed.status, JSON.stringify(removed.body)).toBe(201);
    const deleted = await asAdmin('DELETE', `${ROLE_BASE}/roleDefinitions/${id}`);
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(204);
    expectError(await api.call('alex', 'GET', `${ROLE_BASE}/roleDefinitions/${id}`), 404);
    const [row] = await auditRowsOf(deleted.correlationId);
    expect(row).toMatchObject({ activityDisplayName: 'Delete role definition', operationType: 'Delete' });
  });
});

let groupId: string;

describe('role-assignable groups, members, and roles held by groups', () => {
  it('an admin creates a role-assignable group; anyone signed in can read it', async () => {
    const body = { displayName: `Mail Responders ${randomUUID().slice(0, 8)}`, isAssignableToRole: true };
    expectError(await api.call('alex', 'POST', `${V1}/groups`, { body }), 403);
    const created = await asAdmin('POST', `${V1}/groups`, { body });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      displayName: body.displayName,
      isAssignableToRole: true,
      securityEnabled: true,
      mailEnabled: false,
    });
    groupId = created.body.id;
    const read = await api.call('other', 'GET', `${V1}/groups/${groupId}`);
    expect(read.status).toBe(200);
    expect(read.body.id).toBe(groupId);
    const listed = await allPages(api, 'other', `${V1}/groups`);
    expect(listed.items.map((g) => g.id)).toContain(groupId);
    const [row] = await auditRowsOf(created.correlationId);
    expect(row).toMatchObject({ category: 'GroupManagement', activityDisplayName: 'Add group' });
    expect(detailsOf(row)).toMatchObject({ IsAssignableToRole: 'true' });
  });

  it('adds and removes members (memberId or Graph @odata.id), refusing duplicates and non-admins', async () => {
    const members = `${V1}/groups/${groupId}/members`;
    const add = await asAdmin('POST', members, { body: { memberId: alex.id } });
    expect(add.status, JSON.stringify(add.body)).toBe(201);
    expect(add.body.id).toBe(alex.id);
    const addGraph = await asAdmin('POST', members, {
      body: { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${DEMO_USERS.other.id}` },
    });
    expect(addGraph.status, JSON.stringify(addGraph.body)).toBe(201);
    expectError(await asAdmin('POST', members, { body: { memberId: alex.id } }), 409, 'MemberAlreadyExists');
    expectError(await api.call('alex', 'POST', members, { body: { memberId: DEMO_USERS.adele.id } }), 403);
    expectError(await api.call('other', 'DELETE', `${members}/${alex.id}`), 403);

    const listed = await api.call('other', 'GET', members);
    expect(listed.status).toBe(200);
    expect(listed.body.value.find((m: { id: string }) => m.id === alex.id)).toMatchObject({
      '@odata.type': '#microsoft.graph.user',
      displayName: alex.displayName,
      userPrincipalName: alex.userPrincipalName,
      memberType: 'Direct',
      endDateTime: null,
    });
    expect(listed.body.value.map((m: { id: string }) => m.id).sort()).toEqual(
      [alex.id, DEMO_USERS.other.id].sort(),
    );
    const [row] = await auditRowsOf(add.correlationId);
    expect(row).toMatchObject({ activityDisplayName: 'Add member to group', operationType: 'Add' });
    expect(row.targetResources.map((t: { id: string }) => t.id)).toEqual([groupId, alex.id]);

    const removed = await asAdmin('DELETE', `${members}/${DEMO_USERS.other.id}`);
    expect(removed.status, JSON.stringify(removed.body)).toBe(204);
    expectError(await asAdmin('DELETE', `${members}/${DEMO_USERS.other.id}`), 404);
    const after = await api.call('alex', 'GET', members);
    expect(after.body.value.map((m: { id: string }) => m.id)).toEqual([alex.id]);
    const [removal] = await auditRowsOf(removed.correlationId);
    expect(removal).toMatchObject({
      activityDisplayName: 'Remove member from group',
      operationType: 'Delete',
    });
  });

  it('a role assigned to the group applies to its members, through the wildcard permissions', async () => {
    const assigned = await assignmentRequest({
      action: 'adminAssign',
      principalId: groupId,
      roleDefinitionId: customRoleId,
      directoryScopeId: '/',
      justification: 'The responders hold the investigator role',
      scheduleInfo: { expiration: { type: 'noExpiration' } },
    });
    expect(assigned.status, JSON.stringify(assigned.body)).toBe(201);
    const check = (action: string) =>
      api.call('alex', 'POST', `${V1}/access/check`, { body: { action, scope: '/' } });
    // `*/read` in the middle of the action matches any segment...
    const read = await check('microsoft.office365.securityComplianceCenter/threatExplorer/emails/read');
    expect(read.status, JSON.stringify(read.body)).toBe(200);
    expect(read.body.allowed).toBe(true);
    expect(read.body.grants[0]).toMatchObject({
      roleDefinitionId: customRoleId,
      memberType: 'Group',
      viaGroupId: groupId,
    });
    // ...an excluded wildcard wins over an allowed one, and what is not listed is not granted.
    expect((await check('microsoft.office365.securityComplianceCenter/auditLogs/read')).body.allowed).toBe(
      false,
    );
    expect((await check('microsoft.directory/users/delete')).body.allowed).toBe(false);
    // Lee left the group, so the role does not reach him.
    const lee = await api.call('other', 'POST', `${V1}/access/check`, {
      body: { action: 'microsoft.office365.securityComplianceCenter/threatExplorer/emails/read', scope: '/' },
    });
    expect(lee.body.allowed).toBe(false);
  });

  it('a group that is not role-assignable cannot hold a role', async () => {
    const plain = await asAdmin('POST', `${V1}/groups`, {
      body: { displayName: `Plain ${randomUUID().slice(0, 8)}` },
    });
    expect(plain.status).toBe(201);
    expect(plain.body.isAssignableToRole).toBe(false);
    const res = await assignmentRequest({
      action: 'adminAssign',
      principalId: plain.body.id,
      roleDefinitionId: customRoleId,
      justification: 'should fail',
    });
    expectError(res, 400);
    expect(res.body.error.details[0].target).toBe('principalId');
  });
});

describe('eligibility: adminAssign, adminUpdate, adminExtend, adminRemove', () => {
  const requests = `${ROLE_BASE}/roleEligibilityScheduleRequests`;
  const timebound = randomUUID();

  it('makes Alex permanently eligible; the request, the schedule and the audit row say so', async () => {
    const res = await eligibilityRequest({
      action: 'AdminAssign', // enum values in any letter case, as Graph accepts
      principalId: alex.id,
      roleDefinitionId: BuiltInRoleId.securityAdministrator,
      directoryScopeId: '/',
      justification: 'On-call rotation',
      ticketInfo: { ticketNumber: 'CHG-1001', ticketSystem: 'ServiceNow' },
      scheduleInfo: { expiration: { type: 'NoExpiration' } },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({
      action: 'adminAssign',
      status: 'Provisioned',
      principalId: alex.id,
      roleDefinitionId: BuiltInRoleId.securityAdministrator,
      directoryScopeId: '/',
      justification: 'On-call rotation',
      ticketInfo: { ticketNumber: 'CHG-1001', ticketSystem: 'ServiceNow' },
      scheduleInfo: { expiration: { type: 'noExpiration', endDateTime: null } },
      createdBy: { user: { id: megan.id } },
    });
    expect(res.body.targetScheduleId).toEqual(expect.any(String));

    const mine = await api.call(
      'alex',
      'GET',
      `${ROLE_BASE}/roleEligibilitySchedules/filterByCurrentUser(on='principal')`,
    );
    expect(mine.status).toBe(200);
    const schedule = mine.body.value.find((s: { id: string }) => s.id === res.body.targetScheduleId);
    expect(schedule).toMatchObject({
      principalId: alex.id,
      roleDefinitionId: BuiltInRoleId.securityAdministrator,
      memberType: 'Direct',
      scheduleInfo: { expiration: { type: 'noExpiration' } },
    });
    // Alex may read his own request, Lee may not even learn it exists.
    const own = await api.call('alex', 'GET', `${requests}/${res.body.id}`);
    expect(own.status).toBe(200);
    expectError(await api.call('other', 'GET', `${requests}/${res.body.id}`), 404);
    // Admin requests complete at once, so there is nothing left to cancel.
    expectError(
      await api.call('alex', 'POST', `${requests}/${res.body.id}/cancel`),
      409,
      'RequestNotPending',
    );
    expectError(await api.call('reader', 'POST', `${requests}/${res.body.id}/cancel`), 403);
    expectError(await api.call('other', 'POST', `${requests}/${res.body.id}/cancel`), 404);

    const [row] = await auditRowsOf(res.correlationId);
    expect(row).toMatchObject({
      category: 'RoleManagement',
      activityDisplayName: 'Add eligible member to role in PIM completed (permanent)',
      operationType: 'Assign',
      result: 'success',
      initiatedBy: { user: { id: megan.id } },
    });
    expect(row.targetResources).toEqual([
      expect.objectContaining({
        id: BuiltInRoleId.securityAdministrator,
        type: 'Role',
        displayName: 'Security Administrator',
      }),
      expect.objectContaining({ id: alex.id, type: 'User', displayName: alex.displayName }),
      expect.objectContaining({ id: res.body.id, type: 'Request' }),
    ]);
    expect(detailsOf(row)).toMatchObject({
      RequestId: res.body.id,
      Justification: 'On-call rotation',
      TicketNumber: 'CHG-1001',
      TicketSystem: 'ServiceNow',
      EndDateTime: 'permanent',
    });

    const twice = await eligibilityRequest({
      action: 'adminAssign',
      principalId: alex.id,
      roleDefinitionId: BuiltInRoleId.securityAdministrator,
    });
    expectError(twice, 409, 'RoleAssignmentExists');
  });

  it('assigns a start/end window, then updates, extends and removes it', async () => {
    const now = await api.hostNow();
    const base = { principalId: timebound, roleDefinitionId: customRoleId, directoryScopeId: '/' };
    const created = await eligibilityRequest({
      ...base,
      action: 'adminAssign',
      scheduleInfo: {
        startDateTime: inDays(now, 1),
        expiration: { type: 'afterDateTime', endDateTime: inDays(now, 30) },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.scheduleInfo).toMatchObject({
      startDateTime: inDays(now, 1),
      expiration: { type: 'afterDateTime', endDateTime: inDays(now, 30) },
    });
    const scheduleOf = async () => {
      const res = await api.call(
        'reader',
        'GET',
        `${ROLE_BASE}/roleEligibilitySchedules?$filter=${encodeURIComponent(`principalId eq '${timebound}'`)}`,
      );
      expect(res.status).toBe(200);
      return res.body.value;
    };
    expect((await scheduleOf())[0].scheduleInfo.expiration.endDateTime).toBe(inDays(now, 30));
    // An instance is listed (it starts tomorrow, so it has not ended).
    const instances = await api.call(
      'reader',
      'GET',
      `${ROLE_BASE}/roleEligibilityScheduleInstances?$filter=${encodeURIComponent(`roleDefinitionId eq '${customRoleId}'`)}`,
    );
    expect(instances.body.value.map((i: { principalId: string }) => i.principalId)).toContain(timebound);

    const updated = await eligibilityRequest({
      ...base,
      action: 'adminUpdate',
      justification: 'Shorter',
      scheduleInfo: { expiration: { type: 'afterDateTime', endDateTime: inDays(now, 20) } },
    });
    expect(updated.status, JSON.stringify(updated.body)).toBe(201);
    expect(updated.body.targetScheduleId).toBe(created.body.targetScheduleId);
    const [afterUpdate] = await scheduleOf();
    expect(afterUpdate.scheduleInfo).toMatchObject({
      startDateTime: inDays(now, 1),
      expiration: { endDateTime: inDays(now, 20) },
    });

    const shorter = await eligibilityRequest({
      ...base,
      action: 'adminExtend',
      scheduleInfo: { expiration: { type: 'afterDateTime', endDateTime: inDays(now, 10) } },
    });
    expectError(shorter, 400);
    const extended = await eligibilityRequest({
      ...base,
      action: 'adminExtend',
      scheduleInfo: { expiration: { type: 'afterDuration', duration: 'P60D' } },
    });
    expect(extended.status, JSON.stringify(extended.body)).toBe(201);
    expect((await scheduleOf())[0].scheduleInfo.expiration.endDateTime).toBe(inDays(now, 61));
    const [extendRow] = await auditRowsOf(extended.correlationId);
    expect(extendRow.activityDisplayName).toBe('Extend eligible member in role in PIM completed (timebound)');

    const removed = await eligibilityRequest({
      ...base,
      action: 'adminRemove',
      justification: 'Left the team',
    });
    expect(removed.status, JSON.stringify(removed.body)).toBe(201);
    expect(removed.body.status).toBe('Revoked');
    expect(await scheduleOf()).toEqual([]);
    const [removeRow] = await auditRowsOf(removed.correlationId);
    expect(removeRow).toMatchObject({
      activityDisplayName: 'Remove eligible member from role in PIM completed',
      operationType: 'Unassign',
    });
    expect(detailsOf(removeRow).Justification).toBe('Left the team');
    expectError(
      await eligibilityRequest({ ...base, action: 'adminRemove' }),
      400,
      'RoleAssignmentDoesNotExist',
    );

    // The requests stay as history, readable by readers.
    const history = await api.call(
      'reader',
      'GET',
      `${requests}?$filter=${encodeURIComponent(`principalId eq '${timebound}'`)}`,
    );
    expect(history.body.value.map((r: { action: string }) => r.action).sort()).toEqual(
      ['adminAssign', 'adminExtend', 'adminRemove', 'adminUpdate'].sort(),
    );
  });

  it('privileged groups: member eligibility with a window and permanent owner eligibility', async () => {
    const now = await api.hostNow();
    const groupRequests = `${GROUP_BASE}/eligibilityScheduleRequests`;
    const member = await asAdmin('POST', groupRequests, {
      body: {
        action: 'adminAssign',
        principalId: alex.id,
        groupId,
        accessId: 'Member',
        justification: 'Purges when needed',
        scheduleInfo: {
          startDateTime: now.toISOString(),
          expiration: { type: 'afterDuration', duration: 'P90D' },
        },
      },
    });
    expect(member.status, JSON.stringify(member.body)).toBe(201);
    expect(member.body).toMatchObject({
      groupId,
      accessId: 'member',
      principalId: alex.id,
      status: 'Provisioned',
    });
    expect(member.body.scheduleInfo.expiration.endDateTime).toBe(inDays(now, 90));
    const owner = await asAdmin('POST', groupRequests, {
      body: { action: 'adminAssign', principalId: DEMO_USERS.adele.id, groupId, accessId: 'owner' },
    });
    expect(owner.status, JSON.stringify(owner.body)).toBe(201);

    const forGroup = await api.call(
      'reader',
      'GET',
      `${GROUP_BASE}/eligibilitySchedules?$filter=${encodeURIComponent(`groupId eq '${groupId}'`)}`,
    );
    expect(forGroup.status).toBe(200);
    expect(
      forGroup.body.value
        .map((s: { principalId: string; accessId: string }) => `${s.principalId}:${s.accessId}`)
        .sort(),
    ).toEqual([`${alex.id}:member`, `${DEMO_USERS.adele.id}:owner`].sort());

    const mine = await api.call(
      'alex',
      'GET',
      `${GROUP_BASE}/eligibilitySchedules/filterByCurrentUser(on='principal')`,
    );
    expect(mine.body.value).toEqual([
      expect.objectContaining({ groupId, accessId: 'member', principalId: alex.id }),
    ]);
    const mineInstances = await api.call(
      'alex',
      'GET',
      `${GROUP_BASE}/eligibilityScheduleInstances/filterByCurrentUser(on='principal')`,
    );
    expect(mineInstances.status).toBe(200);
    expect(mineInstances.body.value).toEqual([
      expect.objectContaining({ groupId, accessId: 'member', endDateTime: inDays(now, 90) }),
    ]);

    const [row] = await auditRowsOf(member.correlationId);
    expect(row).toMatchObject({
      category: 'GroupManagement',
      activityDisplayName: 'Add eligible member to group in PIM completed (timebound)',
    });
    expect(detailsOf(row)).toMatchObject({ AccessId: 'member', Justification: 'Purges when needed' });

    const removeOwner = await asAdmin('POST', groupRequests, {
      body: { action: 'adminRemove', principalId: DEMO_USERS.adele.id, groupId, accessId: 'owner' },
    });
    expect(removeOwner.status, JSON.stringify(removeOwner.body)).toBe(201);
    const [ownerRow] = await auditRowsOf(removeOwner.correlationId);
    expect(ownerRow.activityDisplayName).toBe('Remove eligible owner from group in PIM completed');
  });

  it("schedules lists: everyone's needs a reader role, one's own does not", async () => {
    const all = `${ROLE_BASE}/roleEligibilitySchedules`;
    expectError(await api.call('alex', 'GET', all), 403);
    expectError(
      await api.call('alex', 'GET', `${all}?$filter=${encodeURIComponent(`principalId eq '${reader.id}'`)}`),
      403,
    );
    const own = await api.call(
      'alex',
      'GET',
      `${all}?$filter=${encodeURIComponent(`principalId eq '${alex.id}'`)}`,
    );
    expect(own.status).toBe(200);
    expect(own.body.value.every((s: { principalId: string }) => s.principalId === alex.id)).toBe(true);
    const everyone = await allPages(api, 'reader', all);
    expect(everyone.items.map((s) => s.principalId)).toContain(alex.id);

    // Megan's Security Reader assignment for Isaiah, seen as instances, and as Isaiah's own.
    const instances = await api.call(
      'reader',
      'GET',
      `${ROLE_BASE}/roleAssignmentScheduleInstances/filterByCurrentUser(on='principal')`,
    );
    expect(instances.status).toBe(200);
    expect(instances.body.value).toEqual([
      expect.objectContaining({
        principalId: reader.id,
        roleDefinitionId: BuiltInRoleId.securityReader,
        assignmentType: 'Assigned',
        memberType: 'Direct',
        endDateTime: null,
      }),
    ]);
    const alexAssignments = await api.call(
      'alex',
      'GET',
      `${ROLE_BASE}/roleAssignmentSchedules/filterByCurrentUser(on='principal')`,
    );
    expect(alexAssignments.status).toBe(200);
    expect(alexAssignments.body.value).toEqual([]);
  });
});

describe('policies', () => {
  const policyUrl = () => `${V1}/policies/roleManagementPolicies/DirectoryRole_${customRoleId}`;
  const ruleUrl = (ruleId: string) => `${policyUrl()}/rules/${ruleId}`;

  it("GET a role's policy with its rules and an ETag; lists and policy assignments find it", async () => {
    const res = await api.call('alex', 'GET', policyUrl());
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.headers.get('etag')).toBeTruthy();
    expect(res.body).toMatchObject({
      id: `DirectoryRole_${customRoleId}`,
      scopeId: '/',
      scopeType: 'DirectoryRole', // as its policy assignment says
    });
    const ids = res.body.rules.map((r: { id: string }) => r.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'Expiration_Admin_Eligibility',
        'Enablement_Admin_Eligibility',
        'Expiration_Admin_Assignment',
        'Enablement_Admin_Assignment',
        'Expiration_EndUser_Assignment',
        'Enablement_EndUser_Assignment',
        'Approval_EndUser_Assignment',
        'Notification_Admin_Admin_Eligibility',
      ]),
    );
    expect(res.body.rules.find((r: { id: string }) => r.id === 'Expiration_Admin_Eligibility')).toMatchObject(
      {
        '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyExpirationRule',
        isExpirationRequired: false,
        maximumDuration: 'P365D',
        target: { caller: 'Admin', level: 'Eligibility' },
      },
    );

    const filter = encodeURIComponent("scopeId eq '/' and scopeType eq 'DirectoryRole'");
    const policies = await allPages(api, 'reader', `${V1}/policies/roleManagementPolicies?$filter=${filter}`);
    expect(policies.items.map((p) => p.id)).toContain(`DirectoryRole_${customRoleId}`);

    const one = encodeURIComponent(
      `scopeId eq '/' and scopeType eq 'DirectoryRole' and roleDefinitionId eq '${customRoleId}'`,
    );
    const assignments = await api.call(
      'reader',
      'GET',
      `${V1}/policies/roleManagementPolicyAssignments?$filter=${one}`,
    );
    expect(assignments.status).toBe(200);
    expect(assignments.body.value).toEqual([
      expect.objectContaining({
        policyId: `DirectoryRole_${customRoleId}`,
        roleDefinitionId: customRoleId,
        scopeId: '/',
        scopeType: 'DirectoryRole',
      }),
    ]);
    const groupScope = encodeURIComponent(`scopeId eq '${groupId}' and scopeType eq 'Group'`);
    const groupAssignments = await api.call(
      'reader',
      'GET',
      `${V1}/policies/roleManagementPolicyAssignments?$filter=${groupScope}`,
    );
    expect(groupAssignments.body.value.map((a: { policyId: string }) => a.policyId).sort()).toEqual([
      `Group_${groupId}_member`,
      `Group_${groupId}_owner`,
    ]);
    const groupPolicy = await api.call(
      'alex',
      'GET',
      `${V1}/policies/roleManagementPolicies/Group_${groupId}_member`,
    );
    expect(groupPolicy.status).toBe(200);
    expect(groupPolicy.body).toMatchObject({ scopeId: groupId, scopeType: 'Group' });
    expectError(
      await api.call('alex', 'GET', `${V1}/policies/roleManagementPolicies/DirectoryRole_${randomUUID()}`),
      404,
    );
  });

  it('PATCH a rule with If-Match: a stale ETag is refused, and of two racing edits one wins', async () => {
    const read = await api.call('megan', 'GET', policyUrl());
    const etag = read.headers.get('etag') ?? '';
    const body = {
      '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyExpirationRule',
      id: 'Expiration_Admin_Eligibility',
      isExpirationRequired: true,
      maximumDuration: 'P30D',
    };
    expectError(
      await api.call('alex', 'PATCH', ruleUrl(body.id), { body, headers: { 'if-match': etag } }),
      403,
    );
    const patched = await asAdmin('PATCH', ruleUrl(body.id), { body, headers: { 'if-match': etag } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body).toMatchObject({ id: body.id, isExpirationRequired: true, maximumDuration: 'P30D' });
    const newEtag = patched.headers.get('etag') ?? '';
    expect(newEtag).not.toBe(etag);

    // An edit based on the old read would overwrite the one above: refused.
    const stale = await asAdmin('PATCH', ruleUrl('Expiration_Admin_Assignment'), {
      body: { isExpirationRequired: true, maximumDuration: 'P1D' },
      headers: { 'if-match': etag },
    });
    expectError(stale, 412, 'PreconditionFailed');
    const after = await api.call('alex', 'GET', policyUrl());
    expect(
      after.body.rules.find((r: { id: string }) => r.id === 'Expiration_Admin_Assignment'),
    ).toMatchObject({
      isExpirationRequired: false,
    });

    // Two admins edit from the same read at once: exactly one gets through.
    const racing = await Promise.all(
      ['P7D', 'P14D'].map((maximumDuration) =>
        asAdmin('PATCH', ruleUrl('Expiration_Admin_Assignment'), {
          body: { isExpirationRequired: true, maximumDuration },
          headers: { 'if-match': newEtag },
        }),
      ),
    );
    expect(racing.map((r) => r.status).sort()).toEqual([200, 412]);
    const winner = racing.find((r) => r.status === 200)!;
    const final = await api.call('alex', 'GET', policyUrl());
    expect(
      final.body.rules.find((r: { id: string }) => r.id === 'Expiration_Admin_Assignment').maximumDuration,
    ).toBe(winner.body.maximumDuration);

    const [row] = await auditRowsOf(patched.correlationId);
    expect(row).toMatchObject({
      category: 'Policy',
      activityDisplayName: 'Update role setting in PIM',
      operationType: 'Update',
    });
    expect(row.targetResources[0]).toMatchObject({ id: `DirectoryRole_${customRoleId}`, type: 'Policy' });
    const change = row.targetResources[0].modifiedProperties[0];
    expect(change.displayName).toBe('Expiration_Admin_Eligibility');
    expect(JSON.parse(change.oldValue)).toMatchObject({
      isExpirationRequired: false,
      maximumDuration: 'P365D',
    });
    expect(JSON.parse(change.newValue)).toMatchObject({
      isExpirationRequired: true,
      maximumDuration: 'P30D',
    });
    expect(detailsOf(row).RuleId).toBe('Expiration_Admin_Eligibility');
  });

  it('a rule sent back unchanged changes nothing: same ETag, no audit row', async () => {
    const read = await api.call('megan', 'GET', policyUrl());
    const rule = read.body.rules.find((r: { id: string }) => r.id === 'Notification_Admin_Admin_Eligibility');
    const same = await asAdmin('PATCH', ruleUrl(rule.id), {
      body: rule,
      headers: { 'if-match': read.headers.get('etag') ?? '' },
    });
    expect(same.status, JSON.stringify(same.body)).toBe(200);
    expect(same.body).toEqual(rule);
    expect(same.headers.get('etag')).toBe(read.headers.get('etag'));
    expect(await auditRowsOf(same.correlationId)).toEqual([]);
  });

  it('refuses bad rule edits: unknown rule 404, wrong fields 400, another type 400', async () => {
    expectError(
      await asAdmin('PATCH', ruleUrl('Expiration_Nobody'), { body: { maximumDuration: 'P1D' } }),
      404,
    );
    const bad = await asAdmin('PATCH', ruleUrl('Expiration_Admin_Eligibility'), {
      body: { maximumDuration: 'eight hours', isExpirationRequired: 'yes', colour: 'blue' },
    });
    expectError(bad, 400);
    expect(bad.body.error.details.map((d: { target: string }) => d.target)).toEqual(
      expect.arrayContaining(['maximumDuration', 'isExpirationRequired', 'colour']),
    );
    const otherType = await asAdmin('PATCH', ruleUrl('Expiration_Admin_Eligibility'), {
      body: { '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyEnablementRule', enabledRules: [] },
    });
    expectError(otherType, 400);
  });

  it('Expiration_Admin_* rules are enforced on admin requests, and refusals are audited', async () => {
    const now = await api.hostNow();
    const principalId = randomUUID();
    const base = {
      action: 'adminAssign',
      principalId,
      roleDefinitionId: customRoleId,
      directoryScopeId: '/',
    };
    const permanent = await eligibilityRequest({
      ...base,
      scheduleInfo: { expiration: { type: 'noExpiration' } },
    });
    expectError(permanent, 400, 'RoleAssignmentRequestPolicyValidationFailed');
    expect(permanent.body.error.message).toContain('ExpirationRule');
    expect(permanent.body.error.message).toContain('at most P30D and requires an end');
    const tooLong = await eligibilityRequest({
      ...base,
      scheduleInfo: { expiration: { type: 'afterDuration', duration: 'P31D' } },
    });
    expectError(tooLong, 400, 'RoleAssignmentRequestPolicyValidationFailed');
    const [refusal] = await auditRowsOf(tooLong.correlationId);
    expect(refusal).toMatchObject({
      activityDisplayName: 'Add eligible member to role in PIM failed (timebound)',
      result: 'failure',
      resultReason: expect.stringContaining('ExpirationRule'),
    });
    const ok = await eligibilityRequest({
      ...base,
      scheduleInfo: { expiration: { type: 'afterDateTime', endDateTime: inDays(now, 30) } },
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    // Extending beyond the maximum (counted from now) is refused too.
    const extend = await eligibilityRequest({
      ...base,
      action: 'adminExtend',
      scheduleInfo: { expiration: { type: 'afterDuration', duration: 'P40D' } },
    });
    expectError(extend, 400, 'RoleAssignmentRequestPolicyValidationFailed');

    // Assignments: at most the racing winner's 7 or 14 days, and a justification by default.
    const assignment = { ...base, principalId: randomUUID() };
    const noReason = await assignmentRequest({
      ...assignment,
      scheduleInfo: { expiration: { type: 'afterDuration', duration: 'P2D' } },
    });
    expectError(noReason, 400, 'RoleAssignmentRequestPolicyValidationFailed');
    expect(noReason.body.error.message).toContain('JustificationRule');
    const forever = await assignmentRequest({ ...assignment, justification: 'Incident 42' });
    expectError(forever, 400, 'RoleAssignmentRequestPolicyValidationFailed');
    expect(forever.body.error.message).toContain('ExpirationRule');
    const twoDays = await assignmentRequest({
      ...assignment,
      justification: 'Incident 42',
      scheduleInfo: { expiration: { type: 'afterDuration', duration: 'P2D' } },
    });
    expect(twoDays.status, JSON.stringify(twoDays.body)).toBe(201);
    expect(twoDays.body.scheduleInfo.expiration).toMatchObject({ type: 'afterDuration', duration: 'P2D' });

    // Ticketing required for eligibility once the admin enablement rule says so.
    const ticketing = await asAdmin('PATCH', `${policyUrl()}/rules/Enablement_Admin_Eligibility`, {
      body: { enabledRules: ['Ticketing', 'Justification'] },
    });
    expect(ticketing.status, JSON.stringify(ticketing.body)).toBe(200);
    const noTicket = await eligibilityRequest({
      ...base,
      principalId: randomUUID(),
      scheduleInfo: { expiration: { type: 'afterDuration', duration: 'P7D' } },
    });
    expectError(noTicket, 400, 'RoleAssignmentRequestPolicyValidationFailed');
    expect(noTicket.body.error.message).toMatch(/JustificationRule.*TicketingRule/);
  });
});

describe('the last active administrator', () => {
  for (const [name, roleDefinitionId] of [
    ['Privileged Role Administrator', BuiltInRoleId.privilegedRoleAdministrator],
    ['Global Administrator', BuiltInRoleId.globalAdministrator],
  ] as const) {
    it(`the last active ${name} assignment cannot be removed; one of two can`, async () => {
      const [first, second] = [randomUUID(), randomUUID()];
      const body = (principalId: string, action: string) => ({
        action,
        principalId,
        roleDefinitionId,
        directoryScopeId: '/',
        justification: 'Break-glass administrators',
      });
      const one = await assignmentRequest(body(first, 'adminAssign'));
      expect(one.status, JSON.stringify(one.body)).toBe(201);
      const refused = await assignmentRequest(body(first, 'adminRemove'));
      expectError(refused, 400, 'LastActiveAdministratorAssignment');
      expect(refused.body.error.message).toContain(`last active ${name}`);
      const [refusal] = await auditRowsOf(refused.correlationId);
      expect(refusal).toMatchObject({
        result: 'failure',
        activityDisplayName: 'Remove member from role in PIM failed',
      });

      expect((await assignmentRequest(body(second, 'adminAssign'))).status).toBe(201);
      const removed = await assignmentRequest(body(first, 'adminRemove'));
      expect(removed.status, JSON.stringify(removed.body)).toBe(201);
      expect(removed.body.status).toBe('Revoked');
      expectError(
        await assignmentRequest(body(second, 'adminRemove')),
        400,
        'LastActiveAdministratorAssignment',
      );
      const holders = await api.call(
        'reader',
        'GET',
        `${ROLE_BASE}/roleAssignmentScheduleInstances?$filter=${encodeURIComponent(`roleDefinitionId eq '${roleDefinitionId}'`)}`,
      );
      expect(holders.body.value.map((s: { principalId: string }) => s.principalId)).toEqual([second]);

      // A live activation holds the role too: with Alex's, the other assignment may go, and then
      // Alex may not deactivate (nor an admin remove his activation) until someone else holds it.
      const eligible = await eligibilityRequest({
        ...body(alex.id, 'adminAssign'),
        scheduleInfo: { expiration: { type: 'afterDuration', duration: 'P1D' } },
      });
      expect(eligible.status, JSON.stringify(eligible.body)).toBe(201);
      const activation = {
        principalId: alex.id,
        roleDefinitionId,
        directoryScopeId: '/',
        justification: 'Incident 4711 needs an administrator',
        ticketInfo: { ticketNumber: 'INC-4711', ticketSystem: 'ServiceNow' },
      };
      const activated = await api.call('alex', 'POST', `${ROLE_BASE}/roleAssignmentScheduleRequests`, {
        body: {
          ...activation,
          action: 'selfActivate',
          scheduleInfo: { expiration: { type: 'afterDuration', duration: 'PT1H' } },
        },
      });
      expect(activated.body.status, JSON.stringify(activated.body)).toBe('Provisioned');
      const removedSecond = await eventually(async () => {
        const r = await assignmentRequest(body(second, 'adminRemove')); // once the activation is indexed
        return r.status === 201 ? r : undefined;
      });
      expect(removedSecond.body.status).toBe('Revoked');
      const deactivate = () =>
        api.call('alex', 'POST', `${ROLE_BASE}/roleAssignmentScheduleRequests`, {
          body: { ...activation, action: 'selfDeactivate' },
        });
      expectError(await deactivate(), 400, 'LastActiveAdministratorAssignment');
      expectError(
        await assignmentRequest(body(alex.id, 'adminRemove')),
        400,
        'LastActiveAdministratorAssignment',
      );
      expect((await assignmentRequest(body(second, 'adminAssign'))).status).toBe(201);
      const off = await deactivate();
      expect(off.status, JSON.stringify(off.body)).toBe(201);
      expect(off.body.status).toBe('Revoked');
      // The lists follow a moment later (publication): then only the other assignment holds the role.
      await eventually(async () => {
        const now = await api.call(
          'reader',
          'GET',
          `${ROLE_BASE}/roleAssignmentScheduleInstances?$filter=${encodeURIComponent(`roleDefinitionId eq '${roleDefinitionId}'`)}`,
        );
        const ids = now.body.value.map((s: { principalId: string }) => s.principalId);
        return ids.length === 1 && ids[0] === second ? true : undefined;
      });
    });
  }
});

describe('the last active administrator, through a group', () => {
  it('a group holds the role only while it has an active member; its last member cannot leave', async () => {
    const pra = BuiltInRoleId.privilegedRoleAdministrator;
    const body = (principalId: string, action: string, extra: Record<string, unknown> = {}) => ({
      action,
      principalId,
      roleDefinitionId: pra,
      directoryScopeId: '/',
      justification: 'Administrators group',
      ...extra,
    });
    const holders = async () =>
      (
        await api.call(
          'reader',
          'GET',
          `${ROLE_BASE}/roleAssignmentScheduleInstances?$filter=${encodeURIComponent(`roleDefinitionId eq '${pra}'`)}`,
        )
      ).body.value.map((s: { principalId: string }) => s.principalId);
    const [user] = await holders(); // left by the test above
    const group = await asAdmin('POST', `${V1}/groups`, {
      body: { displayName: `PIM admins ${randomUUID().slice(0, 8)}`, isAssignableToRole: true },
    });
    const admins = group.body.id;
    expect((await assignmentRequest(body(admins, 'adminAssign'))).status).toBe(201);
    // An empty group administers nothing: the user is still the last administrator.
    expectError(await assignmentRequest(body(user, 'adminRemove')), 400, 'LastActiveAdministratorAssignment');

    const member = randomUUID();
    expect(
      (await asAdmin('POST', `${V1}/groups/${admins}/members`, { body: { memberId: member } })).status,
    ).toBe(201);
    expect((await assignmentRequest(body(user, 'adminRemove'))).status).toBe(201);

    // Now the group's one member is the last administrator: not removable, neither way, nor postponed.
    const leave = await asAdmin('DELETE', `${V1}/groups/${admins}/members/${member}`);
    expectError(leave, 400, 'LastActiveAdministratorAssignment');
    const [refusal] = await auditRowsOf(leave.correlationId);
    expect(refusal).toMatchObject({
      result: 'failure',
      activityDisplayName: 'Remove member from group failed',
    });
    const asRequest = await asAdmin('POST', `${GROUP_BASE}/assignmentScheduleRequests`, {
      body: { action: 'adminRemove', principalId: member, groupId: admins, accessId: 'member' },
    });
    expectError(asRequest, 400, 'LastActiveAdministratorAssignment');
    const now = await api.hostNow();
    const postpone = await assignmentRequest(
      body(admins, 'adminUpdate', {
        scheduleInfo: { startDateTime: inDays(now, 1), expiration: { type: 'noExpiration' } },
      }),
    );
    expectError(postpone, 400, 'LastActiveAdministratorAssignment');

    const other = randomUUID();
    expect((await assignmentRequest(body(other, 'adminAssign'))).status).toBe(201);
    expect((await asAdmin('DELETE', `${V1}/groups/${admins}/members/${member}`)).status).toBe(204);
    expect((await holders()).sort()).toEqual([admins, other].sort());
  });
});

describe('paging', () => {
  it('$top pages follow @odata.nextLink to the end without gaps or repeats', async () => {
    const whole = await api.call('alex', 'GET', `${ROLE_BASE}/roleDefinitions?$top=999`);
    expect(whole.body['@odata.nextLink']).toBeUndefined();
    const paged = await allPages(api, 'alex', `${ROLE_BASE}/roleDefinitions?$top=2`);
    expect(paged.pages).toBeGreaterThanOrEqual(3);
    const ids = paged.items.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(whole.body.value.map((r: { id: string }) => r.id).sort());

    const first = await api.call('alex', 'GET', `${ROLE_BASE}/roleDefinitions?$top=2`);
    const next = new URL(first.body['@odata.nextLink']);
    expect(next.searchParams.get('$top')).toBe('2');
    expect(next.searchParams.get('$skiptoken')).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('bad $top and foreign or tampered $skiptoken are 400s', async () => {
    for (const query of [
      '$top=0',
      '$top=1000',
      '$top=abc',
      '$skiptoken=not-a-token',
      '$orderby=displayName',
    ]) {
      expectError(await api.call('alex', 'GET', `${ROLE_BASE}/roleDefinitions?${query}`), 400);
    }
    // A token of one query is not valid for another filter.
    const audit = await api.call('reader', 'GET', `${V1}/auditLogs/directoryAudits?$top=1`);
    const token = new URL(audit.body['@odata.nextLink']).searchParams.get('$skiptoken');
    const filter = encodeURIComponent("category eq 'Policy'");
    expectError(
      await api.call(
        'reader',
        'GET',
        `${V1}/auditLogs/directoryAudits?$top=1&$filter=${filter}&$skiptoken=${token}`,
      ),
      400,
    );
  });
});

describe('audit rows', () => {
  const audits = `${V1}/auditLogs/directoryAudits`;
  const query = (filter: string, top = 999) => `${audits}?$top=${top}&$filter=${encodeURIComponent(filter)}`;

  it('newest first across pages, filtered by initiator, category, target and time', async () => {
    const byMegan = await allPages(api, 'reader', query(`initiatedBy/user/id eq '${megan.id}'`, 5));
    expect(byMegan.pages).toBeGreaterThan(2);
    const times = byMegan.items.map((r) => Date.parse(r.activityDateTime));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(byMegan.items.every((r) => r.initiatedBy.user.id === megan.id)).toBe(true);
    const categories = new Set(byMegan.items.map((r) => r.category));
    expect([...categories]).toEqual(expect.arrayContaining(['RoleManagement', 'GroupManagement', 'Policy']));

    const policy = await allPages(api, 'reader', query("category eq 'Policy'"));
    expect(policy.items.length).toBeGreaterThan(0);
    expect(policy.items.every((r) => r.category === 'Policy')).toBe(true);

    const aboutRole = await allPages(
      api,
      'reader',
      query(`targetResources/any(t: t/id eq '${customRoleId}')`),
    );
    expect(aboutRole.items.length).toBeGreaterThan(3);
    for (const row of aboutRole.items) {
      expect(row.targetResources.map((t: { id: string }) => t.id)).toContain(customRoleId);
    }
    expect(aboutRole.items.at(-1).activityDisplayName).toBe('Add role definition');

    const from = aboutRole.items.at(0).activityDateTime;
    const recent = await allPages(api, 'reader', query(`activityDateTime ge ${from}`));
    expect(recent.items.length).toBeGreaterThan(0);
    expect(recent.items.every((r) => r.activityDateTime >= from)).toBe(true);

    const one = await api.call('reader', 'GET', `${audits}/${aboutRole.items[0].id}`);
    expect(one.status).toBe(200);
    expect(one.body['@odata.context']).toMatch(
      /\/api\/v1\.0\/\$metadata#auditLogs\/directoryAudits\/\$entity$/,
    );
    expect({ ...one.body, '@odata.context': undefined }).toEqual(aboutRole.items[0]);
  });

  it('only audit readers may read them; unsupported filters are 400', async () => {
    expectError(await api.call('alex', 'GET', audits), 403);
    expectError(await api.call('other', 'GET', `${audits}/${randomUUID()}`), 403);
    expect((await api.call('megan', 'GET', audits)).status).toBe(200);
    expectError(await api.call('reader', 'GET', query("resultReason eq 'x'")), 400);
    expectError(await api.call('reader', 'GET', query("category eq 'Nonsense'")), 400);
    expectError(await api.call('reader', 'GET', `${audits}/${randomUUID()}`), 404);
  });
});

describe('adminRenew, after the clock has moved', () => {
  it('renews an eligibility that has ended', async () => {
    const principalId = randomUUID();
    const base = { principalId, roleDefinitionId: BuiltInRoleId.securityReader, directoryScopeId: '/' };
    const created = await eligibilityRequest({
      ...base,
      action: 'adminAssign',
      scheduleInfo: { expiration: { type: 'afterDuration', duration: 'P1D' } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expectError(
      await eligibilityRequest({ ...base, action: 'adminRenew' }),
      409,
      'RoleAssignmentExists', // still running: extend it instead
    );
    await api.advanceClock('P2D');
    const mineUrl = `${ROLE_BASE}/roleEligibilityScheduleInstances?$filter=${encodeURIComponent(`principalId eq '${principalId}'`)}`;
    expect((await api.call('reader', 'GET', mineUrl)).body.value).toEqual([]);
    const now = await api.hostNow();
    const renewed = await eligibilityRequest({
      ...base,
      action: 'adminRenew',
      justification: 'Another quarter',
      scheduleInfo: { expiration: { type: 'afterDuration', duration: 'P90D' } },
    });
    expect(renewed.status, JSON.stringify(renewed.body)).toBe(201);
    expect(renewed.body.targetScheduleId).toBe(created.body.targetScheduleId);
    const instances = (await api.call('reader', 'GET', mineUrl)).body.value;
    expect(instances).toHaveLength(1);
    expect(Date.parse(instances[0].endDateTime)).toBeGreaterThan(now.getTime() + 89 * 86_400_000);
    const [row] = await auditRowsOf(renewed.correlationId);
    expect(row.activityDisplayName).toBe('Renew eligible member in role in PIM completed (timebound)');
  });
});

describe('ids that are not GUIDs', () => {
  it('in a path are 404s, in a body or $filter 400s: never a storage error', async () => {
    for (const bad of ['a%2Fb', 'a%23b', 'a%3Fb', 'x%01y', 'a%5Cb', 'x'.repeat(600)]) {
      expectError(await api.call('megan', 'GET', `${V1}/groups/${bad}`), 404);
      expectError(await api.call('megan', 'GET', `${V1}/groups/${bad}/members`), 404);
      expectError(await api.call('megan', 'DELETE', `${V1}/groups/${bad}/members/${alex.id}`), 404);
      expectError(await api.call('megan', 'DELETE', `${V1}/groups/${groupId}/members/${bad}`), 404);
      expectError(await api.call('megan', 'GET', `${ROLE_BASE}/roleDefinitions/${bad}`), 404);
      expectError(await api.call('megan', 'PATCH', `${ROLE_BASE}/roleDefinitions/${bad}`, { body: {} }), 404);
      expectError(await api.call('megan', 'DELETE', `${ROLE_BASE}/roleDefinitions/${bad}`), 404);
    }
    const member = await api.call('megan', 'POST', `${V1}/groups/${groupId}/members`, {
      body: { memberId: 'a/b' },
    });
    expectError(member, 400);
    expect(member.body.error.details[0].target).toBe('memberId');
    const filters = [
      `${ROLE_BASE}/roleEligibilitySchedules?$filter=${encodeURIComponent("roleDefinitionId eq 'a/b'")}`,
      `${ROLE_BASE}/roleEligibilityScheduleRequests?$filter=${encodeURIComponent("principalId eq 'a#b'")}`,
      `${GROUP_BASE}/assignmentSchedules?$filter=${encodeURIComponent("groupId eq 'x?'")}`,
      `${V1}/policies/roleManagementPolicyAssignments?$filter=${encodeURIComponent("scopeId eq '/' and scopeType eq 'DirectoryRole' and roleDefinitionId eq 'a/b'")}`,
      `${V1}/policies/roleManagementPolicyAssignments?$filter=${encodeURIComponent("scopeId eq 'a/b' and scopeType eq 'Group'")}`,
      `${V1}/policies/roleManagementPolicies?$filter=${encodeURIComponent("scopeId eq 'a/b' and scopeType eq 'Group'")}`,
    ];
    for (const url of filters) expectError(await api.call('reader', 'GET', url), 400);
  });
});
