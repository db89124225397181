import { describe, expect, it } from 'vitest';
import { hasFreshMfa } from '../../shared/mfa/token-mfa';

const now = new Date('2030-06-01T12:00:00Z');
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);
const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

describe('hasFreshMfa', () => {
  it('accepts a recent MFA sign-in, as a Date or a JWT NumericDate', () => {
    expect(hasFreshMfa({ amr: ['pwd', 'mfa'], authTime: minutesAgo(10) }, now)).toBe(true);
    expect(hasFreshMfa({ amr: ['mfa'], authTime: seconds(minutesAgo(10)) }, now)).toBe(true);
    expect(hasFreshMfa({ amr: ['mfa'], authTime: now }, now)).toBe(true);
  });

  it('uses 60 minutes by default and honours maxAgeMinutes, boundary included', () => {
    expect(hasFreshMfa({ amr: ['mfa'], authTime: minutesAgo(60) }, now)).toBe(true);
    expect(hasFreshMfa({ amr: ['mfa'], authTime: minutesAgo(61) }, now)).toBe(false);
    expect(hasFreshMfa({ amr: ['mfa'], authTime: minutesAgo(61) }, now, 120)).toBe(true);
    expect(hasFreshMfa({ amr: ['mfa'], authTime: minutesAgo(11) }, now, 10)).toBe(false);
  });

  it('refuses tokens without mfa in amr', () => {
    expect(hasFreshMfa({ amr: ['pwd'], authTime: now }, now)).toBe(false);
    expect(hasFreshMfa({ amr: ['otp'], authTime: now }, now)).toBe(false);
    expect(hasFreshMfa({ amr: [], authTime: now }, now)).toBe(false);
    expect(hasFreshMfa({ authTime: now }, now)).toBe(false);
    expect(hasFreshMfa({ amr: 'mfa' as unknown as string[], authTime: now }, now)).toBe(false);
  });

  it('refuses a missing or unusable auth_time', () => {
    expect(hasFreshMfa({ amr: ['mfa'] }, now)).toBe(false);
    expect(hasFreshMfa({ amr: ['mfa'], authTime: Number.NaN }, now)).toBe(false);
    expect(hasFreshMfa({ amr: ['mfa'], authTime: new Date('invalid') }, now)).toBe(false);
  });

  it('tolerates 5 minutes of clock skew into the future, no more', () => {
    expect(hasFreshMfa({ amr: ['mfa'], authTime: minutesAgo(-5) }, now)).toBe(true);
    expect(hasFreshMfa({ amr: ['mfa'], authTime: minutesAgo(-6) }, now)).toBe(false);
  });
});
