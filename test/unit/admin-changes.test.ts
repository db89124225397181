// The two-person rule's pure parts: which roles are privileged, when a proposal has expired, and the
// setting's and break-glass justification's bounds.
import { describe, expect, it } from 'vitest';
import {
  type AdminChangeProposal,
  BreakGlassJustification,
  isPrivilegedRole,
  SettingsPatch,
  statusAt,
} from '../../shared/domain/admin-changes';
import { BuiltInRoleId, builtInRole, Permission } from '../../shared/domain/roles';

const custom = (...actions: string[]) => ({
  id: '0f6a5c1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b',
  rolePermissions: [{ allowedResourceActions: actions }],
});

describe('isPrivilegedRole', () => {
  it('names the administering built-ins privileged, and not the readers', () => {
    const privileged = Object.entries(BuiltInRoleId)
      .filter(([, id]) => isPrivilegedRole(builtInRole(id)!))
      .map(([name]) => name)
      .sort();
    expect(privileged).toEqual([
      'globalAdministrator',
      'privilegedRoleAdministrator',
      'securityAdministrator',
    ]);
  });

  it('names a custom role privileged when it can hand out access or administer PIM', () => {
    expect(isPrivilegedRole(custom('*'))).toBe(true);
    expect(isPrivilegedRole(custom(Permission.manage))).toBe(true);
    expect(isPrivilegedRole(custom('microsoft.directory/roleAssignments/allProperties/allTasks'))).toBe(true);
    expect(isPrivilegedRole(custom('microsoft.directory/*'))).toBe(true);
    expect(isPrivilegedRole(custom(Permission.read, Permission.readThreats))).toBe(false);
  });
});

describe('statusAt', () => {
  const p = {
    status: 'Pending',
    expiresDateTime: '2026-12-03T10:00:00.000Z',
  } as AdminChangeProposal;
  it('shows a pending proposal as Expired from its expiry on, and leaves decided ones alone', () => {
    expect(statusAt(p, new Date('2026-12-03T09:59:59.999Z'))).toBe('Pending');
    expect(statusAt(p, new Date('2026-12-03T10:00:00.000Z'))).toBe('Expired');
    expect(statusAt({ ...p, status: 'Applied' }, new Date('2027-01-01T00:00:00Z'))).toBe('Applied');
  });
});

describe('bounds', () => {
  it('takes a proposal lifetime between PT5M and P30D, and a justification of 10 to 500 characters', () => {
    expect(SettingsPatch.safeParse({ proposalLifetime: 'PT4H' }).success).toBe(true);
    expect(SettingsPatch.safeParse({ proposalLifetime: 'PT1M' }).success).toBe(false);
    expect(SettingsPatch.safeParse({ proposalLifetime: 'P1Y' }).success).toBe(false);
    expect(SettingsPatch.safeParse({ twoPersonRuleEnabled: true, extra: 1 }).success).toBe(false);
    expect(BreakGlassJustification.safeParse('too short').success).toBe(false);
    expect(BreakGlassJustification.safeParse('Incident 4711: containment').success).toBe(true);
  });
});
