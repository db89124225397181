// TOTP authenticators: enrol (pending) -> confirm with a first code (active) -> verify codes as MFA proof.
// Every decision is re-made on a fresh read and written with the row's ETag, so concurrent requests
// can neither spend one code twice nor lose a failed attempt.
import { now } from '../clock';
import { settings } from '../config';
import {
  TotpAlreadyEnrolledError,
  TotpConcurrencyError,
  TotpInvalidCodeError,
  TotpLockedError,
  TotpNotEnrolledError,
} from './errors';
import { type SecretBox, secretBox } from './secret-box';
import { matchTotpStep, newTotpSecret, totpFor } from './totp-code';
import {
  StaleTotpError,
  type StoredTotp,
  TOTP_TABLE,
  type TotpRecord,
  TotpRepository,
} from './totp-repository';

export interface TotpPrincipal {
  id: string;
  userPrincipalName: string;
}

export interface TotpEnrolment {
  /** For a QR code. Contains the secret: show it once, never log or store it. */
  otpauthUri: string;
  /** The same secret for manual entry. */
  secretBase32: string;
}

export type VerifyTotpResult =
  | { ok: true }
  | { ok: false; reason: 'NoAuthenticator' | 'Invalid' | 'Replayed' }
  | { ok: false; reason: 'Locked'; lockedUntil: Date };

export interface TotpPolicy {
  /** Consecutive failures that lock the authenticator. */
  maxFailures: number;
  lockoutMinutes: number;
}

export interface TotpServiceOptions {
  repository?: TotpRepository;
  /** Resolved on first use of a secret, so delete/hasActive work without a key configured. */
  box?: SecretBox;
  policy?: TotpPolicy;
}

// Each lost round means another request for the same principal won, so a few suffice.
const RACE_RETRIES = 10;

type Attempt =
  | { kind: 'locked'; lockedUntil: Date }
  | { kind: 'invalid'; lockedUntil?: Date }
  | { kind: 'replayed' }
  | { kind: 'accepted' };

export class TotpService {
  private readonly repository: TotpRepository;
  private readonly policy: TotpPolicy;
  private box: SecretBox | undefined;

  constructor(options: TotpServiceOptions = {}) {
    this.repository = options.repository ?? new TotpRepository();
    this.box = options.box;
    this.policy = options.policy ?? {
      maxFailures: settings().MFA_TOTP_MAX_FAILURES,
      lockoutMinutes: settings().MFA_TOTP_LOCKOUT_MINUTES,
    };
  }

  /** Starts (or restarts) enrolment with a new secret. An active authenticator must be deleted first. */
  async enrol(principal: TotpPrincipal, at: Date = now()): Promise<TotpEnrolment> {
    const secret = newTotpSecret();
    const record: TotpRecord = {
      state: 'pending',
      encryptedSecret: this.secrets().seal(secret.bytes, context(principal.id)),
      createdDateTime: at.toISOString(),
      failedAttempts: 0,
    };
    await this.race(async () => {
      const existing = await this.repository.get(principal.id);
      if (existing?.state === 'active') throw new TotpAlreadyEnrolledError();
      if (existing) await this.repository.replace(principal.id, record, existing.etag);
      else await this.repository.create(principal.id, record);
    });
    const label = principal.userPrincipalName || principal.id;
    return { otpauthUri: totpFor(secret, label).toString(), secretBase32: secret.base32 };
  }

  /** Activates a pending authenticator with a correct code; failures count towards the lock. */
  async confirm(principalId: string, otp: string, at: Date = now()): Promise<void> {
    const outcome = await this.race(async () => {
      const row = await this.repository.get(principalId);
      if (!row) throw new TotpNotEnrolledError();
      if (row.state === 'active') throw new TotpAlreadyEnrolledError();
      return this.attempt(row, otp, at, { state: 'active', confirmedDateTime: at.toISOString() });
    });
    if (outcome.kind === 'locked' || (outcome.kind === 'invalid' && outcome.lockedUntil)) {
      throw new TotpLockedError(outcome.lockedUntil!);
    }
    // A pending row has no used step, so 'replayed' cannot happen here.
    if (outcome.kind !== 'accepted') throw new TotpInvalidCodeError();
  }

