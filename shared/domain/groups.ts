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
