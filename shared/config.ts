// Settings, read and validated once. Secrets come only from here (app settings / local.settings.json).
import { z } from 'zod';

/** `a, b,c` -> ['a','b','c']; absent or blank -> []. */
const commaList = () =>
  z
    .string()
    .optional()
    .transform((s) =>
      (s ?? '')
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== ''),
    );

const Settings = z.object({
  AzureWebJobsStorage: z.string().min(1, 'AzureWebJobsStorage must name a storage account'),
  APP_VERSION: z.string().default('0.1.0'),
  // MFA (shared/mfa). The key is base64 of 32 random bytes; checked when TOTP is first used.
  MFA_ENCRYPTION_KEY: z.string().optional(),
  MFA_MAX_AGE_MINUTES: z.coerce.number().int().min(1).default(60),
  MFA_TOTP_MAX_FAILURES: z.coerce.number().int().min(1).default(5),
  MFA_TOTP_LOCKOUT_MINUTES: z.coerce.number().int().min(1).default(15),
  // Sign-in (shared/auth). Production: the tenant's Entra ID v2 issuer, e.g.
  // https://login.microsoftonline.com/<tenant>/v2.0, and its JWKS (.../discovery/v2.0/keys).
  AUTH_ISSUER: z.url().optional(),
  AUTH_JWKS_URL: z.url().optional(),
  AUTH_AUDIENCE: commaList().transform((a) => (a.length > 0 ? a : ['api://jit-access'])),
  // The local dev issuer: off unless enabled; its key pair is generated into the key dir (cwd-relative).
  DEV_ISSUER_ENABLED: z.stringbool().default(false),
  DEV_ISSUER_URL: z.url().default('http://localhost:7071/api/dev-issuer'),
  DEV_ISSUER_KEY_DIR: z.string().min(1).default('.devkeys'),
  // Only behind App Service Authentication, which strips this header from outside requests.
  TRUST_APP_SERVICE_AUTH: z.stringbool().default(false),
  BOOTSTRAP_ADMIN_IDS: commaList()
    .pipe(z.array(z.guid('BOOTSTRAP_ADMIN_IDS must be object ids (GUIDs)')))
    .transform((ids) => ids.map((id) => id.toLowerCase())),
});

const AuthSettings = Settings.pick({
  AUTH_ISSUER: true,
  AUTH_JWKS_URL: true,
  AUTH_AUDIENCE: true,
  DEV_ISSUER_ENABLED: true,
  DEV_ISSUER_URL: true,
  DEV_ISSUER_KEY_DIR: true,
  TRUST_APP_SERVICE_AUTH: true,
  BOOTSTRAP_ADMIN_IDS: true,
  MFA_MAX_AGE_MINUTES: true,
});

export type Settings = z.infer<typeof Settings>;
export type AuthSettings = z.infer<typeof AuthSettings>;

// A production issuer without its keys would reject every token; say so at startup instead.
function checkAuth(s: { AUTH_ISSUER?: string; AUTH_JWKS_URL?: string }, ctx: z.RefinementCtx): void {
  if (s.AUTH_ISSUER && !s.AUTH_JWKS_URL) {
    ctx.addIssue({ code: 'custom', path: ['AUTH_JWKS_URL'], message: 'required when AUTH_ISSUER is set' });
  }
}

function parse<S extends z.ZodType>(schema: S): z.output<S> {
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid settings: ${problems}`);
  }
  return parsed.data;
}

let cached: Settings | undefined;
let cachedAuth: AuthSettings | undefined;

export function settings(): Settings {
  cached ??= parse(Settings.superRefine(checkAuth));
  return cached;
}

/** The sign-in subset: needs no storage setting, so `npm run token` can use it on its own. */
export function authSettings(): AuthSettings {
  cachedAuth ??= parse(AuthSettings.superRefine(checkAuth));
  return cachedAuth;
}

/** Forgets parsed settings so tests can change process.env between cases. */
export function resetSettings(): void {
  cached = undefined;
  cachedAuth = undefined;
}
