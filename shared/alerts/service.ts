// PIM alerts (Graph beta's roleManagementAlerts): evaluation, dismissal, remediation, settings.
//
// Evaluation reads a snapshot of the directory roles from the index's catalogs - roles, policies,
// groups, every role eligibility and admin assignment, the activations that started within the
// look-back (the activation index keeps their start), and the recorded sign-ins - each ONE
// partition, paged by 1,000; it never reads the audit log. An alert whose incidents changed gets
// its incident rows rewritten and its state committed (with an audit row when it is raised or
// resolved); an unchanged alert costs only its share of one batch that stamps lastScannedDateTime.
// A newly active alert notifies once: the state counts activations, and the notice (idempotent by
// alert and activation) goes out until `notified` catches up, so a crash in between resends it.
import { createHash } from 'node:crypto';
import type { DirectoryAudit } from '../audit/directory-audit';
import type { Projector } from '../audit/outbox';
import { fixedDurationMs } from '../domain/duration';
import { ForbiddenError, NotFoundError, ValidationError } from '../domain/errors';
import { EnablementRule, findRule, parsePolicyId, type RoleManagementPolicy, RuleId } from '../domain/policy';
import type { ScheduleLevel } from '../domain/schedules';
import { faultPoint } from '../fault';
import { notifier } from '../notify/notifier';
import { allPages } from '../services/access';
import { event } from '../services/audit-events';
import { type OperationContext, systemContext } from '../services/context';
import type { ServiceDeps } from '../services/deps';
import { requireOtherRoleHolder } from '../services/last-admin';
import type { PolicyService } from '../services/policies';
import { withRetry } from '../services/retry';
import type { ScheduleRequestService } from '../services/schedule-requests';
import { principalOfPk, SCHEDULE_PREFIX } from '../storage/principal-keys';
import { resourceOfPk } from '../storage/role-management-keys';
import {
  ALERT_TYPES,
  type AlertSettings,
  type AlertType,
  alertIdOf,
  alertTypeOf,
  CONFIG_SCHEMAS,
  DEFINITIONS,
} from './definitions';
import { activationLookbackMs, detect, type Incident, type Snapshot } from './detect';
import { lastSignIns } from './sign-ins';
import type { AlertState, AlertStore, StoredIncident } from './store';

const ALL_ROWS = 10_000_000;
/** How long the evaluation that raised an alert has to record its notice before another resends it. */
const NOTIFY_GRACE_MS = 5 * 60_000;
const SETTINGS_CACHE_MS = 60_000;

export class AlertService {
  constructor(
    private readonly deps: ServiceDeps,
    readonly store: AlertStore,
    private readonly requests: ScheduleRequestService,
    private readonly policies: PolicyService,
  ) {}

  /** At startup: activation copies from before the alerts get their start, once (one read after). */
  async prepare(): Promise<void> {
    await this.store.prepare();
    if (await this.store.isDone('activationStartAt')) return;
    await this.deps.stores.activations.backfillStartAt();
    await this.store.markDone('activationStartAt');
  }

  // ---- reads ---------------------------------------------------------------------------------

  async requireRead(ctx: OperationContext): Promise<void> {
    await this.deps.access.requireRead(ctx, this.deps.now());
  }

  async requireManage(ctx: OperationContext): Promise<void> {
    await this.deps.access.requireManage(ctx, this.deps.now());
  }

  typeOf(id: string): AlertType {
    const type = alertTypeOf(id);
    if (!type)
      throw new NotFoundError(`No alert, definition or configuration with id '${id.slice(0, 100)}'.`);
    return type;
  }

  async settings(): Promise<AlertSettings> {
    const settings = (await this.store.settings()).settings;
    this.cached = { settings, at: Date.now() };
    return settings;
  }

  // The activation-time check reads the settings from a short cache (a change here clears it;
  // another instance's change is seen within the minute).
  private cached: { settings: AlertSettings; at: number } | undefined;

