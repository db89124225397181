// /api/v1.0/me/authenticators/totp: the caller's own TOTP authenticator, used as an MFA step-up
// when a request's token does not prove a fresh MFA. Enrolling and removing one both require a
// token with fresh MFA: otherwise a stolen password-only session could plant its own second factor.
import { app, type HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { authenticate } from '../shared/auth/authenticate';
import type { Caller } from '../shared/auth/caller';
import { now } from '../shared/clock';
import { apiRoute } from '../shared/http/api-route';
import { badRequest, conflict, forbidden, notFound, tooManyRequests } from '../shared/http/errors';
import { addErrorMapper, httpHandler, json, noContent } from '../shared/http/handler';
import { readJsonBody } from '../shared/http/validation';
import {
  confirmTotp,
  deleteTotp,
  enrolTotp,
  hasActiveTotp,
  MfaError,
  type TotpLockedError,
} from '../shared/mfa';
import { registerOperation } from '../shared/openapi/registry';

const ROUTE = 'v1.0/me/authenticators/totp';

addErrorMapper((err) => {
  if (!(err instanceof MfaError)) return undefined;
  switch (err.code) {
    case 'TotpAlreadyEnrolled':
    case 'TotpConcurrencyConflict':
      return conflict(err.message, err.code);
    case 'TotpNotEnrolled':
      return notFound(err.message);
    case 'TotpInvalidCode':
      return badRequest(err.message, [], err.code);
    case 'TotpLocked': {
      const until = (err as TotpLockedError).lockedUntil;
      return tooManyRequests(err.message, Math.max(1, Math.ceil((until.getTime() - now().getTime()) / 1000)));
    }
    default:
      return undefined; // configuration problems stay 500s, logged
  }
});

export const OtpBody = z.strictObject({ otp: z.string().regex(/^\d{6}$/, 'A 6-digit code.') });
const Enrolment = z
  .object({ otpauthUri: z.string(), secret: z.string() })
  .meta({ id: 'totpEnrolment', description: 'Shown once; add it to an authenticator app.' });
const AuthenticatorState = z.object({ isEnabled: z.boolean() }).meta({ id: 'totpAuthenticator' });

function requireFreshMfa(caller: Caller): void {
  if (!caller.hasFreshMfa(now())) {
    throw forbidden('Sign in again with multifactor authentication to change your authenticators.');
  }
}

registerOperation({
  method: 'get',
  path: `/${ROUTE}`,
  summary: 'Whether the caller has an active TOTP authenticator',
  tags: ['me'],
  responses: { 200: { description: 'State', schema: AuthenticatorState } },
});
registerOperation({
  method: 'post',
  path: `/${ROUTE}`,
  summary: 'Enrol a TOTP authenticator (pending until confirmed); needs a token with fresh MFA',
  tags: ['me'],
  responses: {
    201: { description: 'The otpauth URI, shown once', schema: Enrolment },
    403: 'No fresh MFA',
    409: 'Already enrolled',
  },
});
registerOperation({
  method: 'post',
  path: `/${ROUTE}/confirm`,
  summary: 'Confirm the pending authenticator with a current code',
  tags: ['me'],
  requestBody: OtpBody,
  responses: { 204: 'Active', 400: 'Wrong code', 404: 'Nothing to confirm', 429: 'Locked after failures' },
});
registerOperation({
  method: 'delete',
  path: `/${ROUTE}`,
  summary: 'Remove the TOTP authenticator; needs a token with fresh MFA',
  tags: ['me'],
  responses: { 204: 'Removed', 403: 'No fresh MFA', 404: 'None enrolled' },
});

app.http('totpAuthenticator', {
  route: apiRoute(ROUTE),
  methods: ['GET', 'POST', 'DELETE'],
  authLevel: 'anonymous',
  handler: httpHandler(async (req: HttpRequest) => {
    const caller = await authenticate(req);
    if (req.method === 'GET') return json(200, { isEnabled: await hasActiveTotp(caller.id) });
    requireFreshMfa(caller);
    if (req.method === 'POST') {
      const enrolment = await enrolTotp({ id: caller.id, userPrincipalName: caller.username });
      return json(
        201,
        { otpauthUri: enrolment.otpauthUri, secret: enrolment.secretBase32 },
        { 'Cache-Control': 'no-store' },
      );
    }
    if (!(await deleteTotp(caller.id))) throw notFound('No TOTP authenticator is enrolled.');
    return noContent();
  }),
});

app.http('totpAuthenticatorConfirm', {
  route: apiRoute(`${ROUTE}/confirm`),
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: httpHandler(async (req: HttpRequest) => {
    const caller = await authenticate(req);
    const { otp } = await readJsonBody(req, OtpBody);
    await confirmTotp(caller.id, otp);
    return noContent();
  }),
});
