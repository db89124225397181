// Who may do what: every HTTP endpoint the app registers x every persona, with the status each gets.
// One table, two readers: test/e2e/authz-matrix.test.ts calls every cell, and README.md's section
// "Who may do what" must equal `renderMatrix()` (the test compares them).
//
// Cells name the status of a typical call: 2xx or 404 where the persona is allowed (404: the object
// exists but is not theirs to see), 403 where not, 401 without a token. Some calls answer an allowed
// caller with a deliberate 4xx (a wrong TOTP code is 400, activating without an eligibility 400,
// cancelling a request that is no longer pending 409); the row's note says which call it makes.
import { randomUUID } from 'node:crypto';
import { DEMO_USERS, type DemoUserKey } from '../../shared/auth/demo-users';
import { BuiltInRoleId } from '../../shared/domain/roles';
import { DEMO_GROUP_ID } from '../../shared/services/demo-data';

export const PERSONAS = ['anonymous', 'requester', 'other', 'approver', 'admin', 'reader'] as const;
export type Persona = (typeof PERSONAS)[number];

export const USER_OF: Record<Exclude<Persona, 'anonymous'>, DemoUserKey> = {
  requester: 'alex',
  other: 'other',
  approver: 'adele',
  admin: 'megan',
  reader: 'reader',
};

const HEADINGS: Record<Persona, string> = {
  anonymous: 'anonymous',
  requester: 'requester (alex)',
  other: 'other user (other)',
  approver: 'approver (adele)',
  admin: 'admin (megan)',
  reader: 'Security Reader (reader)',
};

export type Statuses = Record<Persona, number>;

/** What the test's setup made (as Megan and Alex) for the rows to point at. */
export interface Fixture {
  /** A custom role Alex is eligible for and has activated. */
  eligibleRole: string;
  /** Alex's role eligibility request (adminAssign by Megan). */
  roleEligibilityRequest: string;
  /** Alex's role activation (Provisioned) and a pending one (approval by Adele). */
  roleActivation: string;
  rolePendingApproval: string;
  /** Alex's group activation (Provisioned) and pending ones, for the group endpoints. */
  group: string;
  groupEligibilityRequest: string;
  groupActivation: string;
  groupPendingApproval: string;
  /** An approval waiting for Adele (role and group) and its step id. */
  roleApproval: { id: string; stepId: string };
  groupApproval: { id: string; stepId: string };
  /** A request waiting for Alex's MFA (role and group), made just before its row. */
  rolePendingMfa?: string;
  groupPendingMfa?: string;
  /** One audit row id. */
  auditId: string;
  /** The demo's running access review (Adele reviews), and Alex's item in it. */
  review: { definitionId: string; instanceId: string; decisionId: string };
}

