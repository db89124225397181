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

/** What a verified token says about its subject. */
export const UserClaims = z.object({
  id: ObjectId,
  displayName: z.string().trim().min(1).max(256),
  userPrincipalName: z.string().trim().min(1).max(256),
});
export type UserClaims = z.input<typeof UserClaims>;
