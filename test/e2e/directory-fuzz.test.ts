// Fuzzing the directory endpoints over HTTP: every POST/PATCH body (malformed by construction: one
// bad field, an unknown or missing field, not an object, not JSON, a stale If-Match) and every list's
// query string. Malformed input gets a Graph 4xx, never a 5xx, and leaves every app table exactly as
// it was (each row's key and ETag compared before and after each call).
import { randomUUID } from 'node:crypto';
import { TableClient, TableServiceClient } from '@azure/data-tables';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_USERS } from '../../shared/auth/demo-users';
import { parseDuration } from '../../shared/domain/duration';
import { isObjectId } from '../../shared/domain/ids';
import { RuleODataType } from '../../shared/domain/policy';
import { SCHEDULE_REQUEST_ACTIONS } from '../../shared/domain/requests';
import { isValidScope } from '../../shared/domain/scope';
import {
  type DirectoryHost,
  GROUP_BASE,
  ROLE_BASE,
  startDirectoryHost,
  V1,
} from '../helpers/directory-client';

const PREFIX = 'DirFuzz';
const RUNS = 40;
let api: DirectoryHost;
let roleId: string;
let groupId: string;
let memberId: string;

// ---- stored state ---------------------------------------------------------------------------

let tables: string[] = [];

/** Every row of the app's tables (not the durable hub's) as key + ETag. */
// Timers keep their own bookkeeping (the eligibility feed's cursor, hourly seals) whatever the
// requests do: not part of what a refused request must leave unchanged.
const TIMER_OWNED = (name: string, partitionKey: string) =>
  name.endsWith('AuditSeals') || partitionKey === 'cursor';

async function snapshot(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const name of tables) {
    const rows: string[] = [];
    const client = TableClient.fromConnectionString(inject('storageConnectionString'), name, {
      allowInsecureConnection: true,
    });
    for await (const e of client.listEntities({ queryOptions: { select: ['PartitionKey', 'RowKey'] } })) {
      if (!TIMER_OWNED(name, String(e.partitionKey))) rows.push(`${e.partitionKey}|${e.rowKey}|${e.etag}`);
    }
    out[name] = rows.sort();
  }
  return out;
}

async function appTables(): Promise<string[]> {
  const service = TableServiceClient.fromConnectionString(inject('storageConnectionString'), {
    allowInsecureConnection: true,
  });
  const names: string[] = [];
  for await (const t of service.listTables()) {
    const name = t.name ?? '';
    if (name.startsWith(PREFIX) && !name.startsWith(`${PREFIX}Hub`)) names.push(name);
  }
  return names.sort();
}

// ---- malformed bodies -----------------------------------------------------------------------

interface Input {
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

const notJson = fc.string({ maxLength: 40 }).filter((s) => {
  try {
    JSON.parse(s);
    return false;
  } catch {
    return true;
  }
});
const notAnObject = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 20 }),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
);
/** Wrong for a string field. */
const notAString = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant({}),
  fc.array(fc.integer(), { maxLength: 2 }),
);
/** Wrong for a boolean field (null too: these fields are optional, not nullable). */
const notABoolean = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constant(null), fc.constant({}));
const notAGuid = fc.oneof(
  notAString,
  fc.constant(null),
  fc.constantFrom(
    '',
    'a/b',
    "x' or 'a' eq 'a",
    '#',
    '..',
    '00000000-0000-0000-0000-00000000000g',
    'x'.repeat(600),
  ),
  fc.string({ maxLength: 40 }).filter((s) => !isObjectId(s)),
);
const tooLong = (max: number) => fc.constant('x'.repeat(max + 1));
const notADuration = fc.oneof(
  notAString,
  fc.constantFrom('', 'PT', 'P', '8H', 'P1DT', '-PT1H', 'PT1.5.5H', 'eight hours'),
  fc.string({ maxLength: 12 }).filter((s) => parseDuration(s) === undefined),
);
const notADate = fc.oneof(
  notAString,
  fc.constantFrom('', 'tomorrow', '2030-13-01T00:00:00Z', '2030-01-01', '2030-01-01T25:00:00Z'),
  fc.string({ maxLength: 20 }).filter((s) => Number.isNaN(Date.parse(s))),
);
const staleEtag = fc.stringMatching(/^[!-~]{1,30}$/).filter((s) => s !== '*');

