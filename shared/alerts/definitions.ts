// The PIM alert types (Graph beta's unifiedRoleManagementAlertDefinition, scope `/`, type
// DirectoryRole): what each means, how bad it is, how to fix and prevent it, and the settings an
// admin tunes (its unifiedRoleManagementAlertConfiguration). Pure data and zod; no I/O.
import { z } from 'zod';
import { DurationString, fixedDurationMs } from '../domain/duration';

export const ALERT_TYPES = [
  'TooManyGlobalAdminsAssignedToTenantAlert',
  'SequentialActivationRenewalsAlert',
  'NoMfaOnRoleActivationAlert',
  'RedundantAssignmentAlert',
  'RolesAssignedOutsidePrivilegedIdentityManagementAlert',
  'StaleSignInAlert',
  // The service's own (no Graph counterpart): a Global Administrator bypassed the two-person rule.
  'TwoPersonRuleBypassedAlert',
] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

export const SCOPE_ID = '/';
export const SCOPE_TYPE = 'DirectoryRole';

/** Graph names definitions, configurations and alerts `DirectoryRole_{tenant}_{type}`; one tenant here. */
export function alertIdOf(type: AlertType): string {
  return `${SCOPE_TYPE}_${type}`;
}

export function alertTypeOf(id: string): AlertType | undefined {
  const type = id.startsWith(`${SCOPE_TYPE}_`) ? id.slice(SCOPE_TYPE.length + 1) : '';
  return (ALERT_TYPES as readonly string[]).includes(type) ? (type as AlertType) : undefined;
}

export type Severity = 'low' | 'medium' | 'high';

export interface AlertDefinitionText {
  displayName: string;
  description: string;
  severityLevel: Severity;
  securityImpact: string;
  mitigationSteps: string;
  howToPrevent: string;
  isRemediatable: boolean;
  isConfigurable: boolean;
}

export const DEFINITIONS: Record<AlertType, AlertDefinitionText> = {
  TooManyGlobalAdminsAssignedToTenantAlert: {
    displayName: 'There are too many global administrators',
    description:
      'The number of principals assigned Global Administrator (eligible or active) is above the threshold, both in count and as a share of everyone holding a privileged role.',
    severityLevel: 'low',
    securityImpact:
      'Global Administrator is the most privileged role. Every holder is an account an attacker can take over to control everything.',
    mitigationSteps:
      'Review the listed Global Administrators; move each to a least-privileged role that covers their work, or remove the assignment.',
    howToPrevent:
      'Assign least-privileged roles; keep Global Administrator for a few break-glass and named people.',
    isRemediatable: false,
    isConfigurable: true,
  },
  SequentialActivationRenewalsAlert: {
    displayName: 'Roles are being activated too frequently',
    description:
      'The same principal activated the same role more often than the threshold within the configured window.',
    severityLevel: 'low',
    securityImpact:
      'Frequent re-activations suggest the maximum activation duration is too short for the work, or that someone is working around it.',
    mitigationSteps:
      "Check with the principal why they re-activate; lengthen the role's maximum activation duration if the work needs it.",
    howToPrevent: "Set each role's maximum activation duration to what the work needs.",
    isRemediatable: false,
    isConfigurable: true,
  },
  NoMfaOnRoleActivationAlert: {
    displayName: 'Roles do not require multi-factor authentication for activation',
    description:
      "The role's policy lets an eligible principal activate it without multi-factor authentication.",
    severityLevel: 'high',
    securityImpact: 'A stolen password is enough to activate the role.',
    mitigationSteps:
      "Require MultiFactorAuthentication in the role policy's Enablement_EndUser_Assignment rule (remediate does this).",
    howToPrevent: 'Keep MFA required on every role that grants privilege.',
    isRemediatable: true,
    isConfigurable: true,
  },
  RedundantAssignmentAlert: {
    displayName: "Administrators aren't using their privileged roles",
    description:
      'A principal has been eligible for a role for longer than the configured duration and has not activated it within that time.',
    severityLevel: 'low',
    securityImpact: 'Unused eligibilities widen the attack surface without helping anyone work.',
    mitigationSteps: 'Remove the eligibility if it is no longer needed (remediate removes it).',
    howToPrevent: 'Review eligibilities regularly (access reviews); give eligibility only for a need.',
    isRemediatable: true,
    isConfigurable: true,
  },
  RolesAssignedOutsidePrivilegedIdentityManagementAlert: {
    displayName: 'Roles are being assigned outside of Privileged Identity Management',
    description:
      'A privileged role is held as a permanent active assignment: standing access created without an expiry.',
    severityLevel: 'high',
    securityImpact:
      'Standing privilege is always usable, by its holder and by whoever takes over the account; nothing asks for a reason or MFA.',
    mitigationSteps:
      'Convert the permanent active assignment to an eligible one (remediate does this), so that the role is activated when needed.',
    howToPrevent: 'Assign privileged roles as eligible, or active with an end date.',
    isRemediatable: true,
    isConfigurable: true,
  },
  StaleSignInAlert: {
    displayName: 'Potential stale accounts in a privileged role',
    description:
      'A principal holding a privileged role (eligible or active) has made no authenticated call for longer than the configured duration.',
    severityLevel: 'medium',
    securityImpact: 'Accounts nobody uses are the ones whose takeover nobody notices.',
    mitigationSteps: "Remove the stale principal's assignments of the role (remediate removes them).",
    howToPrevent: 'Remove assignments when people change jobs or leave; review privileged roles regularly.',
    isRemediatable: true,
    isConfigurable: true,
  },
  TwoPersonRuleBypassedAlert: {
    displayName: 'The two-person rule was bypassed',
    description:
      'A Global Administrator applied an admin change without a second administrator (break-glass), within the configured duration.',
    severityLevel: 'high',
    securityImpact:
      'A change to privileged access took effect on one person’s word; if the account was taken over, nobody else saw it first.',
    mitigationSteps:
      'Ask the Global Administrator about the change and its justification (each incident names both); undo it if it was not meant.',
    howToPrevent: 'Keep break-glass for emergencies; make sure a second administrator is reachable.',
    isRemediatable: false,
    isConfigurable: true,
  },
};

