// The local dev issuer's discovery documents (anonymous). They exist only when
// DEV_ISSUER_ENABLED=true; otherwise both answer 404, as if there were no such issuer.
import { app, type HttpRequest } from '@azure/functions';
import { DEV_KEY_ALG, devJwks } from '../shared/auth/dev-issuer';
import { authSettings } from '../shared/config';
import { notFound } from '../shared/http/errors';
import { httpHandler, json } from '../shared/http/handler';
import { registerOperation } from '../shared/openapi/registry';

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

function requireEnabled(): void {
  if (!authSettings().DEV_ISSUER_ENABLED) throw notFound('The dev issuer is not enabled on this service.');
}

app.http('devIssuerJwks', {
  route: 'dev-issuer/.well-known/jwks.json',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: httpHandler(async () => {
    requireEnabled();
    return json(200, await devJwks(), { 'Cache-Control': 'public, max-age=300' });
  }),
});

app.http('devIssuerOpenIdConfiguration', {
  route: 'dev-issuer/.well-known/openid-configuration',
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
