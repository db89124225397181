// Role definitions in Graph's unifiedRoleDefinition shape, and the built-in roles. Built-ins use
// Entra's template ids so scripts written against Graph find them by the ids they already know;
// the seeds' "Search and Purge" (a Defender for Office 365 role, not an Entra one) has its own.
import { z } from 'zod';
import { ObjectId } from './ids';
import { RolePermission } from './permissions';

export const RoleDefinition = z.object({
  id: z.string(),
  displayName: z.string(),
  description: z.string(),
  isBuiltIn: z.boolean(),
  isEnabled: z.boolean(),
  templateId: z.string().optional(),
  version: z.string().optional(),
  rolePermissions: z.array(RolePermission),
});
export type RoleDefinition = z.infer<typeof RoleDefinition>;

/** A role definition as Graph returns it: every property present, empty ones null or []. */
export function toGraphRoleDefinition(r: RoleDefinition) {
  return {
    id: r.id,
    displayName: r.displayName,
    description: r.description,
    isBuiltIn: r.isBuiltIn,
    isEnabled: r.isEnabled,
    // Directory roles are defined tenant-wide; assignments carry their own directoryScopeId.
    resourceScopes: ['/'],
    templateId: r.templateId ?? r.id,
    version: r.version ?? null,
    rolePermissions: r.rolePermissions.map((p) => ({
      allowedResourceActions: p.allowedResourceActions,
      excludedResourceActions: p.excludedResourceActions ?? [],
      condition: p.condition ?? null,
    })),
  };
}

const DisplayName = z.string().trim().min(1).max(256);

/** POST body for a custom role. Ids, `isBuiltIn` are the service's to set. */
export const CreateRoleDefinitionInput = z.strictObject({
  displayName: DisplayName,
  description: z.string().max(1024).default(''),
  isEnabled: z.boolean().default(true),
  rolePermissions: z.array(RolePermission).min(1).max(20),
  templateId: z.string().max(64).optional(),
  version: z.string().max(64).optional(),
  '@odata.type': z.literal('#microsoft.graph.unifiedRoleDefinition').optional(),
  isBuiltIn: z.literal(false).optional(),
});
export type CreateRoleDefinitionInput = z.infer<typeof CreateRoleDefinitionInput>;

/** PATCH body: any subset of the editable properties. */
export const UpdateRoleDefinitionInput = z.strictObject({
  displayName: DisplayName.optional(),
  description: z.string().max(1024).optional(),
  isEnabled: z.boolean().optional(),
  rolePermissions: z.array(RolePermission).min(1).max(20).optional(),
  version: z.string().max(64).optional(),
});
export type UpdateRoleDefinitionInput = z.infer<typeof UpdateRoleDefinitionInput>;

// The service's own permissions: who may administer PIM (assignments, policies, groups, roles)
// and who may read it. Roles grant them through ordinary resource actions, so a custom role can too.
export const Permission = {
  manage: 'microsoft.directory/privilegedIdentityManagement/allProperties/allTasks',
  read: 'microsoft.directory/privilegedIdentityManagement/allProperties/read',
  readAuditLogs: 'microsoft.directory/auditLogs/allProperties/read',
  // The seeds' scenario: Security Reader finds suspicious mail, Search and Purge deletes it.
  readThreats: 'microsoft.office365.securityComplianceCenter/threatExplorer/emails/read',
  purgeMail: 'microsoft.office365.securityComplianceCenter/searchAndPurge/purge',
} as const;

export const BuiltInRoleId = {
  globalAdministrator: '62e90394-69f5-4237-9190-012177145e10',
  privilegedRoleAdministrator: 'e8611ab8-c189-46e8-94e1-60213ab1f814',
  securityAdministrator: '194ae4cb-b126-40b2-bd5b-6091b380977d',
  securityReader: '5d6b6bb7-de71-4623-b4af-96380a352509',
  globalReader: 'f2ef992c-3afb-46b9-b7cf-a126ee74c451',
  searchAndPurge: '3f9c2a51-8d4e-4b7a-9c1e-6a2d5b8f0e47',
} as const;

/** Roles whose last active assignment may not be removed: without them nobody administers PIM. */
export const PROTECTED_ROLE_IDS: readonly string[] = [
  BuiltInRoleId.globalAdministrator,
  BuiltInRoleId.privilegedRoleAdministrator,
];

function builtIn(id: string, displayName: string, description: string, actions: string[]): RoleDefinition {
  return {
    id,
    displayName,
    description,
    isBuiltIn: true,
    isEnabled: true,
    templateId: id,
    version: '1',
    rolePermissions: [{ allowedResourceActions: actions }],
  };
}

export const BUILT_IN_ROLES: readonly RoleDefinition[] = Object.freeze([
  builtIn(
    BuiltInRoleId.globalAdministrator,
    'Global Administrator',
    'Can manage all aspects of the directory and the services that use it.',
    ['*'],
  ),
  builtIn(
    BuiltInRoleId.privilegedRoleAdministrator,
    'Privileged Role Administrator',
    'Can manage role assignments, role definitions, role settings and privileged groups in PIM.',
    [
      Permission.manage,
      Permission.read,
      Permission.readAuditLogs,
      'microsoft.directory/roleAssignments/allProperties/allTasks',
      'microsoft.directory/roleDefinitions/allProperties/allTasks',
      'microsoft.directory/groups.roleAssignable/allProperties/allTasks',
    ],
  ),
  builtIn(
    BuiltInRoleId.securityAdministrator,
    'Security Administrator',
    'Can read security information and reports, and manage security configuration.',
    [
      Permission.read,
      Permission.readAuditLogs,
      'microsoft.office365.securityComplianceCenter/*/read',
      'microsoft.office365.securityComplianceCenter/*/update',
      'microsoft.directory/identityProtection/allProperties/allTasks',
    ],
  ),
  builtIn(
    BuiltInRoleId.securityReader,
    'Security Reader',
    'Can read security information and reports, e.g. find email threats, but not act on them.',
    [
      Permission.read,
      Permission.readAuditLogs,
      'microsoft.office365.securityComplianceCenter/*/read',
      'microsoft.directory/identityProtection/allProperties/read',
    ],
  ),
  builtIn(
    BuiltInRoleId.globalReader,
    'Global Reader',
    'Can read everything that a Global Administrator can, but not update anything.',
    ['*/read'],
  ),
  builtIn(
    BuiltInRoleId.searchAndPurge,
    'Search and Purge',
    'Can search for and purge email messages (Microsoft Defender for Office 365).',
    [Permission.purgeMail, 'microsoft.office365.securityComplianceCenter/searchAndPurge/read'],
  ),
]);

const BY_ID = new Map(BUILT_IN_ROLES.map((r) => [r.id, r]));

export function builtInRole(id: string): RoleDefinition | undefined {
  return BY_ID.get(id.toLowerCase());
}

export function isBuiltInRoleId(id: string): boolean {
  return BY_ID.has(id.toLowerCase());
}

export const RoleDefinitionId = ObjectId;
