// TOTP authenticators on Azurite. Codes are generated from the returned secret at chosen instants,
// and every call gets its `at` explicitly, so lockouts are crossed without sleeping.
import { randomBytes, randomUUID } from 'node:crypto';
import { Secret, TOTP, URI } from 'otpauth';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import {
  SecretBoxError,
  TotpAlreadyEnrolledError,
  TotpInvalidCodeError,
  TotpLockedError,
  TotpNotEnrolledError,
} from '../../shared/mfa/errors';
import { TotpRepository } from '../../shared/mfa/totp-repository';
import {
  confirmTotp,
  deleteTotp,
  enrolTotp,
  hasActiveTotp,
  type TotpEnrolment,
  verifyTotp,
} from '../../shared/mfa/totp-service';

beforeAll(() => {
  process.env.AzureWebJobsStorage = inject('storageConnectionString');
  process.env.MFA_ENCRYPTION_KEY = randomBytes(32).toString('base64');
});

// Mid-step (15 s into a 30 s step), so ±seconds never cross a step boundary by accident.
const T0 = new Date(Date.UTC(2030, 0, 1, 9, 0, 15));
const t = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

function codeAt(enrolment: TotpEnrolment, at: Date): string {
  return TOTP.generate({ secret: Secret.fromBase32(enrolment.secretBase32), timestamp: at.getTime() });
}

function wrongCode(enrolment: TotpEnrolment, at: Date): string {
  const right = codeAt(enrolment, at);
  return ((Number(right) + 500_000) % 1_000_000).toString().padStart(6, '0');
}

function newPrincipal() {
  const id = randomUUID();
  return { id, userPrincipalName: `user-${id.slice(0, 8)}@contoso.example` };
}

/** Enrolled and confirmed at T0 (so T0's step is spent). */
async function activeAuthenticator() {
  const principal = newPrincipal();
  const enrolment = await enrolTotp(principal, T0);
  await confirmTotp(principal.id, codeAt(enrolment, T0), T0);
  return { principal, enrolment };
}

describe('TOTP enrolment', () => {
  it('returns an otpauth URI once and stores the secret only encrypted, pending', async () => {
    const principal = newPrincipal();
    const enrolment = await enrolTotp(principal, T0);

    const parsed = URI.parse(enrolment.otpauthUri);
    expect(parsed).toBeInstanceOf(TOTP);
    expect(parsed).toMatchObject({ issuer: 'JIT Access', label: principal.userPrincipalName });
    expect(parsed).toMatchObject({ algorithm: 'SHA1', digits: 6, period: 30 });
    expect(parsed.secret.base32).toBe(enrolment.secretBase32);

    const row = await new TotpRepository().get(principal.id);
    expect(row).toMatchObject({ state: 'pending', failedAttempts: 0, createdDateTime: T0.toISOString() });
    expect(row!.encryptedSecret).toMatch(/^v1\./);
    expect(row!.encryptedSecret).not.toContain(enrolment.secretBase32);
    expect(await hasActiveTotp(principal.id)).toBe(false);
    // A pending authenticator is no MFA proof.
    expect(await verifyTotp(principal.id, codeAt(enrolment, T0), T0)).toEqual({
      ok: false,
      reason: 'NoAuthenticator',
    });
  });

  it('activates on a correct code and refuses a wrong one', async () => {
    const principal = newPrincipal();
    const enrolment = await enrolTotp(principal, T0);

    await expect(confirmTotp(principal.id, wrongCode(enrolment, T0), T0)).rejects.toThrow(
      TotpInvalidCodeError,
    );
    await expect(confirmTotp(principal.id, 'abcdef', T0)).rejects.toMatchObject({ code: 'TotpInvalidCode' });
    expect(await hasActiveTotp(principal.id)).toBe(false);

    await confirmTotp(principal.id, codeAt(enrolment, t(20)), t(20));
    expect(await hasActiveTotp(principal.id)).toBe(true);
    expect(await new TotpRepository().get(principal.id)).toMatchObject({
      state: 'active',
      confirmedDateTime: t(20).toISOString(),
      failedAttempts: 0,
    });
    await expect(confirmTotp(principal.id, codeAt(enrolment, t(60)), t(60))).rejects.toThrow(
      TotpAlreadyEnrolledError,
    );
  });

  it('cannot confirm without an enrolment', async () => {
    await expect(confirmTotp(randomUUID(), '123456', T0)).rejects.toThrow(TotpNotEnrolledError);
  });

  it('replaces a pending enrolment but not an active one', async () => {
    const principal = newPrincipal();
    const first = await enrolTotp(principal, T0);
    const second = await enrolTotp(principal, T0);
    expect(second.secretBase32).not.toBe(first.secretBase32);
    // Probability of the two secrets sharing this code is 1e-6 per step; fine for a test.
    await expect(confirmTotp(principal.id, codeAt(first, T0), T0)).rejects.toThrow(TotpInvalidCodeError);
    await confirmTotp(principal.id, codeAt(second, T0), T0);

    await expect(enrolTotp(principal, t(60))).rejects.toMatchObject({ code: 'TotpAlreadyEnrolled' });
    expect(await deleteTotp(principal.id)).toBe(true);
    expect(await deleteTotp(principal.id)).toBe(false);
    expect(await hasActiveTotp(principal.id)).toBe(false);
    expect(await verifyTotp(principal.id, codeAt(second, t(60)), t(60))).toEqual({
      ok: false,
      reason: 'NoAuthenticator',
    });
    const third = await enrolTotp(principal, t(60));
    await confirmTotp(principal.id, codeAt(third, t(60)), t(60));
    expect(await hasActiveTotp(principal.id)).toBe(true);
  });
});

