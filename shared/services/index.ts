// The service layer's composition root: what HTTP functions, timers and activities call.
//   const s = services();                 // one per process, from settings()
//   await s.startup();                    // at app start: built-in roles, leftover audit rows
//   await s.requests.submitRoleRequest(ctx, 'eligibility', body);
import { now as clockNow } from '../clock';
import { settings } from '../config';
import { AccessService } from './access';
import { ActivationGrantService } from './activation-grants';
import { AuditLogService } from './audit-log';
import type { ServiceDeps } from './deps';
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
  /** Grant/extend/revoke steps of activation (trusted callers: the orchestration's activities). */
  activationGrants: ActivationGrantService;
  /** The clock the services use. */
  now: () => Date;
  /** Provisions built-in roles and publishes audit rows a crash left unpublished. Idempotent. */
  startup(): Promise<void>;
  /** Publishes pending audit outbox entries older than `graceMs` (timer trigger). */
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
  return {
    stores,
    access,
    users: new UserService(deps),
    roleDefinitions,
    groups: new GroupService(deps),
    requests: new ScheduleRequestService(deps, ensureBuiltIn),
    schedules: new ScheduleQueryService(deps),
    policies: new PolicyService(deps, ensureBuiltIn),
    auditLog: new AuditLogService(deps),
    activationGrants: new ActivationGrantService(deps),
    now: deps.now,
    async startup() {
      // At startup no request of this process is in flight; other instances' may be, so keep a grace.
      await stores.outbox.sweep({ graceMs: 60_000 });
      await roleDefinitions.ensureBuiltIns();
    },
    sweepAuditOutbox: (graceMs) => stores.outbox.sweep({ graceMs }),
  };
}

let instance: Services | undefined;

/** The process's services, built on first use from settings(). */
export function services(): Services {
  instance ??= createServices();
  return instance;
}

export type { OperationContext } from './context';
export { systemContext, userContext } from './context';
