// Users: created from token claims on a user's first call (so audit rows and lists can show names),
// updated when the claims' name changes. A small in-process memory of users already seen with the
// same claims saves a storage read on most calls.
import { ConflictError, NotFoundError, PreconditionFailedError } from '../domain/errors';
import { isObjectId } from '../domain/ids';
import { CreateUserInput, type User, UserClaims } from '../domain/users';
import type { Page, PageRequest } from '../storage/paging';
import { event } from './audit-events';
import { type OperationContext, userContext } from './context';
import type { ServiceDeps } from './deps';
import { parseInput } from './validation';

const SEEN_LIMIT = 10_000;

function addressTaken(upn: string, holderId: string): ConflictError {
  return new ConflictError(
    `Another user (${holderId}) already has the userPrincipalName '${upn}'; mail for one would reach the other.`,
    'Request_MultipleObjectsWithSameKeyValue',
  );
}

export class UserService {
  private readonly seen = new Set<string>();

  constructor(private readonly deps: ServiceDeps) {}

  /**
   * Creates or refreshes the user from verified claims; returns the stored user. Idempotent.
   * The audit row names the user as initiator unless `ctx` says otherwise (e.g. demo data).
   */
  async ensureUser(claims: UserClaims, ctx?: OperationContext): Promise<User> {
    const c = parseInput(UserClaims, claims, 'user claims');
    const fingerprint = `${c.id}\n${c.displayName}\n${c.userPrincipalName}`;
    const repo = this.deps.stores.users;
    if (this.seen.has(fingerprint))
      return { id: c.id, displayName: c.displayName, userPrincipalName: c.userPrincipalName };
    ctx ??= userContext({ id: c.id, displayName: c.displayName });
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await repo.get(c.id);
      const at = this.deps.now();
      try {
        if (!current) {
          const user: User = {
            id: c.id,
            displayName: c.displayName,
            userPrincipalName: c.userPrincipalName,
            createdDateTime: at.toISOString(),
          };
          // The identity provider vouches for the address: it is this user's now.
          await repo.create(user, this.audit(ctx, at, 'Add user', 'Add', user), { how: 'claim' });
          return this.remember(fingerprint, user);
        }
        if (
          current.value.displayName === c.displayName &&
          current.value.userPrincipalName === c.userPrincipalName
        ) {
          return this.remember(fingerprint, current.value);
        }
        const user: User = {
          ...current.value,
          displayName: c.displayName,
          userPrincipalName: c.userPrincipalName,
        };
        await repo.replace(
          user,
          current.etag,
          this.audit(ctx, at, 'Update user', 'Update', user, current.value),
        );
        return this.remember(fingerprint, user);
      } catch (err) {
        // A concurrent first call of the same user: read again and compare.
        if (!(err instanceof ConflictError || err instanceof PreconditionFailedError)) throw err;
      }
    }
    throw new ConflictError('The user was changed concurrently; retry the request.');
  }

  /** An admin registers a user ahead of their first sign-in; 409 when the id is already known. */
  async create(ctx: OperationContext, body: unknown): Promise<User> {
    const input = parseInput(CreateUserInput, body, 'user');
    const at = this.deps.now();
    await this.deps.access.requireManage(ctx, at);
    const user: User = {
      id: input.id.toLowerCase(),
      displayName: input.displayName,
      userPrincipalName: input.userPrincipalName,
      jobTitle: input.jobTitle ?? null,
      createdDateTime: at.toISOString(),
    };
    const users = this.deps.stores.users;
    const [existing, holder] = await Promise.all([
      users.get(user.id),
      users.addressHolder(user.userPrincipalName),
    ]);
    if (existing)
      throw new ConflictError(`User '${user.id}' already exists.`, 'Request_MultipleObjectsWithSameKeyValue');
    // An address row is stale when its user has since changed address (sign-in claims): take it over.
    const holderNow = holder && (await users.get(holder.userId));
    const taken =
      holderNow && holderNow.value.userPrincipalName.toLowerCase() === user.userPrincipalName.toLowerCase();
    if (taken) throw addressTaken(user.userPrincipalName, holderNow.value.id);
    try {
      await users.create(
        user,
        this.audit(ctx, at, 'Add user', 'Add', user),
        holder ? { how: 'takeover', etag: holder.etag } : { how: 'create' },
      );
    } catch (err) {
      // Someone took the id or the address between our reads and the commit.
      if (err instanceof ConflictError || err instanceof PreconditionFailedError)
        throw new ConflictError(
          `User '${user.id}' or the userPrincipalName '${user.userPrincipalName}' was just registered by someone else.`,
          'Request_MultipleObjectsWithSameKeyValue',
        );
      throw err;
    }
    return user;
  }

  /** Any signed-in caller may read users, as in Entra. */
  async get(_ctx: OperationContext, id: string): Promise<User> {
    const user = isObjectId(id) ? await this.deps.stores.users.get(id.toLowerCase()) : undefined;
    if (!user) throw new NotFoundError(`User '${id}' does not exist.`, 'Request_ResourceNotFound');
    return user.value;
  }

  /** The known users among `ids` (point reads; for names in lists). */
  async known(ids: readonly string[]): Promise<Map<string, User>> {
    const found = await Promise.all([...new Set(ids)].map((id) => this.deps.stores.users.get(id)));
    return new Map(found.filter((u) => u !== undefined).map((u) => [u.value.id, u.value]));
  }

  list(_ctx: OperationContext, page: PageRequest): Promise<Page<User>> {
    return this.deps.stores.users.list(page);
  }

  private audit(ctx: OperationContext, at: Date, name: string, op: 'Add' | 'Update', user: User, old?: User) {
    return event(ctx, at, {
      category: 'UserManagement',
      activityDisplayName: name,
      operationType: op,
      targets: [
        {
          id: user.id,
          type: 'User',
          displayName: user.displayName,
          ...(old
            ? {
                modifiedProperties: [
                  { displayName: 'displayName', oldValue: old.displayName, newValue: user.displayName },
                  {
                    displayName: 'userPrincipalName',
                    oldValue: old.userPrincipalName,
                    newValue: user.userPrincipalName,
                  },
                ],
              }
            : {}),
        },
      ],
      details: { Source: ctx.actor.kind === 'user' && ctx.actor.id === user.id ? 'token claims' : undefined },
    });
  }

  private remember(fingerprint: string, user: User): User {
    if (this.seen.size >= SEEN_LIMIT) this.seen.clear();
    this.seen.add(fingerprint);
    return user;
  }
}
