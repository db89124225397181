// Pure TOTP arithmetic with the parameters every authenticator app assumes (RFC 6238 defaults).
import { Secret, TOTP } from 'otpauth';

export const TOTP_ISSUER = 'JIT Access';
const ALGORITHM = 'SHA1';
const DIGITS = 6;
const PERIOD_SECONDS = 30;
const WINDOW_STEPS = 1; // accept the previous and next code too, for clock drift and typing time
const SECRET_BYTES = 20; // 160 bits, as RFC 4226 recommends for HMAC-SHA1

export function newTotpSecret(): Secret {
  return new Secret({ size: SECRET_BYTES });
}

export function totpFor(secret: Secret, label: string): TOTP {
  return new TOTP({
    issuer: TOTP_ISSUER,
    label,
    secret,
    algorithm: ALGORITHM,
    digits: DIGITS,
    period: PERIOD_SECONDS,
  });
}

/**
 * The time step the code belongs to, or null when it is not a valid code near `at`. Callers compare
 * the step with the last one accepted to refuse a replay of the same (or an older) code.
 */
export function matchTotpStep(secretBytes: Uint8Array, otp: string, at: Date): number | null {
  // Only plain digits reach otpauth: its length check is in UTF-16 units, not bytes.
  if (!new RegExp(`^\\d{${DIGITS}}$`).test(otp)) return null;
  const timestamp = at.getTime();
  const delta = TOTP.validate({
    token: otp,
    secret: new Secret({ buffer: Uint8Array.from(secretBytes).buffer }),
    algorithm: ALGORITHM,
    digits: DIGITS,
    period: PERIOD_SECONDS,
    timestamp,
    window: WINDOW_STEPS,
  });
  return delta === null ? null : TOTP.counter({ period: PERIOD_SECONDS, timestamp }) + delta;
}
