// The authenticated caller, built from verified token claims (or App Service's principal).
import { z } from 'zod';
import { hasFreshMfa } from '../mfa/token-mfa';

export interface Caller {
  /** Object id (`oid`): the principal id used everywhere in the API. */
  id: string;
  name: string;
  /** `preferred_username` (a UPN for users). */
  username: string;
  /** Authentication methods (`amr`), e.g. ['pwd'] or ['pwd', 'mfa']. */
  amr: string[];
  /** When the user last signed in interactively (`auth_time`). */
  authTime?: Date;
  /** Tenant id (`tid`). */
  tenantId?: string;
  /** Authentication context class references (`acrs`). */
  acrs: string[];
  /** True when the sign-in proved MFA (`amr` has `mfa`) recently enough (MFA_MAX_AGE_MINUTES). */
  hasFreshMfa(now: Date): boolean;
}

// Only the claims we use; others pass through untouched. `oid` must be a GUID because it becomes a
// table key and a principal id: anything else is not a user or app of a tenant.
const Claims = z.object({
  oid: z.guid(),
  name: z.string().optional(),
  preferred_username: z.string().optional(),
  upn: z.string().optional(),
  amr: z.array(z.string()).optional(),
  auth_time: z.number().optional(),
  tid: z.string().optional(),
  acrs: z.array(z.string()).optional(),
});

/** Undefined when the claims do not identify a principal (no or malformed `oid`). */
export function callerFromClaims(claims: unknown, mfaMaxAgeMinutes: number): Caller | undefined {
  const parsed = Claims.safeParse(claims);
  if (!parsed.success) return undefined;
  const c = parsed.data;
  const username = c.preferred_username ?? c.upn ?? c.oid;
  return makeCaller(
    {
      id: c.oid.toLowerCase(),
      name: c.name ?? username,
      username,
      amr: c.amr ?? [],
      authTime: c.auth_time === undefined ? undefined : new Date(c.auth_time * 1000),
      tenantId: c.tid,
      acrs: c.acrs ?? [],
    },
    mfaMaxAgeMinutes,
  );
}

export function makeCaller(fields: Omit<Caller, 'hasFreshMfa'>, mfaMaxAgeMinutes: number): Caller {
  return {
    ...fields,
    hasFreshMfa: (now: Date) =>
      hasFreshMfa({ amr: fields.amr, authTime: fields.authTime }, now, mfaMaxAgeMinutes),
  };
}
