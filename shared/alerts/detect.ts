// What each alert type finds in a snapshot of the directory roles: pure functions, no I/O, so that
// the rules read in one place and the evaluator (./evaluate.ts) only gathers the snapshot.
import { fixedDurationMs } from '../domain/duration';
import {
  AuthenticationContextRule,
  EnablementRule,
  findRule,
  type RoleManagementPolicy,
  RuleId,
} from '../domain/policy';
import { BuiltInRoleId } from '../domain/roles';
import type { ScheduleRecord } from '../domain/schedules';
import type { AlertSettings, AlertType } from './definitions';

/** One recorded activation: who, which role, when it was asked for (from the activation index). */
export interface ActivationFact {
  principalId: string;
  roleDefinitionId: string;
  startDateTime: string;
}

export interface Snapshot {
  now: Date;
  /** Role id -> display name, every role there is. */
  roles: ReadonlyMap<string, string>;
  /** Stored role policies (a role without one has the default, which requires MFA). */
  policies: ReadonlyMap<string, RoleManagementPolicy>;
  groupIds: ReadonlySet<string>;
  /** Role eligibilities and admins' active assignments that have not ended. */
  eligibilities: readonly ScheduleRecord[];
  assignments: readonly ScheduleRecord[];
  /** Activations of roles that started at or after `activationsSince`. */
  activations: readonly ActivationFact[];
  /** Principal id -> its last authenticated call (ISO), as recorded (./sign-ins.ts). */
  lastSignIns: ReadonlyMap<string, string>;
  /** Break-glass bypasses of the two-person rule (shared/services/admin-changes.ts). */
  bypasses: readonly BypassFact[];
}

/** One bypass: the proposal row that records it. */
export interface BypassFact {
  proposalId: string;
  byId: string;
  description: string;
  justification: string;
  at: string;
}

/** An incident: its id (a row key) and Graph's properties of its subtype. */
export interface Incident {
  id: string;
  /** Graph's incident properties; names are filled in when read. */
  props: Record<string, string | number | null>;
  /** What remediation acts on (not part of Graph's shape). */
  fix?: { principalId: string; roleDefinitionId: string; directoryScopeId: string };
}

const DAY_MS = 86_400_000;

const ms = (duration: string) => fixedDurationMs(duration) ?? 0;

/** How far back the snapshot's activations must reach for these settings. */
export function activationLookbackMs(settings: AlertSettings): number {
  return Math.max(
    frequencyLookbackMs(settings),
    settings.RedundantAssignmentAlert.isEnabled ? ms(settings.RedundantAssignmentAlert.duration) : 0,
  );
}

// Frequent activation stays listed for a day after the burst (or the window, if longer), then resolves.
function frequencyLookbackMs(settings: AlertSettings): number {
  const s = settings.SequentialActivationRenewalsAlert;
  return s.isEnabled ? Math.max(DAY_MS, ms(s.timeIntervalBetweenActivations)) : 0;
}

const roleOf = (s: ScheduleRecord) => (s.target.kind === 'role' ? s.target : undefined);

function roleProps(snapshot: Snapshot, roleId: string) {
  return {
    roleDefinitionId: roleId,
    roleDisplayName: snapshot.roles.get(roleId) ?? null,
    roleTemplateId: roleId,
  };
}

function key(...parts: string[]): string {
  return parts.join('_');
}

export function detect(type: AlertType, snapshot: Snapshot, settings: AlertSettings): Incident[] {
  const found = DETECTORS[type](snapshot, settings);
  return found.sort((a, b) => a.id.localeCompare(b.id));
}