  private async cachedSettings(): Promise<AlertSettings> {
    if (this.cached && Date.now() - this.cached.at < SETTINGS_CACHE_MS) return this.cached.settings;
    return this.settings();
  }

  /**
   * The outbox's projector, after the activation index: a role activation just published may
   * complete a burst, so activation frequency is checked at activation time - one query of that
   * principal's activations of that role - and the alert evaluated when the threshold is reached.
   * Publication runs after the commit (in the background of the activation), and a failure here
   * is only logged: the hourly evaluation finds the burst anyway.
   */
  readonly activationProjector: Projector = async (tableName, refs) => {
    if (tableName !== this.deps.stores.principals.table.tableName) return;
    const pairs = new Map<string, { principalId: string; roleId: string }>();
    for (const r of refs) {
      const principalId = principalOfPk(r.partitionKey);
      const role = r.resource ? resourceOfPk(r.resource) : undefined;
      if (!principalId || role?.kind !== 'role' || !r.rowKey.startsWith(SCHEDULE_PREFIX)) continue;
      pairs.set(`${principalId}|${role.id}`, { principalId, roleId: role.id });
    }
    if (pairs.size === 0) return;
    try {
      const c = (await this.cachedSettings()).SequentialActivationRenewalsAlert;
      if (!c.isEnabled) return;
      const since = new Date(
        this.deps.now().getTime() - (fixedDurationMs(c.timeIntervalBetweenActivations) ?? 0),
      );
      for (const { principalId, roleId } of pairs.values()) {
        const count = await this.deps.stores.activations.countActivations(roleId, principalId, since);
        if (count < c.sequentialActivationCounterThreshold) continue;
        await this.evaluate(systemContext('PIM alerts'), ['SequentialActivationRenewalsAlert']);
        return;
      }
    } catch (err) {
      console.warn('alerts: the activation-time frequency check failed; the timer will evaluate', err);
    }
  };

  async states(): Promise<Map<AlertType, AlertState>> {
    return new Map([...(await this.store.states())].map(([t, s]) => [t, s.state]));
  }

  /** Replaces the tunable settings of one type (PATCH: the fields given over the current ones). */
  /** Validates a configuration change without making it (a proposal under the two-person rule). */
  async checkConfiguration(
    ctx: OperationContext,
    id: string,
    patch: Record<string, unknown>,
  ): Promise<string> {
    await this.requireManage(ctx);
    const type = this.typeOf(id);
    const { settings } = await this.store.settings();
    this.merged(type, settings, patch);
    return DEFINITIONS[type].displayName;
  }

  /** Validates a remediation without applying it; what it would do, in words. */
  async checkRemediation(ctx: OperationContext, alertId: string, incidentId: string): Promise<string> {
    await this.requireManage(ctx);
    const { type, incident } = await this.remediable(alertId, incidentId);
    return `Remediate '${DEFINITIONS[type].displayName}': incident ${incident.id}`;
  }

  private merged(type: AlertType, settings: AlertSettings, patch: Record<string, unknown>) {
    const merged = CONFIG_SCHEMAS[type].safeParse({ ...settings[type], ...patch });
    if (!merged.success) {
      const details = merged.error.issues.map((i) => ({
        target: i.path.join('.') || 'body',
        message: i.message,
      }));
      throw new ValidationError(
        `Invalid alert configuration: ${details.map((d) => d.target).join(', ')}.`,
        details,
      );
    }
    return merged;
  }

  async configure(
    ctx: OperationContext,
    id: string,
    patch: Record<string, unknown>,
  ): Promise<AlertSettings[AlertType]> {
    await this.requireManage(ctx);
    const type = this.typeOf(id);
    return withRetry(async () => {
      const { settings, etags } = await this.store.settings();
      const merged = this.merged(type, settings, patch);
      const now = this.deps.now();
      const audit = event(ctx, now, {
        category: 'RoleManagement',
        activityDisplayName: 'Update alert configuration in PIM',
        operationType: 'Update',
        targets: [{ id: alertIdOf(type), type: 'Alert', displayName: DEFINITIONS[type].displayName }],
        details: { Settings: JSON.stringify(merged.data) },
      });
      await this.store.putSettings(type, merged.data as never, etags.get(type), audit);
      this.cached = undefined;
      return merged.data;
    });
  }

