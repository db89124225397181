// Table `Users`: PartitionKey = 'user', RowKey = user object id (plus the partition's audit
// outbox rows, `~outbox|...`). One partition because the only queries are a point read by id (on
// every call, to upsert the caller) and listing all users; each change is one transaction with its
// audit outbox row.
import type { TableClient } from '@azure/data-tables';
import { odata } from '@azure/data-tables';
import type { DirectoryAudit } from '../audit/directory-audit';
import type { AuditOutbox } from '../audit/outbox';
import { User } from '../domain/users';
import { translateWriteError } from './errors';
import { and, assertKey, partitionIs } from './keys';
import { getRow, type Page, type PageRequest, queryPage } from './paging';
import type { Stored } from './role-management-entities';
import { appTable, ensureTable, TableName } from './tables';

const PK = 'user';

export class UsersRepository {
  constructor(
    private readonly outbox: AuditOutbox,
    readonly table: TableClient = appTable(TableName.users),
  ) {}

  async get(id: string): Promise<Stored<User> | undefined> {
    const row = await getRow(this.table, PK, assertKey(id, 'user id'));
    if (!row || typeof row.data !== 'string') return undefined;
    return { value: User.parse(JSON.parse(row.data)), etag: row.etag };
  }

  /** Users by id (outbox rows sort after every GUID and are excluded). */
  list(page: PageRequest): Promise<Page<User>> {
    return queryPage(this.table, and(partitionIs(PK), odata`RowKey lt ${'~'}`), page, (row) =>
      typeof row.data === 'string' ? User.parse(JSON.parse(row.data)) : undefined,
    );
  }

  /** Inserts the user with its audit row; ConflictError when the id exists. */
  async create(user: User, audit: DirectoryAudit): Promise<void> {
    await this.write(['create', this.entity(user)], audit);
  }

  /** Replaces the user if unchanged since read with `etag`; PreconditionFailedError otherwise. */
  async replace(user: User, etag: string, audit: DirectoryAudit): Promise<void> {
    await this.write(['update', this.entity(user), 'Replace', { etag }], audit);
  }

  private entity(user: User) {
    return {
      partitionKey: PK,
      rowKey: assertKey(user.id, 'user id'),
      data: JSON.stringify(User.parse(user)),
    };
  }

  private async write(
    action: Parameters<AuditOutbox['commit']>[0]['actions'][number],
    audit: DirectoryAudit,
  ): Promise<void> {
    await ensureTable(this.table);
    try {
      await this.outbox.commit({ table: this.table, partitionKey: PK, actions: [action], audits: [audit] });
    } catch (err) {
      throw translateWriteError(err);
    }
  }
}
