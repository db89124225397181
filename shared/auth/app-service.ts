// App Service Authentication ("Easy Auth") signs users in in front of the app and passes the
// principal as base64 JSON in `x-ms-client-principal`. Trusted only with TRUST_APP_SERVICE_AUTH=true:
// App Service removes the header from outside requests, any other front end may not.
import { z } from 'zod';
import { unauthorized } from '../http/errors';
import { type Caller, callerFromClaims } from './caller';

export const CLIENT_PRINCIPAL_HEADER = 'x-ms-client-principal';

const Principal = z.object({
  claims: z.array(z.object({ typ: z.string(), val: z.string() })),
});

// App Service reports Entra claims under their long (WS-Fed) names.
const CLAIM_NAMES: Readonly<Record<string, string>> = {
  'http://schemas.microsoft.com/identity/claims/objectidentifier': 'oid',
  'http://schemas.microsoft.com/identity/claims/tenantid': 'tid',
  'http://schemas.microsoft.com/claims/authnmethodsreferences': 'amr',
};
const MULTI_VALUED = new Set(['amr', 'acrs']);

/** The caller the header names, or 401 when it is malformed or names no principal. */
export function callerFromClientPrincipal(header: string, mfaMaxAgeMinutes: number): Caller {
  let principal: z.infer<typeof Principal>;
  try {
    principal = Principal.parse(JSON.parse(Buffer.from(header, 'base64').toString('utf8')));
  } catch {
    throw unauthorized(`The ${CLIENT_PRINCIPAL_HEADER} header is malformed.`, true);
  }
  const claims: Record<string, unknown> = {};
  for (const { typ, val } of principal.claims) {
    const name = CLAIM_NAMES[typ] ?? typ;
    if (MULTI_VALUED.has(name)) claims[name] = [...((claims[name] as string[] | undefined) ?? []), val];
    else if (name === 'auth_time') claims[name] = Number(val);
    else claims[name] = val;
  }
  const caller = callerFromClaims(claims, mfaMaxAgeMinutes);
  if (!caller) throw unauthorized(`The ${CLIENT_PRINCIPAL_HEADER} header names no principal (oid).`, true);
  return caller;
}