const DETECTORS: Record<AlertType, (s: Snapshot, settings: AlertSettings) => Incident[]> = {
  TwoPersonRuleBypassedAlert(s, settings) {
    const since = s.now.getTime() - ms(settings.TwoPersonRuleBypassedAlert.duration);
    return s.bypasses
      .filter((b) => Date.parse(b.at) >= since)
      .map((b) => ({
        id: b.proposalId,
        props: {
          assigneeId: b.byId,
          proposalId: b.proposalId,
          change: b.description,
          justification: b.justification,
          bypassedDateTime: b.at,
        },
      }));
  },

  TooManyGlobalAdminsAssignedToTenantAlert(s, settings) {
    const c = settings.TooManyGlobalAdminsAssignedToTenantAlert;
    const holders = new Set<string>();
    const globalAdmins = new Set<string>();
    for (const sch of [...s.eligibilities, ...s.assignments]) {
      const t = roleOf(sch);
      if (!t) continue;
      holders.add(sch.principalId);
      if (t.roleDefinitionId === BuiltInRoleId.globalAdministrator) globalAdmins.add(sch.principalId);
    }
    const percentage = holders.size === 0 ? 0 : (globalAdmins.size * 100) / holders.size;
    if (globalAdmins.size <= c.globalAdminCountThreshold) return [];
    if (percentage <= c.percentageOfGlobalAdminsOutOfRolesThreshold) return [];
    return [...globalAdmins].map((id) => ({ id, props: { assigneeId: id } }));
  },

  SequentialActivationRenewalsAlert(s, settings) {
    const c = settings.SequentialActivationRenewalsAlert;
    const windowMs = ms(c.timeIntervalBetweenActivations);
    const since = s.now.getTime() - frequencyLookbackMs(settings);
    const byPair = new Map<string, number[]>();
    for (const a of s.activations) {
      const at = Date.parse(a.startDateTime);
      if (at < since) continue;
      const k = key(a.principalId, a.roleDefinitionId);
      byPair.set(k, [...(byPair.get(k) ?? []), at]);
    }
    const out: Incident[] = [];
    for (const [k, times] of byPair) {
      times.sort((x, y) => x - y);
      // The largest burst: most activations whose first and last are within the window.
      let best = { count: 0, from: 0, to: 0 };
      for (let i = 0, j = 0; j < times.length; j++) {
        while (times[j]! - times[i]! > windowMs) i++;
        if (j - i + 1 > best.count) best = { count: j - i + 1, from: times[i]!, to: times[j]! };
      }
      if (best.count < c.sequentialActivationCounterThreshold) continue;
      const [principalId, roleId] = k.split('_') as [string, string];
      out.push({
        id: k,
        props: {
          assigneeId: principalId,
          ...roleProps(s, roleId),
          activationCount: best.count,
          sequenceStartDateTime: new Date(best.from).toISOString(),
          sequenceEndDateTime: new Date(best.to).toISOString(),
        },
      });
    }
    return out;
  },

  NoMfaOnRoleActivationAlert(s) {
    const out: Incident[] = [];
    for (const roleId of s.roles.keys()) {
      const policy = s.policies.get(roleId);
      if (!policy || requiresMfa(policy)) continue;
      out.push({
        id: roleId,
        props: { roleDisplayName: s.roles.get(roleId) ?? null, roleTemplateId: roleId },
      });
    }
    return out;
  },

  RedundantAssignmentAlert(s, settings) {
    const horizon = s.now.getTime() - ms(settings.RedundantAssignmentAlert.duration);
    const used = new Set(
      s.activations
        .filter((a) => Date.parse(a.startDateTime) >= horizon)
        .map((a) => key(a.principalId, a.roleDefinitionId)),
    );
    const out = new Map<string, Incident>();
    for (const e of s.eligibilities) {
      const t = roleOf(e);
      if (!t || Date.parse(e.startDateTime) > horizon) continue;
      const id = key(e.principalId, t.roleDefinitionId);
      if (used.has(id) || out.has(id)) continue;
      out.set(id, {
        id,
        props: {
          assigneeId: e.principalId,
          ...roleProps(s, t.roleDefinitionId),
          lastSignInDateTime: s.lastSignIns.get(e.principalId) ?? null,
        },
        fix: {
          principalId: e.principalId,
          roleDefinitionId: t.roleDefinitionId,
          directoryScopeId: t.directoryScopeId,
        },
      });
    }
    return [...out.values()];
  },

  RolesAssignedOutsidePrivilegedIdentityManagementAlert(s) {
    const out: Incident[] = [];
    for (const a of s.assignments) {
      const t = roleOf(a);
      if (!t || a.endDateTime !== null || a.assignmentType === 'Activated') continue;
      out.push({
        id: a.id,
        props: {
          assigneeId: a.principalId,
          ...roleProps(s, t.roleDefinitionId),
          assignmentCreatedDateTime: a.createdDateTime,
        },
        fix: {
          principalId: a.principalId,
          roleDefinitionId: t.roleDefinitionId,
          directoryScopeId: t.directoryScopeId,
        },
      });
    }
    return out;
  },

  StaleSignInAlert(s, settings) {
    const horizon = s.now.getTime() - ms(settings.StaleSignInAlert.duration);
    const out = new Map<string, Incident>();
    for (const sch of [...s.eligibilities, ...s.assignments]) {
      const t = roleOf(sch);
      // Groups do not sign in; their members are judged on their own.
      if (!t || s.groupIds.has(sch.principalId)) continue;
      const id = key(sch.principalId, t.roleDefinitionId);
      if (out.has(id) || Date.parse(sch.createdDateTime) > horizon) continue;
      const last = s.lastSignIns.get(sch.principalId);
      if (last !== undefined && Date.parse(last) > horizon) continue;
      out.set(id, {
        id,
        props: {
          assigneeId: sch.principalId,
          ...roleProps(s, t.roleDefinitionId),
          assignmentCreatedDateTime: sch.createdDateTime,
          lastSignInDateTime: last ?? null,
        },
        fix: {
          principalId: sch.principalId,
          roleDefinitionId: t.roleDefinitionId,
          directoryScopeId: t.directoryScopeId,
        },
      });
    }
    return [...out.values()];
  },
};

/** MFA on activation: the Enablement rule names it, or an authentication context stands in for it. */
export function requiresMfa(policy: RoleManagementPolicy): boolean {
  const enablement = findRule(policy, RuleId.enablementEndUserAssignment, EnablementRule);
  if (enablement?.enabledRules.some((r) => r.toLowerCase() === 'multifactorauthentication')) return true;
  return (
    findRule(policy, RuleId.authenticationContextEndUserAssignment, AuthenticationContextRule)?.isEnabled ===
    true
  );
}
