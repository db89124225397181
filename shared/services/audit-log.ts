// GET /auditLogs/directoryAudits for readers of audit logs (Global Administrator, Privileged Role
// Administrator, Security Reader, Global Reader, ... and bootstrap admins).
import { auditCriteriaFromFilter } from '../audit/audit-filter';
import type { AuditCriteria } from '../audit/audit-repository';
import type { DirectoryAudit } from '../audit/directory-audit';
import { NotFoundError } from '../domain/errors';
import type { FilterNode } from '../http/filter/ast';
import type { Page, PageRequest } from '../storage/paging';
import type { OperationContext } from './context';
import type { ServiceDeps } from './deps';

export class AuditLogService {
  constructor(private readonly deps: ServiceDeps) {}

  /** Newest first; `filter` is a parsed $filter (DIRECTORY_AUDIT_FILTER) or ready criteria. */
  async query(
    ctx: OperationContext,
    filter: FilterNode | AuditCriteria | undefined,
    page: PageRequest,
  ): Promise<Page<DirectoryAudit>> {
    await this.deps.access.requireAuditRead(ctx, this.deps.now());
    const criteria =
      filter !== undefined && 'kind' in filter
        ? auditCriteriaFromFilter(filter as FilterNode)
        : (filter as AuditCriteria | undefined);
    if (filter !== undefined && criteria === undefined) return { items: [] };
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
}
