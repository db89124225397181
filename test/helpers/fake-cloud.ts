// A local stand-in for the Microsoft cloud APIs the grant connectors call, on 127.0.0.1:
//   /msi/token    App Service's managed-identity endpoint (IDENTITY_ENDPOINT + IDENTITY_HEADER), as
//                 @azure/identity calls it: GET ?api-version=2019-08-01&resource=..., secret header
//   /graph/v1.0   Microsoft Graph: group members/owners $ref, directory role assignments
//   /arm          Azure Resource Manager: Microsoft.Authorization/roleAssignments
// It checks every request's method, path, body, bearer token (issued by its own /msi/token for
// that API's resource) and api-version; anything off is recorded in `problems` and answered as
// the real service would (400 with its error shape). It holds what was granted (memberships and
// assignments) so tests assert the target's state, answers with Graph's and ARM's real error
// shapes (400 "already exist", 404 on a removal, 409 RoleAssignmentExists, 403 when denied), and
// can throttle (429 with Retry-After) on demand.
import { randomUUID } from 'node:crypto';
import http from 'node:http';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const GRAPH_RESOURCE = 'https://graph.microsoft.com';
const ARM_RESOURCE = 'https://management.azure.com';
export const ARM_API_VERSION = '2022-04-01';

export interface RecordedCall {
  api: 'msi' | 'graph' | 'arm';
  method: string;
  path: string;
  status: number;
  at: number;
}

export interface DirectoryRoleAssignment {
  id: string;
  principalId: string;
  roleDefinitionId: string;
  directoryScopeId: string;
}

export interface ArmAssignment {
  scope: string;
  name: string;
  roleDefinitionId: string;
  principalId: string;
  principalType: string;
}

export interface FakeCloud {
  /** Settings that point the app at this fake. */
  env: Record<string, string>;
  calls: RecordedCall[];
  problems: string[];
  /** Entra groups: id -> member ids and owner ids. */
  groups: Map<string, { members: Set<string>; owners: Set<string> }>;
  directoryRoles: DirectoryRoleAssignment[];
  armAssignments: Map<string, ArmAssignment>;
  /** The next `count` calls to `api` answer 429 with Retry-After `seconds`. */
  throttle(api: 'graph' | 'arm', count: number, seconds: number): void;
  /** Calls to this Entra group answer 403 Authorization_RequestDenied (a missing permission). */
  deny(groupId: string): void;
  stop(): Promise<void>;
}

function graphError(status: number, code: string, message: string) {
  const date = new Date().toISOString().slice(0, 19);
  return {
    status,
    body: {
      error: {
        code,
        message,
        innerError: { date, 'request-id': randomUUID(), 'client-request-id': randomUUID() },
      },
    },
  };
}

