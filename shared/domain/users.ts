// Users in Graph's user shape (the subset this service knows). They are created from token claims
// on a user's first call, so the directory knows the names of everyone it audits.
import { z } from 'zod';
import { ObjectId } from './ids';

export const User = z.object({
  id: z.string(),
  displayName: z.string(),
  userPrincipalName: z.string(),
  jobTitle: z.string().nullable().optional(),
  createdDateTime: z.string().optional(),
});
export type User = z.infer<typeof User>;

/**
 * A user as Graph returns one without $select: its default property set, with what this directory
 * does not keep (phones, names split, office) as null or [].
 */
export function toGraphUser(u: Pick<User, 'id' | 'displayName' | 'userPrincipalName' | 'jobTitle'>) {
  return {
    id: u.id,
    businessPhones: [] as string[],
    displayName: u.displayName,
    givenName: null,
    jobTitle: u.jobTitle ?? null,
    mail: null,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: null,
    surname: null,
    userPrincipalName: u.userPrincipalName,
  };
}

/** What a verified token says about its subject. */
export const UserClaims = z.object({
  id: ObjectId,
  displayName: z.string().trim().min(1).max(256),
  userPrincipalName: z.string().trim().min(1).max(256),
});
export type UserClaims = z.input<typeof UserClaims>;

/**
 * An admin registers a person before their first sign-in (to make them eligible ahead of time).
 * The id is their object id in the identity provider (the token's `oid`), so it must be given.
 */
export const CreateUserInput = z.strictObject({
  id: ObjectId,
  displayName: z.string().trim().min(1).max(256),
  // Mail goes to it: an address (alias@domain), as Entra requires of a userPrincipalName.
  userPrincipalName: z
    .string()
    .trim()
    .max(256)
    .regex(
      /^[^\s@\p{Cc}]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/u,
      {
        message: 'userPrincipalName must be an address: alias@domain (e.g. alexw@contoso.com).',
      },
    ),
  jobTitle: z.string().trim().max(128).nullish(),
});
export type CreateUserInput = z.input<typeof CreateUserInput>;
