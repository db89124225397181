// Built-in role definitions (Entra's template ids where Entra has the role) and the seeds' groups.
// Permissions are resource actions with `*` wildcards, as in Graph's unifiedRolePermission.

export interface RoleDefinition {
  id: string;
  displayName: string;
  description: string;
  isBuiltIn: boolean;
  isEnabled: boolean;
  rolePermissions: { allowedResourceActions: string[] }[];
}

const builtIn = (
  id: string,
  displayName: string,
  description: string,
  actions: string[],
): RoleDefinition => ({
  id,
  displayName,
  description,
  isBuiltIn: true,
  isEnabled: true,
  rolePermissions: [{ allowedResourceActions: actions }],
});

export const ROLE_IDS = {
  globalAdministrator: '62e90394-69f5-4237-9190-012177145e10',
  privilegedRoleAdministrator: 'e8611ab8-c189-46e8-94e1-60213ab1f814',
  securityAdministrator: '194ae4cb-b126-40b2-bd5b-6091b380977d',
  securityReader: '5d6b6bb7-de71-4623-b4af-96380a352509',
  globalReader: 'f2ef992c-3afb-46b9-b7cf-a126ee74c451',
  searchAndPurge: '3f9c2a51-8d4e-4b7a-9c1e-6a2d5b8f0e47',
} as const;

export const ACTIONS = {
  readSecurity: 'microsoft.office365.securityComplianceCenter/threatExplorer/emails/read',
  purgeEmail: 'microsoft.office365.securityComplianceCenter/searchAndPurge/purge',
} as const;

export const BUILT_IN_ROLES: readonly RoleDefinition[] = [
  builtIn(ROLE_IDS.globalAdministrator, 'Global Administrator', 'Can manage all aspects of the directory.', [
    '*',
  ]),
  builtIn(
    ROLE_IDS.privilegedRoleAdministrator,
    'Privileged Role Administrator',
    'Can manage role assignments and Privileged Identity Management.',
    [
      'microsoft.directory/roleAssignments/allProperties/allTasks',
      'microsoft.directory/privilegedIdentityManagement/allProperties/allTasks',
    ],
  ),
  builtIn(
    ROLE_IDS.securityAdministrator,
    'Security Administrator',
    'Can read security information and manage security configuration.',
    ['microsoft.office365.securityComplianceCenter/allEntities/allTasks', 'microsoft.directory/*/read'],
  ),
  builtIn(ROLE_IDS.securityReader, 'Security Reader', 'Can read security information and reports.', [
    ACTIONS.readSecurity,
    'microsoft.directory/*/read',
  ]),
  builtIn(
    ROLE_IDS.globalReader,
    'Global Reader',
    'Can read everything a Global Administrator can, but not update anything.',
    ['*/read', 'microsoft.office365.securityComplianceCenter/allEntities/read'],
  ),
  builtIn(
    ROLE_IDS.searchAndPurge,
    'Search and Purge',
    'Can search for and purge email (Defender for Office 365).',
    [ACTIONS.purgeEmail],
  ),
];

export function roleDefinition(id: string): RoleDefinition | undefined {
  return BUILT_IN_ROLES.find((r) => r.id === id);
}

/** `*` matches any run of characters within the action, including `/`. Case-insensitive, as Graph. */
export function actionMatches(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map(escapeRegex).join('.*')}$`, 'i');
  return regex.test(action);
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function roleAllows(role: RoleDefinition, action: string): boolean {
  return (
    role.isEnabled &&
    role.rolePermissions.some((p) => p.allowedResourceActions.some((a) => actionMatches(a, action)))
  );
}

/** A path scope: `/` covers everything; `/a` covers `/a` and `/a/b`, not `/ab`. */
export function scopeCovers(assignmentScope: string, requested: string): boolean {
  const a = normalizeScope(assignmentScope);
  const r = normalizeScope(requested);
  return a === '/' || r === a || r.startsWith(`${a}/`);
}

export function normalizeScope(scope: string): string {
  const trimmed = `/${scope.trim().replace(/^\/+|\/+$/g, '')}`.toLowerCase();
  return trimmed;
}
