// Approve/deny links in approvers' mails. Each holds a JWT (HS256, APPROVAL_LINK_KEY) bound to the
// approver, the approval, the step and the decision, expiring with the link's lifetime or the
// approval (whichever is first), and carrying a jti that is recorded when the link is used, so it
// decides at most once. The link is the approver's credential for that one decision, nothing else.
import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { settings } from '../config';

const ISSUER = 'jit-access';
const AUDIENCE = 'approval-link';

export interface ApprovalLinkClaims {
  approverId: string;
  approvalId: string;
  stepId: string;
  decision: 'Approve' | 'Deny';
  jti: string;
  expiresAt: Date;
}

export class LinksNotConfiguredError extends Error {}

export type LinkProblem = 'expired' | 'invalid';

export class LinkError extends Error {
  constructor(readonly problem: LinkProblem) {
    super(problem === 'expired' ? 'This approval link has expired.' : 'This approval link is not valid.');
  }
}

/** The HS256 key of every signed link (approval and review links). */
export function linkKey(): Uint8Array {
  const value = settings().APPROVAL_LINK_KEY?.trim() ?? '';
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length < 32) {
    throw new LinksNotConfiguredError('APPROVAL_LINK_KEY is not set (base64 of at least 32 random bytes).');
  }
  return new Uint8Array(bytes);
}

export function linksConfigured(): boolean {
  try {
    linkKey();
    return true;
  } catch {
    return false;
  }
}

export async function mintLinkToken(
  claims: Omit<ApprovalLinkClaims, 'jti' | 'expiresAt'>,
  now: Date,
  approvalExpires: Date,
): Promise<string> {
  const ttl = settings().APPROVAL_LINK_TTL_MINUTES * 60_000;
  const exp = Math.min(now.getTime() + ttl, approvalExpires.getTime());
  return new SignJWT({ apr: claims.approvalId, stp: claims.stepId, dec: claims.decision })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(claims.approverId)
    .setJti(randomUUID())
    .setIssuedAt(Math.floor(now.getTime() / 1000))
    .setExpirationTime(Math.floor(exp / 1000))
    .sign(linkKey());
}

const Payload = z.object({
  sub: z.guid(),
  apr: z.guid(),
  stp: z.string().min(1).max(64),
  dec: z.enum(['Approve', 'Deny']),
  jti: z.guid(),
  exp: z.number(),
});

/** Verifies signature, issuer, audience and lifetime on the app's clock (no skew: links are ours). */
export async function verifyLinkToken(token: string, now: Date): Promise<ApprovalLinkClaims> {
  if (token.length > 2048) throw new LinkError('invalid');
  try {
    const { payload } = await jwtVerify(token, linkKey(), {
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
      currentDate: now,
      requiredClaims: ['exp', 'jti', 'sub'],
    });
    const p = Payload.parse(payload);
    return {
      approverId: p.sub.toLowerCase(),
      approvalId: p.apr,
      stepId: p.stp,
      decision: p.dec,
      jti: p.jti,
      expiresAt: new Date(p.exp * 1000),
    };
  } catch (err) {
    if (err instanceof LinksNotConfiguredError) throw err;
    throw new LinkError(err instanceof errors.JWTExpired ? 'expired' : 'invalid');
  }
}

export function linkUrl(token: string): string {
  return `${settings().PUBLIC_BASE_URL.replace(/\/+$/, '')}/api/v1.0/approvalLinks/${token}`;
}
