import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grantsAllowing } from '../../shared/domain/access';
import { actionMatches, permissionAllows } from '../../shared/domain/permissions';
import { BUILT_IN_ROLES, BuiltInRoleId, builtInRole, Permission } from '../../shared/domain/roles';

describe('resource action wildcards', () => {
  it.each([
    ['*', 'microsoft.directory/users/read', true],
    ['microsoft.directory/*/read', 'microsoft.directory/users/read', true],
    ['microsoft.directory/*/read', 'microsoft.directory/users/password/read', true],
    ['microsoft.directory/*/read', 'microsoft.directory/users/update', false],
    ['microsoft.directory/users/*', 'microsoft.directory/users/read', true],
    ['microsoft.directory/users/*', 'microsoft.directory/groups/read', false],
    ['*/read', 'microsoft.office365.securityComplianceCenter/searchAndPurge/read', true],
    ['*/read', 'microsoft.office365.securityComplianceCenter/searchAndPurge/purge', false],
    ['Microsoft.Directory/Users/Read', 'microsoft.directory/users/read', true],
    ['microsoft.directory/users/read', 'microsoft.directory/users/readx', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'acb', false],
    ['', '', true],
    ['', 'a', false],
  ])('%j matches %j: %s', (pattern, action, expected) => {
    expect(actionMatches(pattern, action)).toBe(expected);
  });

  it('excluded actions win over allowed ones', () => {
    const p = {
      allowedResourceActions: ['microsoft.directory/*'],
      excludedResourceActions: ['microsoft.directory/*/delete'],
    };
    expect(permissionAllows(p, 'microsoft.directory/users/update')).toBe(true);
    expect(permissionAllows(p, 'microsoft.directory/users/delete')).toBe(false);
  });

  it('stays fast on patterns full of stars', () => {
    const started = performance.now();
    expect(actionMatches(`${'a*'.repeat(200)}b`, 'a'.repeat(400))).toBe(false);
    expect(performance.now() - started).toBeLessThan(500);
  });

  // Property: the matcher agrees with an (exponential but obviously correct) recursive definition.
  const reference = (p: string, a: string): boolean => {
    if (p === '') return a === '';
    if (p[0] === '*') return reference(p.slice(1), a) || (a !== '' && reference(p, a.slice(1)));
    return a !== '' && p[0] === a[0] && reference(p.slice(1), a.slice(1));
  };
  it('agrees with the recursive definition of * (property)', () => {
    const chars = fc.constantFrom('a', 'b', '/', '*');
    fc.assert(
      fc.property(
        fc.string({ unit: chars, maxLength: 8 }),
        fc.string({ unit: fc.constantFrom('a', 'b', '/'), maxLength: 10 }),
        (p, a) => {
          expect(actionMatches(p, a)).toBe(reference(p, a));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('a pattern always matches itself with its stars read literally, and * matches everything (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z./]{0,30}$/), (action) => {
        expect(actionMatches(action, action)).toBe(true);
        expect(actionMatches('*', action)).toBe(true);
        expect(actionMatches(`${action}*`, `${action}/more`)).toBe(true);
      }),
    );
  });
});

describe('built-in roles', () => {
  const roles = new Map(BUILT_IN_ROLES.map((r) => [r.id, r]));
  const grant = (roleDefinitionId: string, directoryScopeId = '/') => ({
    roleDefinitionId,
    directoryScopeId,
    memberType: 'Direct' as const,
    endDateTime: null,
    roleAssignmentScheduleId: 'x',
  });
  const allows = (roleId: string, action: string, scope = '/') =>
    grantsAllowing([grant(roleId)], roles, action, scope).length > 0;

  it('use Entra template ids', () => {
    expect(builtInRole('62E90394-69F5-4237-9190-012177145E10')?.displayName).toBe('Global Administrator');
    expect(builtInRole(BuiltInRoleId.privilegedRoleAdministrator)?.displayName).toBe(
      'Privileged Role Administrator',
    );
  });

  it('give the seeds scenario its split: Security Reader reads threats, Search and Purge purges', () => {
    expect(allows(BuiltInRoleId.securityReader, Permission.readThreats)).toBe(true);
    expect(allows(BuiltInRoleId.securityReader, Permission.purgeMail)).toBe(false);
    expect(allows(BuiltInRoleId.searchAndPurge, Permission.purgeMail)).toBe(true);
    expect(allows(BuiltInRoleId.securityAdministrator, Permission.purgeMail)).toBe(false);
    expect(allows(BuiltInRoleId.globalAdministrator, Permission.purgeMail)).toBe(true);
  });

  it('manage PIM: GA and PRA; read PIM: also Security Reader and Global Reader', () => {
    const managers = BUILT_IN_ROLES.filter((r) => allows(r.id, Permission.manage)).map((r) => r.displayName);
    expect(managers.sort()).toEqual(['Global Administrator', 'Privileged Role Administrator']);
    for (const id of [BuiltInRoleId.securityReader, BuiltInRoleId.globalReader]) {
      expect(allows(id, Permission.read)).toBe(true);
      expect(allows(id, Permission.readAuditLogs)).toBe(true);
    }
    expect(allows(BuiltInRoleId.searchAndPurge, Permission.read)).toBe(false);
  });

  it('grant only within their scope, and not when disabled', () => {
    const scoped = [grant(BuiltInRoleId.globalReader, '/administrativeUnits/au1')];
    expect(grantsAllowing(scoped, roles, Permission.read, '/administrativeUnits/au1/users').length).toBe(1);
    expect(grantsAllowing(scoped, roles, Permission.read, '/').length).toBe(0);
    const disabled = new Map([
      [BuiltInRoleId.globalReader, { ...builtInRole(BuiltInRoleId.globalReader)!, isEnabled: false }],
    ]);
    expect(grantsAllowing([grant(BuiltInRoleId.globalReader)], disabled, Permission.read, '/').length).toBe(
      0,
    );
  });
});
