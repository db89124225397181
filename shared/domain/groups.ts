// Groups in Graph's group shape. Only security groups: a role-assignable group
// (`isAssignableToRole`) can hold directory roles and be managed as a privileged group in PIM.
import { z } from 'zod';

export const AccessId = z.enum(['member', 'owner']);
export type AccessId = z.infer<typeof AccessId>;

export const Group = z.object({
  id: z.string(),
  displayName: z.string(),
  description: z.string().nullable(),
  mailNickname: z.string(),
  mailEnabled: z.boolean(),
  securityEnabled: z.boolean(),
  isAssignableToRole: z.boolean(),
  createdDateTime: z.string(),
});
export type Group = z.infer<typeof Group>;

/**
 * A group as Graph v1.0 answers GET /groups without $select: its default property set. What this
 * service does not keep (mail, on-premises sync, labels) is null or empty, as for a cloud-only
 * security group in Entra.
 */
export function toGraphGroup(g: Group) {
  return {
    id: g.id,
    deletedDateTime: null,
    classification: null,
    createdDateTime: g.createdDateTime,
    description: g.description,
    displayName: g.displayName,
    expirationDateTime: null,
    groupTypes: [] as string[],
    isAssignableToRole: g.isAssignableToRole,
    mail: null,
    mailEnabled: g.mailEnabled,
    mailNickname: g.mailNickname,
    membershipRule: null,
    membershipRuleProcessingState: null,
    onPremisesDomainName: null,
    onPremisesLastSyncDateTime: null,
    onPremisesNetBiosName: null,
    onPremisesProvisioningErrors: [] as unknown[],
    onPremisesSamAccountName: null,
    onPremisesSecurityIdentifier: null,
    onPremisesSyncEnabled: null,
    preferredDataLocation: null,
    preferredLanguage: null,
    proxyAddresses: [] as string[],
    renewedDateTime: g.createdDateTime,
    resourceBehaviorOptions: [] as string[],
    resourceProvisioningOptions: [] as string[],
    securityEnabled: g.securityEnabled,
    securityIdentifier: null,
    theme: null,
    visibility: null,
  };
}

/** POST /groups. Mail-enabled groups are out of scope, so those flags may only say "security group". */
export const CreateGroupInput = z.strictObject({
  displayName: z.string().trim().min(1).max(256),
  description: z.string().max(1024).nullish(),
  mailNickname: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'Expected letters, digits, ".", "_" or "-" (at most 64).')
    .optional(),
  mailEnabled: z.literal(false).optional(),
  securityEnabled: z.literal(true).optional(),
  isAssignableToRole: z.boolean().default(false),
  groupTypes: z.array(z.never()).max(0).optional(),
  '@odata.type': z.literal('#microsoft.graph.group').optional(),
});
export type CreateGroupInput = z.infer<typeof CreateGroupInput>;

/** A nickname from the display name, as Entra suggests one: letters and digits only. */
export function defaultMailNickname(displayName: string): string {
  const nick = displayName.replace(/[^A-Za-z0-9]/g, '').slice(0, 64);
  return nick === '' ? 'group' : nick;
}
