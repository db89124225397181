// The local dev issuer (anonymous): its discovery documents, and the "sign in as" of the portal and
// `jit login`: the demo users and a token for one of them. They exist only when
// DEV_ISSUER_ENABLED=true; otherwise every one answers 404, as if there were no such issuer.
import { app, type HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { DEMO_USERS, type DemoUserKey } from '../shared/auth/demo-users';
import { DEV_KEY_ALG, devJwks, mintDevToken } from '../shared/auth/dev-issuer';
import { authSettings } from '../shared/config';
import { apiRoute } from '../shared/http/api-route';
import { notFound } from '../shared/http/errors';
import { httpHandler, json } from '../shared/http/handler';
import { readJsonBody } from '../shared/http/validation';
import { registerOperation } from '../shared/openapi/registry';

const demoUserKeys = Object.keys(DEMO_USERS) as [DemoUserKey, ...DemoUserKey[]];

const DevSignInUser = z
  .object({
    key: z.enum(demoUserKeys),
    id: z.string(),
    displayName: z.string(),
    userPrincipalName: z.string(),
    jobTitle: z.string(),
    persona: z.string(),
  })
  .meta({ id: 'devSignInUser' });

const DevTokenRequest = z
  .strictObject({
    user: z.enum(demoUserKeys),
    mfa: z.boolean().default(false),
    minutes: z.number().int().min(1).max(1440).default(60),
  })
  .meta({ id: 'devTokenRequest' });

const DevTokenResponse = z
  .object({ access_token: z.string(), token_type: z.literal('Bearer'), expires_in: z.number().int() })
  .meta({ id: 'devTokenResponse' });

for (const [path, summary] of [
  ['/dev-issuer/.well-known/jwks.json', "The dev issuer's signing keys (only with DEV_ISSUER_ENABLED=true)"],
  [
    '/dev-issuer/.well-known/openid-configuration',
    "The dev issuer's discovery document (only with DEV_ISSUER_ENABLED=true)",
  ],
] as const) {
  registerOperation({
    method: 'get',
    path,
    summary,
    tags: ['service'],
    anonymous: true,
    responses: { 200: 'The document', 404: 'The dev issuer is off' },
  });
}

registerOperation({
  method: 'get',
  path: '/dev-issuer/users',
  summary: 'The demo users one may sign in as (only with DEV_ISSUER_ENABLED=true)',
  tags: ['service'],
  anonymous: true,
  responses: {
    200: { description: 'The demo users', schema: z.object({ value: z.array(DevSignInUser) }) },
    404: 'The dev issuer is off',
  },
});

registerOperation({
  method: 'post',
  path: '/dev-issuer/token',
  summary: "A dev token for a demo user, issued at the host's clock (only with DEV_ISSUER_ENABLED=true)",
  tags: ['service'],
  anonymous: true,
  requestBody: DevTokenRequest,
  responses: {
    200: { description: 'The token', schema: DevTokenResponse },
    400: 'Not a demo user, or a lifetime outside 1..1440 minutes',
    404: 'The dev issuer is off',
    415: 'The body is not JSON',
  },
});

function requireEnabled(): void {
  if (!authSettings().DEV_ISSUER_ENABLED) throw notFound('The dev issuer is not enabled on this service.');
}

app.http('devIssuerJwks', {
  route: apiRoute('dev-issuer/.well-known/jwks.json'),
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: httpHandler(async () => {
    requireEnabled();
    return json(200, await devJwks(), { 'Cache-Control': 'public, max-age=300' });
  }),
});

app.http('devIssuerOpenIdConfiguration', {
  route: apiRoute('dev-issuer/.well-known/openid-configuration'),
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: httpHandler(async (req: HttpRequest) => {
    requireEnabled();
    return json(200, {
      issuer: authSettings().DEV_ISSUER_URL,
      jwks_uri: new URL('jwks.json', req.url).toString(),
      id_token_signing_alg_values_supported: [DEV_KEY_ALG],
      response_types_supported: ['token'],
      subject_types_supported: ['public'],
      claims_supported: ['oid', 'sub', 'tid', 'name', 'preferred_username', 'amr', 'auth_time'],
    });
  }),
});

app.http('devIssuerUsers', {
  route: apiRoute('dev-issuer/users'),
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: httpHandler(async () => {
    requireEnabled();
    return json(200, { value: Object.values(DEMO_USERS) });
  }),
});

// Anyone who can reach a host with the dev issuer on can be anyone: that is what the dev issuer is,
// and why it is never on in production (the Bicep template and the settings check keep it off).
app.http('devIssuerToken', {
  route: apiRoute('dev-issuer/token'),
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: httpHandler(async (req: HttpRequest) => {
    requireEnabled();
    const body = await readJsonBody(req, DevTokenRequest);
    const token = await mintDevToken(body.user, { mfa: body.mfa, minutes: body.minutes });
    return json(
      200,
      { access_token: token, token_type: 'Bearer', expires_in: body.minutes * 60 },
      { 'Cache-Control': 'no-store' },
    );
  }),
});
