// `authenticate(req)`: who is calling, or a 401. Trusts the production issuer (AUTH_ISSUER +
// AUTH_JWKS_URL) and, when enabled, the local dev issuer; optionally App Service's principal header.
import type { HttpRequest } from '@azure/functions';
import { createRemoteJWKSet, errors, type JWTVerifyGetKey } from 'jose';
import { noteSignIn } from '../alerts/sign-ins';
import { now } from '../clock';
import { type AuthSettings, authSettings } from '../config';
import { serviceUnavailable, unauthorized } from '../http/errors';
import { CLIENT_PRINCIPAL_HEADER, callerFromClientPrincipal } from './app-service';
import { type Caller, callerFromClaims } from './caller';
import { devKeyDir, loadDevKeys } from './dev-issuer';
import { type TrustedIssuer, verifyToken } from './verify';

const BEARER = /^Bearer[ \t]+([A-Za-z0-9\-_.~+/]+=*)[ \t]*$/i;

export async function authenticate(req: HttpRequest): Promise<Caller> {
  const s = authSettings();
  if (s.TRUST_APP_SERVICE_AUTH) {
    const principal = req.headers.get(CLIENT_PRINCIPAL_HEADER);
    if (principal) return signedIn(callerFromClientPrincipal(principal, s.MFA_MAX_AGE_MINUTES));
  }
  const header = req.headers.get('authorization');
  if (!header) throw unauthorized('Access token is empty.');
  const token = BEARER.exec(header)?.[1];
  if (!token) throw unauthorized('The Authorization header must be "Bearer <access token>".', true);
  const issuers = trustedIssuers(s);
  if (issuers.length === 0) {
    throw unauthorized(
      'Sign-in is not configured: set AUTH_ISSUER and AUTH_JWKS_URL, or DEV_ISSUER_ENABLED.',
      true,
    );
  }
  const claims = await verifyToken(token, issuers, now());
  const caller = callerFromClaims(claims, s.MFA_MAX_AGE_MINUTES);
  if (!caller) throw unauthorized("The token has no valid 'oid' claim.", true);
  return signedIn(caller);
}

// The stale-account alert needs each principal's last authenticated call (at most a write an hour).
function signedIn(caller: Caller): Caller {
  noteSignIn(caller.id);
  return caller;
}

/** An object id from BOOTSTRAP_ADMIN_IDS: admin before (and besides) any role assignment. */
export function isBootstrapAdmin(principalId: string): boolean {
  return authSettings().BOOTSTRAP_ADMIN_IDS.includes(principalId.toLowerCase());
}

export function trustedIssuers(s: AuthSettings): TrustedIssuer[] {
  const issuers: TrustedIssuer[] = [];
  if (s.AUTH_ISSUER && s.AUTH_JWKS_URL) {
    issuers.push({ issuer: s.AUTH_ISSUER, audience: s.AUTH_AUDIENCE, keys: remoteKeys(s.AUTH_JWKS_URL) });
  }
  if (s.DEV_ISSUER_ENABLED) {
    const dir = devKeyDir(s.DEV_ISSUER_KEY_DIR);
    const keys: JWTVerifyGetKey = async (header, token) => (await loadDevKeys(dir)).keySet(header, token);
    issuers.push({ issuer: s.DEV_ISSUER_URL, audience: s.AUTH_AUDIENCE, keys });
  }
  return issuers;
}

// One key set per URL for the process: jose caches the keys and refetches on an unknown `kid`.
const remoteKeySets = new Map<string, JWTVerifyGetKey>();

function remoteKeys(url: string): JWTVerifyGetKey {
  let keys = remoteKeySets.get(url);
  if (!keys) {
    const remote = createRemoteJWKSet(new URL(url));
    keys = async (header, token) => {
      try {
        return await remote(header, token);
      } catch (err) {
        // A network failure is ours, not the caller's: 503 rather than 401 or 500.
        if (err instanceof errors.JOSEError) throw err;
        throw serviceUnavailable('The token signing keys could not be retrieved; try again later.');
      }
    };
    remoteKeySets.set(url, keys);
  }
  return keys;
}
