import { afterEach, describe, expect, it } from 'vitest';
import { isBootstrapAdmin } from '../../shared/auth/authenticate';
import { DEMO_USERS } from '../../shared/auth/demo-users';
import { authSettings, resetSettings, settings } from '../../shared/config';

const KEYS = ['AUTH_ISSUER', 'AUTH_JWKS_URL', 'AUTH_AUDIENCE', 'DEV_ISSUER_ENABLED', 'BOOTSTRAP_ADMIN_IDS'];
const saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]));

function withEnv(values: Record<string, string | undefined>): void {
  for (const k of KEYS) {
    const v = k in values ? values[k] : undefined;
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  resetSettings();
}

afterEach(() => withEnv(saved));

describe('sign-in settings', () => {
  it('defaults: dev issuer off, audience api://jit-access, no bootstrap admins', () => {
    withEnv({});
    expect(authSettings()).toMatchObject({
      DEV_ISSUER_ENABLED: false,
      DEV_ISSUER_URL: 'http://localhost:7071/api/dev-issuer',
      DEV_ISSUER_KEY_DIR: '.devkeys',
      TRUST_APP_SERVICE_AUTH: false,
      AUTH_AUDIENCE: ['api://jit-access'],
      BOOTSTRAP_ADMIN_IDS: [],
      MFA_MAX_AGE_MINUTES: 60,
    });
  });

  it('reads booleans as words ("false" is false) and lists as comma-separated', () => {
    withEnv({
      DEV_ISSUER_ENABLED: 'false',
      AUTH_AUDIENCE: 'a, b',
      BOOTSTRAP_ADMIN_IDS: ` ${DEMO_USERS.megan.id.toUpperCase()} ,`,
    });
    expect(authSettings()).toMatchObject({ DEV_ISSUER_ENABLED: false, AUTH_AUDIENCE: ['a', 'b'] });
    expect(isBootstrapAdmin(DEMO_USERS.megan.id)).toBe(true);
    expect(isBootstrapAdmin(DEMO_USERS.alex.id)).toBe(false);
    withEnv({ DEV_ISSUER_ENABLED: 'TRUE' });
    expect(authSettings().DEV_ISSUER_ENABLED).toBe(true);
  });

  it('refuses bad values at startup, in both the full and the sign-in settings', () => {
    withEnv({ BOOTSTRAP_ADMIN_IDS: 'megan' });
    expect(() => authSettings()).toThrow(/BOOTSTRAP_ADMIN_IDS/);
    withEnv({ DEV_ISSUER_ENABLED: 'maybe' });
    expect(() => settings()).toThrow(/DEV_ISSUER_ENABLED/);
    withEnv({ AUTH_ISSUER: 'https://login.microsoftonline.com/t/v2.0' });
    expect(() => authSettings()).toThrow(/AUTH_JWKS_URL: required when AUTH_ISSUER is set/);
    expect(() => settings()).toThrow(/AUTH_JWKS_URL/);
  });
});
