// The two-person rule for admin changes (issue 19, item 3): while the tenant's setting is on, a
// change to role settings, to eligible or active assignments of privileged roles, to grant
// connectors (and, later, access review definitions) is *proposed* by one admin and takes effect
// only when a second admin approves it before it expires. A proposal is the change described as
// data (its kind and the input of the service call), replayed through the same call on approval.
// Pure: types, schemas and the rules about who may decide what. No I/O.
import { z } from 'zod';
import { DurationString, fixedDurationMs } from './duration';
import { BuiltInRoleId, Permission, type RoleDefinition } from './roles';

export const PROPOSAL_STATUSES = [
  'Pending',
  /** Approved; being applied (a crash here is finished by the next approve call). */
  'Approving',
  'Applied',
  /** Approved, but the change failed its validation when replayed (the proposal records why). */
  'Failed',
  'Denied',
  'Withdrawn',
  'Expired',
] as const;
export type ProposalStatus = (typeof PROPOSAL_STATUSES)[number];

export interface ProposalPerson {
  id: string;
  displayName: string | null;
}

/** Who asked, as the replayed call must see them (the MFA and auth context of the proposer's sign-in). */
export interface ProposerActor extends ProposalPerson {
  mfa: boolean;
  acrs?: string[];
}

export interface AdminChangeProposal {
  id: string;
  /** Names the service call that applies it (shared/services/admin-change-kinds.ts). */
  kind: string;
  /** One line for people: "Add eligible member to role Global Administrator for Lee Gu". */
  description: string;
  /** The call's input (secrets sealed; `redacted` views of it go out). */
  input: unknown;
  status: ProposalStatus;
  proposedBy: ProposerActor;
  createdDateTime: string;
  expiresDateTime: string;
  decidedBy?: ProposalPerson;
  decidedDateTime?: string;
  /** The approver's or denier's justification. */
  decisionJustification?: string;
  appliedDateTime?: string;
  /** What the replayed call answered (e.g. the schedule request it made), when it succeeded. */
  result?: unknown;
  /** Why the replayed call failed (Graph-style code and message). */
  failure?: { status: number; code: string; message: string };
}

export const TwoPersonSettings = z.object({
  twoPersonRuleEnabled: z.boolean(),
  /** How long a proposal waits for a second admin. */
  proposalLifetime: z.string(),
});
export type TwoPersonSettings = z.infer<typeof TwoPersonSettings>;

export const DEFAULT_SETTINGS: TwoPersonSettings = { twoPersonRuleEnabled: false, proposalLifetime: 'P1D' };

export const SettingsPatch = z
  .strictObject({
    twoPersonRuleEnabled: z.boolean().optional(),
    proposalLifetime: DurationString.refine((d) => {
      const ms = fixedDurationMs(d);
      return ms !== undefined && ms >= 5 * 60_000 && ms <= 30 * 86_400_000;
    }, 'A fixed duration between PT5M and P30D.').optional(),
  })
  .meta({ id: 'adminChangeSettings_input' });
export type SettingsPatch = z.infer<typeof SettingsPatch>;

export const DecisionBody = z
  .strictObject({ justification: z.string().trim().max(500).optional() })
  .meta({ id: 'adminChangeDecision_input' });

/** The request header that carries a Global Administrator's break-glass justification. */
export const BREAK_GLASS_HEADER = 'x-jit-break-glass-justification';

/** A break-glass justification: one line of text people can read in an alert. */
export const BreakGlassJustification = z.string().trim().min(10).max(500);

/** The status a stored proposal shows at `now`: a pending one past its expiry is Expired. */
export function statusAt(p: AdminChangeProposal, now: Date): ProposalStatus {
  if (p.status === 'Pending' && now.getTime() >= Date.parse(p.expiresDateTime)) return 'Expired';
  return p.status;
}

/**
 * Roles under the rule: the ones that administer (Global Administrator, Privileged Role
 * Administrator, Security Administrator, as Entra marks them privileged) and any role whose
 * permissions could hand out access or change PIM (wildcards, PIM's manage, role assignments).
 */
const PRIVILEGED_BUILT_INS: ReadonlySet<string> = new Set([
  BuiltInRoleId.globalAdministrator,
  BuiltInRoleId.privilegedRoleAdministrator,
  BuiltInRoleId.securityAdministrator,
]);
const PRIVILEGED_ACTION =
  /^(\*|microsoft\.directory\/\*.*|microsoft\.directory\/(roleAssignments|roleDefinitions|groups\.roleAssignable)\/.*)$/i;

export function isPrivilegedRole(role: Pick<RoleDefinition, 'id' | 'rolePermissions'>): boolean {
  if (PRIVILEGED_BUILT_INS.has(role.id.toLowerCase())) return true;
  return role.rolePermissions.some((p) =>
    p.allowedResourceActions.some(
      (a) => PRIVILEGED_ACTION.test(a) || a.toLowerCase() === Permission.manage.toLowerCase(),
    ),
  );
}

const Person = z.object({ id: z.string(), displayName: z.string().nullable() });

/** A proposal as the API shows it (the service's extension, not a Graph type). */
export const ProposalViewSchema = z
  .looseObject({
    id: z.string(),
    kind: z.string(),
    description: z.string(),
    status: z.enum(PROPOSAL_STATUSES),
    /** The call's input (secrets left out). */
    change: z.unknown(),
    proposedBy: Person,
    createdDateTime: z.string(),
    expiresDateTime: z.string(),
    decidedBy: Person.nullable(),
    decidedDateTime: z.string().nullable(),
    decisionJustification: z.string().nullable(),
    appliedDateTime: z.string().nullable(),
    breakGlassJustification: z.string().nullable(),
    result: z.unknown(),
    failure: z.object({ status: z.number(), code: z.string(), message: z.string() }).nullable(),
  })
  .meta({ id: 'adminChangeProposal' });

export const ProposalListSchema = z
  .looseObject({ value: z.array(ProposalViewSchema) })
  .meta({ id: 'adminChangeProposalList' });

// Answers carry Graph's @odata.context besides.
export const SettingsSchema = z.looseObject(TwoPersonSettings.shape).meta({ id: 'adminChangeSettings' });
