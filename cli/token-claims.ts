// Who a bearer token is for, read from its payload. The CLI does not verify the signature: the
// service does, on every call; this is only to remember the name and object id.
import type { SessionUser } from './session-store';

interface Claims {
  oid?: string;
  sub?: string;
  name?: string;
  preferred_username?: string;
  upn?: string;
  amr?: string[];
  exp?: number;
}

export function readClaims(token: string): Claims {
  const payload = token.split('.')[1];
  if (!payload) return {};
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Claims;
  } catch {
    return {};
  }
}

export function userFromClaims(claims: Claims): SessionUser {
  const userPrincipalName = claims.preferred_username ?? claims.upn ?? '';
  return {
    id: claims.oid ?? claims.sub ?? '',
    displayName: claims.name ?? (userPrincipalName || 'unknown user'),
    userPrincipalName,
  };
}

export const provesMfa = (claims: Claims) => claims.amr?.includes('mfa') === true;