// ---- configurations ---------------------------------------------------------------------------

const Base = { isEnabled: z.boolean() };
// A fixed length (days, hours, minutes): months and years have no fixed number of milliseconds.
const DurationSetting = DurationString.refine(
  (d) => fixedDurationMs(d) !== undefined,
  'use days, hours or minutes',
);

/** The tunable settings of each type (Graph's subtype properties), with their defaults. */
export const CONFIG_SCHEMAS = {
  TooManyGlobalAdminsAssignedToTenantAlert: z.strictObject({
    ...Base,
    globalAdminCountThreshold: z.number().int().min(1).max(10_000),
    percentageOfGlobalAdminsOutOfRolesThreshold: z.number().int().min(0).max(100),
  }),
  SequentialActivationRenewalsAlert: z.strictObject({
    ...Base,
    sequentialActivationCounterThreshold: z.number().int().min(2).max(100),
    timeIntervalBetweenActivations: DurationSetting,
  }),
  NoMfaOnRoleActivationAlert: z.strictObject({ ...Base }),
  RedundantAssignmentAlert: z.strictObject({ ...Base, duration: DurationSetting }),
  RolesAssignedOutsidePrivilegedIdentityManagementAlert: z.strictObject({ ...Base }),
  StaleSignInAlert: z.strictObject({ ...Base, duration: DurationSetting }),
  TwoPersonRuleBypassedAlert: z.strictObject({ ...Base, duration: DurationSetting }),
} satisfies Record<AlertType, z.ZodObject>;

export type AlertSettings = {
  [K in AlertType]: z.infer<(typeof CONFIG_SCHEMAS)[K]>;
};

export const DEFAULT_SETTINGS: AlertSettings = {
  TooManyGlobalAdminsAssignedToTenantAlert: {
    isEnabled: true,
    globalAdminCountThreshold: 5,
    percentageOfGlobalAdminsOutOfRolesThreshold: 50,
  },
  SequentialActivationRenewalsAlert: {
    isEnabled: true,
    sequentialActivationCounterThreshold: 3,
    timeIntervalBetweenActivations: 'PT1H',
  },
  NoMfaOnRoleActivationAlert: { isEnabled: true },
  RedundantAssignmentAlert: { isEnabled: true, duration: 'P30D' },
  RolesAssignedOutsidePrivilegedIdentityManagementAlert: { isEnabled: true },
  StaleSignInAlert: { isEnabled: true, duration: 'P30D' },
  TwoPersonRuleBypassedAlert: { isEnabled: true, duration: 'P7D' },
};

/** Graph's configuration subtype (`@odata.type`) of each alert type. */
export function configODataType(type: AlertType): string {
  const stem = type.charAt(0).toLowerCase() + type.slice(1);
  return `#microsoft.graph.${stem}Configuration`;
}

/** Graph's incident subtype (`@odata.type`) of each alert type. */
export function incidentODataType(type: AlertType): string {
  const stem = type.charAt(0).toLowerCase() + type.slice(1);
  return `#microsoft.graph.${stem}Incident`;
}
