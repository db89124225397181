// Audit rows in Graph's directoryAudit shape. Built only from what the service already knows about
// a change (who, what, which objects, justification, ticket, request id); never secrets, tokens or
// codes: `assertNoSecrets` refuses detail keys that look like them.
import { z } from 'zod';
import { idTime, timeOrderedId } from '../time-ordered-id';

export { idTime, timeOrderedId };

export const AUDIT_CATEGORIES = [
  'RoleManagement',
  'GroupManagement',
  'UserManagement',
  'Policy',
  'AccessReview',
  'Other',
] as const;
export type AuditCategory = (typeof AUDIT_CATEGORIES)[number];

export const OPERATION_TYPES = ['Add', 'Update', 'Delete', 'Assign', 'Unassign', 'Other'] as const;
export type OperationType = (typeof OPERATION_TYPES)[number];

export const AuditUser = z.object({
  id: z.string(),
  displayName: z.string().nullable(),
  userPrincipalName: z.string().nullish(),
});

export const AuditApp = z.object({ appId: z.string().nullable(), displayName: z.string() });

export const TargetResource = z.object({
  id: z.string(),
  type: z.string(),
  displayName: z.string().nullable(),
  modifiedProperties: z
    .array(
      z.object({ displayName: z.string(), oldValue: z.string().nullable(), newValue: z.string().nullable() }),
    )
    .optional(),
});
export type TargetResource = z.infer<typeof TargetResource>;

export const DirectoryAudit = z.object({
  id: z.string(),
  category: z.enum(AUDIT_CATEGORIES),
  activityDisplayName: z.string(),
  activityDateTime: z.string(),
  loggedByService: z.literal('PIM'),
  operationType: z.enum(OPERATION_TYPES),
  result: z.enum(['success', 'failure']),
  resultReason: z.string(),
  correlationId: z.string(),
  initiatedBy: z.object({ user: AuditUser.nullable(), app: AuditApp.nullable() }),
  targetResources: z.array(TargetResource),
  additionalDetails: z.array(z.object({ key: z.string(), value: z.string() })),
});
export type DirectoryAudit = z.infer<typeof DirectoryAudit>;

/** Who did it: a signed-in user, or the service itself (demo data, timers, sweeps). */
export type Initiator = { user: { id: string; displayName: string | null } } | { app: string };

export interface AuditEventInput {
  category: AuditCategory;
  activityDisplayName: string;
  operationType: OperationType;
  initiatedBy: Initiator;
  correlationId: string;
  targetResources: TargetResource[];
  /** Undefined or null values are left out. */
  details?: Record<string, string | null | undefined>;
  result?: 'success' | 'failure';
  resultReason?: string;
  at: Date;
  /** Fixed ids make an event idempotent (e.g. demo data); otherwise a new one. */
  id?: string;
}

const SECRET_LIKE = /secret|password|passcode|otp|token|apikey|privatekey|credential/i;

export function assertNoSecrets(details: Record<string, unknown>): void {
  for (const key of Object.keys(details)) {
    if (SECRET_LIKE.test(key)) throw new Error(`audit detail '${key}' looks like a secret; not recorded`);
  }
}

const MAX_DETAIL_LENGTH = 1000;

export function auditEvent(input: AuditEventInput): DirectoryAudit {
  const details = input.details ?? {};
  assertNoSecrets(details);
  const initiatedBy =
    'user' in input.initiatedBy
      ? { user: { ...input.initiatedBy.user }, app: null }
      : { user: null, app: { appId: null, displayName: input.initiatedBy.app } };
  return {
    id: input.id ?? timeOrderedId(input.at.getTime()),
    category: input.category,
    activityDisplayName: input.activityDisplayName,
    activityDateTime: input.at.toISOString(),
    loggedByService: 'PIM',
    operationType: input.operationType,
    result: input.result ?? 'success',
    resultReason: input.resultReason ?? '',
    correlationId: input.correlationId,
    initiatedBy,
    targetResources: input.targetResources,
    additionalDetails: Object.entries(details)
      .filter((e): e is [string, string] => typeof e[1] === 'string')
      .map(([key, value]) => ({ key, value: value.slice(0, MAX_DETAIL_LENGTH) })),
  };
}

/** The initiator's user id, when a user initiated it. */
export function initiatorId(audit: DirectoryAudit): string | undefined {
  return audit.initiatedBy.user?.id;
}

/**
 * The rows of one change, with ids that list them in the order they happened. The audit list is
 * newest first, and rows of the same millisecond sort by id (ascending), so among rows that share
 * an instant the earlier event takes the larger id: "completed" then lists above "approved".
 * Only generated time-ordered ids of the same instant are swapped among themselves.
 */
export function inEventOrder(rows: DirectoryAudit[]): DirectoryAudit[] {
  const byInstant = new Map<number, number[]>();
  rows.forEach((row, i) => {
    const ms = idTime(row.id);
    if (ms === undefined || ms !== Date.parse(row.activityDateTime)) return;
    byInstant.set(ms, [...(byInstant.get(ms) ?? []), i]);
  });
  const out = [...rows];
  for (const indexes of byInstant.values()) {
    if (indexes.length < 2) continue;
    const idsDescending = indexes.map((i) => rows[i]!.id).sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
    indexes.forEach((rowIndex, k) => {
      out[rowIndex] = { ...rows[rowIndex]!, id: idsDescending[k]! };
    });
  }
  return out;
}

/**
 * A row as Graph returns it: every property of userIdentity, appIdentity and targetResource present
 * (null or [] when empty), with the users' userPrincipalNames where the directory knows them.
 */
export function toGraphAudit(a: DirectoryAudit, upns: ReadonlyMap<string, string> = new Map()) {
  const user = a.initiatedBy.user;
  const app = a.initiatedBy.app;
  return {
    ...a,
    initiatedBy: {
      user: user
        ? {
            id: user.id,
            displayName: user.displayName,
            userPrincipalName: user.userPrincipalName ?? upns.get(user.id.toLowerCase()) ?? null,
            ipAddress: null,
          }
        : null,
      app: app
        ? {
            appId: app.appId,
            displayName: app.displayName,
            servicePrincipalId: null,
            servicePrincipalName: null,
          }
        : null,
    },
    targetResources: a.targetResources.map((t) => ({
      id: t.id,
      type: t.type,
      displayName: t.displayName,
      userPrincipalName: t.type === 'User' ? (upns.get(t.id.toLowerCase()) ?? null) : null,
      groupType: t.type === 'Group' ? 'azureAD' : null,
      modifiedProperties: t.modifiedProperties ?? [],
    })),
  };
}

/** The user ids a page of rows names (initiators and User targets), for one lookup of their names. */
export function userIdsOf(rows: readonly DirectoryAudit[]): string[] {
  const ids = new Set<string>();
  for (const a of rows) {
    if (a.initiatedBy.user) ids.add(a.initiatedBy.user.id.toLowerCase());
    for (const t of a.targetResources) if (t.type === 'User') ids.add(t.id.toLowerCase());
  }
  return [...ids];
}