function armError(status: number, code: string, message: string) {
  return { status, body: { error: { code, message } } };
}

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export async function startFakeCloud(): Promise<FakeCloud> {
  const identityHeader = randomUUID();
  const tokens = new Map<string, string>(); // token -> resource
  const calls: RecordedCall[] = [];
  const problems: string[] = [];
  const groups = new Map<string, { members: Set<string>; owners: Set<string> }>();
  const directoryRoles: DirectoryRoleAssignment[] = [];
  const armAssignments = new Map<string, ArmAssignment>();
  const throttles = { graph: { count: 0, seconds: 0 }, arm: { count: 0, seconds: 0 } };
  const denied = new Set<string>();
  let base = '';

  function problem(text: string): void {
    problems.push(text);
  }

  function msi(url: URL, req: http.IncomingMessage): Answer {
    if (req.method !== 'GET') problem(`msi: ${req.method}`);
    if (req.headers['x-identity-header'] !== identityHeader) {
      problem('msi: wrong or missing X-IDENTITY-HEADER');
      return { status: 400, body: { error: 'invalid_request', error_description: 'bad identity header' } };
    }
    if (url.searchParams.get('api-version') !== '2019-08-01')
      problem(`msi: api-version ${url.searchParams.get('api-version')}`);
    const resource = (url.searchParams.get('resource') ?? '').replace(/\/+$/, '');
    if (resource !== GRAPH_RESOURCE && resource !== ARM_RESOURCE) {
      problem(`msi: resource ${resource}`);
      return { status: 400, body: { error: 'invalid_resource', error_description: 'unknown resource' } };
    }
    const token = `fake-${randomUUID()}`;
    tokens.set(token, resource);
    // Managed-identity tokens live about a day (and the tests move the host's clock by hours).
    const expiresOn = Math.floor(Date.now() / 1000) + 86_400;
    return {
      status: 200,
      body: { access_token: token, expires_on: String(expiresOn), resource, token_type: 'Bearer' },
    };
  }

  function bearerFor(req: http.IncomingMessage, resource: string): boolean {
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    return !!m && tokens.get(m[1]) === resource;
  }

  function graph(method: string, path: string, url: URL, body: unknown, req: http.IncomingMessage): Answer {
    if (!bearerFor(req, GRAPH_RESOURCE)) {
      problem(`graph: ${method} ${path} without a Graph token`);
      return graphError(
        401,
        'InvalidAuthenticationToken',
        'Access token validation failure. Invalid audience.',
      );
    }
    if (throttles.graph.count > 0) {
      throttles.graph.count--;
      return {
        ...graphError(429, 'TooManyRequests', 'Too many requests.'),
        headers: { 'retry-after': String(throttles.graph.seconds) },
      };
    }
    let m = /^\/groups\/([^/]+)\/(members|owners)\/\$ref$/.exec(path);
    if (m && method === 'POST') {
      const [, groupId, relation] = m;
      const ref = (body as { '@odata.id'?: unknown } | undefined)?.['@odata.id'];
      const refMatch = typeof ref === 'string' ? /\/directoryObjects\/([^/]+)$/.exec(ref) : null;
      if (
        !refMatch ||
        !ref?.toString().startsWith(`${base}/graph/v1.0/`) ||
        Object.keys(body as object).length !== 1
      ) {
        problem(`graph: bad $ref body ${JSON.stringify(body)}`);
        return graphError(400, 'Request_BadRequest', 'Invalid object identifier.');
      }
      return addRef(groupId, relation as 'members' | 'owners', refMatch[1]);
    }
    m = /^\/groups\/([^/]+)\/(members|owners)\/([^/]+)\/\$ref$/.exec(path);
    if (m && method === 'DELETE') {
      const [, groupId, relation, principalId] = m;
      const group = groups.get(groupId.toLowerCase());
      if (denied.has(groupId.toLowerCase())) return insufficient();
      const set = group?.[relation as 'members' | 'owners'];
      if (!set?.delete(principalId.toLowerCase())) {
        return graphError(
          404,
          'Request_ResourceNotFound',
          `Resource '${principalId}' does not exist or one of its queried reference-property objects are not present.`,
        );
      }
      return { status: 204 };
    }
    if (path === '/roleManagement/directory/roleAssignments' && method === 'POST') {
      const b = body as Partial<DirectoryRoleAssignment> & { '@odata.type'?: string };
      const valid =
        GUID.test(String(b?.principalId)) &&
        GUID.test(String(b?.roleDefinitionId)) &&
        typeof b?.directoryScopeId === 'string' &&
        b.directoryScopeId.startsWith('/') &&
        (b['@odata.type'] === undefined || b['@odata.type'] === '#microsoft.graph.unifiedRoleAssignment');
      if (!valid) {
        problem(`graph: bad roleAssignment body ${JSON.stringify(body)}`);
        return graphError(
          400,
          'Request_BadRequest',
          'Invalid value specified for property of resource UnifiedRoleAssignment.',
        );
      }
      const a = b as DirectoryRoleAssignment;
      const same = directoryRoles.find(
        (r) =>
          r.principalId === a.principalId &&
          r.roleDefinitionId === a.roleDefinitionId &&
          r.directoryScopeId === a.directoryScopeId,
      );
      if (same) {
        return graphError(
          400,
          'Request_BadRequest',
          'A conflicting object with one or more of the specified property values is present in the directory.',
        );
      }
      const created = {
        id: randomUUID(),
        principalId: a.principalId,
        roleDefinitionId: a.roleDefinitionId,
        directoryScopeId: a.directoryScopeId,
      };
      directoryRoles.push(created);
      return {
        status: 201,
        body: {
          '@odata.context': `${base}/graph/v1.0/$metadata#roleManagement/directory/roleAssignments/$entity`,
          ...created,
        },
      };
    }
    if (path === '/roleManagement/directory/roleAssignments' && method === 'GET') {
      const filter = url.searchParams.get('$filter') ?? '';
      const f = /^principalId eq '([^']+)' and roleDefinitionId eq '([^']+)'$/.exec(filter);
      if (!f) {
        problem(`graph: unsupported $filter ${filter}`);
        return graphError(400, 'BadRequest', 'Invalid filter clause');
      }
      const value = directoryRoles.filter((r) => r.principalId === f[1] && r.roleDefinitionId === f[2]);
      return {
        status: 200,
        body: {
          '@odata.context': `${base}/graph/v1.0/$metadata#roleManagement/directory/roleAssignments`,
          value,
        },
      };
    }
    m = /^\/roleManagement\/directory\/roleAssignments\/([^/]+)$/.exec(path);
    if (m && method === 'DELETE') {
      const i = directoryRoles.findIndex((r) => r.id === m?.[1]);
      if (i < 0)
        return graphError(
          404,
          'Request_ResourceNotFound',
          `Resource '${m[1]}' does not exist or one of its queried reference-property objects are not present.`,
        );
      directoryRoles.splice(i, 1);
      return { status: 204 };
    }
    problem(`graph: no such route ${method} ${path}`);
    return graphError(400, 'BadRequest', `Resource not found for the segment '${path.split('/')[1]}'.`);
  }

  function insufficient(): Answer {
    return graphError(
      403,
      'Authorization_RequestDenied',
      'Insufficient privileges to complete the operation.',
    );
  }

  function addRef(groupId: string, relation: 'members' | 'owners', principalId: string): Answer {
    const group = groups.get(groupId.toLowerCase());
    if (denied.has(groupId.toLowerCase())) return insufficient();
    if (!group) {
      return graphError(
        404,
        'Request_ResourceNotFound',
        `Resource '${groupId}' does not exist or one of its queried reference-property objects are not present.`,
      );
    }
    const set = group[relation];
    if (set.has(principalId.toLowerCase())) {
      return graphError(
        400,
        'Request_BadRequest',
        `One or more added object references already exist for the following modified properties: '${relation}'.`,
      );
    }
    set.add(principalId.toLowerCase());
    return { status: 204 };
  }

  function arm(method: string, path: string, url: URL, body: unknown, req: http.IncomingMessage): Answer {
    if (!bearerFor(req, ARM_RESOURCE)) {
      problem(`arm: ${method} ${path} without an ARM token`);
      return armError(401, 'InvalidAuthenticationToken', 'The access token is invalid.');
    }
    const version = url.searchParams.get('api-version');
    if (!version) {
      problem(`arm: ${method} ${path} without api-version`);
      return armError(
        400,
        'MissingApiVersionParameter',
        'The api-version query parameter (?api-version=) is required for all requests.',
      );
    }
    if (version !== ARM_API_VERSION) problem(`arm: api-version ${version}`);
    if (throttles.arm.count > 0) {
      throttles.arm.count--;
      return {
        ...armError(
          429,
          'SubscriptionRequestsThrottled',
          'Number of requests for subscription exceeded the limit.',
        ),
        headers: { 'retry-after': String(throttles.arm.seconds) },
      };
    }
    const m =
      /^(\/subscriptions\/[^/]+(?:\/resourceGroups\/[^/]+)?)\/providers\/Microsoft\.Authorization\/roleAssignments\/([^/]+)$/.exec(
        path,
      );
    if (!m || !GUID.test(m[2])) {
      problem(`arm: no such route ${method} ${path}`);
      return armError(
        400,
        'InvalidRoleAssignmentId',
        'The role assignment ID is not valid. The role assignment ID must be a GUID.',
      );
    }
    const [, scope, name] = m;
    const key = `${scope.toLowerCase()}|${name.toLowerCase()}`;
    const id = `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;
    if (method === 'PUT') {
      const p = (body as { properties?: Partial<ArmAssignment> } | undefined)?.properties;
      const valid =
        p &&
        GUID.test(String(p.principalId)) &&
        /^(\/subscriptions\/[^/]+)?\/providers\/Microsoft\.Authorization\/roleDefinitions\/[0-9a-f-]{36}$/i.test(
          String(p.roleDefinitionId),
        ) &&
        (p.principalType === undefined ||
          ['User', 'Group', 'ServicePrincipal'].includes(String(p.principalType)));
      if (!valid) {
        problem(`arm: bad PUT body ${JSON.stringify(body)}`);
        return armError(
          400,
          'InvalidRequestContent',
          'The request content was invalid and could not be deserialized.',
        );
      }
      const exists = [...armAssignments.values()].some(
        (a) =>
          a.scope.toLowerCase() === scope.toLowerCase() &&
          a.principalId === p.principalId &&
          a.roleDefinitionId.toLowerCase() === String(p.roleDefinitionId).toLowerCase(),
      );
      if (exists) return armError(409, 'RoleAssignmentExists', 'The role assignment already exists.');
      const a: ArmAssignment = {
        scope,
        name,
        roleDefinitionId: String(p.roleDefinitionId),
        principalId: String(p.principalId),
        principalType: String(p.principalType ?? 'User'),
      };
      armAssignments.set(key, a);
      return { status: 201, body: armView(id, a) };
    }
    if (method === 'DELETE') {
      const a = armAssignments.get(key);
      if (!a) return { status: 204 };
      armAssignments.delete(key);
      return { status: 200, body: armView(id, a) };
    }
    problem(`arm: ${method} ${path}`);
    return armError(405, 'MethodNotAllowed', 'The method is not allowed.');
  }

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    try {
      for await (const c of req) chunks.push(c as Buffer);
    } catch {
      return; // the caller went away (a host killed mid-call): nothing to answer
    }
    const url = new URL(req.url ?? '/', base);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    if (text) {
      if (!String(req.headers['content-type'] ?? '').startsWith('application/json'))
        problem(`${url.pathname}: body without a JSON content type`);
      try {
        body = JSON.parse(text);
      } catch {
        problem(`${url.pathname}: body is not JSON`);
      }
    }
    const method = req.method ?? 'GET';
    let api: RecordedCall['api'];
    let answer: Answer;
    if (url.pathname === '/msi/token') {
      api = 'msi';
      answer = msi(url, req);
    } else if (url.pathname.startsWith('/graph/v1.0/')) {
      api = 'graph';
      answer = graph(method, url.pathname.slice('/graph/v1.0'.length), url, body, req);
    } else {
      api = 'arm';
      answer = url.pathname.startsWith('/arm/')
        ? arm(method, url.pathname.slice('/arm'.length), url, body, req)
        : armError(404, 'NotFound', 'Not found');
    }
    calls.push({ api, method, path: url.pathname + url.search, status: answer.status, at: Date.now() });
    res.writeHead(answer.status, {
      ...(answer.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...answer.headers,
    });
    res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  base = `http://127.0.0.1:${port}`;
  server.unref(); // stops by itself with the test process

  return {
    env: {
      GRAPH_BASE_URL: `${base}/graph/v1.0`,
      ARM_BASE_URL: `${base}/arm`,
      IDENTITY_ENDPOINT: `${base}/msi/token`,
      IDENTITY_HEADER: identityHeader,
    },
    calls,
    problems,
    groups,
    directoryRoles,
    armAssignments,
    throttle(api, count, seconds) {
      throttles[api] = { count, seconds };
    },
    deny(groupId) {
      denied.add(groupId.toLowerCase());
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function armView(id: string, a: ArmAssignment) {
  return {
    id,
    type: 'Microsoft.Authorization/roleAssignments',
    name: a.name,
    properties: {
      roleDefinitionId: a.roleDefinitionId,
      principalId: a.principalId,
      principalType: a.principalType,
      scope: a.scope,
    },
  };
}

/** A new Entra group the fake knows, with no members. */
export function addGroup(cloud: FakeCloud, id = randomUUID()): string {
  cloud.groups.set(id.toLowerCase(), { members: new Set(), owners: new Set() });
  return id;
}
