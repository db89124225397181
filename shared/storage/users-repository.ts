// Table `Users`: PartitionKey = 'user', RowKey = user object id (plus the partition's audit
// outbox rows, `~outbox|...`, and one `~upn|<hash>` row per userPrincipalName naming the user who
// holds it, so two users never share an address). One partition because the only queries are a
// point read by id (on every call, to upsert the caller) and listing all users; each change is one
// transaction with its audit outbox row and its address row.
import { createHash } from 'node:crypto';
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

type Action = Parameters<AuditOutbox['commit']>[0]['actions'][number];
export type AddressTake = { how: 'create' } | { how: 'takeover'; etag: string } | { how: 'claim' };

/** The address row's key: a hash, since addresses may hold characters keys may not (`#EXT#`). */
function addressKey(upn: string): string {
  return `~upn|${createHash('sha256').update(upn.trim().toLowerCase()).digest('hex')}`;
}

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

  /** Who holds a userPrincipalName (case-insensitively), with the row's etag. */
  async addressHolder(upn: string): Promise<{ userId: string; etag: string } | undefined> {
    const row = await getRow(this.table, PK, addressKey(upn));
    return row ? { userId: String(row.userId), etag: String(row.etag) } : undefined;
  }

  /**
   * Inserts the user, its address row and its audit row; ConflictError when the id or the address
   * is taken. `address` says how to take the address: as new ('create'), from a holder whose row is
   * stale ('takeover', with that row's etag), or regardless ('claim': the identity provider vouches).
   */
  async create(user: User, audit: DirectoryAudit, address: AddressTake = { how: 'create' }): Promise<void> {
    await this.write([['create', this.entity(user)], this.addressAction(user, address)], audit);
  }

  /** Replaces the user if unchanged since read with `etag` (its address row follows); PreconditionFailedError otherwise. */
  async replace(user: User, etag: string, audit: DirectoryAudit): Promise<void> {
    await this.write(
      [['update', this.entity(user), 'Replace', { etag }], this.addressAction(user, { how: 'claim' })],
      audit,
    );
  }

  private addressAction(user: User, take: AddressTake): Action {
    const entity = { partitionKey: PK, rowKey: addressKey(user.userPrincipalName), userId: user.id };
    if (take.how === 'create') return ['create', entity];
    if (take.how === 'takeover') return ['update', entity, 'Replace', { etag: take.etag }];
    return ['upsert', entity, 'Replace'];
  }

  private entity(user: User) {
    return {
      partitionKey: PK,
      rowKey: assertKey(user.id, 'user id'),
      data: JSON.stringify(User.parse(user)),
    };
  }

  private async write(actions: Action[], audit: DirectoryAudit): Promise<void> {
    await ensureTable(this.table);
    try {
      await this.outbox.commit({ table: this.table, partitionKey: PK, actions, audits: [audit] });
    } catch (err) {
      throw translateWriteError(err);
    }
  }
}
