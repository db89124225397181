// Builds the repositories over one set of tables and wires the audit outbox to the projector.
import { AuditRepository } from '../audit/audit-repository';
import { AuditOutbox, type CrashPoint } from '../audit/outbox';
import { RoleManagementIndex } from '../storage/role-management-index';
import { RoleManagementRepository } from '../storage/role-management-repository';
import { appTable, TableName } from '../storage/tables';
import { UsersRepository } from '../storage/users-repository';

export interface Stores {
  audit: AuditRepository;
  outbox: AuditOutbox;
  users: UsersRepository;
  roleManagement: RoleManagementRepository;
  index: RoleManagementIndex;
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
  const outbox = new AuditOutbox({
    audit,
    projector: index.projector,
    crashAt: options.crashAt,
    onPublishError:
      options.onPublishError ??
      ((err) => console.warn('audit outbox: inline publication failed; the sweeper will retry', err)),
  });
  return {
    audit,
    outbox,
    users: new UsersRepository(outbox),
    roleManagement: new RoleManagementRepository(outbox, primary),
    index,
  };
}