  /** Checks a code against the active authenticator. The attempt that reaches the limit reports Locked. */
  async verify(principalId: string, otp: string, at: Date = now()): Promise<VerifyTotpResult> {
    const outcome = await this.race(async () => {
      const row = await this.repository.get(principalId);
      if (row?.state !== 'active') return undefined;
      return this.attempt(row, otp, at, {});
    });
    if (!outcome) return { ok: false, reason: 'NoAuthenticator' };
    switch (outcome.kind) {
      case 'accepted':
        return { ok: true };
      case 'replayed':
        return { ok: false, reason: 'Replayed' };
      case 'locked':
        return { ok: false, reason: 'Locked', lockedUntil: outcome.lockedUntil };
      case 'invalid':
        return outcome.lockedUntil
          ? { ok: false, reason: 'Locked', lockedUntil: outcome.lockedUntil }
          : { ok: false, reason: 'Invalid' };
    }
  }

  async delete(principalId: string): Promise<boolean> {
    return this.repository.delete(principalId);
  }

  async hasActive(principalId: string): Promise<boolean> {
    return (await this.repository.get(principalId))?.state === 'active';
  }

  // One read-decide-write round on `row`; a StaleTotpError from the write makes `race` start over.
  private async attempt(
    row: StoredTotp,
    otp: string,
    at: Date,
    onSuccess: Partial<TotpRecord>,
  ): Promise<Attempt> {
    const lockedUntil = row.lockedUntil ? new Date(row.lockedUntil) : undefined;
    // While locked nothing is checked, so guessing gains nothing and costs no writes.
    if (lockedUntil && lockedUntil > at) return { kind: 'locked', lockedUntil };

    const secret = this.secrets().open(row.encryptedSecret, context(row.principalId));
    const step = matchTotpStep(secret, otp, at);
    secret.fill(0);

    const { principalId, etag, lockedUntil: _expired, ...kept } = row;
    if (step === null) {
      const failures = row.failedAttempts + 1;
      if (failures >= this.policy.maxFailures) {
        // Reset the count with the lock, so the lock's end gives a fresh set of attempts.
        const until = new Date(at.getTime() + this.policy.lockoutMinutes * 60_000);
        await this.repository.replace(
          principalId,
          { ...kept, failedAttempts: 0, lockedUntil: until.toISOString() },
          etag,
        );
        return { kind: 'invalid', lockedUntil: until };
      }
      await this.repository.replace(principalId, { ...kept, failedAttempts: failures }, etag);
      return { kind: 'invalid' };
    }
    // A code whose step is not newer than the last accepted one was seen before (or is older than
    // one that was). Not counted as a failure: it proves the secret, and double submits are common.
    if (row.lastUsedStep !== undefined && step <= row.lastUsedStep) return { kind: 'replayed' };

    await this.repository.replace(
      principalId,
      { ...kept, ...onSuccess, failedAttempts: 0, lastUsedStep: step },
      etag,
    );
    return { kind: 'accepted' };
  }

  private async race<T>(round: () => Promise<T>): Promise<T> {
    for (let i = 0; i < RACE_RETRIES; i++) {
      try {
        return await round();
      } catch (err) {
        if (!(err instanceof StaleTotpError)) throw err;
      }
    }
    throw new TotpConcurrencyError();
  }

  private secrets(): SecretBox {
    this.box ??= secretBox();
    return this.box;
  }
}

// Authenticated with the ciphertext: a sealed secret copied to another principal's row will not open.
function context(principalId: string): string {
  return `${TOTP_TABLE}/${principalId}/totp`;
}

let shared: TotpService | undefined;

function service(): TotpService {
  shared ??= new TotpService();
  return shared;
}

export const enrolTotp = (principal: TotpPrincipal, at?: Date): Promise<TotpEnrolment> =>
  service().enrol(principal, at);
export const confirmTotp = (principalId: string, otp: string, at?: Date): Promise<void> =>
  service().confirm(principalId, otp, at);
export const verifyTotp = (principalId: string, otp: string, at?: Date): Promise<VerifyTotpResult> =>
  service().verify(principalId, otp, at);
export const deleteTotp = (principalId: string): Promise<boolean> => service().delete(principalId);
export const hasActiveTotp = (principalId: string): Promise<boolean> => service().hasActive(principalId);