/**
 * Bodies that `valid` would accept but for one defect: a bad value in one field, an unknown or
 * missing field, a body that is no object or no JSON at all.
 */
function malformed(
  valid: Record<string, unknown>,
  defects: Record<string, fc.Arbitrary<unknown>>,
  options: { known: readonly string[]; required?: readonly string[] },
): fc.Arbitrary<Input> {
  const fields = Object.keys(defects);
  const badField = fc
    .constantFrom(...fields)
    .chain((k) => defects[k]!.map((v): Input => ({ body: { ...valid, [k]: v } })));
  const unknownField = fc
    .string({ minLength: 1, maxLength: 12 })
    .filter((k) => !options.known.includes(k) && k !== '__proto__')
    .map((k): Input => ({ body: { ...valid, [k]: 'surprise' } }));
  const arbitraries: fc.Arbitrary<Input>[] = [
    badField,
    badField,
    badField,
    unknownField,
    notAnObject.map((body) => ({ body })),
    notJson.map((raw) => ({ raw })),
  ];
  const required = options.required ?? [];
  if (required.length > 0) {
    arbitraries.push(
      fc.constantFrom(...required).map((k): Input => {
        const { [k]: _, ...rest } = valid;
        return { body: rest };
      }),
    );
  }
  return fc.oneof(...arbitraries);
}

