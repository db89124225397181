// The audit log for its readers (Global Administrator, Privileged Role Administrator, Security
// Reader, Global Reader, ... and bootstrap admins): query, export and verify. Any signed-in user
// reads the rows they initiated or that name them (filterByCurrentUser). The timer seals closed
// hours and applies retention.
import { auditCriteriaFromFilter } from '../audit/audit-filter';
import { type AuditCriteria, usesKeyIndex } from '../audit/audit-repository';
import { AuditRetention, type PurgeRun } from '../audit/audit-retention';
import { AuditSealer, type SealRun } from '../audit/audit-seal';
import { AuditVerifier, type Verification } from '../audit/audit-verify';
import { type DirectoryAudit, toGraphAudit, userIdsOf } from '../audit/directory-audit';
import { streamByTime } from '../audit/export-walk';
import { SealKey } from '../audit/seal-format';
import { SealStore } from '../audit/seal-store';
import { settings } from '../config';
import { NotFoundError, ValidationError } from '../domain/errors';
import type { FilterNode } from '../http/filter/ast';
import type { Page, PageRequest } from '../storage/paging';
import type { OperationContext } from './context';
import type { ServiceDeps } from './deps';

/** Which of the caller's rows: those they initiated, or those naming them as a target. */
export type OwnRows = 'initiator' | 'target';

/** Longest range one verify call recomputes (a year of hours; without `from`, the last one). */
export const MAX_VERIFY_DAYS = 366;

export interface AuditLogOptions {
  sealKey?: string;
  retentionDays?: number;
}

export class AuditLogService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly given?: AuditLogOptions,
  ) {}

  // Read when first needed, so building the services needs no audit settings.
  private get options(): AuditLogOptions {
    return (
      this.given ?? { sealKey: settings().AUDIT_SEAL_KEY, retentionDays: settings().AUDIT_RETENTION_DAYS }
    );
  }

  /** Newest first; `filter` is a parsed $filter (DIRECTORY_AUDIT_FILTER) or ready criteria. */
  async query(
    ctx: OperationContext,
    filter: FilterNode | AuditCriteria | undefined,
    page: PageRequest,
  ): Promise<Page<DirectoryAudit>> {
    await this.deps.access.requireAuditRead(ctx, this.deps.now());
    const criteria = criteriaOf(filter);
    if (criteria === undefined) return { items: [] };
    return this.deps.stores.audit.query({
      criteria,
      top: page.top,
      continuationToken: page.continuationToken,
    });
  }

  /** The caller's own rows (no reader role needed), with any further $filter. */
  async queryOwn(
    ctx: OperationContext,
    on: OwnRows,
    filter: FilterNode | undefined,
    page: PageRequest,
  ): Promise<Page<DirectoryAudit>> {
    const criteria = ownCriteria(ctx, on, filter);
    if (criteria === undefined) return { items: [] };
    return this.deps.stores.audit.query({
      criteria,
      top: page.top,
      continuationToken: page.continuationToken,
    });
  }

  async get(ctx: OperationContext, id: string): Promise<DirectoryAudit> {
    await this.deps.access.requireAuditRead(ctx, this.deps.now());
    const row = await this.deps.stores.audit.get(id);
    if (!row) throw new NotFoundError(`Audit record '${id}' does not exist.`);
    return row;
  }

  /**
   * Every row of the filter as stored JSON, newest first. Authorization happens here, before the
   * first row: the HTTP layer can still answer 403 instead of a broken stream.
   */
  async exportRows(ctx: OperationContext, filter: FilterNode | undefined): Promise<AsyncIterable<string>> {
    await this.deps.access.requireAuditRead(ctx, this.deps.now());
    const criteria = criteriaOf(filter);
    if (criteria === undefined) return empty();
    const repo = this.deps.stores.audit;
    const rows = usesKeyIndex(criteria)
      ? repo.stream(criteria)
      : streamByTime(repo, this.sealStore(), criteria);
    return this.graphShaped(rows);
  }

  /** The stored rows as Graph returns them (the list's shape), each user's name looked up once. */
  private async *graphShaped(rows: AsyncIterable<string>): AsyncGenerator<string> {
    const upns = new Map<string, string | undefined>();
    for await (const line of rows) {
      let row: DirectoryAudit;
      try {
        row = JSON.parse(line) as DirectoryAudit;
      } catch {
        yield line;
        continue;
      }
      const unknown = userIdsOf([row]).filter((id) => !upns.has(id));
      if (unknown.length > 0) {
        const found = await Promise.all(
          unknown.map((id) => this.deps.stores.users.get(id).catch(() => undefined)),
        );
        for (const [i, id] of unknown.entries()) upns.set(id, found[i]?.value.userPrincipalName);
      }
      const known = new Map([...upns].filter((e): e is [string, string] => e[1] !== undefined));
      yield JSON.stringify(toGraphAudit(row, known));
    }
  }

  async verify(ctx: OperationContext, from: Date | undefined, to: Date | undefined): Promise<Verification> {
    await this.deps.access.requireAuditRead(ctx, this.deps.now());
    const now = this.deps.now();
    const end = to ?? now;
    if (from && from.getTime() > end.getTime()) {
      throw new ValidationError("'from' must not be after 'to'.", [{ target: 'from', message: 'after to' }]);
    }
    if (from && end.getTime() - from.getTime() > MAX_VERIFY_DAYS * 86_400_000) {
      throw new ValidationError(`Verify at most ${MAX_VERIFY_DAYS} days per call.`, [
        { target: 'to', message: `more than ${MAX_VERIFY_DAYS} days after from` },
      ]);
    }
    return new AuditVerifier(this.deps.stores.audit, this.sealStore(), this.key(), now).verify(
      from,
      end,
      MAX_VERIFY_DAYS * 86_400_000,
    );
  }

  /** Timer: seals closed hours, then deletes days past retention. Time-boxed; the next run resumes. */
  async maintain(budgetMs = 4 * 60_000): Promise<{ seal: SealRun; purge: PurgeRun }> {
    const deadline = Date.now() + budgetMs;
    const seals = this.sealStore();
    const seal = await new AuditSealer(this.deps.stores.audit, seals, this.key()).sealDue(this.deps.now(), {
      deadline,
    });
    const days = this.options.retentionDays;
    const purge = days
      ? await new AuditRetention(this.deps.stores.audit, seals, this.key()).purgeDue(this.deps.now(), days, {
          deadline,
        })
      : { purgedDays: [] };
    return { seal, purge };
  }

  private sealStore(): SealStore {
    return new SealStore(this.deps.stores.audit.tables.seals);
  }

  private key(): SealKey | undefined {
    return SealKey.fromBase64(this.options.sealKey);
  }
}

function criteriaOf(filter: FilterNode | AuditCriteria | undefined): AuditCriteria | undefined {
  if (filter === undefined) return {};
  return 'kind' in filter ? auditCriteriaFromFilter(filter as FilterNode) : (filter as AuditCriteria);
}

function ownCriteria(
  ctx: OperationContext,
  on: OwnRows,
  filter: FilterNode | undefined,
): AuditCriteria | undefined {
  const criteria = criteriaOf(filter);
  if (criteria === undefined || ctx.actor.kind !== 'user') return undefined;
  const me = ctx.actor.id;
  const key = on === 'initiator' ? 'initiatorId' : 'targetId';
  // A filter naming someone else contradicts "mine": nothing matches.
  if (criteria[key] !== undefined && criteria[key]?.toLowerCase() !== me) return undefined;
  return { ...criteria, [key]: me };
}

async function* empty(): AsyncGenerator<string> {}
