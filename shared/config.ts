// Settings, read and validated once. Secrets come only from here (app settings / local.settings.json).
import { z } from 'zod';

const Settings = z.object({
  AzureWebJobsStorage: z.string().min(1, 'AzureWebJobsStorage must name a storage account'),
  APP_VERSION: z.string().default('0.1.0'),
  // MFA (shared/mfa). The key is base64 of 32 random bytes; checked when TOTP is first used.
  MFA_ENCRYPTION_KEY: z.string().optional(),
  MFA_MAX_AGE_MINUTES: z.coerce.number().int().min(1).default(60),
  MFA_TOTP_MAX_FAILURES: z.coerce.number().int().min(1).default(5),
  MFA_TOTP_LOCKOUT_MINUTES: z.coerce.number().int().min(1).default(15),
});

export type Settings = z.infer<typeof Settings>;

let cached: Settings | undefined;

export function settings(): Settings {
  if (!cached) {
    const parsed = Settings.safeParse(process.env);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      throw new Error(`Invalid settings: ${problems}`);
    }
    cached = parsed.data;
  }
  return cached;
}
