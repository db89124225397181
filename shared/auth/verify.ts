// Bearer JWT verification with jose. Every way a token can be wrong is a 401 with a reason the
// caller can act on; failures of ours (JWKS unreachable) are a 503, not the caller's fault.
import { decodeJwt, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { HttpError, serviceUnavailable, unauthorized } from '../http/errors';

/**
 * Asymmetric algorithms only: a symmetric (HS*) token could be "signed" with our public key, and
 * `none` is not a signature at all. jose refuses both before looking at a key.
 */
export const ALLOWED_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

/** Skew allowed between the issuer's clock and ours for exp/nbf. */
export const CLOCK_TOLERANCE_SECONDS = 60;

export interface TrustedIssuer {
  issuer: string;
  audience: string | string[];
  keys: JWTVerifyGetKey;
}

// A client sends the same token with every call for its lifetime: its signature is checked once and
// trusted for a few minutes (a key withdrawn from the issuer's JWKS stops working within them);
// its lifetime is checked on every call, so an expired token is refused to the second.
const REVERIFY_MS = 5 * 60_000;
const MAX_REMEMBERED = 10_000;
const verified = new Map<string, { payload: JWTPayload; issuer: string; at: number }>();

function withinLifetime(p: JWTPayload, now: Date): boolean {
  const t = now.getTime() / 1000;
  return (
    typeof p.exp === 'number' &&
    p.exp + CLOCK_TOLERANCE_SECONDS > t &&
    (typeof p.nbf !== 'number' || p.nbf - CLOCK_TOLERANCE_SECONDS <= t)
  );
}

/** Verifies signature, issuer, audience, exp and nbf at `now`; returns the claims or throws 401. */
export async function verifyToken(
  token: string,
  trusted: readonly TrustedIssuer[],
  now: Date,
): Promise<JWTPayload> {
  const known = verified.get(token);
  if (
    known &&
    performance.now() - known.at < REVERIFY_MS &&
    trusted.some((t) => t.issuer === known.issuer) &&
    withinLifetime(known.payload, now)
  )
    return known.payload;
  const payload = await verifyFully(token, trusted, now);
  if (verified.size >= MAX_REMEMBERED) verified.clear();
  verified.set(token, { payload, issuer: String(payload.iss), at: performance.now() });
  return payload;
}

async function verifyFully(token: string, trusted: readonly TrustedIssuer[], now: Date): Promise<JWTPayload> {
  let iss: string | undefined;
  try {
    iss = decodeJwt(token).iss;
  } catch {
    throw invalid('The access token is malformed.');
  }
  // The unverified `iss` only picks which keys to try; jwtVerify then checks it for real.
  const issuer = trusted.find((t) => t.issuer === iss);
  if (!issuer) throw invalid('The token was not issued by a trusted issuer.');
  try {
    const { payload } = await jwtVerify(token, issuer.keys, {
      issuer: issuer.issuer,
      audience: issuer.audience,
      algorithms: ALLOWED_ALGORITHMS,
      currentDate: now,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['exp'],
    });
    return payload;
  } catch (err) {
    throw toHttpError(err);
  }
}

function invalid(message: string): HttpError {
  return unauthorized(message, true);
}

function toHttpError(err: unknown): unknown {
  if (err instanceof HttpError) return err;
  if (err instanceof errors.JWTExpired) return invalid('Lifetime validation failed, the token is expired.');
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'nbf':
        return invalid('Lifetime validation failed, the token is not yet valid.');
      case 'aud':
        return invalid('The token is not meant for this service (audience).');
      case 'iss':
        return invalid('The token was not issued by a trusted issuer.');
      default:
        return invalid(
          `The token's '${err.claim}' claim is ${err.reason === 'missing' ? 'missing' : 'invalid'}.`,
        );
    }
  }
  if (err instanceof errors.JOSEAlgNotAllowed)
    return invalid('The token is not signed with an accepted algorithm.');
  if (err instanceof errors.JWSSignatureVerificationFailed) return invalid('The token signature is invalid.');
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) {
    return invalid('The token was signed with an unknown key.');
  }
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) {
    return serviceUnavailable('The token signing keys could not be retrieved; try again later.');
  }
  if (err instanceof errors.JOSEError) return invalid('The access token is malformed.');
  return err;
}