  // ---- evaluation ----------------------------------------------------------------------------

  /** Evaluates `types` (default: all) now; returns the states after. */
  async evaluate(
    ctx: OperationContext,
    types: readonly AlertType[] = ALERT_TYPES,
  ): Promise<Map<AlertType, AlertState>> {
    const now = this.deps.now();
    const settings = await this.settings();
    const snapshot = await this.snapshot(now, settings, types);
    const found = new Map<AlertType, Incident[]>();
    for (const type of types)
      found.set(type, settings[type].isEnabled ? detect(type, snapshot, settings) : []);
    const after = await withRetry(async () => {
      const stored = await this.store.states();
      const changes: { next: AlertState; etag: string | undefined }[] = [];
      const audits: DirectoryAudit[] = [];
      for (const type of types) {
        const { state, etag } = stored.get(type)!;
        const incidents = found.get(type)!;
        const digest = digestOf(incidents);
        let next: AlertState = { ...state, lastScannedDateTime: now.toISOString() };
        if (digest !== state.digest) {
          const firstSeen = await this.store.replaceIncidents(type, incidents, now);
          // Dismissed: hidden until an incident appears that was not there when it was dismissed.
          const since = state.dismissedDateTime ?? '';
          const dismissed =
            incidents.length > 0 && state.dismissed && ![...firstSeen.values()].some((t) => t > since);
          const isActive = incidents.length > 0 && !dismissed;
          next = {
            ...next,
            digest,
            incidentCount: incidents.length,
            dismissed,
            dismissedDateTime: dismissed ? state.dismissedDateTime : null,
            isActive,
            activations: isActive && !state.isActive ? state.activations + 1 : state.activations,
            lastModifiedDateTime: now.toISOString(),
          };
          if (isActive !== state.isActive) audits.push(this.stateAudit(ctx, now, type, next));
        }
        changes.push({ next, etag });
      }
      await this.store.putStates(changes, audits);
      const raised = changes.filter((c) => c.next.activations > stored.get(c.next.type)!.state.activations);
      return {
        states: new Map(changes.map((c) => [c.next.type, c.next])),
        raised: raised.map((c) => c.next.type),
      };
    });
    if (after.raised.length > 0) faultPoint('alerts:afterRaise'); // crash tests: raised, not yet notified
    await this.notifyRaised(after.states, new Set(after.raised), now);
    return after.states;
  }

  private stateAudit(ctx: OperationContext, now: Date, type: AlertType, s: AlertState): DirectoryAudit {
    return event(ctx, now, {
      category: 'RoleManagement',
      activityDisplayName: s.isActive ? 'Alert raised in PIM' : 'Alert resolved in PIM',
      operationType: 'Other',
      targets: [{ id: alertIdOf(type), type: 'Alert', displayName: DEFINITIONS[type].displayName }],
      details: { IncidentCount: String(s.incidentCount), Activation: String(s.activations) },
    });
  }

