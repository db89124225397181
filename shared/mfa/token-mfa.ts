// Pure check that a verified token proves a recent MFA sign-in.
//
// Only the `amr` value 'mfa' counts. Entra ID adds it whenever the session satisfied MFA, whatever the
// methods; the individual method values ('otp', 'fido', 'hwk', 'pwd', ...) describe how a factor was
// presented, and one of them alone (e.g. an emailed one-time code) need not mean two factors.

export const DEFAULT_MFA_MAX_AGE_MINUTES = 60;
/** How far auth_time may lie in the future, for clock skew between the issuer and us. */
export const MFA_CLOCK_SKEW_MINUTES = 5;

export interface TokenMfaClaims {
  amr?: readonly string[];
  /** The token's `auth_time`: a Date, or a JWT NumericDate (seconds since the epoch). */
  authTime?: Date | number;
}

/** Callers pass `settings().MFA_MAX_AGE_MINUTES` as `maxAgeMinutes`; this module stays free of settings. */
export function hasFreshMfa(
  claims: TokenMfaClaims,
  now: Date,
  maxAgeMinutes: number = DEFAULT_MFA_MAX_AGE_MINUTES,
): boolean {
  if (!Array.isArray(claims.amr) || !claims.amr.includes('mfa')) return false;
  const authMs = authTimeMs(claims.authTime);
  if (authMs === undefined) return false;
  const ageMs = now.getTime() - authMs;
  return ageMs >= -MFA_CLOCK_SKEW_MINUTES * 60_000 && ageMs <= maxAgeMinutes * 60_000;
}

function authTimeMs(authTime: Date | number | undefined): number | undefined {
  const ms =
    authTime instanceof Date ? authTime.getTime() : typeof authTime === 'number' ? authTime * 1000 : NaN;
  return Number.isFinite(ms) ? ms : undefined;
}
