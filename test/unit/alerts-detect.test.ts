// The alert rules on hand-made snapshots: thresholds, windows, what counts and what does not.
import { describe, expect, it } from 'vitest';
import { type AlertSettings, alertTypeOf, DEFAULT_SETTINGS } from '../../shared/alerts/definitions';
import { type ActivationFact, detect, type Snapshot } from '../../shared/alerts/detect';
import { defaultPolicy, RuleId } from '../../shared/domain/policy';
import { BuiltInRoleId } from '../../shared/domain/roles';
import type { ScheduleRecord } from '../../shared/domain/schedules';

const NOW = new Date('2030-06-01T12:00:00.000Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const GA = BuiltInRoleId.globalAdministrator;
const SR = BuiltInRoleId.securityReader;

function schedule(
  principalId: string,
  roleId: string,
  level: 'eligibility' | 'assignment',
  o: Partial<ScheduleRecord> = {},
): ScheduleRecord {
  return {
    id: `${principalId}-${roleId}-${level}`,
    level,
    target: { kind: 'role', roleDefinitionId: roleId, directoryScopeId: '/' },
    principalId,
    memberType: 'Direct',
    assignmentType: level === 'assignment' ? 'Assigned' : null,
    status: 'Provisioned',
    startDateTime: ago(60 * DAY),
    endDateTime: null,
    createdDateTime: ago(60 * DAY),
    modifiedDateTime: ago(60 * DAY),
    createdUsing: 'r',
    ...o,
  };
}

function snapshot(o: Partial<Snapshot> = {}): Snapshot {
  return {
    now: NOW,
    roles: new Map([
      [GA, 'Global Administrator'],
      [SR, 'Security Reader'],
    ]),
    policies: new Map(),
    groupIds: new Set(),
    eligibilities: [],
    assignments: [],
    activations: [],
    lastSignIns: new Map(),
    bypasses: [],
    ...o,
  };
}

const settings = (patch: Partial<AlertSettings> = {}): AlertSettings => ({ ...DEFAULT_SETTINGS, ...patch });

describe('alert rules', () => {
  it('names alerts by type and refuses other ids', () => {
    expect(alertTypeOf('DirectoryRole_StaleSignInAlert')).toBe('StaleSignInAlert');
    expect(alertTypeOf('DirectoryRole_Nope')).toBeUndefined();
    expect(alertTypeOf('StaleSignInAlert')).toBeUndefined();
  });

  it('too many Global Administrators: both the count and the share must be exceeded', () => {
    const gas = ['a', 'b', 'c'].map((p) => schedule(p, GA, 'eligibility'));
    const s = settings({
      TooManyGlobalAdminsAssignedToTenantAlert: {
        isEnabled: true,
        globalAdminCountThreshold: 2,
        percentageOfGlobalAdminsOutOfRolesThreshold: 50,
      },
    });
    expect(
      detect('TooManyGlobalAdminsAssignedToTenantAlert', snapshot({ eligibilities: gas }), s),
    ).toHaveLength(3);
    // Three of seven holders (43 %) is not more than half.
    const readers = ['d', 'e', 'f', 'g'].map((p) => schedule(p, SR, 'eligibility'));
    expect(
      detect(
        'TooManyGlobalAdminsAssignedToTenantAlert',
        snapshot({ eligibilities: [...gas, ...readers] }),
        s,
      ),
    ).toEqual([]);
  });

  it('frequent activation: the largest burst within the window, per principal and role', () => {
    const at = (p: string, role: string, msAgo: number): ActivationFact => ({
      principalId: p,
      roleDefinitionId: role,
      startDateTime: ago(msAgo),
    });
    const s = settings({
      SequentialActivationRenewalsAlert: {
        isEnabled: true,
        sequentialActivationCounterThreshold: 3,
        timeIntervalBetweenActivations: 'PT1H',
      },
    });
    const activations = [
      at('p', SR, 5 * HOUR),
      at('p', SR, 4.5 * HOUR),
      at('p', SR, 4.1 * HOUR),
      at('q', SR, 3 * HOUR), // q's three are spread over two hours: no burst
      at('q', SR, 2 * HOUR),
      at('q', SR, 1 * HOUR),
      at('p', SR, 30 * HOUR), // outside the day it stays listed
    ];
    const found = detect('SequentialActivationRenewalsAlert', snapshot({ activations }), s);
    expect(found).toHaveLength(1);
    expect(found[0]!.props).toMatchObject({ assigneeId: 'p', roleDefinitionId: SR, activationCount: 3 });
  });

  it('no MFA: only stored policies without the MFA rule or an authentication context', () => {
    const policy = defaultPolicy({ kind: 'role', roleDefinitionId: SR });
    const weak = {
      ...policy,
      rules: policy.rules.map((r) =>
        r.id === RuleId.enablementEndUserAssignment ? { ...r, enabledRules: ['Justification'] } : r,
      ),
    } as typeof policy;
    expect(
      detect('NoMfaOnRoleActivationAlert', snapshot({ policies: new Map([[SR, policy]]) }), settings()),
    ).toEqual([]);
    expect(
      detect('NoMfaOnRoleActivationAlert', snapshot({ policies: new Map([[SR, weak]]) }), settings()).map(
        (i) => i.id,
      ),
    ).toEqual([SR]);
  });

  it('unused eligibility: old enough and not activated within the duration', () => {
    const s = settings({ RedundantAssignmentAlert: { isEnabled: true, duration: 'P7D' } });
    const eligibilities = [
      schedule('old', SR, 'eligibility'),
      schedule('used', SR, 'eligibility'),
      schedule('new', SR, 'eligibility', { startDateTime: ago(DAY) }),
    ];
    const activations = [{ principalId: 'used', roleDefinitionId: SR, startDateTime: ago(2 * DAY) }];
    expect(
      detect('RedundantAssignmentAlert', snapshot({ eligibilities, activations }), s).map(
        (i) => i.props.assigneeId,
      ),
    ).toEqual(['old']);
  });

  it('outside PIM: permanent active assignments only', () => {
    const assignments = [
      schedule('perm', SR, 'assignment'),
      schedule('bounded', SR, 'assignment', { endDateTime: new Date(NOW.getTime() + DAY).toISOString() }),
    ];
    const found = detect(
      'RolesAssignedOutsidePrivilegedIdentityManagementAlert',
      snapshot({ assignments }),
      settings(),
    );
    expect(found.map((i) => i.props.assigneeId)).toEqual(['perm']);
    expect(found[0]!.fix).toEqual({ principalId: 'perm', roleDefinitionId: SR, directoryScopeId: '/' });
  });

  it('stale: users (not groups) without a recent authenticated call', () => {
    const s = settings({ StaleSignInAlert: { isEnabled: true, duration: 'P30D' } });
    const eligibilities = ['quiet', 'busy', 'never', 'group'].map((p) => schedule(p, SR, 'eligibility'));
    const lastSignIns = new Map([
      ['quiet', ago(40 * DAY)],
      ['busy', ago(HOUR)],
    ]);
    const found = detect(
      'StaleSignInAlert',
      snapshot({ eligibilities, lastSignIns, groupIds: new Set(['group']) }),
      s,
    );
    expect(found.map((i) => i.props.assigneeId).sort()).toEqual(['never', 'quiet']);
  });

  it('two-person rule bypassed: each break-glass change within the duration', () => {
    const bypass = (proposalId: string, at: string) => ({
      proposalId,
      byId: 'lee',
      description: 'Remove grant connector',
      justification: 'outage, nobody reachable',
      at,
    });
    const found = detect(
      'TwoPersonRuleBypassedAlert',
      snapshot({ bypasses: [bypass('recent', ago(2 * DAY)), bypass('old', ago(8 * DAY))] }),
      settings(),
    );
    expect(found.map((i) => i.id)).toEqual(['recent']);
    expect(found[0]!.props).toMatchObject({ assigneeId: 'lee', justification: 'outage, nobody reachable' });
  });
});
