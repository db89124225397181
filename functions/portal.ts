// The web portal, served by the same Function App:
//   GET /api/portal/config  (anonymous) how the portal signs in: MSAL settings, and whether the dev
//                           issuer's "sign in as" is on
//   GET /{*path}            the built portal (dist/portal, `vite build`): hashed assets for a year,
//                           anything else that is not a file is a client-side route -> index.html
// The catch-all is registered without apiRoute so that it serves the site's root; the devhost and
// Functions match literal routes first, so every API route still wins. A path under api/ that no API
// function serves stays the API's Graph-style 404, never the portal's HTML.
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { authSettings, settings } from '../shared/config';
import { API_PREFIX, apiRoute } from '../shared/http/api-route';
import { HttpError, notFound } from '../shared/http/errors';
import { httpHandler, json } from '../shared/http/handler';
import { registerOperation } from '../shared/openapi/registry';
import { contentSecurityPolicy, NONCE_PLACEHOLDER, newNonce } from './portal-csp';
import { readPortalFile } from './portal-files';

const PortalConfig = z
  .object({
    devSignIn: z.boolean(),
    msal: z.object({ clientId: z.string(), authority: z.string(), apiScope: z.string() }).nullable(),
  })
  .meta({ id: 'portalConfig' });

registerOperation({
  method: 'get',
  path: '/portal/config',
  summary: "How the portal signs in: its MSAL settings, and whether the dev issuer's sign-in is on",
  tags: ['service'],
  anonymous: true,
  responses: { 200: { description: "The portal's sign-in settings", schema: PortalConfig } },
});

/** The MSAL settings, only when the portal has an app registration of its own. */
function msalConfig(): z.infer<typeof PortalConfig>['msal'] {
  const s = settings();
  if (!s.PORTAL_CLIENT_ID) return null;
  const authority = s.PORTAL_AUTHORITY ?? s.AUTH_ISSUER?.replace(/\/v2\.0\/?$/, '');
  if (!authority) return null;
  return {
    clientId: s.PORTAL_CLIENT_ID,
    authority,
    apiScope: s.PORTAL_API_SCOPE ?? `${s.AUTH_AUDIENCE[0]}/.default`,
  };
}

app.http('portalConfig', {
  route: apiRoute('portal/config'),
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: httpHandler(async () =>
    json(
      200,
      { devSignIn: authSettings().DEV_ISSUER_ENABLED, msal: msalConfig() } satisfies z.infer<
        typeof PortalConfig
      >,
      { 'Cache-Control': 'no-store' },
    ),
  ),
});

const HASHED_ASSET = /^assets\/[^/]+$/;

/** Headers every page and asset carries. */
function securityHeaders(nonce: string): Record<string, string> {
  const msal = msalConfig();
  return {
    'Content-Security-Policy': contentSecurityPolicy(
      nonce,
      msal ? new URL(msal.authority).origin : undefined,
    ),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
  };
}

async function indexPage(): Promise<HttpResponseInit> {
  const index = await readPortalFile('index.html');
  if (!index) throw notFound('The portal is not built on this host: run `npm run build`.');
  // A fresh nonce per response: the page hands it to Griffel (Fluent UI's styles), so style-src needs
  // no 'unsafe-inline'.
  const nonce = newNonce();
  return {
    status: 200,
    headers: {
      ...securityHeaders(nonce),
      'Content-Type': index.contentType,
      'Cache-Control': 'no-cache',
    },
    body: index.body.toString('utf8').replaceAll(NONCE_PLACEHOLDER, nonce),
  };
}

async function servePortal(req: HttpRequest): Promise<HttpResponseInit> {
  const path = (req.params.path ?? '').replace(/^\/+/, '');
  if (path === API_PREFIX || path.startsWith(`${API_PREFIX}/`)) {
    throw notFound(`No API resource at '/${path}'.`, 'Request_ResourceNotFound');
  }
  // The portal's pages are only read; a write to one is a 405, not a page.
  if (req.method !== 'GET') {
    throw new HttpError(
      405,
      'MethodNotAllowed',
      `The portal's pages answer GET only, not ${req.method}.`,
      [],
      {
        Allow: 'GET',
      },
    );
  }
  if (path === '' || path === 'index.html') return indexPage();
  const file = await readPortalFile(path);
  if (file) {
    return {
      status: 200,
      headers: {
        ...securityHeaders(newNonce()),
        'Content-Type': file.contentType,
        // Vite names what it emits under assets/ by content hash: a new build means new names.
        'Cache-Control': HASHED_ASSET.test(path)
          ? 'public, max-age=31536000, immutable'
          : 'public, max-age=3600',
      },
      body: file.body,
    };
  }
  // A missing asset is a 404 (a page in its place would hide the broken link); anything else is a
  // client-side route.
  if (path.startsWith('assets/') || /\.[a-z0-9]+$/i.test(path)) throw notFound(`No file at '/${path}'.`);
  return indexPage();
}

// Every method, so that a write to an unknown API path gets the API's 404 rather than the host's 405.
app.http('portal', {
  route: '{*path}',
  methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
  authLevel: 'anonymous',
  handler: httpHandler(async (req) => servePortal(req)),
});