  /**
   * Sends the notice of each activation not yet notified, then records it (once per activation).
   * The evaluation that raised the alert sends it; another one only after a grace period (the
   * raiser crashed before recording it), so that two evaluations racing do not both send.
   */
  private async notifyRaised(
    states: Map<AlertType, AlertState>,
    raised: Set<AlertType>,
    now: Date,
  ): Promise<void> {
    for (const [type, s] of states) {
      if (!s.isActive || s.notified >= s.activations) continue;
      const since = s.lastModifiedDateTime ? now.getTime() - Date.parse(s.lastModifiedDateTime) : Infinity;
      if (!raised.has(type) && since < NOTIFY_GRACE_MS) continue;
      if (!(await this.claimNotice(type, s.activations, now))) continue;
      const def = DEFINITIONS[type];
      await notifier().send({
        event: 'alertRaised',
        subjectId: `${alertIdOf(type)}-${s.activations}`,
        principalId: 'system',
        targetDisplayName: def.displayName,
        at: this.deps.now().toISOString(),
        alert: {
          id: alertIdOf(type),
          displayName: def.displayName,
          severityLevel: def.severityLevel,
          incidentCount: s.incidentCount,
        },
      });
      await withRetry(async () => {
        const current = await this.store.state(type);
        if (current.state.notified >= s.activations) return;
        await this.store.putStates(
          [{ next: { ...current.state, notified: s.activations, notifying: null }, etag: current.etag }],
          [],
        );
      });
    }
  }

  /**
   * Takes the lease to send activation `activation`'s notice (compare-and-swap on the state row):
   * of two evaluations at the same moment (a timer and a refresh) one sends. A sender that dies
   * leaves the lease to run out, and a later evaluation sends.
   */
  private async claimNotice(type: AlertType, activation: number, now: Date): Promise<boolean> {
    return withRetry(async () => {
      const current = await this.store.state(type);
      const lease = current.state.notifying;
      if (current.state.notified >= activation) return false;
      if (lease?.activation === activation && Date.parse(lease.until) > now.getTime()) return false;
      const until = new Date(now.getTime() + NOTIFY_GRACE_MS).toISOString();
      await this.store.putStates(
        [{ next: { ...current.state, notifying: { activation, until } }, etag: current.etag }],
        [],
      );
      return true;
    });
  }

  /** One read of each catalog the chosen types need (see the file's comment). */
  private async snapshot(now: Date, settings: AlertSettings, types: readonly AlertType[]): Promise<Snapshot> {
    const { index, activations } = this.deps.stores;
    const needs = (t: AlertType) => types.includes(t) && settings[t].isEnabled;
    const lookback = activationLookbackMs({
      ...settings,
      SequentialActivationRenewalsAlert: {
        ...settings.SequentialActivationRenewalsAlert,
        isEnabled: needs('SequentialActivationRenewalsAlert'),
      },
      RedundantAssignmentAlert: {
        ...settings.RedundantAssignmentAlert,
        isEnabled: needs('RedundantAssignmentAlert'),
      },
    });
    // Frequency alone (the activation-time check) needs only the activations.
    const needsSchedules = ALERT_TYPES.some(
      (t) => t !== 'SequentialActivationRenewalsAlert' && t !== 'NoMfaOnRoleActivationAlert' && needs(t),
    );
    const schedules = (level: ScheduleLevel) =>
      needsSchedules ? allPages((p) => index.allSchedules('role', level, p, now), ALL_ROWS) : [];
    const [roles, policies, groups, eligibilities, assignments, recent, signIns] = await Promise.all([
      allPages((p) => index.roleDefinitions(p), ALL_ROWS),
      needs('NoMfaOnRoleActivationAlert') ? allPages((p) => index.policies('role', p), ALL_ROWS) : [],
      needs('StaleSignInAlert') ? allPages((p) => index.groups(p), ALL_ROWS) : [],
      schedules('eligibility'),
      schedules('assignment'),
      lookback > 0
        ? allPages((p) => activations.activatedSince('role', new Date(now.getTime() - lookback), p), ALL_ROWS)
        : [],
      needs('StaleSignInAlert') || needs('RedundantAssignmentAlert')
        ? lastSignIns()
        : new Map<string, string>(),
    ]);
    const bypasses = needs('TwoPersonRuleBypassedAlert')
      ? await this.deps.stores.adminChanges.proposals()
      : [];
    const byRole = new Map<string, RoleManagementPolicy>();
    for (const p of policies) {
      const target = parsePolicyId(p.id);
      if (target?.kind === 'role') byRole.set(target.roleDefinitionId, p);
    }
    return {
      now,
      roles: new Map(roles.map((r) => [r.id, r.displayName])),
      policies: byRole,
      groupIds: new Set(groups.map((g) => g.id)),
      eligibilities,
      assignments,
      activations: recent.map((a) => ({
        principalId: a.principalId,
        roleDefinitionId: a.resourceId,
        startDateTime: a.startDateTime,
      })),
      lastSignIns: signIns,
      bypasses: bypasses.flatMap((p) => {
        const justification = (p as { breakGlassJustification?: string }).breakGlassJustification;
        return justification
          ? [
              {
                proposalId: p.id,
                byId: p.proposedBy.id,
                description: p.description,
                justification,
                at: p.createdDateTime,
              },
            ]
          : [];
      }),
    };
  }