async function fuzzBody(method: string, path: () => string, input: fc.Arbitrary<Input>): Promise<void> {
  let before = await snapshot();
  await fc.assert(
    fc.asyncProperty(input, async (i) => {
      const res = await api.call('megan', method, path(), {
        ...(i.raw !== undefined ? { rawBody: i.raw } : { body: i.body }),
        headers: i.headers,
      });
      const what = `${method} ${JSON.stringify(i).slice(0, 300)} -> ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
      expect(res.status, what).toBeGreaterThanOrEqual(400);
      expect(res.status, what).toBeLessThan(500);
      expect(res.body?.error?.code, what).toEqual(expect.any(String));
      const after = await snapshot();
      expect(after, `stored state changed by ${what}`).toEqual(before);
      before = after;
    }),
    { numRuns: RUNS },
  );
}

// ---- the host and its objects ---------------------------------------------------------------

beforeAll(async () => {
  api = await startDirectoryHost(PREFIX);
  const role = await api.call('megan', 'POST', `${ROLE_BASE}/roleDefinitions`, {
    body: {
      displayName: 'Fuzz role',
      rolePermissions: [{ allowedResourceActions: ['microsoft.directory/fuzz/read'] }],
    },
  });
  roleId = role.body.id;
  const group = await api.call('megan', 'POST', `${V1}/groups`, {
    body: { displayName: 'Fuzz group', isAssignableToRole: true },
  });
  groupId = group.body.id;
  memberId = randomUUID();
  await api.call('megan', 'POST', `${V1}/groups/${groupId}/members`, { body: { memberId } });
  // Every persona signs in once, so that first-call user rows exist before the snapshots.
  for (const user of ['alex', 'reader', 'other', 'adele'] as const) await api.call(user, 'GET', `${V1}/me`);
  await api.call('alex', 'GET', `${ROLE_BASE}/roleDefinitions`);
  expect([role.status, group.status]).toEqual([201, 201]);
  tables = await appTables();
  // The snapshot must cover the directory's rows and the audit log's (a table per day and kind).
  expect(tables).toEqual(expect.arrayContaining([`${PREFIX}RoleManagement`, `${PREFIX}AuditDays`]));
  expect(tables.some((t) => /^.+Audit\d{8}$/.test(t))).toBe(true);
});

afterAll(async () => {
  await api?.stop();
});

// ---- bodies ---------------------------------------------------------------------------------

const displayName = fc.oneof(notAString, fc.constant(null), fc.constantFrom('', '   ', '\t'), tooLong(256));
const permissions = fc.oneof(
  notAString,
  fc.constant(null),
  fc.constant([]),
  fc.constant(Array.from({ length: 21 }, () => ({ allowedResourceActions: ['a/b'] }))),
  fc.constant([{}]),
  fc.constant([{ allowedResourceActions: 'microsoft.directory/users/read' }]),
  fc.constant([{ allowedResourceActions: [], condition: 5 }]),
  fc
    .string({ maxLength: 20 })
    .filter((s) => !/^[A-Za-z0-9._/*-]+$/.test(s))
    .map((a) => [{ allowedResourceActions: [a] }]),
);
const ROLE_FIELDS = ['displayName', 'description', 'isEnabled', 'rolePermissions', 'templateId', 'version'];

const scheduleInfo = fc.oneof(
  notAString.filter((v) => !(typeof v === 'object' && v !== null && !Array.isArray(v))),
  fc.constantFrom(
    { startDateTime: 'yesterday' },
    { expiration: { type: 'afterDuration' } },
    { expiration: { type: 'afterDateTime' } },
    { expiration: { type: 'sometimes' } },
    { expiration: { type: 'afterDuration', duration: 'P1D', extra: 1 } },
    { recurrence: { pattern: {} } },
    // Well-formed, but ending before it starts or in the past.
    {
      startDateTime: '2031-01-02T00:00:00Z',
      expiration: { type: 'afterDateTime', endDateTime: '2031-01-01T00:00:00Z' },
    },
    { expiration: { type: 'afterDateTime', endDateTime: '2001-01-01T00:00:00Z' } },
  ),
  notADuration.map((duration) => ({ expiration: { type: 'afterDuration', duration } })),
  notADate.map((endDateTime) => ({ expiration: { type: 'afterDateTime', endDateTime } })),
  notADate.map((startDateTime) => ({ startDateTime, expiration: { type: 'noExpiration' } })),
);
const action = fc.oneof(
  notAString,
  fc.constant(null),
  fc
    .string({ maxLength: 14 })
    .filter((s) => !SCHEDULE_REQUEST_ACTIONS.some((a) => a.toLowerCase() === s.toLowerCase())),
);
const REQUEST_FIELDS = [
  'action',
  'principalId',
  'justification',
  'ticketInfo',
  'scheduleInfo',
  'isValidationOnly',
  '@odata.type',
  'customData',
  'targetScheduleId',
];
const requestDefects = {
  action,
  principalId: notAGuid,
  justification: fc.oneof(fc.integer(), fc.boolean(), fc.constant({}), tooLong(1000)),
  ticketInfo: fc.oneof(
    fc.integer(),
    fc.string({ maxLength: 5 }),
    fc.constant({ ticketNumber: 5 }),
    fc.constant({ extra: 'x' }),
    fc.constant({ ticketNumber: 'n'.repeat(257) }),
  ),
  scheduleInfo,
  isValidationOnly: notABoolean,
  customData: fc.oneof(fc.integer(), tooLong(1000)),
  targetScheduleId: fc.oneof(fc.integer(), tooLong(128)),
  '@odata.type': fc.oneof(fc.integer(), tooLong(128)),
};
const later = { expiration: { type: 'afterDuration', duration: 'P1D' } };

describe('malformed bodies: a 4xx, and nothing stored', () => {
  it('POST roleDefinitions', async () => {
    const valid = {
      displayName: 'Fuzzed role',
      rolePermissions: [{ allowedResourceActions: ['microsoft.directory/fuzz/*'] }],
    };
    await fuzzBody(
      'POST',
      () => `${ROLE_BASE}/roleDefinitions`,
      malformed(
        valid,
        {
          displayName,
          rolePermissions: permissions,
          description: fc.oneof(notAString, fc.constant(null), tooLong(1024)),
          isEnabled: notABoolean,
          templateId: fc.oneof(notAString, fc.constant(null), tooLong(64)),
          version: fc.oneof(notAString, fc.constant(null), tooLong(64)),
          '@odata.type': fc.string().filter((s) => s !== '#microsoft.graph.unifiedRoleDefinition'),
          isBuiltIn: fc.oneof(fc.constant(true), fc.string(), fc.integer()),
        },
        { known: [...ROLE_FIELDS, '@odata.type', 'isBuiltIn'], required: ['displayName', 'rolePermissions'] },
      ),
    );
  });

  it('PATCH roleDefinitions/{id}, stale If-Match included', async () => {
    const valid = { description: 'Fuzzed description' };
    await fuzzBody(
      'PATCH',
      () => `${ROLE_BASE}/roleDefinitions/${roleId}`,
      fc.oneof(
        malformed(
          valid,
          {
            displayName,
            description: fc.oneof(notAString, fc.constant(null), tooLong(1024)),
            isEnabled: notABoolean,
            rolePermissions: permissions,
            version: fc.oneof(notAString, tooLong(64)),
          },
          { known: ROLE_FIELDS.filter((f) => f !== 'templateId') },
        ),
        staleEtag.map((etag): Input => ({ body: valid, headers: { 'if-match': etag } })),
      ),
    );
  });

  it('POST groups', async () => {
    await fuzzBody(
      'POST',
      () => `${V1}/groups`,
      malformed(
        { displayName: 'Fuzzed group' },
        {
          displayName,
          description: fc.oneof(fc.integer(), fc.boolean(), fc.constant({}), tooLong(1024)),
          mailNickname: fc.oneof(
            notAString,
            fc.constant(null),
            fc.string({ maxLength: 70 }).filter((s) => !/^[A-Za-z0-9._-]{1,64}$/.test(s)),
          ),
          mailEnabled: fc.oneof(fc.constant(true), notABoolean),
          securityEnabled: fc.oneof(fc.constant(false), notABoolean),
          isAssignableToRole: notABoolean,
          groupTypes: fc.constantFrom(['Unified'], 'Unified', null, [1]),
          '@odata.type': fc.string().filter((s) => s !== '#microsoft.graph.group'),
        },
        {
          known: [
            'displayName',
            'description',
            'mailNickname',
            'mailEnabled',
            'securityEnabled',
            'isAssignableToRole',
            'groupTypes',
            '@odata.type',
          ],
          required: ['displayName'],
        },
      ),
    );
  });

  it('POST groups/{id}/members', async () => {
    const badReference = fc
      .string({ maxLength: 60 })
      .filter((s) => !isObjectId(s.split('/').filter(Boolean).pop() ?? ''))
      .map((ref): Input => ({ body: { '@odata.id': ref } }));
    await fuzzBody(
      'POST',
      () => `${V1}/groups/${groupId}/members`,
      fc.oneof(
        malformed(
          { memberId: randomUUID() },
          {
            memberId: fc.oneof(notAGuid, fc.constant(groupId), fc.constant(memberId)), // a group; already a member
            '@odata.id': fc.string({ maxLength: 20 }), // both forms at once
          },
          { known: ['memberId', '@odata.id'], required: ['memberId'] },
        ),
        badReference,
      ),
    );
  });

  for (const [name, url, target] of [
    ['POST roleEligibilityScheduleRequests', `${ROLE_BASE}/roleEligibilityScheduleRequests`, 'role'],
    [
      'POST roleAssignmentScheduleRequests (admin actions)',
      `${ROLE_BASE}/roleAssignmentScheduleRequests`,
      'role',
    ],
    ['POST group eligibilityScheduleRequests', `${GROUP_BASE}/eligibilityScheduleRequests`, 'group'],
    [
      'POST group assignmentScheduleRequests (admin actions)',
      `${GROUP_BASE}/assignmentScheduleRequests`,
      'group',
    ],
  ] as const) {
    it(name, async () => {
      const principalId = randomUUID();
      const common = { action: 'adminAssign', principalId, justification: 'fuzz', scheduleInfo: later };
      const input =
        target === 'role'
          ? malformed(
              { ...common, roleDefinitionId: roleId, directoryScopeId: '/' },
              {
                ...requestDefects,
                roleDefinitionId: fc.oneof(notAGuid, fc.uuid()), // malformed, or no such role
                directoryScopeId: fc.oneof(
                  notAString,
                  fc.constant(null),
                  fc.constantFrom('x', '/a/', '//', '/a/../b', '/./a', '/a b', '/*'),
                  fc.string({ maxLength: 20 }).filter((s) => !isValidScope(s)),
                ),
                appScopeId: fc.oneof(
                  fc.integer(),
                  fc.string({ maxLength: 10 }).filter((s) => s !== '/'),
                ),
              },
              {
                known: [...REQUEST_FIELDS, 'roleDefinitionId', 'directoryScopeId', 'appScopeId'],
                required: ['action', 'principalId', 'roleDefinitionId'],
              },
            )
          : malformed(
              { ...common, groupId, accessId: 'member' },
              {
                ...requestDefects,
                principalId: fc.oneof(notAGuid, fc.constant(groupId)), // a group cannot be a member here
                groupId: fc.oneof(notAGuid, fc.uuid()),
                accessId: fc.oneof(
                  notAString,
                  fc.string({ maxLength: 8 }).filter((s) => !['member', 'owner'].includes(s.toLowerCase())),
                ),
              },
              {
                known: [...REQUEST_FIELDS, 'groupId', 'accessId'],
                required: ['action', 'principalId', 'groupId', 'accessId'],
              },
            );
      await fuzzBody('POST', () => url, input);
    });
  }

  it('PATCH policies/.../rules/{ruleId}: expiration and approval rules, stale If-Match included', async () => {
    const policy = `${V1}/policies/roleManagementPolicies/DirectoryRole_${roleId}`;
    const expiration = { isExpirationRequired: true, maximumDuration: 'P30D' };
    await fuzzBody(
      'PATCH',
      () => `${policy}/rules/Expiration_Admin_Eligibility`,
      fc.oneof(
        malformed(
          expiration,
          {
            maximumDuration: fc.oneof(notADuration, fc.constant(null)),
            isExpirationRequired: notABoolean,
            id: fc.string({ maxLength: 30 }).filter((s) => s !== 'Expiration_Admin_Eligibility'),
            '@odata.type': fc.string().filter((s) => s !== RuleODataType.expiration),
          },
          { known: ['@odata.type', 'id', 'isExpirationRequired', 'maximumDuration', 'target'] },
        ),
        staleEtag.map((etag): Input => ({ body: expiration, headers: { 'if-match': etag } })),
      ),
    );
    const current = await api.call('megan', 'GET', policy);
    const setting = current.body.rules.find(
      (r: { id: string }) => r.id === 'Approval_EndUser_Assignment',
    ).setting;
    const stage = setting.approvalStages[0];
    const badSetting = fc.constantFrom(
      { ...setting, approvalStages: [] },
      { ...setting, approvalStages: [stage, stage, stage, stage] },
      { ...setting, approvalStages: [{ ...stage, approvalStageTimeOutInDays: 0 }] },
      { ...setting, approvalStages: [{ ...stage, approvalStageTimeOutInDays: 8 }] },
      { ...setting, isApprovalRequired: true, approvalStages: [{ ...stage, primaryApprovers: [] }] },
      {
        ...setting,
        approvalStages: [
          { ...stage, primaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: 'adele' }] },
        ],
      },
      {
        ...setting,
        approvalStages: [{ ...stage, primaryApprovers: [{ '@odata.type': '#microsoft.graph.everyone' }] }],
      },
      { ...setting, approvalMode: 'Sometimes' },
      { ...setting, isApprovalRequired: 'yes' },
      { isApprovalRequired: true },
    );
    await fuzzBody(
      'PATCH',
      () => `${policy}/rules/Approval_EndUser_Assignment`,
      fc.oneof(
        badSetting.map((s): Input => ({ body: { setting: s } })),
        staleEtag.map(
          (etag): Input => ({
            body: {
              setting: {
                ...setting,
                isApprovalRequired: true,
                approvalStages: [
                  {
                    ...stage,
                    primaryApprovers: [
                      { '@odata.type': '#microsoft.graph.singleUser', userId: DEMO_USERS.adele.id },
                    ],
                  },
                ],
              },
            },
            headers: { 'if-match': etag },
          }),
        ),
      ),
    );
  });
});

// ---- query strings and path ids -------------------------------------------------------------

const enc = encodeURIComponent;
const FILTER_PROPS = [
  'principalId',
  'roleDefinitionId',
  'groupId',
  'scopeId',
  'scopeType',
  'category',
  'correlationId',
  'activityDateTime',
  'initiatedBy/user/id',
  'displayName',
  'id',
  'targetResources/any(t:t/id',
];
const filterText = fc.oneof(
  fc.string({ minLength: 1, maxLength: 60 }),
  fc.constant('x'.repeat(2100)),
  fc
    .tuple(
      fc.constantFrom(...FILTER_PROPS),
      fc.constantFrom('eq', 'ne', 'gt', 'in', 'has', 'contains', 'startswith', 'eq eq', ''),
      fc.constantFrom(
        "'x'",
        'x',
        '1',
        'null',
        'true',
        "'a''b'",
        '(',
        "('a','b')",
        '2030-01-01T00:00:00Z',
        `'${randomUUID()}'`,
        "'",
      ),
      fc.constantFrom('', ' and', ' or x', ')', " and principalId eq 'y'"),
    )
    .map((parts) => parts.join(' ')),
);

/** Query strings that are wrong for sure (400) and ones that may parse ($filter: 200 or 400). */
const badQuery = fc.oneof(
  fc
    .oneof(
      fc.string({ maxLength: 6 }).filter((s) => !/^\d{1,4}$/.test(s) || Number(s) < 1 || Number(s) > 999),
      fc.integer({ min: 1000, max: 1_000_000 }).map(String),
    )
    .map((t) => `$top=${enc(t)}`),
  fc.string({ minLength: 1, maxLength: 40 }).map((t) => `$skiptoken=${enc(t)}`),
  fc.constantFrom('$orderby', '$expand', '$count', '$search', '$skip', '$format').map((o) => `${o}=x`),
  // $select is supported on the lists; a value that is no property name is refused all the same.
  fc.constant(`$select=${enc("a'b")}`),
  fc.constant('$top=1&$top=2'),
);

const listUrls = (): { url: string; filters: boolean }[] => [
  { url: `${ROLE_BASE}/roleDefinitions`, filters: false },
  { url: `${V1}/groups`, filters: false },
  { url: `${V1}/groups/${groupId}/members`, filters: false },
  { url: `${ROLE_BASE}/roleEligibilityScheduleRequests`, filters: true },
  { url: `${GROUP_BASE}/eligibilityScheduleRequests`, filters: true },
  ...[
    'roleEligibilitySchedules',
    'roleEligibilityScheduleInstances',
    'roleAssignmentSchedules',
    'roleAssignmentScheduleInstances',
  ].flatMap((n) => [
    { url: `${ROLE_BASE}/${n}`, filters: true },
    { url: `${ROLE_BASE}/${n}/filterByCurrentUser(on='principal')`, filters: true },
  ]),
  ...[
    'eligibilitySchedules',
    'eligibilityScheduleInstances',
    'assignmentSchedules',
    'assignmentScheduleInstances',
  ].flatMap((n) => [
    { url: `${GROUP_BASE}/${n}`, filters: true },
    { url: `${GROUP_BASE}/${n}/filterByCurrentUser(on='principal')`, filters: true },
  ]),
  { url: `${V1}/policies/roleManagementPolicies`, filters: true },
  { url: `${V1}/policies/roleManagementPolicyAssignments`, filters: true },
  { url: `${V1}/auditLogs/directoryAudits`, filters: true },
];

describe('query strings and ids: 200 or a Graph 4xx, never a 5xx', () => {
  it('every list endpoint', async () => {
    const before = await snapshot();
    for (const { url, filters } of listUrls()) {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            badQuery.map((query) => ({ query, sure: true })),
            filterText.map((f) => ({ query: `$filter=${enc(f)}`, sure: !filters })),
            fc
              .tuple(fc.stringMatching(/^[a-z]{1,6}$/), fc.string({ maxLength: 10 }))
              .map(([k, v]) => ({ query: `${k}=${enc(v)}`, sure: false })), // not an OData option: ignored
          ),
          async ({ query, sure }) => {
            const res = await api.call('megan', 'GET', `${url}?${query}`);
            const what = `GET ${url}?${query} -> ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`;
            if (sure) expect(res.status, what).toBe(400);
            else expect([200, 400], what).toContain(res.status);
            if (res.status === 400) expect(res.body.error.code, what).toEqual(expect.any(String));
          },
        ),
        { numRuns: 30 },
      );
    }
    expect(await snapshot()).toEqual(before);
  });

  it('ids in paths', async () => {
    const id = fc
      .string({ minLength: 1, maxLength: 80 })
      .filter((s) => s !== '.' && s !== '..' && !isObjectId(s))
      .map(enc);
    const before = await snapshot();
    await fc.assert(
      fc.asyncProperty(
        id,
        fc.constantFrom(
          (x: string) => ['GET', `${ROLE_BASE}/roleDefinitions/${x}`],
          (x: string) => ['PATCH', `${ROLE_BASE}/roleDefinitions/${x}`],
          (x: string) => ['DELETE', `${ROLE_BASE}/roleDefinitions/${x}`],
          (x: string) => ['GET', `${V1}/groups/${x}`],
          (x: string) => ['GET', `${V1}/groups/${x}/members`],
          (x: string) => ['POST', `${V1}/groups/${x}/members`],
          (x: string) => ['DELETE', `${V1}/groups/${groupId}/members/${x}`],
          (x: string) => ['GET', `${ROLE_BASE}/roleEligibilityScheduleRequests/${x}`],
          (x: string) => ['GET', `${GROUP_BASE}/eligibilityScheduleRequests/${x}`],
          (x: string) => ['GET', `${V1}/policies/roleManagementPolicies/${x}`],
          (x: string) => [
            'PATCH',
            `${V1}/policies/roleManagementPolicies/DirectoryRole_${roleId}/rules/${x}`,
          ],
          (x: string) => [
            'PATCH',
            `${V1}/policies/roleManagementPolicies/${x}/rules/Expiration_Admin_Eligibility`,
          ],
        ),
        async (x, route) => {
          const [method, url] = route(x) as [string, string];
          const body =
            method === 'PATCH'
              ? { description: 'x' }
              : method === 'POST'
                ? { memberId: randomUUID() }
                : undefined;
          const res = await api.call('megan', method, url, { body });
          const what = `${method} ${url} -> ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`;
          expect([400, 404, 405], what).toContain(res.status);
        },
      ),
      { numRuns: 60 },
    );
    expect(await snapshot()).toEqual(before);
  });
});
