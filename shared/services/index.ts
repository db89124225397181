// The service layer's composition root: what HTTP functions, timers and activities call.
//   const s = services();                 // one per process, from settings()
//   await s.startup();                    // at app start: built-in roles, leftover audit rows
//   await s.requests.submitRoleRequest(ctx, 'eligibility', body);

import { AlertService } from '../alerts/service';
import { AlertStore } from '../alerts/store';
import { INDEX_KINDS } from '../audit/audit-keys';
import { now as clockNow } from '../clock';
import { settings } from '../config';
import { TOTP_TABLE } from '../mfa/totp-repository';
import { notifyTables } from '../notify/tables';
import { tableClient } from '../storage/connection';
import { ensureTable } from '../storage/tables';
import { AccessService } from './access';
import { AccessReviewService } from './access-reviews';
import { ActivationService } from './activation';
import { ActivationReads } from './activation-reads';
import { ActivationRules } from './activation-rules';
import { AdminChangeService } from './admin-changes';
import { AuditLogService } from './audit-log';
import { systemContext } from './context';
import type { ServiceDeps } from './deps';
import { DisplayNames } from './display-names';
import { GroupService } from './groups';
import { PolicyService } from './policies';
import { RoleDefinitionService } from './role-definitions';
import { ScheduleRequestService } from './schedule-requests';
import { ScheduleQueryService } from './schedules';
import { createStores, type StoreOptions, type Stores } from './stores';
import { UserService } from './users';

export interface Services {
  stores: Stores;
  access: AccessService;
  users: UserService;
  roleDefinitions: RoleDefinitionService;
  groups: GroupService;
  requests: ScheduleRequestService;
  schedules: ScheduleQueryService;
  policies: PolicyService;
  auditLog: AuditLogService;
  /** Access reviews: definitions, instances, decisions, and the review orchestration's steps. */
  reviews: AccessReviewService;
  /** Activation: self-service requests, MFA, approvals, deactivation, and the orchestration's deadlines. */
  activation: ActivationService;
  /** Reads of activations and approvals. */
  activationReads: ActivationReads;
  /** Display names of people, roles and groups for audit rows and notices (cached briefly). */
  names: DisplayNames;
  /** The two-person rule for admin changes: proposals, approvals, break-glass. */
  adminChanges: AdminChangeService;
  /** PIM alerts (roleManagementAlerts): evaluation, dismissal, remediation, settings. */
  alerts: AlertService;
  /** The clock the services use. */
  now: () => Date;
  /** Creates the tables and provisions built-in roles. Idempotent. */
  startup(): Promise<void>;
  /** Publishes what commits older than `graceMs` owe, if a crash interrupted it (timer trigger). */
  sweepAuditOutbox(graceMs?: number): Promise<number>;
}

export interface ServiceOptions extends StoreOptions {
  stores?: Stores;
  bootstrapAdminIds?: readonly string[];
  now?: () => Date;
}

export function createServices(options: ServiceOptions = {}): Services {
  const stores = options.stores ?? createStores(options);
  const access = new AccessService(stores, options.bootstrapAdminIds ?? settings().BOOTSTRAP_ADMIN_IDS);
  const deps: ServiceDeps = { stores, access, now: options.now ?? clockNow };
  const roleDefinitions = new RoleDefinitionService(deps);
  const ensureBuiltIn = (id: string) => roleDefinitions.ensureBuiltIn(id);
  const requests = new ScheduleRequestService(deps, ensureBuiltIn);
  const schedules = new ScheduleQueryService(deps);
  const policies = new PolicyService(deps, ensureBuiltIn);
  const names = new DisplayNames(stores);
  const groups = new GroupService(deps);
  const alertStore = new AlertStore(stores.outbox);
  const alerts = new AlertService(deps, alertStore, requests, policies);
  // After the activation index (it counts the rows that projector writes): frequency at activation time.
  stores.projectors.push(alerts.activationProjector);
  return {
    stores,
    access,
    users: new UserService(deps),
    roleDefinitions,
    groups,
    requests,
    schedules,
    policies,
    auditLog: new AuditLogService(deps),
    reviews: new AccessReviewService(deps, requests, groups),
    activation: new ActivationService(deps, new ActivationRules(deps, policies), names, requests),
    activationReads: new ActivationReads(deps, schedules),
    names,
    adminChanges: new AdminChangeService(deps, stores.adminChanges, () =>
      alerts.evaluate(systemContext('PIM alerts'), ['TwoPersonRuleBypassedAlert']),
    ),
    alerts,
    now: deps.now,
    async startup() {
      // Every fixed table exists before the first request, so that no request creates one.
      await Promise.all([prepareTables(stores), alertStore.prepare()]);
      await roleDefinitions.ensureBuiltIns();
      await alerts.prepare();
    },
    sweepAuditOutbox: (graceMs) => stores.outbox.sweep({ graceMs }),
  };
}

async function prepareTables(stores: Stores): Promise<void> {
  const audit = stores.audit.tables;
  await Promise.all([
    ...[
      stores.roleManagement.table,
      stores.index.table,
      stores.users.table,
      stores.reviews.table,
      stores.adminChanges.table,
      tableClient(TOTP_TABLE),
      ...notifyTables(),
    ].map((t) => ensureTable(t)),
    stores.outbox.prepare(),
    ...[
      audit.catalog,
      audit.seals,
      ...['days', ...INDEX_KINDS.map((k) => `${k}Days:`)].map((pk) => audit.catalogFor(pk)),
    ].map((t) => audit.ensure(t)),
  ]);
}

let instance: Services | undefined;

/** The process's services, built on first use from settings(). */
export function services(): Services {
  instance ??= createServices();
  return instance;
}

export type { OperationContext } from './context';
export { systemContext, userContext } from './context';