  // ---- dismiss -------------------------------------------------------------------------------

  async dismiss(ctx: OperationContext, id: string): Promise<AlertState> {
    await this.requireManage(ctx);
    const type = this.typeOf(id);
    if (type === 'TwoPersonRuleBypassedAlert') await this.requireNotBypasser(ctx);
    return withRetry(async () => {
      const { state, etag } = await this.store.state(type);
      if (!state.isActive) return state;
      const now = this.deps.now();
      const next: AlertState = {
        ...state,
        isActive: false,
        dismissed: true,
        dismissedDateTime: now.toISOString(),
        lastModifiedDateTime: now.toISOString(),
      };
      const audit = event(ctx, now, {
        category: 'RoleManagement',
        activityDisplayName: 'Dismiss alert in PIM',
        operationType: 'Update',
        targets: [{ id: alertIdOf(type), type: 'Alert', displayName: DEFINITIONS[type].displayName }],
        details: { IncidentCount: String(state.incidentCount) },
      });
      await this.store.putStates([{ next, etag }], [audit]);
      return next;
    });
  }

  // ---- remediate -----------------------------------------------------------------------------

  /**
   * Applies the fix of one incident through the directory and policy services (so it is
   * authorized, audited and held to the last-administrator rule like any admin change), then
   * re-evaluates the alert.
   */
  async remediate(ctx: OperationContext, alertId: string, incidentId: string): Promise<void> {
    await this.requireManage(ctx);
    const { type, incident } = await this.remediable(alertId, incidentId);
    switch (type) {
      case 'NoMfaOnRoleActivationAlert':
        await this.requireMfa(ctx, incident.id);
        break;
      case 'RedundantAssignmentAlert':
        await this.removeAll(ctx, incident, ['eligibility']);
        break;
      case 'StaleSignInAlert':
        await this.removeAll(ctx, incident, ['assignment', 'eligibility']);
        break;
      case 'RolesAssignedOutsidePrivilegedIdentityManagementAlert':
        await this.convertToEligible(ctx, incident);
        break;
      default:
        break;
    }
    await this.evaluate(ctx, [type]);
  }

  /** Whoever bypassed the two-person rule cannot hide the alert about it; another admin can. */
  private async requireNotBypasser(ctx: OperationContext): Promise<void> {
    if (ctx.actor.kind !== 'user') return;
    const me = ctx.actor.id;
    const incidents = await this.store.incidents('TwoPersonRuleBypassedAlert');
    if (incidents.some((i) => i.props.assigneeId === me)) {
      throw new ForbiddenError(
        'You bypassed the two-person rule: another administrator dismisses this alert.',
      );
    }
  }

  private async remediable(alertId: string, incidentId: string) {
    const type = this.typeOf(alertId);
    if (!DEFINITIONS[type].isRemediatable) {
      throw new ValidationError(
        `The alert '${alertId}' has no remediation; follow its mitigation steps.`,
        [],
        'AlertNotRemediatable',
      );
    }
    // Incident ids are row keys made of ids, '_' and '-': anything else names no incident.
    const incident = /^[\w-]{1,200}$/.test(incidentId)
      ? await this.store.incident(type, incidentId)
      : undefined;
    if (!incident)
      throw new NotFoundError(`No incident '${incidentId.slice(0, 100)}' in alert '${alertId}'.`);
    return { type, incident };
  }