describe('TOTP verification', () => {
  it('accepts a fresh code, within one step of drift either way', async () => {
    const { principal, enrolment } = await activeAuthenticator();
    expect(await verifyTotp(principal.id, codeAt(enrolment, t(60)), t(60))).toEqual({ ok: true });
    // The next step's code, entered 30 s early (phone clock ahead).
    expect(await verifyTotp(principal.id, codeAt(enrolment, t(120)), t(90))).toEqual({ ok: true });
    // The previous step's code, entered 30 s late (phone clock behind).
    expect(await verifyTotp(principal.id, codeAt(enrolment, t(180)), t(210))).toEqual({ ok: true });
    // Two steps away is out of the window.
    expect(await verifyTotp(principal.id, codeAt(enrolment, t(300)), t(240))).toEqual({
      ok: false,
      reason: 'Invalid',
    });
  });

  it('refuses a code that was already used, including the confirmation code', async () => {
    const { principal, enrolment } = await activeAuthenticator();
    expect(await verifyTotp(principal.id, codeAt(enrolment, T0), T0)).toEqual({
      ok: false,
      reason: 'Replayed',
    });

    const code = codeAt(enrolment, t(60));
    expect(await verifyTotp(principal.id, code, t(60))).toEqual({ ok: true });
    expect(await verifyTotp(principal.id, code, t(65))).toEqual({ ok: false, reason: 'Replayed' });
    // An older code, still inside the window, is refused too.
    expect(await verifyTotp(principal.id, codeAt(enrolment, t(30)), t(65))).toEqual({
      ok: false,
      reason: 'Replayed',
    });
    // Replays are not failures: a fresh code still works.
    expect(await verifyTotp(principal.id, codeAt(enrolment, t(90)), t(90))).toEqual({ ok: true });
  });

  it('lets exactly one of several simultaneous submissions of one code through', async () => {
    const { principal, enrolment } = await activeAuthenticator();
    const code = codeAt(enrolment, t(60));
    const results = await Promise.all(Array.from({ length: 6 }, () => verifyTotp(principal.id, code, t(60))));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'Replayed')).toHaveLength(5);
  });

  it('locks for 15 minutes after 5 consecutive failures, then unlocks', async () => {
    const { principal, enrolment } = await activeAuthenticator();
    const at = t(60);
    for (let i = 0; i < 4; i++) {
      expect(await verifyTotp(principal.id, wrongCode(enrolment, at), at)).toEqual({
        ok: false,
        reason: 'Invalid',
      });
    }
    const lockedUntil = new Date(at.getTime() + 15 * 60_000);
    expect(await verifyTotp(principal.id, wrongCode(enrolment, at), at)).toEqual({
      ok: false,
      reason: 'Locked',
      lockedUntil,
    });
    // While locked even the right code is refused.
    const during = t(60 + 14 * 60);
    expect(await verifyTotp(principal.id, codeAt(enrolment, during), during)).toEqual({
      ok: false,
      reason: 'Locked',
      lockedUntil,
    });
    const end = lockedUntil;
    expect(await verifyTotp(principal.id, codeAt(enrolment, end), end)).toEqual({ ok: true });
    expect(await new TotpRepository().get(principal.id)).toMatchObject({ failedAttempts: 0 });
    expect((await new TotpRepository().get(principal.id))!.lockedUntil).toBeUndefined();
  });

  it('counts only consecutive failures: a success resets the count', async () => {
    const { principal, enrolment } = await activeAuthenticator();
    const fail = (at: Date) => verifyTotp(principal.id, wrongCode(enrolment, at), at);
    for (let i = 0; i < 4; i++) expect((await fail(t(60))).ok).toBe(false);
    expect(await verifyTotp(principal.id, codeAt(enrolment, t(60)), t(60))).toEqual({ ok: true });
    for (let i = 0; i < 4; i++) expect(await fail(t(90))).toEqual({ ok: false, reason: 'Invalid' });
  });

  it('counts simultaneous failures without losing any', async () => {
    const { principal, enrolment } = await activeAuthenticator();
    const at = t(60);
    await Promise.all(
      Array.from({ length: 5 }, () => verifyTotp(principal.id, wrongCode(enrolment, at), at)),
    );
    expect(await verifyTotp(principal.id, codeAt(enrolment, at), at)).toMatchObject({
      ok: false,
      reason: 'Locked',
    });
  });

  it('limits confirmation attempts the same way', async () => {
    const principal = newPrincipal();
    const enrolment = await enrolTotp(principal, T0);
    for (let i = 0; i < 4; i++) {
      await expect(confirmTotp(principal.id, wrongCode(enrolment, T0), T0)).rejects.toThrow(
        TotpInvalidCodeError,
      );
    }
    const locked = confirmTotp(principal.id, wrongCode(enrolment, T0), T0);
    await expect(locked).rejects.toThrow(TotpLockedError);
    await expect(locked).rejects.toMatchObject({ code: 'TotpLocked', lockedUntil: t(15 * 60) });
    await expect(confirmTotp(principal.id, codeAt(enrolment, t(60)), t(60))).rejects.toThrow(TotpLockedError);
    await confirmTotp(principal.id, codeAt(enrolment, t(15 * 60)), t(15 * 60));
    expect(await hasActiveTotp(principal.id)).toBe(true);
  });

  it('will not open a secret copied onto another principal', async () => {
    const a = await activeAuthenticator();
    const b = await activeAuthenticator();
    const repository = new TotpRepository();
    const rowA = (await repository.get(a.principal.id))!;
    const rowB = (await repository.get(b.principal.id))!;
    const { principalId: _p, etag, ...record } = rowB;
    await repository.replace(b.principal.id, { ...record, encryptedSecret: rowA.encryptedSecret }, etag);
    await expect(verifyTotp(b.principal.id, codeAt(a.enrolment, t(60)), t(60))).rejects.toThrow(
      SecretBoxError,
    );
  });
});
