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
  // The storage account: a connection string, or identity-based (shared/storage/connection.ts).
  AzureWebJobsStorage: z.string().optional(),
  AzureWebJobsStorage__accountName: z
    .string()
    .regex(/^[a-z0-9]{3,24}$/)
    .optional(),
  AzureWebJobsStorage__tableServiceUri: z.url().optional(),
  AzureWebJobsStorage__clientId: z.string().optional(),
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
  // The portal's sign-in (functions/portal.ts, GET /api/portal/config): its own Entra app registration
  // (a SPA with redirect URI <site>/), the tenant's authority and the API scope it asks for. Without a
  // client id the portal offers only the dev issuer's "sign in as" (when that is on).
  PORTAL_CLIENT_ID: z.string().optional(),
  PORTAL_AUTHORITY: z.url().optional(),
  PORTAL_API_SCOPE: z.string().optional(),
  // Only behind App Service Authentication, which strips this header from outside requests.
  TRUST_APP_SERVICE_AUTH: z.stringbool().default(false),
  BOOTSTRAP_ADMIN_IDS: commaList()
    .pipe(z.array(z.guid('BOOTSTRAP_ADMIN_IDS must be object ids (GUIDs)')))
    .transform((ids) => ids.map((id) => id.toLowerCase())),
  // Notifications (shared/notify). Mail goes out only when SMTP_HOST is set; links in mails start
  // with PUBLIC_BASE_URL. SMTP_SECURE = TLS from the first byte (port 465); otherwise STARTTLS is
  // used when offered and required with SMTP_REQUIRE_TLS.
  PUBLIC_BASE_URL: z.url().default('http://localhost:7071'),
  SMTP_HOST: z.string().optional(),
  SMTP_PORT: z.coerce.number().int().min(1).max(65535).default(587),
  SMTP_SECURE: z.stringbool().default(false),
  SMTP_REQUIRE_TLS: z.stringbool().default(false),
  SMTP_TLS_REJECT_UNAUTHORIZED: z.stringbool().default(true),
  SMTP_USER: z.string().optional(),
  SMTP_PASSWORD: z.string().optional(),
  MAIL_FROM: z.string().default('JIT Access <pim-noreply@localhost>'),
  // Who gets the admins' mails (activations, connector alerts); else the bootstrap admins' addresses.
  NOTIFY_ADMIN_EMAILS: commaList(),
  // Approval links: HMAC key (base64 of >= 32 bytes) and lifetime (never past the approval's expiry).
  APPROVAL_LINK_KEY: z.string().optional(),
  APPROVAL_LINK_TTL_MINUTES: z.coerce.number().int().min(1).default(1440),
  // Chat tools deciding approvals: `name:secret` pairs, comma-separated (secrets of >= 16 characters).
  APPROVAL_WEBHOOK_SECRETS: commaList().pipe(
    z.array(
      z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,64}:\S{16,}$/, 'entries must be name:secret (secret of 16+ characters)'),
    ),
  ),
  // Seals the secrets of subscriptions and connectors at rest (base64 of exactly 32 bytes).
  NOTIFY_ENCRYPTION_KEY: z.string().optional(),
  // Outgoing webhooks and grant connectors: per-attempt timeout, durable retries, plain http allowed.
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  WEBHOOK_RETRY_FIRST_MS: z.coerce.number().int().min(10).default(5_000),
  WEBHOOK_RETRY_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(6),
  WEBHOOK_ALLOW_HTTP: z.stringbool().default(false),
  // Cloud grant connectors (shared/cloud): where Microsoft Graph and Azure Resource Manager are (tests
  // point them at local fakes) and, for a user-assigned managed identity, its client id. Credentials
  // come from @azure/identity (managed identity in Azure; AZURE_TENANT_ID + AZURE_CLIENT_ID +
  // AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH elsewhere), never from a row.
  GRAPH_BASE_URL: z.url().default('https://graph.microsoft.com/v1.0'),
  ARM_BASE_URL: z.url().default('https://management.azure.com'),
  AZURE_CLIENT_ID: z.string().optional(),
  // PIM alerts (shared/alerts): when the timer evaluates them, six-field NCRONTAB (default: hourly).
  ALERTS_EVALUATION_SCHEDULE: z
    .string()
    .regex(/^\S+( \S+){5}$|^\d{1,2}:\d{2}:\d{2}$/, 'a six-field NCRONTAB expression or a TimeSpan')
    .default('0 0 * * * *'),
  // The outbox (shared/audit/outbox.ts): at startup, commits older than this whose publication a
  // crash interrupted are finished (0 where this host is the only writer, e.g. a test after kill -9).
  OUTBOX_STARTUP_GRACE_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
  // Audit trail (shared/audit): days kept (absent = forever) and the seals' HMAC key (base64 of >= 32 bytes).
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).optional(),
  AUDIT_SEAL_KEY: z
    .string()
    .refine(
      (v) => Buffer.from(v, 'base64').length >= 32,
      'AUDIT_SEAL_KEY must be base64 of at least 32 bytes',
    )
    .optional(),
});

/** Every app setting the code reads (the deployment template sets each: test/unit/infra.test.ts). */
export const SETTING_NAMES = Object.keys(Settings.shape) as (keyof typeof Settings.shape)[];

/** The settings that hold secrets: in Azure each is a Key Vault reference, never a value. */
export const SECRET_SETTINGS = [
  'MFA_ENCRYPTION_KEY',
  'SMTP_PASSWORD',
  'APPROVAL_LINK_KEY',
  'APPROVAL_WEBHOOK_SECRETS',
  'NOTIFY_ENCRYPTION_KEY',
  'AUDIT_SEAL_KEY',
] as const satisfies readonly (keyof typeof Settings.shape)[];

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

function checkStorage(
  s: {
    AzureWebJobsStorage?: string;
    AzureWebJobsStorage__accountName?: string;
    AzureWebJobsStorage__tableServiceUri?: string;
  },
  ctx: z.RefinementCtx,
): void {
  if (
    !s.AzureWebJobsStorage?.trim() &&
    !s.AzureWebJobsStorage__accountName &&
    !s.AzureWebJobsStorage__tableServiceUri
  ) {
    ctx.addIssue({
      code: 'custom',
      path: ['AzureWebJobsStorage'],
      message:
        'AzureWebJobsStorage must name a storage account (a connection string, or AzureWebJobsStorage__accountName)',
    });
  }
}

function parse<S extends z.ZodType>(schema: S): z.output<S> {
  // An app setting left blank (a template's optional parameter, say) means "not set".
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([, v]) => v !== undefined && v.trim() !== ''),
  );
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid settings: ${problems}`);
  }
  return parsed.data;
}

let cached: Settings | undefined;
let cachedAuth: AuthSettings | undefined;

export function settings(): Settings {
  cached ??= parse(Settings.superRefine(checkAuth).superRefine(checkStorage));
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