  private justification(incident: StoredIncident): string {
    return `Remediation of PIM alert incident ${incident.id}`;
  }

  private async requireMfa(ctx: OperationContext, roleId: string): Promise<void> {
    const policy = await this.policies.forTarget({ kind: 'role', roleDefinitionId: roleId });
    const rule = findRule(policy.value, RuleId.enablementEndUserAssignment, EnablementRule);
    const enabledRules = [...new Set([...(rule?.enabledRules ?? []), 'MultiFactorAuthentication'])];
    await this.policies.patchRule(ctx, policy.value.id, RuleId.enablementEndUserAssignment, { enabledRules });
  }

  /** adminRemove of every schedule of the incident's principal and role at the given levels. */
  private async removeAll(
    ctx: OperationContext,
    incident: StoredIncident,
    levels: ScheduleLevel[],
  ): Promise<void> {
    const fix = requireFix(incident);
    const now = this.deps.now();
    for (const level of levels) {
      const schedules = await this.deps.stores.roleManagement.schedules(
        { kind: 'role', id: fix.roleDefinitionId },
        level,
        {
          principalId: fix.principalId,
          notEndedAt: now,
        },
      );
      for (const s of schedules) {
        if (s.value.target.kind !== 'role') continue;
        await this.requests.submitRoleRequest(ctx, level, {
          action: 'adminRemove',
          principalId: fix.principalId,
          roleDefinitionId: fix.roleDefinitionId,
          directoryScopeId: s.value.target.directoryScopeId,
          justification: this.justification(incident),
        });
      }
    }
  }

  /** A permanent active assignment becomes a permanent eligibility (the last admin is kept). */
  private async convertToEligible(ctx: OperationContext, incident: StoredIncident): Promise<void> {
    const fix = requireFix(incident);
    const resource = { kind: 'role' as const, id: fix.roleDefinitionId };
    const schedule = await this.deps.stores.roleManagement.schedule(resource, 'assignment', incident.id);
    if (!schedule) return; // already gone: the re-evaluation resolves the incident
    // Refuse before anything changes, so that a refused conversion leaves no half-done state.
    await requireOtherRoleHolder(this.deps.stores, schedule.value, this.deps.now());
    const base = {
      principalId: fix.principalId,
      roleDefinitionId: fix.roleDefinitionId,
      directoryScopeId: fix.directoryScopeId,
      justification: this.justification(incident),
    };
    const eligible = await this.deps.stores.roleManagement.schedules(resource, 'eligibility', {
      principalId: fix.principalId,
      notEndedAt: this.deps.now(),
    });
    const scope = fix.directoryScopeId.toLowerCase();
    if (
      !eligible.some(
        (e) => e.value.target.kind === 'role' && e.value.target.directoryScopeId.toLowerCase() === scope,
      )
    ) {
      await this.requests.submitRoleRequest(ctx, 'eligibility', {
        ...base,
        action: 'adminAssign',
        scheduleInfo: { expiration: { type: 'noExpiration' } },
      });
    }
    await this.requests.submitRoleRequest(ctx, 'assignment', { ...base, action: 'adminRemove' });
  }
}

function requireFix(incident: StoredIncident): NonNullable<Incident['fix']> {
  if (!incident.fix) throw new ValidationError(`The incident '${incident.id}' names nothing to remediate.`);
  return incident.fix;
}

/** Order-independent digest of the incidents (ids and properties). */
function digestOf(incidents: readonly Incident[]): string {
  if (incidents.length === 0) return '';
  const h = createHash('sha256');
  for (const i of incidents) h.update(`${i.id}\n${JSON.stringify(i.props)}\n`);
  return h.digest('base64url');
}