export interface CellRequest {
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** What a row may do besides calling: set up state, as Megan or Alex. */
export interface MatrixContext {
  fx: Fixture;
  /** A fresh custom role (for deletes). */
  newRole(): Promise<string>;
  /** Adds a fresh member to the fixture group; returns its id. */
  newMember(): Promise<string>;
  /** Makes a role (or group) request that waits for Alex's MFA; returns its id. */
  pendingMfa(kind: 'role' | 'group'): Promise<string>;
}

export interface MatrixRow {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The route as registered, without the `api/` prefix of API routes (see `outsideApi`). */
  route: string;
  /** The route is not under api/ (the portal's catch-all): `route` is exactly as registered. */
  outsideApi?: boolean;
  /** Which call the row makes, when the route has several rows or the call matters. */
  note?: string;
  expect: Statuses;
  /** Once before the row's cells. */
  before?: (ctx: MatrixContext) => Promise<void>;
  /** The 401 challenge's scheme, when it is not a bearer token (the signed approval webhook). */
  challenge?: RegExp;
  request(ctx: MatrixContext, persona: Persona): CellRequest | Promise<CellRequest>;
}

// ---- status patterns -------------------------------------------------------------------------

const all = (status: number): Statuses => Object.fromEntries(PERSONAS.map((p) => [p, status])) as Statuses;
const signedIn = (status: number): Statuses => ({ ...all(status), anonymous: 401 });
const adminOnly = (status: number): Statuses => ({ ...signedIn(403), admin: status });
const readers = (status: number): Statuses => ({ ...adminOnly(status), reader: status });
/** Alex's own object: he, admins and readers see it; anyone else learns nothing (404). */
const alexsOwn = (status: number): Statuses => ({
  ...signedIn(404),
  requester: status,
  admin: status,
  reader: status,
});
/** Only Alex may act on it; to everyone else it does not exist. */
const alexOnly = (status: number): Statuses => ({ ...signedIn(404), requester: status });

// ---- the table -------------------------------------------------------------------------------

const ROLE = 'v1.0/roleManagement/directory';
const GROUP = 'v1.0/identityGovernance/privilegedAccess/group';
const BY_PRINCIPAL = "filterByCurrentUser(on='principal')";
const BY_APPROVER = "filterByCurrentUser(on='approver')";
const api = (route: string) => `/api/${route}`;
const q = (filter: string) => `?$filter=${encodeURIComponent(filter)}`;

function userId(persona: Persona): string {
  return persona === 'anonymous' ? randomUUID() : DEMO_USERS[USER_OF[persona]].id;
}

const get = (route: string, expect: Statuses, note?: string, path = api(route)): MatrixRow => ({
  method: 'GET',
  route,
  note,
  expect,
  request: () => ({ path }),
});

function scheduleRows(base: string, names: string[]): MatrixRow[] {
  return names.flatMap((name) => [
    get(`${base}/${name}`, readers(200), "everyone's"),
    get(`${base}/${name}/${BY_PRINCIPAL}`, signedIn(200)),
  ]);
}

function activationRows(kind: 'role' | 'group'): MatrixRow[] {
  const base =
    kind === 'role' ? `${ROLE}/roleAssignmentScheduleRequests` : `${GROUP}/assignmentScheduleRequests`;
  const fx = (ctx: MatrixContext) => ctx.fx;
  return [
    {
      method: 'POST',
      route: base,
      note: 'selfActivate with isValidationOnly: only Alex is eligible',
      expect: { ...signedIn(400), requester: 201 },
      request: (_ctx, persona) => ({
        path: api(base),
        body: {
          action: 'selfActivate',
          principalId: userId(persona),
          ...(kind === 'role'
            ? { roleDefinitionId: BuiltInRoleId.securityReader, directoryScopeId: '/' }
            : { groupId: DEMO_GROUP_ID, accessId: 'member' }),
          justification: 'authz matrix',
          ticketInfo: { ticketNumber: 'MATRIX-1', ticketSystem: 'test' },
          scheduleInfo: { expiration: { type: 'afterDuration', duration: 'PT1H' } },
          isValidationOnly: true,
        },
      }),
    },
    {
      method: 'POST',
      route: base,
      note: 'adminAssign of a new principal',
      expect: adminOnly(201),
      request: (ctx) => ({
        path: api(base),
        body: {
          action: 'adminAssign',
          principalId: randomUUID(),
          ...(kind === 'role'
            ? { roleDefinitionId: fx(ctx).eligibleRole, directoryScopeId: '/' }
            : { groupId: fx(ctx).group, accessId: 'member' }),
          justification: 'authz matrix',
          scheduleInfo: { expiration: { type: 'afterDuration', duration: 'P1D' } },
        },
      }),
    },
    get(base, readers(200), "everyone's"),
    get(`${base}/${BY_PRINCIPAL}`, signedIn(200)),
    get(`${base}/${BY_APPROVER}`, signedIn(200), 'what waits for my decision'),
    {
      method: 'GET',
      route: `${base}/{id}`,
      note: "Alex's activation",
      expect: alexsOwn(200),
      request: (ctx) => ({
        path: api(`${base}/${kind === 'role' ? fx(ctx).roleActivation : fx(ctx).groupActivation}`),
      }),
    },
    {
      method: 'POST',
      route: `${base}/{id}/cancel`,
      note: "Alex's request waiting for approval",
      expect: alexOnly(204),
      request: (ctx) => ({
        path: api(
          `${base}/${kind === 'role' ? fx(ctx).rolePendingApproval : fx(ctx).groupPendingApproval}/cancel`,
        ),
      }),
    },
    {
      method: 'POST',
      route: `${base}/{id}/verifyMfa`,
      note: "Alex's request waiting for MFA, caller with a fresh MFA token",
      expect: alexOnly(204),
      before: async (ctx) => {
        const id = await ctx.pendingMfa(kind);
        if (kind === 'role') ctx.fx.rolePendingMfa = id;
        else ctx.fx.groupPendingMfa = id;
      },
      request: (ctx) => ({
        path: api(`${base}/${kind === 'role' ? fx(ctx).rolePendingMfa : fx(ctx).groupPendingMfa}/verifyMfa`),
      }),
    },
  ];
}

function approvalRows(kind: 'role' | 'group'): MatrixRow[] {
  const base = kind === 'role' ? `${ROLE}/roleAssignmentApprovals` : `${GROUP}/assignmentApprovals`;
  const approval = (ctx: MatrixContext) => (kind === 'role' ? ctx.fx.roleApproval : ctx.fx.groupApproval);
  return [
    get(`${base}/${BY_APPROVER}`, signedIn(200)),
    {
      method: 'GET',
      route: `${base}/{id}`,
      note: "Adele's approval of Alex's request",
      expect: { ...alexsOwn(200), approver: 200 },
      request: (ctx) => ({ path: api(`${base}/${approval(ctx).id}`) }),
    },
    {
      method: 'PATCH',
      route: `${base}/{id}/stages/{stageId}`,
      note: 'Approve: Adele is the approver, Alex may not approve his own',
      expect: { ...signedIn(404), requester: 403, approver: 204 },
      request: (ctx) => ({
        path: api(`${base}/${approval(ctx).id}/stages/${approval(ctx).stepId}`),
        body: { reviewResult: 'Approve', justification: 'authz matrix' },
      }),
    },
    {
      method: 'PATCH',
      route: `${base}/{id}/steps/{stepId}`,
      note: "beta's name; Adele's same decision again answers as the first did",
      expect: { ...signedIn(404), requester: 403, approver: 204 },
      request: (ctx) => ({
        path: api(`${base}/${approval(ctx).id}/steps/${approval(ctx).stepId}`),
        body: { reviewResult: 'Approve', justification: 'authz matrix' },
      }),
    },
  ];
}

function eligibilityRequestRows(kind: 'role' | 'group'): MatrixRow[] {
  const base =
    kind === 'role' ? `${ROLE}/roleEligibilityScheduleRequests` : `${GROUP}/eligibilityScheduleRequests`;
  return [
    {
      method: 'POST',
      route: base,
      note: 'adminAssign of a new principal',
      expect: adminOnly(201),
      request: (ctx) => ({
        path: api(base),
        body: {
          action: 'adminAssign',
          principalId: randomUUID(),
          ...(kind === 'role'
            ? { roleDefinitionId: ctx.fx.eligibleRole, directoryScopeId: '/' }
            : { groupId: ctx.fx.group, accessId: 'owner' }),
          scheduleInfo: { expiration: { type: 'afterDuration', duration: 'P30D' } },
        },
      }),
    },
    get(base, readers(200), "everyone's"),
    {
      method: 'GET',
      route: base,
      note: "$filter on the caller's own principalId",
      expect: signedIn(200),
      request: (_ctx, persona) => ({ path: `${api(base)}${q(`principalId eq '${userId(persona)}'`)}` }),
    },
    {
      method: 'GET',
      route: `${base}/{id}`,
      note: "Alex's",
      expect: alexsOwn(200),
      request: (ctx) => ({
        path: api(
          `${base}/${kind === 'role' ? ctx.fx.roleEligibilityRequest : ctx.fx.groupEligibilityRequest}`,
        ),
      }),
    },
    {
      method: 'POST',
      route: `${base}/{id}/cancel`,
      note: "Alex's; admin requests complete at once, so 409 where allowed",
      expect: { ...alexsOwn(409), reader: 403 },
      request: (ctx) => ({
        path: api(
          `${base}/${kind === 'role' ? ctx.fx.roleEligibilityRequest : ctx.fx.groupEligibilityRequest}/cancel`,
        ),
      }),
    },
  ];
}

// The two-person rule (off on the matrix's host: no proposals exist, so a decision names an unknown id).
function adminChangeRows(): MatrixRow[] {
  const proposal = (action: string): MatrixRow => ({
    method: 'POST',
    route: `v1.0/jit/adminChangeProposals/{id}/${action}`,
    note: 'an unknown id',
    expect: adminOnly(404),
    request: () => ({ path: api(`v1.0/jit/adminChangeProposals/${randomUUID()}/${action}`), body: {} }),
  });
  return [
    get('v1.0/jit/adminChangeSettings', readers(200)),
    {
      method: 'PATCH',
      route: 'v1.0/jit/adminChangeSettings',
      note: 'the lifetime it has (the rule stays off)',
      expect: adminOnly(200),
      request: () => ({ path: api('v1.0/jit/adminChangeSettings'), body: { proposalLifetime: 'P1D' } }),
    },
    get('v1.0/jit/adminChangeProposals', readers(200)),
    get(
      'v1.0/jit/adminChangeProposals/{id}',
      readers(404),
      'an unknown id',
      api(`v1.0/jit/adminChangeProposals/${randomUUID()}`),
    ),
    proposal('approve'),
    proposal('deny'),
    proposal('withdraw'),
    get('v1.0/jit/adminChangeAlerts', readers(200)),
  ];
}

function notificationRows(): MatrixRow[] {
  const SECRET = 'matrix-secret-0123456789';
  const link = api('v1.0/approvalLinks/not-a-link');
  const unknown = (route: string, method: MatrixRow['method'], body?: unknown): MatrixRow => ({
    method,
    route: `${route}/{id}`,
    note: 'an unknown id',
    expect: adminOnly(404),
    request: () => ({ path: api(`${route}/${randomUUID()}`), body }),
  });
  return [
    // The link's token is the credential (it names its approver); a caller's own token adds nothing.
    {
      method: 'GET',
      route: 'v1.0/approvalLinks/{token}',
      note: 'not a link of ours',
      expect: all(401),
      request: () => ({ path: link }),
    },
    {
      method: 'POST',
      route: 'v1.0/approvalLinks/{token}',
      note: 'not a link of ours',
      expect: all(401),
      request: () => ({ path: link }),
    },
    {
      method: 'POST',
      route: 'v1.0/approvals/webhook',
      note: 'unsigned: the HMAC signature is the credential',
      expect: all(401),
      challenge: /^HMAC-SHA256/,
      request: () => ({
        path: api('v1.0/approvals/webhook'),
        body: { approvalId: randomUUID(), approverId: randomUUID(), reviewResult: 'Approve' },
      }),
    },
    // Chat actions: the token in the URL (Teams) or the Slack signature is the credential.
    {
      method: 'POST',
      route: 'v1.0/approvals/chat/teams/{token}',
      note: 'not a token of ours',
      expect: all(401),
      request: () => ({ path: api('v1.0/approvals/chat/teams/not-a-token'), body: {} }),
    },
    {
      method: 'POST',
      route: 'v1.0/approvals/chat/slack/{subscriptionId}',
      note: 'unsigned, an unknown subscription',
      expect: all(401),
      challenge: /^HMAC-SHA256/,
      request: () => ({ path: api(`v1.0/approvals/chat/slack/${randomUUID()}`), body: {} }),
    },
    get('v1.0/notificationSubscriptions', adminOnly(200)),
    {
      method: 'POST',
      route: 'v1.0/notificationSubscriptions',
      expect: adminOnly(201),
      request: () => ({
        path: api('v1.0/notificationSubscriptions'),
        body: { url: 'https://hooks.example.invalid/pim', events: ['eligibilityRemoved'], secret: SECRET },
      }),
    },
    unknown('v1.0/notificationSubscriptions', 'GET'),
    unknown('v1.0/notificationSubscriptions', 'PATCH', { description: 'matrix' }),
    unknown('v1.0/notificationSubscriptions', 'DELETE'),
    get('v1.0/grantConnectors', adminOnly(200)),
    {
      method: 'POST',
      route: 'v1.0/grantConnectors',
      note: 'for a role nobody activates',
      expect: adminOnly(201),
      request: () => ({
        path: api('v1.0/grantConnectors'),
        body: {
          displayName: 'Matrix',
          roleDefinitionId: randomUUID(),
          url: 'https://target.example.invalid/pim',
          secret: SECRET,
        },
      }),
    },
    unknown('v1.0/grantConnectors', 'GET'),
    unknown('v1.0/grantConnectors', 'DELETE'),
    get('v1.0/grantConnectorAlerts', adminOnly(200)),
  ];
}

function accessReviewRows(): MatrixRow[] {
  const DEFS = 'v1.0/identityGovernance/accessReviews/definitions';
  const BY_REVIEWER = "filterByCurrentUser(on='reviewer')";
  const DEF = `${DEFS}/{definitionId}`;
  const INST = `${DEF}/instances/{instanceId}`;
  const def = (ctx: MatrixContext) => `${DEFS}/${ctx.fx.review.definitionId}`;
  const inst = (ctx: MatrixContext) => `${def(ctx)}/instances/${ctx.fx.review.instanceId}`;
  /** Admins and readers see every review; its reviewer (Adele) hers; to others it does not exist. */
  const reviewVisible = (status: number): Statuses => ({
    ...readers(status),
    approver: status,
    requester: 404,
    other: 404,
  });
  const row = (
    method: MatrixRow['method'],
    route: string,
    expect: Statuses,
    path: (ctx: MatrixContext) => string,
    note?: string,
    body?: unknown,
  ): MatrixRow => ({ method, route, note, expect, request: (ctx) => ({ path: api(path(ctx)), body }) });
  const oneTime = {
    displayName: 'Matrix review',
    scope: {
      query: `/roleManagement/directory/roleEligibilityScheduleInstances?$filter=(roleDefinitionId eq '${BuiltInRoleId.securityReader}')`,
      queryType: 'MicrosoftGraph',
    },
    reviewers: [{ query: `/users/${DEMO_USERS.megan.id}`, queryType: 'MicrosoftGraph' }],
    settings: { instanceDurationInDays: 1 },
  };
  return [
    get(DEFS, readers(200)),
    row('POST', DEFS, adminOnly(201), () => DEFS, 'a one-time review', oneTime),
    get(`${DEFS}/${BY_REVIEWER}`, signedIn(200), 'the ones I review in'),
    row('GET', DEF, reviewVisible(200), def, 'the demo review'),
    row('PUT', DEF, adminOnly(200), def, 'the demo review', { descriptionForAdmins: 'matrix' }),
    row('PATCH', DEF, adminOnly(200), def, 'the demo review', { descriptionForAdmins: 'matrix' }),
    row('DELETE', DEF, adminOnly(404), () => `${DEFS}/${randomUUID()}`, 'an unknown id'),
    row('GET', `${DEF}/instances`, reviewVisible(200), (ctx) => `${def(ctx)}/instances`),
    row(
      'GET',
      `${DEF}/instances/${BY_REVIEWER}`,
      signedIn(200),
      (ctx) => `${def(ctx)}/instances/${BY_REVIEWER}`,
    ),
    row('GET', INST, reviewVisible(200), inst, 'the running instance'),
    row('GET', `${INST}/decisions`, adminOnly(200), (ctx) => `${inst(ctx)}/decisions`, 'every item'),
    row(
      'GET',
      `${INST}/decisions/${BY_REVIEWER}`,
      signedIn(200),
      (ctx) => `${inst(ctx)}/decisions/${BY_REVIEWER}`,
    ),
    row(
      'GET',
      `${INST}/decisions/{decisionId}`,
      { ...signedIn(404), approver: 200, admin: 200 },
      (ctx) => `${inst(ctx)}/decisions/${ctx.fx.review.decisionId}`,
      "Alex's item: its reviewer and admins",
    ),
    row(
      'PATCH',
      `${INST}/decisions/{decisionId}`,
      { ...signedIn(403), approver: 204 },
      (ctx) => `${inst(ctx)}/decisions/${ctx.fx.review.decisionId}`,
      "Alex's item: only its reviewer decides (not Alex)",
      { decision: 'DontKnow', justification: 'matrix' },
    ),
    row(
      'POST',
      `${INST}/batchRecordDecisions`,
      { ...signedIn(404), approver: 204 },
      (ctx) => `${inst(ctx)}/batchRecordDecisions`,
      'the items I review (none: 404)',
      { decision: 'DontKnow', justification: 'matrix' },
    ),
    row(
      'POST',
      `${INST}/resetDecisions`,
      { ...signedIn(403), approver: 204, admin: 204 },
      (ctx) => `${inst(ctx)}/resetDecisions`,
      'reviewers reset theirs, admins all',
    ),
    row(
      'POST',
      `${INST}/stop`,
      adminOnly(404),
      (ctx) => `${def(ctx)}/instances/${randomUUID()}/stop`,
      'an unknown instance',
    ),
    row(
      'POST',
      `${INST}/applyDecisions`,
      adminOnly(404),
      (ctx) => `${def(ctx)}/instances/${randomUUID()}/applyDecisions`,
      'an unknown instance',
    ),
    // The link's token is the reviewer's credential for one instance; a caller's own token adds nothing.
    row(
      'GET',
      'v1.0/accessReviewLinks/{token}',
      all(401),
      () => 'v1.0/accessReviewLinks/not-a-link',
      'not a link of ours',
    ),
    row(
      'POST',
      'v1.0/accessReviewLinks/{token}',
      all(401),
      () => 'v1.0/accessReviewLinks/not-a-link',
      'not a link of ours',
    ),
  ];
}

function alertRows(): MatrixRow[] {
  const base = 'v1.0/identityGovernance/roleManagementAlerts';
  const noMfa = 'DirectoryRole_NoMfaOnRoleActivationAlert';
  const post = (
    route: string,
    expect: Statuses,
    path: string,
    note?: string,
    body: unknown = {},
  ): MatrixRow => ({
    method: 'POST',
    route: `${base}/${route}`,
    note,
    expect,
    request: () => ({ path: api(`${base}/${path}`), body }),
  });
  return [
    get(`${base}/alertDefinitions`, readers(200)),
    get(`${base}/alertDefinitions/{id}`, readers(200), undefined, api(`${base}/alertDefinitions/${noMfa}`)),
    get(`${base}/alertConfigurations`, readers(200)),
    get(
      `${base}/alertConfigurations/{id}`,
      readers(200),
      undefined,
      api(`${base}/alertConfigurations/${noMfa}`),
    ),
    {
      method: 'PATCH',
      route: `${base}/alertConfigurations/{id}`,
      note: 'isEnabled: true',
      expect: adminOnly(200),
      request: () => ({ path: api(`${base}/alertConfigurations/${noMfa}`), body: { isEnabled: true } }),
    },
    get(`${base}/alerts`, readers(200)),
    get(`${base}/alerts/{id}`, readers(200), undefined, api(`${base}/alerts/${noMfa}`)),
    get(
      `${base}/alerts/{id}/alertIncidents`,
      readers(200),
      undefined,
      api(`${base}/alerts/${noMfa}/alertIncidents`),
    ),
    post('alerts/refresh', adminOnly(204), 'alerts/refresh', undefined, {
      scopeId: '/',
      scopeType: 'DirectoryRole',
    }),
    post('alerts/{id}/refresh', adminOnly(204), `alerts/${noMfa}/refresh`),
    post('alerts/{id}/dismiss', adminOnly(200), `alerts/${noMfa}/dismiss`),
    post(
      'alerts/{id}/alertIncidents/{incidentId}/remediate',
      adminOnly(404),
      `alerts/${noMfa}/alertIncidents/${randomUUID()}/remediate`,
      'an incident that does not exist',
    ),
  ];
}

export const MATRIX: readonly MatrixRow[] = [
  get('health', all(200)),
  get('openapi.json', all(200)),
  get('dev-issuer/.well-known/jwks.json', all(200)),
  get('dev-issuer/.well-known/openid-configuration', all(200)),
  get('dev-issuer/users', all(200)),
  {
    method: 'POST',
    route: 'dev-issuer/token',
    note: "a demo user's token: the portal's and jit login's sign-in",
    expect: all(200),
    request: () => ({ path: api('dev-issuer/token'), body: { user: 'alex' } }),
  },
  get('v1.0/me', signedIn(200)),
  get('v1.0/me/authenticators/totp', signedIn(200)),
  {
    method: 'POST',
    route: 'v1.0/me/authenticators/totp',
    note: 'enrol, fresh MFA',
    expect: signedIn(201),
    request: () => ({ path: api('v1.0/me/authenticators/totp') }),
  },
  {
    method: 'POST',
    route: 'v1.0/me/authenticators/totp/confirm',
    note: 'a wrong code',
    expect: signedIn(400),
    request: () => ({ path: api('v1.0/me/authenticators/totp/confirm'), body: { otp: '000000' } }),
  },
  {
    method: 'DELETE',
    route: 'v1.0/me/authenticators/totp',
    note: 'fresh MFA',
    expect: signedIn(204),
    request: () => ({ path: api('v1.0/me/authenticators/totp') }),
  },
  {
    method: 'POST',
    route: 'v1.0/access/check',
    note: 'own access',
    expect: signedIn(200),
    request: () => ({
      path: api('v1.0/access/check'),
      body: { action: 'microsoft.directory/users/read', scope: '/' },
    }),
  },
  {
    method: 'POST',
    route: 'v1.0/access/check',
    note: "Alex's access",
    expect: { ...readers(200), requester: 200 },
    request: () => ({
      path: api('v1.0/access/check'),
      body: { principalId: DEMO_USERS.alex.id, action: 'microsoft.directory/users/read', scope: '/' },
    }),
  },

  // Directory roles
  get(`${ROLE}/roleDefinitions`, signedIn(200)),
  {
    method: 'POST',
    route: `${ROLE}/roleDefinitions`,
    expect: adminOnly(201),
    request: () => ({
      path: api(`${ROLE}/roleDefinitions`),
      body: {
        displayName: `Matrix ${randomUUID()}`,
        rolePermissions: [{ allowedResourceActions: ['microsoft.directory/matrix/read'] }],
      },
    }),
  },
  get(
    `${ROLE}/roleDefinitions/{id}`,
    signedIn(200),
    'Security Reader',
    api(`${ROLE}/roleDefinitions/${BuiltInRoleId.securityReader}`),
  ),
  {
    method: 'PATCH',
    route: `${ROLE}/roleDefinitions/{id}`,
    note: 'a custom role',
    expect: adminOnly(200),
    request: (ctx, persona) => ({
      path: api(`${ROLE}/roleDefinitions/${ctx.fx.eligibleRole}`),
      body: { description: `edited by ${persona}` },
    }),
  },
  {
    method: 'DELETE',
    route: `${ROLE}/roleDefinitions/{id}`,
    note: 'an unassigned custom role',
    expect: adminOnly(204),
    request: async (ctx) => ({ path: api(`${ROLE}/roleDefinitions/${await ctx.newRole()}`) }),
  },
  ...eligibilityRequestRows('role'),
  ...activationRows('role'),
  ...approvalRows('role'),
  ...scheduleRows(ROLE, [
    'roleEligibilitySchedules',
    'roleEligibilityScheduleInstances',
    'roleAssignmentSchedules',
    'roleAssignmentScheduleInstances',
  ]),

  // Users
  get('v1.0/users', signedIn(200)),
  {
    method: 'POST',
    route: 'v1.0/users',
    expect: adminOnly(201),
    note: 'register a new person',
    request: () => {
      const id = randomUUID();
      return {
        path: api('v1.0/users'),
        body: { id, displayName: 'Matrix user', userPrincipalName: `${id}@contoso.example` },
      };
    },
  },
  {
    method: 'GET',
    route: 'v1.0/users/{id}',
    expect: signedIn(200),
    note: 'Alex',
    request: () => ({ path: api(`v1.0/users/${userId('requester')}`) }),
  },

  // Groups and privileged access groups
  get('v1.0/groups', signedIn(200)),
  {
    method: 'POST',
    route: 'v1.0/groups',
    expect: adminOnly(201),
    request: () => ({
      path: api('v1.0/groups'),
      body: { displayName: `Matrix ${randomUUID()}`, isAssignableToRole: true },
    }),
  },
  {
    method: 'GET',
    route: 'v1.0/groups/{id}',
    expect: signedIn(200),
    request: (ctx) => ({ path: api(`v1.0/groups/${ctx.fx.group}`) }),
  },
  {
    method: 'GET',
    route: 'v1.0/groups/{id}/members',
    expect: signedIn(200),
    request: (ctx) => ({ path: api(`v1.0/groups/${ctx.fx.group}/members`) }),
  },
  {
    method: 'POST',
    route: 'v1.0/groups/{id}/members',
    note: 'a new member',
    expect: adminOnly(201),
    request: (ctx) => ({
      path: api(`v1.0/groups/${ctx.fx.group}/members`),
      body: { memberId: randomUUID() },
    }),
  },
  {
    method: 'DELETE',
    route: 'v1.0/groups/{id}/members/{memberId}',
    expect: adminOnly(204),
    request: async (ctx) => ({ path: api(`v1.0/groups/${ctx.fx.group}/members/${await ctx.newMember()}`) }),
  },
  ...eligibilityRequestRows('group'),
  ...activationRows('group'),
  ...approvalRows('group'),
  ...scheduleRows(GROUP, [
    'eligibilitySchedules',
    'eligibilityScheduleInstances',
    'assignmentSchedules',
    'assignmentScheduleInstances',
  ]),

  // Policies
  get(
    'v1.0/policies/roleManagementPolicies',
    signedIn(200),
    "scopeId eq '/' and scopeType eq 'DirectoryRole'",
    `${api('v1.0/policies/roleManagementPolicies')}${q("scopeId eq '/' and scopeType eq 'DirectoryRole'")}`,
  ),
  {
    method: 'GET',
    route: 'v1.0/policies/roleManagementPolicies/{id}',
    expect: signedIn(200),
    request: (ctx) => ({
      path: api(`v1.0/policies/roleManagementPolicies/DirectoryRole_${ctx.fx.eligibleRole}`),
    }),
  },
  {
    method: 'GET',
    route: 'v1.0/policies/roleManagementPolicies/{id}/rules',
    expect: signedIn(200),
    request: (ctx) => ({
      path: api(`v1.0/policies/roleManagementPolicies/DirectoryRole_${ctx.fx.eligibleRole}/rules`),
    }),
  },
  {
    method: 'GET',
    route: 'v1.0/policies/roleManagementPolicies/{id}/rules/{ruleId}',
    expect: signedIn(200),
    request: (ctx) => ({
      path: api(
        `v1.0/policies/roleManagementPolicies/DirectoryRole_${ctx.fx.eligibleRole}/rules/Expiration_EndUser_Assignment`,
      ),
    }),
  },
  {
    method: 'PATCH',
    route: 'v1.0/policies/roleManagementPolicies/{id}/rules/{ruleId}',
    note: 'Expiration_EndUser_Assignment',
    expect: adminOnly(200),
    request: (ctx) => ({
      path: api(
        `v1.0/policies/roleManagementPolicies/DirectoryRole_${ctx.fx.eligibleRole}/rules/Expiration_EndUser_Assignment`,
      ),
      body: { maximumDuration: 'PT4H' },
    }),
  },
  get(
    'v1.0/policies/roleManagementPolicyAssignments',
    signedIn(200),
    "scopeId eq '/' and scopeType eq 'DirectoryRole'",
    `${api('v1.0/policies/roleManagementPolicyAssignments')}${q("scopeId eq '/' and scopeType eq 'DirectoryRole'")}`,
  ),

  // Notifications, approvals from outside the portal, grant connectors
  ...notificationRows(),
  ...accessReviewRows(),
  ...adminChangeRows(),

  // PIM alerts (roleManagementAlerts): readers read, admins act
  ...alertRows(),

  // Audit
  get('v1.0/auditLogs/directoryAudits', readers(200)),
  {
    method: 'GET',
    route: 'v1.0/auditLogs/directoryAudits/{id}',
    expect: readers(200),
    request: (ctx) => ({ path: api(`v1.0/auditLogs/directoryAudits/${ctx.fx.auditId}`) }),
  },
  get(`v1.0/auditLogs/directoryAudits/filterByCurrentUser(on='initiator')`, signedIn(200)),
  get(`v1.0/auditLogs/directoryAudits/filterByCurrentUser(on='target')`, signedIn(200)),
  get(
    'v1.0/auditLogs/directoryAudits/export',
    readers(200),
    'format=jsonl',
    `${api('v1.0/auditLogs/directoryAudits/export')}?format=jsonl`,
  ),
  get('v1.0/auditLogs/verify', readers(200)),

  // The portal (functions/portal.ts): its sign-in settings, and its pages at the site's root
  get('portal/config', all(200), "the portal's sign-in settings"),
  {
    method: 'GET',
    route: '{*path}',
    outsideApi: true,
    note: 'the portal: a client-side route answers index.html',
    expect: all(200),
    request: () => ({ path: '/approvals' }),
  },
  {
    method: 'GET',
    route: '{*path}',
    outsideApi: true,
    note: "a path under api/ that no API function serves: the API's 404",
    expect: all(404),
    request: () => ({ path: api('v1.0/noSuchResource') }),
  },
  ...(['POST', 'PUT', 'PATCH', 'DELETE'] as const).map(
    (method): MatrixRow => ({
      method,
      route: '{*path}',
      outsideApi: true,
      note: "a write to a path under api/ that no API function serves: the API's 404",
      expect: all(404),
      request: () => ({ path: api('v1.0/noSuchResource'), body: method === 'DELETE' ? undefined : {} }),
    }),
  ),
  {
    method: 'POST',
    route: '{*path}',
    outsideApi: true,
    note: 'a write to a portal page: 405',
    expect: all(405),
    request: () => ({ path: '/approvals', body: {} }),
  },
];

/** The route as the app registers it: API routes under api/, the portal's as they are. */
export function registeredRoute(row: MatrixRow): string {
  return row.outsideApi ? row.route : `api/${row.route}`;
}

/** `GET /api/v1.0/groups/{id}` and its note, as the README names a row. */
export function rowLabel(row: MatrixRow): string {
  const note = row.note ? ` (${row.note.replace(/\|/g, '\\|')})` : '';
  return `\`${row.method} /${registeredRoute(row)}\`${note}`;
}

/** The README's table. */
export function renderMatrix(rows: readonly MatrixRow[] = MATRIX): string {
  const head = `| endpoint | ${PERSONAS.map((p) => HEADINGS[p]).join(' | ')} |`;
  const rule = `|---|${PERSONAS.map(() => '---').join('|')}|`;
  const body = rows.map((r) => `| ${rowLabel(r)} | ${PERSONAS.map((p) => r.expect[p]).join(' | ')} |`);
  return [head, rule, ...body].join('\n');
}
