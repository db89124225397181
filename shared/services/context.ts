// Who performs an operation, and under which correlation id. Endpoints build a user actor from the
// verified token; internal callers (demo data, timers) act as the system, which is trusted.
import { randomUUID } from 'node:crypto';
import type { Initiator } from '../audit/directory-audit';

export type Actor =
  | {
      kind: 'user';
      id: string;
      displayName: string | null;
      /** Whether the caller's sign-in proved a fresh MFA (for Enablement_Admin_* MFA rules). */
      mfa: boolean;
      /** The authentication contexts the sign-in satisfied (the token's `acrs`). */
      acrs?: string[];
    }
  | { kind: 'system'; name: string };

export interface OperationContext {
  actor: Actor;
  /** Ties the audit rows of one API call together (the request's client-request-id or request-id). */
  correlationId: string;
  /**
   * The two-person rule (shared/services/admin-changes.ts): the change is a proposal's replay, approved
   * by a second admin, or a Global Administrator's break-glass bypass. Its audit rows name both.
   */
  adminChange?: {
    proposalId: string;
    approvedBy?: { id: string; displayName: string | null };
    breakGlassJustification?: string;
  };
}

export function userContext(
  user: { id: string; displayName: string | null; mfa?: boolean; acrs?: string[] },
  correlationId: string = randomUUID(),
): OperationContext {
  return {
    actor: {
      kind: 'user',
      id: user.id.toLowerCase(),
      displayName: user.displayName,
      mfa: user.mfa ?? false,
      ...(user.acrs && user.acrs.length > 0 ? { acrs: user.acrs } : {}),
    },
    correlationId,
  };
}

export function systemContext(name: string, correlationId: string = randomUUID()): OperationContext {
  return { actor: { kind: 'system', name }, correlationId };
}

export function initiatorOf(ctx: OperationContext): Initiator {
  return ctx.actor.kind === 'user'
    ? { user: { id: ctx.actor.id, displayName: ctx.actor.displayName } }
    : { app: ctx.actor.name };
}

/** The identity recorded as a request's `createdBy`. */
export function createdByOf(ctx: OperationContext): { user: { id: string; displayName: string | null } } {
  return ctx.actor.kind === 'user'
    ? { user: { id: ctx.actor.id, displayName: ctx.actor.displayName } }
    : { user: { id: 'system', displayName: ctx.actor.name } };
}

/** System actors stand for the service itself, which has already decided; they satisfy MFA rules. */
export function actorHasMfa(ctx: OperationContext): boolean {
  return ctx.actor.kind === 'system' || ctx.actor.mfa;
}
