// Typed MFA errors. `code` is stable so the HTTP layer can map it (suggested status in brackets).

export type MfaErrorCode =
  | 'TotpAlreadyEnrolled' // 409
  | 'TotpNotEnrolled' // 404
  | 'TotpInvalidCode' // 400
  | 'TotpLocked' // 429 with Retry-After from lockedUntil
  | 'TotpConcurrencyConflict' // 409
  | 'MfaKeyNotConfigured' // 500: deployment fault, not the caller's
  | 'SecretDecryptionFailed'; // 500

export class MfaError extends Error {
  constructor(
    readonly code: MfaErrorCode,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** An active authenticator exists; it must be deleted before enrolling again. */
export class TotpAlreadyEnrolledError extends MfaError {
  constructor() {
    super(
      'TotpAlreadyEnrolled',
      'A TOTP authenticator is already active; delete it before enrolling a new one.',
    );
  }
}

/** Nothing to act on: no authenticator being enrolled (confirm). */
export class TotpNotEnrolledError extends MfaError {
  constructor() {
    super('TotpNotEnrolled', 'No TOTP authenticator is being enrolled; enrol first.');
  }
}

/** The code is malformed, wrong, or outside the accepted time window. */
export class TotpInvalidCodeError extends MfaError {
  constructor() {
    super('TotpInvalidCode', 'The verification code is not valid.');
  }
}

/** Too many consecutive failures; nothing is checked until `lockedUntil`. */
export class TotpLockedError extends MfaError {
  constructor(readonly lockedUntil: Date) {
    super('TotpLocked', `Too many failed attempts; try again after ${lockedUntil.toISOString()}.`);
  }
}

/** Optimistic concurrency kept losing (many simultaneous requests for one principal). */
export class TotpConcurrencyError extends MfaError {
  constructor() {
    super('TotpConcurrencyConflict', 'The authenticator was changed concurrently; retry the request.');
  }
}

/** MFA_ENCRYPTION_KEY is absent or malformed. */
export class MfaKeyConfigError extends MfaError {
  constructor(message: string) {
    super('MfaKeyNotConfigured', message);
  }
}

/** A sealed value failed authentication: tampered, truncated, or sealed under another key or context. */
export class SecretBoxError extends MfaError {
  constructor(message: string) {
    super('SecretDecryptionFailed', message);
  }
}
