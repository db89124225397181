// Builds the repositories over one set of tables and wires the audit outbox to the projector.
import { AuditRepository } from '../audit/audit-repository';
import { AuditOutbox, type CrashPoint, type Projector } from '../audit/outbox';
import { faultPoint } from '../fault';
import { AccessReviewStore } from '../storage/access-review-store';
import { ActivationIndex } from '../storage/activation-index';
import { AdminChangeRepository } from '../storage/admin-change-repository';
import { PrincipalStore } from '../storage/principal-store';
import { RoleManagementIndex } from '../storage/role-management-index';
import { RoleManagementRepository } from '../storage/role-management-repository';
import { appTable, TableName } from '../storage/tables';
import { UsersRepository } from '../storage/users-repository';
import { AccessProjection } from './access-projection';

export interface Stores {
  audit: AuditRepository;
  outbox: AuditOutbox;
  users: UsersRepository;
  roleManagement: RoleManagementRepository;
  index: RoleManagementIndex;
  /** Principals' partitions: effective-access records and activations. */
  principals: PrincipalStore;
  /** Activations by id, by role or group, and by approver (derived from principals' partitions). */
  activations: ActivationIndex;
  /** Access review definitions, instances and decision items (one partition). */
  reviews: AccessReviewStore;
  /** The two-person rule's setting and proposals. */
  adminChanges: AdminChangeRepository;
  /** What publication runs after each commit, in order; services may append theirs (alerts). */
  projectors: Projector[];
}

export interface StoreOptions {
  /** Test hook: throw at a step of commit/publish to simulate a crash. */
  crashAt?: (point: CrashPoint) => void;
  onPublishError?: (err: unknown) => void;
}

export function createStores(options: StoreOptions = {}): Stores {
  const audit = new AuditRepository();
  const primary = appTable(TableName.roleManagement);
  const index = new RoleManagementIndex(primary);
  const projectors: Projector[] = [];
  const outbox = new AuditOutbox({
    audit,
    projectors,
    crashAt: options.crashAt ?? ((point) => faultPoint(`outbox:${point}`)),
    onPublishError:
      options.onPublishError ??
      ((err) => console.warn('audit outbox: inline publication failed; the sweeper will retry', err)),
  });
  const principals = new PrincipalStore(outbox, primary);
  const activations = new ActivationIndex(primary);
  const access = new AccessProjection(principals);
  projectors.push(index.projector, access.projector, activations.projector);
  return {
    audit,
    outbox,
    users: new UsersRepository(outbox),
    roleManagement: new RoleManagementRepository(outbox, primary, (writes) => access.narrow(writes)),
    index,
    principals,
    activations,
    reviews: new AccessReviewStore(appTable(TableName.accessReviews), outbox),
    adminChanges: new AdminChangeRepository(outbox),
    projectors,
  };
}
