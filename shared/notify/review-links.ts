// Review links in reviewers' mails: a JWT (HS256, the approval links' key) bound to the reviewer and
// one review instance, valid until the instance ends. Opening it shows the reviewer's decisions;
// each decision posted through it is recorded as the reviewer's, under the same rules as the API.
import { errors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { settings } from '../config';
import { LinkError, LinksNotConfiguredError, linkKey } from './approval-links';

const ISSUER = 'jit-access';
const AUDIENCE = 'review-link';

export interface ReviewLinkClaims {
  reviewerId: string;
  definitionId: string;
  instanceId: string;
}

export async function mintReviewToken(claims: ReviewLinkClaims, now: Date, expires: Date): Promise<string> {
  return new SignJWT({ def: claims.definitionId, ins: claims.instanceId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(claims.reviewerId)
    .setIssuedAt(Math.floor(now.getTime() / 1000))
    .setExpirationTime(Math.floor(expires.getTime() / 1000))
    .sign(linkKey());
}

const Payload = z.object({ sub: z.guid(), def: z.guid(), ins: z.guid() });

export async function verifyReviewToken(token: string, now: Date): Promise<ReviewLinkClaims> {
  if (token.length > 2048) throw new LinkError('invalid');
  try {
    const { payload } = await jwtVerify(token, linkKey(), {
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
      currentDate: now,
      requiredClaims: ['exp', 'sub'],
    });
    const p = Payload.parse(payload);
    return { reviewerId: p.sub.toLowerCase(), definitionId: p.def, instanceId: p.ins };
  } catch (err) {
    if (err instanceof LinksNotConfiguredError) throw err;
    throw new LinkError(err instanceof errors.JWTExpired ? 'expired' : 'invalid');
  }
}

export function reviewLinkUrl(token: string): string {
  return `${settings().PUBLIC_BASE_URL.replace(/\/+$/, '')}/api/v1.0/accessReviewLinks/${token}`;
}
